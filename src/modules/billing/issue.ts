/**
 * The invoice writer: issues invoices in the caller's transaction, many at once. The INSERT's
 * unique period key decides who issues an invoice: a row that already exists (another process, an
 * earlier crashed run) is skipped, so a period is invoiced — and therefore charged — once (ADR 1300).
 * Each issued invoice is booked (receivable / deferred revenue / tax), the customer's credit is
 * applied, and its event is enqueued, all in the same transaction.
 */
import { sql } from 'kysely'
import type { Tx } from './context.js'
import { BILLING_EVENTS } from './billing.events.js'
import { assertPosted, invoicePosting } from './billing.ledger.js'
import type { BillingContext } from './context.js'

export interface LineDraft {
  readonly description: string
  readonly priceId: string | null
  readonly quantity: bigint
  readonly amount: bigint
  readonly tax: bigint
  readonly periodStart: Date
  readonly recognizeEnd: Date
}

export interface InvoiceDraft {
  readonly invoiceId: string
  readonly subscriptionId: string
  readonly customerId: string
  readonly periodKey: string
  readonly reason: 'subscription_create' | 'subscription_cycle' | 'subscription_update'
  readonly currency: string
  readonly periodStart: Date
  readonly periodEnd: Date
  /** When the invoice is due: its period start for a renewal (dunning counts days from here). */
  readonly issuedAt: Date
  readonly lines: readonly LineDraft[]
}

export interface IssuedInvoice {
  readonly invoiceId: string
  readonly subscriptionId: string
  readonly customerId: string
  readonly currency: string
  readonly total: bigint
  readonly amountDue: bigint
  readonly issuedAt: Date
}

const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n)
const str = (xs: readonly bigint[]) => xs.map((x) => x.toString())

