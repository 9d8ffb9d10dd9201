/** Reads and row mapping for billing's tables (writes live with the use case that owns them). */
import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { BillingPayment, CreditNote, Invoice, InvoiceLine, Product, Subscription } from './billing.js'
import { billingError } from './billing.errors.js'
import type { Price, PricingModel, Tier } from './pricing.js'

type Row = Record<string, unknown>
const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as string | number))
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string))
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v))

export function modelToJson(m: PricingModel): unknown {
  switch (m.kind) {
    case 'fixed':
      return { kind: 'fixed', amount: m.amount.toString() }
    case 'per_unit':
      return { kind: 'per_unit', unitAmount: m.unitAmount.toString() }
    case 'tiered':
      return {
        kind: 'tiered',
        mode: m.mode,
        tiers: m.tiers.map((t) => ({
          upTo: t.upTo === null ? null : t.upTo.toString(),
          unitAmount: t.unitAmount.toString(),
          flatAmount: t.flatAmount.toString(),
        })),
      }
  }
}

export function modelFromJson(j: Record<string, unknown>): PricingModel {
  switch (j.kind) {
    case 'fixed':
      return { kind: 'fixed', amount: big(j.amount) }
    case 'per_unit':
      return { kind: 'per_unit', unitAmount: big(j.unitAmount) }
    default:
      return {
        kind: 'tiered',
        mode: j.mode === 'volume' ? 'volume' : 'graduated',
        tiers: (j.tiers as Record<string, unknown>[]).map((t): Tier => ({
          upTo: t.upTo === null ? null : big(t.upTo),
          unitAmount: big(t.unitAmount),
          flatAmount: big(t.flatAmount ?? 0),
        })),
      }
  }
}

export const productOf = (r: Row): Product => ({
  id: r.product_id as string,
  name: r.name as string,
  active: r.active as boolean,
  metadata: r.metadata as Record<string, unknown>,
  createdAt: date(r.created_at),
})

export const priceOf = (r: Row): Price => ({
  id: r.price_id as string,
  productId: r.product_id as string,
  currency: r.currency as string,
  model: modelFromJson(r.model as Record<string, unknown>),
  interval: { unit: r.interval_unit as Price['interval']['unit'], count: r.interval_count as number },
  trialDays: r.trial_days as number,
  taxRateBps: r.tax_rate_bps as number,
  dunningDays: r.dunning_days as number[],
  dunningFinal: r.dunning_final as Price['dunningFinal'],
  active: r.active as boolean,
  createdAt: date(r.created_at),
})

export const subscriptionOf = (r: Row): Subscription => ({
  id: r.subscription_id as string,
  customerId: r.customer_id as string,
  priceId: r.price_id as string,
  currency: r.currency as string,
  quantity: big(r.quantity),
  status: r.status as Subscription['status'],
  paymentMethodId: (r.payment_method_id as string | null) ?? null,
  anchor: date(r.anchor),
  periodIndex: r.period_index as number,
  currentPeriodStart: date(r.current_period_start),
  currentPeriodEnd: date(r.current_period_end),
  trialEnd: dateOrNull(r.trial_end),
  cancelAtPeriodEnd: r.cancel_at_period_end as boolean,
  canceledAt: dateOrNull(r.canceled_at),
  nextRunAt: dateOrNull(r.next_run_at),
  version: r.version as number,
  createdAt: date(r.created_at),
})

export const invoiceOf = (r: Row): Invoice => ({
  id: r.invoice_id as string,
  subscriptionId: (r.subscription_id as string | null) ?? null,
  customerId: r.customer_id as string,
  reason: r.reason as Invoice['reason'],
  currency: r.currency as string,
  subtotal: big(r.subtotal),
  tax: big(r.tax),
  total: big(r.total),
  creditApplied: big(r.credit_applied),
  amountDue: big(r.amount_due),
  amountPaid: big(r.amount_paid),
  amountCredited: big(r.amount_credited),
  status: r.status as Invoice['status'],
  attemptCount: r.attempt_count as number,
  nextAttemptAt: dateOrNull(r.next_attempt_at),
  periodStart: date(r.period_start),
  periodEnd: date(r.period_end),
  createdAt: date(r.created_at),
  paidAt: dateOrNull(r.paid_at),
})

