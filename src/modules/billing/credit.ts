/**
 * Credit notes for the unearned part of invoice lines (a quantity change, a cancellation now, the end
 * of dunning). The credit comes off the invoice's open amount first; the rest becomes the customer's
 * credit balance, applied to their next invoices. The line stops earning at `at`.
 */
import { sql } from 'kysely'
import type { Tx } from './context.js'
import { BILLING_EVENTS } from './billing.events.js'
import { assertPosted, creditNotePosting } from './billing.ledger.js'
import { lineOf } from './billing.store.js'
import type { BillingContext } from './context.js'
import { earned } from './pricing.js'

export interface CreditResult {
  readonly credited: bigint
  readonly toReceivable: bigint
}

/** Credits every line of the invoice still earning after `at`. `key` makes the notes idempotent. */
export async function creditUnused(
  ctx: BillingContext,
  tx: Tx,
  tenant: string,
  invoiceId: string,
  at: Date,
  reason: string,
  key: string,
): Promise<CreditResult> {
  const inv = await sql<Record<string, unknown>>`SELECT * FROM billing_invoices
    WHERE tenant_id = ${tenant} AND invoice_id = ${invoiceId} FOR UPDATE`.execute(tx)
  const invoice = inv.rows[0]
  if (!invoice || invoice.status === 'void' || invoice.status === 'uncollectible')
    return { credited: 0n, toReceivable: 0n }
  const currency = invoice.currency as string
  const customerId = invoice.customer_id as string
  let open = BigInt(invoice.amount_due as bigint) - BigInt(invoice.amount_paid as bigint)
  const lines = await sql<Record<string, unknown>>`SELECT * FROM billing_invoice_lines
    WHERE tenant_id = ${tenant} AND invoice_id = ${invoiceId} AND recognize_end > ${at} ORDER BY line_no FOR UPDATE`.execute(
    tx,
  )
  let credited = 0n
  let toReceivableTotal = 0n
  for (const row of lines.rows) {
    const line = lineOf(row)
    const remaining = line.amount - line.credited
    const earnedNow = earned(remaining, line.periodStart, line.recognizeEnd, at)
    const amount = remaining - (earnedNow > line.recognized ? earnedNow : line.recognized)
    if (amount <= 0n) continue
    const tax = line.amount === 0n ? 0n : (line.tax * amount) / line.amount
    const total = amount + tax
    const toReceivable = open < total ? (open > 0n ? open : 0n) : total
    open -= toReceivable
    const creditNoteId = ctx.ids('cn')
    const inserted =
      await sql`INSERT INTO billing_credit_notes (tenant_id, credit_note_id, invoice_id, line_no, amount, tax,
        reason, note_key, created_at)
      VALUES (${tenant}, ${creditNoteId}, ${invoiceId}, ${line.lineNo}, ${amount}, ${tax}, ${reason},
        ${`${key}:${line.lineNo}`}, ${at})
      ON CONFLICT (tenant_id, note_key) DO NOTHING`.execute(tx)
    if (Number(inserted.numAffectedRows ?? 0n) === 0) continue
    await sql`UPDATE billing_invoice_lines SET credited = credited + ${amount}, recognize_end = ${at}
      WHERE tenant_id = ${tenant} AND invoice_id = ${invoiceId} AND line_no = ${line.lineNo}`.execute(tx)
    if (total > toReceivable)
      await sql`INSERT INTO billing_customer_credit (tenant_id, customer_id, currency, balance)
        VALUES (${tenant}, ${customerId}, ${currency}, ${total - toReceivable})
        ON CONFLICT (tenant_id, customer_id, currency) DO UPDATE
          SET balance = billing_customer_credit.balance + excluded.balance`.execute(tx)
    assertPosted(
      await ctx.ledger.execute(
        tenant,
        [creditNotePosting({ creditNoteId, currency, amount, tax, toReceivable })],
        {
          tx,
        },
      ),
    )
    await ctx.outbox.enqueue(tx, [
      {
        tenantId: tenant,
        topic: BILLING_EVENTS.creditNoteCreated,
        key: (invoice.subscription_id as string | null) ?? invoiceId,
        payload: {
          creditNoteId,
          invoiceId,
          amount: amount.toString(),
          tax: tax.toString(),
          currency,
          reason,
        },
      },
    ])
    credited += total
    toReceivableTotal += toReceivable
  }
  if (credited > 0n) {
    // Fully credited and nothing paid: the invoice is void; paid in full by now: paid.
    await sql`UPDATE billing_invoices SET amount_credited = amount_credited + ${credited},
        amount_due = amount_due - ${toReceivableTotal},
        status = CASE WHEN amount_due - ${toReceivableTotal} <= amount_paid
                      THEN (CASE WHEN amount_paid = 0 THEN 'void' ELSE 'paid' END) ELSE status END,
        next_attempt_at = CASE WHEN amount_due - ${toReceivableTotal} <= amount_paid THEN NULL ELSE next_attempt_at END
      WHERE tenant_id = ${tenant} AND invoice_id = ${invoiceId}`.execute(tx)
  }
  return { credited, toReceivable: toReceivableTotal }
}
