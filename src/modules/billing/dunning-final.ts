/**
 * The end of dunning. `canceled`: the unearned rest of the invoice is credited, what is still owed is
 * written off (bad debt), the invoice is uncollectible and the subscription ends. `unpaid`: the
 * subscription stops renewing and the invoice stays open, so a new payment method still recovers it.
 */
import { sql } from 'kysely'
import type { Tx } from './context.js'
import type { Actor } from './billing.js'
import { BILLING_EVENTS } from './billing.events.js'
import { assertPosted, writeOffPosting } from './billing.ledger.js'
import { subscriptionEvents } from './charge.js'
import type { BillingContext } from './context.js'
import { creditUnused } from './credit.js'

export async function endSubscriptionsForDunning(
  ctx: BillingContext,
  tx: Tx,
  tenant: string,
  items: readonly { invoiceId: string; subscriptionId: string; final: 'unpaid' | 'canceled' }[],
  now: Date,
  actor: Actor,
): Promise<void> {
  const events: { topic: string; id: string }[] = []
  for (const it of items) {
    if (it.final === 'canceled') {
      await creditUnused(ctx, tx, tenant, it.invoiceId, now, 'dunning_canceled', `dunning:${it.invoiceId}`)
      const r = await sql<{ owed: bigint; currency: string }>`UPDATE billing_invoices
        SET status = 'uncollectible', next_attempt_at = NULL
        WHERE tenant_id = ${tenant} AND invoice_id = ${it.invoiceId} AND status = 'open'
        RETURNING amount_due - amount_paid AS owed, currency`.execute(tx)
      const owed = r.rows[0] ? BigInt(r.rows[0].owed) : 0n
      if (owed > 0n)
        assertPosted(
          await ctx.ledger.execute(
            tenant,
            [writeOffPosting({ invoiceId: it.invoiceId, currency: r.rows[0]!.currency, amount: owed })],
            { tx },
          ),
        )
      await sql`UPDATE billing_subscriptions SET status = 'canceled', canceled_at = ${now}, next_run_at = NULL,
          version = version + 1, updated_at = ${now}
        WHERE tenant_id = ${tenant} AND subscription_id = ${it.subscriptionId} AND status <> 'canceled'`.execute(
        tx,
      )
      events.push({ topic: BILLING_EVENTS.subscriptionCanceled, id: it.subscriptionId })
    } else {
      await sql`UPDATE billing_invoices SET next_attempt_at = NULL, collection_deadline = NULL
        WHERE tenant_id = ${tenant} AND invoice_id = ${it.invoiceId}`.execute(tx)
      await sql`UPDATE billing_subscriptions SET status = 'unpaid', next_run_at = NULL, version = version + 1,
          updated_at = ${now}
        WHERE tenant_id = ${tenant} AND subscription_id = ${it.subscriptionId}
          AND status IN ('active', 'past_due', 'trialing')`.execute(tx)
      events.push({ topic: BILLING_EVENTS.subscriptionUnpaid, id: it.subscriptionId })
    }
  }
  await ctx.outbox.enqueue(tx, await subscriptionEvents(tx, tenant, events))
  await ctx.audit.recordAllIn(
    tx,
    items.map((it) => ({
      tenant,
      actor: actor.actor,
      action: 'billing.subscription.dunning_end',
      resource: `subscription:${it.subscriptionId}`,
      outcome: 'success' as const,
      origin: actor.origin,
      details: { invoiceId: it.invoiceId, final: it.final },
    })),
  )
}
