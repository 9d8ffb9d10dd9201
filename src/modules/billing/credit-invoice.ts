/**
 * A credit note asked for by the merchant (a goodwill credit, a service outage): the unearned rest of
 * the invoice's lines is credited from now, the open amount first, the rest to the customer's credit
 * balance (credit.ts). The same idempotency key credits once.
 */
import { sql } from 'kysely'
import type { Actor, CreditNote } from './billing.js'
import { billingError } from './billing.errors.js'
import { creditNoteOf, loadInvoice } from './billing.store.js'
import { auditIn, billingNow, ensureAccounts, type BillingContext } from './context.js'
import { creditUnused } from './credit.js'

export async function creditInvoice(
  ctx: BillingContext,
  tenant: string,
  invoiceId: string,
  input: { reason: string; idempotencyKey?: string },
  actor: Actor,
): Promise<CreditNote[]> {
  const before = await loadInvoice(ctx.db, tenant, invoiceId)
  const key = `manual:${invoiceId}:${input.idempotencyKey ?? ctx.ids('cnk')}`
  const notes = async () => {
    const r = await sql<Record<string, unknown>>`SELECT * FROM billing_credit_notes
      WHERE tenant_id = ${tenant} AND invoice_id = ${invoiceId} AND starts_with(note_key, ${`${key}:`})
      ORDER BY line_no`.execute(ctx.db)
    return r.rows.map(creditNoteOf)
  }
  // A retried request: its notes already exist (note_key is unique), so answer them again.
  const replayed = await notes()
  if (replayed.length > 0) return replayed
  const now = await billingNow(ctx, tenant)
  await ensureAccounts(ctx, tenant)
  await ctx.db.transaction().execute(async (tx) => {
    const r = await creditUnused(ctx, tx, tenant, invoiceId, now, input.reason, key)
    if (r.credited === 0n)
      throw billingError(
        'BILLING_NOTHING_TO_CREDIT',
        `${invoiceId} is ${before.status}, fully earned or credited`,
      )
    await auditIn(ctx, tx, tenant, actor, 'billing.invoice.credit', `invoice:${invoiceId}`, {
      before: { status: before.status, amountCredited: before.amountCredited.toString() },
      after: { credited: r.credited.toString(), toReceivable: r.toReceivable.toString() },
      reason: input.reason,
    })
  })
  return notes()
}
