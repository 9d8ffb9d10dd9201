/**
 * A billing run: everything due up to `until`, in time order. Each round takes the earliest due
 * moment t (a renewal, a dunning retry, a dunning deadline), does all that is due by t in batches,
 * and moves on, so a run over a year replays the year in order. Safe with several processes at once:
 * every action is claimed by a unique key (invoice per period, payment per attempt) in its own
 * transaction, never by a lock that could lapse (ADR 1300).
 */
import { sql } from 'kysely'
import type { Actor } from './billing.js'
import { chargeInvoices } from './charge.js'
import { billingNow, ensureAccounts, type BillingContext } from './context.js'
import { endSubscriptionsForDunning } from './dunning-final.js'
import { recognizeUpTo } from './recognize.js'
import { renewDue } from './renew.js'
import { resendPending } from './resend.js'

export interface RunReport {
  readonly until: string
  readonly renewed: number
  readonly invoices: number
  readonly charges: number
  readonly succeeded: number
  readonly failed: number
  readonly dunningEnded: number
  readonly recognized: number
}

async function nextDue(ctx: BillingContext, tenant: string, until: Date): Promise<Date | undefined> {
  const r = await sql<{ t: Date | null }>`SELECT least(
      (SELECT min(next_run_at) FROM billing_subscriptions WHERE tenant_id = ${tenant} AND next_run_at <= ${until}),
      (SELECT min(next_attempt_at) FROM billing_invoices WHERE tenant_id = ${tenant} AND next_attempt_at <= ${until}
         AND status = 'open'),
      (SELECT min(collection_deadline) FROM billing_invoices WHERE tenant_id = ${tenant} AND status = 'open'
         AND next_attempt_at IS NULL AND collection_deadline <= ${until})) AS t`.execute(ctx.db)
  const t = r.rows[0]?.t
  return t ? new Date(t) : undefined
}

export async function runBilling(
  ctx: BillingContext,
  tenant: string,
  until: Date,
  actor: Actor,
): Promise<RunReport> {
  await ensureAccounts(ctx, tenant)
  const totals = { renewed: 0, invoices: 0, charges: 0, succeeded: 0, failed: 0, dunningEnded: 0 }
  // First what a stopped process left half done: its pending charges, resent under their keys.
  add(totals, await resendPending(ctx, tenant, await billingNow(ctx, tenant), actor))
  for (let t = await nextDue(ctx, tenant, until); t; t = await nextDue(ctx, tenant, until)) {
    // Renewals due by t, in `runLanes` lanes at once: each lane renews a batch and charges it, so
    // one lane's database work overlaps another's gateway calls and bookkeeping. The lanes split
    // the rows as two processes would (SKIP LOCKED; the period key decides), so nothing changes for
    // exactly-once.
    const t0 = t
    await Promise.all(Array.from({ length: ctx.runLanes }, () => renewLane(ctx, tenant, t0, actor, totals)))
    // Dunning retries due by t.
    for (;;) {
      const r = await sql<{
        invoice_id: string
        attempt_count: number
      }>`SELECT invoice_id, attempt_count FROM billing_invoices
        WHERE tenant_id = ${tenant} AND status = 'open' AND next_attempt_at <= ${t}
        ORDER BY next_attempt_at, invoice_id LIMIT ${ctx.batchSize}`.execute(ctx.db)
      if (r.rows.length === 0) break
      const s = await chargeInvoices(
        ctx,
        tenant,
        r.rows.map((x) => ({ invoiceId: x.invoice_id, attempt: x.attempt_count + 1 })),
        t,
        actor,
      )
      add(totals, s)
      if (s.attempted === 0) break // another process holds them; the next round sees their outcome
    }
    totals.dunningEnded += await endExpired(ctx, tenant, t, actor)
  }
  const recognized = await recognizeUpTo(ctx, tenant, until)
  return { until: until.toISOString(), ...totals, recognized }
}

/**
 * One lane of renewals due by t. SKIP LOCKED first; when another lane or process holds every due row,
 * wait for it once (its commit moves the rows on, so the waiting query then finds them no longer due).
 */
async function renewLane(
  ctx: BillingContext,
  tenant: string,
  t: Date,
  actor: Actor,
  totals: { renewed: number; invoices: number; charges: number; succeeded: number; failed: number },
): Promise<void> {
  let progressed = false
  for (let wait = false; ;) {
    const batch = await renewDue(ctx, tenant, t, actor, { wait })
    if (batch.handled === 0) {
      if (wait || progressed) return
      wait = true
      continue
    }
    progressed = true
    totals.renewed += batch.handled
    totals.invoices += batch.invoices.length
    const due = batch.invoices
      .filter((i) => i.amountDue > 0n)
      .map((i) => ({ invoiceId: i.invoiceId, attempt: 1 }))
    add(totals, await chargeInvoices(ctx, tenant, due, t, actor))
  }
}

function add(
  t: { charges: number; succeeded: number; failed: number },
  s: { attempted: number; succeeded: number; failed: number },
) {
  t.charges += s.attempted
  t.succeeded += s.succeeded
  t.failed += s.failed
}

/** Invoices whose dunning window closed with no retry left: the price's final action, once (row lock + state). */
async function endExpired(ctx: BillingContext, tenant: string, t: Date, actor: Actor): Promise<number> {
  return ctx.db.transaction().execute(async (tx) => {
    const r = await sql<{
      invoice_id: string
      subscription_id: string
      dunning_final: 'unpaid' | 'canceled'
    }>`
      SELECT i.invoice_id, i.subscription_id, p.dunning_final FROM billing_invoices i
      JOIN billing_subscriptions s ON s.tenant_id = i.tenant_id AND s.subscription_id = i.subscription_id
      JOIN billing_prices p ON p.tenant_id = s.tenant_id AND p.price_id = s.price_id
      WHERE i.tenant_id = ${tenant} AND i.status = 'open' AND i.next_attempt_at IS NULL
        AND i.collection_deadline <= ${t}
      ORDER BY i.invoice_id LIMIT ${ctx.batchSize} FOR UPDATE OF i SKIP LOCKED`.execute(tx)
    if (r.rows.length === 0) return 0
    await sql`UPDATE billing_invoices SET collection_deadline = NULL
      WHERE tenant_id = ${tenant} AND invoice_id = ANY(${r.rows.map((x) => x.invoice_id)}::text[])`.execute(
      tx,
    )
    await endSubscriptionsForDunning(
      ctx,
      tx,
      tenant,
      r.rows.map((x) => ({
        invoiceId: x.invoice_id,
        subscriptionId: x.subscription_id,
        final: x.dunning_final,
      })),
      t,
      actor,
    )
    return r.rows.length
  })
}
