/**
 * Renewals: one transaction turns a batch of due subscriptions to their next period and issues the
 * period's invoices. Rows are taken FOR UPDATE SKIP LOCKED so several processes split the work; the
 * invoice's unique period key (issue.ts) is what guarantees once-only, whatever the locks do.
 */
import { sql } from 'kysely'
import type { Actor } from './billing.js'
import { BILLING_EVENTS } from './billing.events.js'
import { priceOf, subscriptionOf } from './billing.store.js'
import { subscriptionEvents } from './charge.js'
import type { BillingContext } from './context.js'
import { issueInvoices, type InvoiceDraft, type IssuedInvoice } from './issue.js'
import { periodStart } from './periods.js'
import { amountFor, taxOn } from './pricing.js'

export interface RenewBatch {
  /** Subscriptions handled (renewed, paused through, or ended at period end). */
  readonly handled: number
  readonly invoices: readonly IssuedInvoice[]
}

export async function renewDue(
  ctx: BillingContext,
  tenant: string,
  upTo: Date,
  actor: Actor,
  opts: { wait: boolean },
): Promise<RenewBatch> {
  return ctx.db.transaction().execute(async (tx) => {
    const lock = opts.wait ? sql`FOR UPDATE OF s` : sql`FOR UPDATE OF s SKIP LOCKED`
    const r = await sql<Record<string, unknown>>`
      SELECT s.*, p.product_id, p.model, p.interval_unit, p.interval_count, p.trial_days, p.tax_rate_bps, p.dunning_days,
        p.dunning_final, p.active, p.created_at AS price_created_at
      FROM billing_subscriptions s
      JOIN billing_prices p ON p.tenant_id = s.tenant_id AND p.price_id = s.price_id
      WHERE s.tenant_id = ${tenant} AND s.next_run_at <= ${upTo}
      ORDER BY s.next_run_at, s.subscription_id
      LIMIT ${ctx.batchSize} ${lock}`.execute(tx)
    if (r.rows.length === 0) return { handled: 0, invoices: [] }
    const updates: {
      id: string
      status: string
      index: number
      start: Date
      end: Date
      next: Date | null
      canceledAt: Date | null
    }[] = []
    const drafts: InvoiceDraft[] = []
    const events: { topic: string; id: string }[] = []
    for (const row of r.rows) {
      const sub = subscriptionOf(row)
      const price = priceOf({ ...row, created_at: row.price_created_at })
      const at = sub.nextRunAt!
      if (sub.cancelAtPeriodEnd || sub.status === 'canceled' || sub.status === 'unpaid') {
        const ending = sub.status !== 'canceled' && sub.status !== 'unpaid'
        updates.push({
          id: sub.id,
          status: ending ? 'canceled' : sub.status,
          index: sub.periodIndex,
          start: sub.currentPeriodStart,
          end: sub.currentPeriodEnd,
          next: null,
          canceledAt: ending ? at : sub.canceledAt,
        })
        if (ending) events.push({ topic: BILLING_EVENTS.subscriptionCanceled, id: sub.id })
        continue
      }
      const index = sub.periodIndex + 1
      const start = periodStart(sub.anchor, price.interval, index)
      const end = periodStart(sub.anchor, price.interval, index + 1)
      const status = sub.status === 'trialing' ? 'active' : sub.status
      updates.push({ id: sub.id, status, index, start, end, next: end, canceledAt: null })
      if (status !== sub.status) events.push({ topic: BILLING_EVENTS.subscriptionUpdated, id: sub.id })
      if (sub.status === 'paused') continue
      const amount = amountFor(price.model, sub.quantity)
      const rate = ctx.tax.rateBps({
        tenant,
        customerId: sub.customerId,
        priceId: price.id,
        defaultBps: price.taxRateBps,
      })
      drafts.push({
        invoiceId: ctx.ids('inv'),
        subscriptionId: sub.id,
        customerId: sub.customerId,
        periodKey: `${sub.id}:${start.toISOString()}`,
        reason: 'subscription_cycle',
        currency: sub.currency,
        periodStart: start,
        periodEnd: end,
        issuedAt: start,
        lines: [
          {
            description: `${sub.quantity} × ${price.id}`,
            priceId: price.id,
            quantity: sub.quantity,
            amount,
            tax: taxOn(amount, rate),
            periodStart: start,
            recognizeEnd: end,
          },
        ],
      })
    }
    await sql`UPDATE billing_subscriptions s SET status = x.status, period_index = x.idx, current_period_start = x.ps,
        current_period_end = x.pe, next_run_at = x.next, canceled_at = x.canceled, updated_at = ${upTo},
        version = s.version + 1
      FROM unnest(${updates.map((u) => u.id)}::text[], ${updates.map((u) => u.status)}::text[],
        ${updates.map((u) => u.index)}::int[], ${updates.map((u) => u.start.toISOString())}::timestamptz[],
        ${updates.map((u) => u.end.toISOString())}::timestamptz[],
        ${updates.map((u) => u.next?.toISOString() ?? null)}::timestamptz[],
        ${updates.map((u) => u.canceledAt?.toISOString() ?? null)}::timestamptz[])
        AS x(id, status, idx, ps, pe, next, canceled)
      WHERE s.tenant_id = ${tenant} AND s.subscription_id = x.id`.execute(tx)
    const invoices = await issueInvoices(ctx, tx, tenant, drafts, upTo)
    await ctx.outbox.enqueue(tx, await subscriptionEvents(tx, tenant, events))
    if (events.length > 0)
      await ctx.audit.recordAllIn(
        tx,
        events.map((e) => ({
          tenant,
          actor: actor.actor,
          action:
            e.topic === BILLING_EVENTS.subscriptionCanceled
              ? 'billing.subscription.end'
              : 'billing.subscription.activate',
          resource: `subscription:${e.id}`,
          outcome: 'success' as const,
          origin: actor.origin,
        })),
      )
    return { handled: updates.length, invoices }
  })
}