export const lineOf = (r: Row): InvoiceLine => ({
  lineNo: r.line_no as number,
  description: r.description as string,
  priceId: (r.price_id as string | null) ?? null,
  quantity: big(r.quantity),
  amount: big(r.amount),
  tax: big(r.tax),
  credited: big(r.credited),
  recognized: big(r.recognized),
  periodStart: date(r.period_start),
  recognizeEnd: date(r.recognize_end),
})

export const paymentOf = (r: Row): BillingPayment => ({
  id: r.payment_id as string,
  invoiceId: r.invoice_id as string,
  attempt: r.attempt as number,
  amount: big(r.amount),
  currency: r.currency as string,
  status: r.status as BillingPayment['status'],
  gateway: (r.gateway as string | null) ?? null,
  gatewayRef: (r.gateway_ref as string | null) ?? null,
  declineCode: (r.decline_code as string | null) ?? null,
  retryable: (r.retryable as boolean | null) ?? null,
  createdAt: date(r.created_at),
})

export async function loadPrice(db: Db, tenant: string, priceId: string): Promise<Price> {
  const r =
    await sql<Row>`SELECT * FROM billing_prices WHERE tenant_id = ${tenant} AND price_id = ${priceId}`.execute(
      db,
    )
  if (!r.rows[0]) throw billingError('BILLING_PRICE_NOT_FOUND', priceId)
  return priceOf(r.rows[0])
}

export async function loadSubscription(
  db: Db,
  tenant: string,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<Subscription> {
  const r = opts.forUpdate
    ? await sql<Row>`SELECT * FROM billing_subscriptions WHERE tenant_id = ${tenant} AND subscription_id = ${id} FOR UPDATE`.execute(
        db,
      )
    : await sql<Row>`SELECT * FROM billing_subscriptions WHERE tenant_id = ${tenant} AND subscription_id = ${id}`.execute(
        db,
      )
  if (!r.rows[0]) throw billingError('BILLING_SUBSCRIPTION_NOT_FOUND', id)
  return subscriptionOf(r.rows[0])
}

export async function loadInvoice(db: Db, tenant: string, id: string): Promise<Invoice> {
  const r =
    await sql<Row>`SELECT * FROM billing_invoices WHERE tenant_id = ${tenant} AND invoice_id = ${id}`.execute(
      db,
    )
  if (!r.rows[0]) throw billingError('BILLING_INVOICE_NOT_FOUND', id)
  const lines =
    await sql<Row>`SELECT * FROM billing_invoice_lines WHERE tenant_id = ${tenant} AND invoice_id = ${id}
    ORDER BY line_no`.execute(db)
  const payments =
    await sql<Row>`SELECT * FROM billing_payments WHERE tenant_id = ${tenant} AND invoice_id = ${id}
    ORDER BY attempt`.execute(db)
  return { ...invoiceOf(r.rows[0]), lines: lines.rows.map(lineOf), payments: payments.rows.map(paymentOf) }
}

/** The idempotency check every create shares: same key + same request = the stored row; else a conflict. */
export async function replayOf(
  db: Db,
  table: 'billing_products' | 'billing_prices' | 'billing_subscriptions' | 'billing_payment_methods',
  idColumn: string,
  tenant: string,
  key: string | undefined,
  hash: string,
): Promise<string | undefined> {
  if (!key) return undefined
  const r = await sql<Row>`SELECT ${sql.ref(idColumn)} AS id, request_hash FROM ${sql.table(table)}
    WHERE tenant_id = ${tenant} AND idempotency_key = ${key}`.execute(db)
  const row = r.rows[0]
  if (!row) return undefined
  if (row.request_hash !== hash) throw billingError('IDEMPOTENCY_CONFLICT')
  return row.id as string
}

export const creditNoteOf = (x: Row): CreditNote => ({
  id: x.credit_note_id as string,
  invoiceId: x.invoice_id as string,
  lineNo: x.line_no as number,
  amount: BigInt(x.amount as bigint),
  tax: BigInt(x.tax as bigint),
  reason: x.reason as string,
  createdAt: new Date(x.created_at as string),
})
