/**
 * Crash safety of charges. A process that dies between its claim (a `pending` billing_payments row,
 * committed) and its record leaves the attempt pending, and perhaps charged at the gateway. A run
 * takes such rows over once they have been pending longer than the resend delay (wall clock,
 * `claimed_at`), marks them claimed again (so two runs never take the same row), and sends the charge
 * again under the attempt's own idempotency key: the gateway answers with the first charge instead
 * of making a second (Stripe dedupes on the key; the sandbox's reference is derived from it).
 * Recording is guarded by `status = 'pending'`, so a slow process that was not dead after all and
 * its successor book the charge once between them.
 */
import { sql } from 'kysely'
import type { Actor } from './billing.js'
import { chargeClaimed, load, type ChargeSummary, type Loaded } from './charge.js'
import type { BillingContext } from './context.js'

export async function resendPending(
  ctx: BillingContext,
  tenant: string,
  now: Date,
  actor: Actor,
): Promise<ChargeSummary> {
  const totals = { attempted: 0, succeeded: 0, failed: 0 }
  for (;;) {
    const staleBefore = new Date(ctx.clock.now().getTime() - ctx.resendAfterMs)
    const paymentIds = new Map<string, string>()
    const attemptOf = new Map<string, number>()
    const taken = await ctx.db.transaction().execute(async (tx) => {
      const r = await sql<{
        invoice_id: string
        attempt: number
        payment_id: string
        amount: string
        payment_method_id: string | null
      }>`SELECT p.invoice_id, p.attempt, p.payment_id, p.amount::text AS amount, p.payment_method_id
        FROM billing_payments p
        JOIN billing_invoices i ON i.tenant_id = p.tenant_id AND i.invoice_id = p.invoice_id AND i.status = 'open'
        WHERE p.tenant_id = ${tenant} AND p.status = 'pending' AND p.claimed_at <= ${staleBefore}
        ORDER BY p.claimed_at LIMIT ${ctx.batchSize} FOR UPDATE OF p SKIP LOCKED`.execute(tx)
      if (r.rows.length === 0) return []
      await sql`UPDATE billing_payments SET claimed_at = ${ctx.clock.now()}
        WHERE tenant_id = ${tenant} AND payment_id = ANY(${r.rows.map((x) => x.payment_id)}::text[])`.execute(
        tx,
      )
      const loaded = await load(
        tx,
        tenant,
        r.rows.map((x) => x.invoice_id),
      )
      const byInvoice = new Map(r.rows.map((x) => [x.invoice_id, x]))
      return loaded.map((l): Loaded => {
        const row = byInvoice.get(l.invoiceId)!
        paymentIds.set(l.invoiceId, row.payment_id)
        attemptOf.set(l.invoiceId, row.attempt)
        // The same amount and method as the first send: the same request under the same key.
        return { ...l, owed: BigInt(row.amount), paymentMethodId: row.payment_method_id ?? l.paymentMethodId }
      })
    })
    if (taken.length === 0) return totals
    ctx.logger?.warn(
      { tenant, count: taken.length },
      'billing: resending charges a stopped process left pending',
    )
    const s = await chargeClaimed(ctx, tenant, taken, paymentIds, attemptOf, now, actor)
    totals.attempted += s.attempted
    totals.succeeded += s.succeeded
    totals.failed += s.failed
  }
}