export async function issueInvoices(
  ctx: BillingContext,
  tx: Tx,
  tenant: string,
  drafts: readonly InvoiceDraft[],
  now: Date,
): Promise<IssuedInvoice[]> {
  if (drafts.length === 0) return []
  const subtotal = drafts.map((d) => sum(d.lines.map((l) => l.amount)))
  const tax = drafts.map((d) => sum(d.lines.map((l) => l.tax)))
  const total = drafts.map((_, i) => subtotal[i]! + tax[i]!)
  const inserted = await sql<{ invoice_id: string }>`
    INSERT INTO billing_invoices (tenant_id, invoice_id, subscription_id, customer_id, period_key, reason, currency,
      subtotal, tax, total, amount_due, status, period_start, period_end, created_at)
    SELECT ${tenant}, x.id, x.sub, x.cus, x.pk, x.reason, x.cur, x.subtotal, x.tax, x.total, x.total, 'open',
      x.ps, x.pe, x.issued
    FROM unnest(${drafts.map((d) => d.invoiceId)}::text[], ${drafts.map((d) => d.subscriptionId)}::text[],
      ${drafts.map((d) => d.customerId)}::text[], ${drafts.map((d) => d.periodKey)}::text[],
      ${drafts.map((d) => d.reason)}::text[], ${drafts.map((d) => d.currency)}::text[],
      ${str(subtotal)}::bigint[], ${str(tax)}::bigint[], ${str(total)}::bigint[],
      ${drafts.map((d) => d.periodStart.toISOString())}::timestamptz[],
      ${drafts.map((d) => d.periodEnd.toISOString())}::timestamptz[],
      ${drafts.map((d) => d.issuedAt.toISOString())}::timestamptz[])
      AS x(id, sub, cus, pk, reason, cur, subtotal, tax, total, ps, pe, issued)
    ON CONFLICT (tenant_id, period_key) DO NOTHING
    RETURNING invoice_id`.execute(tx)
  const won = new Set(inserted.rows.map((r) => r.invoice_id))
  const issued = drafts.map((d, i) => ({ d, i })).filter(({ d }) => won.has(d.invoiceId))
  if (issued.length === 0) return []

  const lines = issued.flatMap(({ d }) => d.lines.map((l, n) => ({ inv: d.invoiceId, n: n + 1, l })))
  await sql`
    INSERT INTO billing_invoice_lines (tenant_id, invoice_id, line_no, description, price_id, quantity, amount, tax,
      period_start, recognize_end)
    SELECT ${tenant}, x.inv, x.n, x.descr, x.price, x.qty, x.amount, x.tax, x.ps, x.re
    FROM unnest(${lines.map((x) => x.inv)}::text[], ${lines.map((x) => x.n)}::int[],
      ${lines.map((x) => x.l.description)}::text[], ${lines.map((x) => x.l.priceId)}::text[],
      ${str(lines.map((x) => x.l.quantity))}::bigint[], ${str(lines.map((x) => x.l.amount))}::bigint[],
      ${str(lines.map((x) => x.l.tax))}::bigint[],
      ${lines.map((x) => x.l.periodStart.toISOString())}::timestamptz[],
      ${lines.map((x) => x.l.recognizeEnd.toISOString())}::timestamptz[])
      AS x(inv, n, descr, price, qty, amount, tax, ps, re)`.execute(tx)

  const credit = await applyCredit(
    tx,
    tenant,
    issued.map(({ d, i }) => ({ d, total: total[i]! })),
  )
  const results: IssuedInvoice[] = issued.map(({ d, i }) => ({
    invoiceId: d.invoiceId,
    subscriptionId: d.subscriptionId,
    customerId: d.customerId,
    currency: d.currency,
    total: total[i]!,
    amountDue: total[i]! - (credit.get(d.invoiceId) ?? 0n),
    issuedAt: d.issuedAt,
  }))

  const postings = issued.flatMap(({ d, i }) => {
    const p = invoicePosting({
      invoiceId: d.invoiceId,
      currency: d.currency,
      subtotal: subtotal[i]!,
      tax: tax[i]!,
      creditApplied: credit.get(d.invoiceId) ?? 0n,
    })
    return p ? [p] : []
  })
  if (postings.length > 0) assertPosted(await ctx.ledger.execute(tenant, postings, { tx, atomic: true }))

  // An invoice the customer's credit (or a zero amount) settles is paid at once.
  const settled = results.filter((r) => r.amountDue === 0n).map((r) => r.invoiceId)
  if (settled.length > 0)
    await sql`UPDATE billing_invoices SET status = 'paid', paid_at = ${now}
      WHERE tenant_id = ${tenant} AND invoice_id = ANY(${settled}::text[])`.execute(tx)
  await ctx.outbox.enqueue(
    tx,
    results.flatMap((r) => {
      const payload = {
        invoiceId: r.invoiceId,
        subscriptionId: r.subscriptionId,
        customerId: r.customerId,
        status: r.amountDue === 0n ? 'paid' : 'open',
        total: r.total.toString(),
        amountDue: r.amountDue.toString(),
        amountPaid: '0',
        currency: r.currency,
        attempt: 0,
      }
      const ev = (topic: string) => ({ tenantId: tenant, topic, key: r.subscriptionId, payload })
      return r.amountDue === 0n
        ? [ev(BILLING_EVENTS.invoiceCreated), ev(BILLING_EVENTS.invoicePaid)]
        : [ev(BILLING_EVENTS.invoiceCreated)]
    }),
  )
  return results
}

/** Applies customers' credit balances to new invoices (rare: only after credit notes), under row locks. */
async function applyCredit(
  tx: Tx,
  tenant: string,
  invoices: readonly { d: InvoiceDraft; total: bigint }[],
): Promise<Map<string, bigint>> {
  const applied = new Map<string, bigint>()
  const r = await sql<{ customer_id: string; currency: string; balance: bigint }>`
    SELECT customer_id, currency, balance FROM billing_customer_credit
    WHERE tenant_id = ${tenant} AND balance > 0 AND customer_id = ANY(${invoices.map((x) => x.d.customerId)}::text[])
    ORDER BY customer_id, currency FOR UPDATE`.execute(tx)
  if (r.rows.length === 0) return applied
  const balances = new Map(r.rows.map((row) => [`${row.customer_id}|${row.currency}`, BigInt(row.balance)]))
  for (const { d, total } of invoices) {
    const key = `${d.customerId}|${d.currency}`
    const balance = balances.get(key) ?? 0n
    const use = balance < total ? balance : total
    if (use === 0n) continue
    balances.set(key, balance - use)
    applied.set(d.invoiceId, use)
    await sql`UPDATE billing_customer_credit SET balance = balance - ${use}
      WHERE tenant_id = ${tenant} AND customer_id = ${d.customerId} AND currency = ${d.currency}`.execute(tx)
    await sql`UPDATE billing_invoices SET credit_applied = ${use}, amount_due = total - ${use}
      WHERE tenant_id = ${tenant} AND invoice_id = ${d.invoiceId}`.execute(tx)
  }
  return applied
}
