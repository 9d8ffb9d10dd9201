/**
 * Charging invoices off-session, many at once, in three steps:
 *  1. claim: one transaction inserts a billing_payments row per (invoice, attempt); the primary key
 *     decides which process makes the attempt, so two schedulers never charge one attempt twice;
 *  2. the gateway calls, a bounded number in flight, each with the attempt's idempotency key (a
 *     process that crashed here leaves a `pending` row its successor resends under the same key);
 *  3. one transaction records every outcome: payment row, invoice, subscription status, ledger
 *     posting, events, audit entries, and the next dunning step.
 */
import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { Tx } from './context.js'
import { isGatewayError, isRetryableDecline, type OffSessionOutcome } from '../payments/index.js'
import type { AuditRecord } from '../audit/index.js'
import type { Actor } from './billing.js'
import { BILLING_EVENTS } from './billing.events.js'
import { assertPosted, paymentPosting } from './billing.ledger.js'
import { ensureAccounts, type BillingContext } from './context.js'
import { decideDunning, type DunningStep } from './dunning.js'
import { resolveMethods } from './method-tokens.js'
import { pool } from './pool.js'
import { endSubscriptionsForDunning } from './dunning-final.js'

export interface ChargeTarget {
  readonly invoiceId: string
  readonly attempt: number
}

export interface Loaded {
  readonly invoiceId: string
  readonly subscriptionId: string
  readonly customerId: string
  readonly currency: string
  readonly owed: bigint
  readonly createdAt: Date
  readonly subStatus: string
  readonly paymentMethodId: string | null
  readonly dunningDays: readonly number[]
  readonly dunningFinal: 'unpaid' | 'canceled'
}

export interface ChargeSummary {
  readonly attempted: number
  readonly succeeded: number
  readonly failed: number
}

type Outcome = OffSessionOutcome & { readonly gateway: string | null }

export async function load(tx: Db, tenant: string, ids: readonly string[]): Promise<Loaded[]> {
  const r = await sql<Record<string, unknown>>`
    SELECT i.invoice_id, i.subscription_id, i.customer_id, i.currency, i.amount_due - i.amount_paid AS owed,
      i.created_at, s.status AS sub_status, p.dunning_days, p.dunning_final,
      coalesce(s.payment_method_id, (
        SELECT m.payment_method_id FROM billing_payment_methods m
        WHERE m.tenant_id = i.tenant_id AND m.customer_id = i.customer_id AND m.is_default AND m.status = 'active'
        LIMIT 1)) AS pm
    FROM billing_invoices i
    JOIN billing_subscriptions s ON s.tenant_id = i.tenant_id AND s.subscription_id = i.subscription_id
    JOIN billing_prices p ON p.tenant_id = s.tenant_id AND p.price_id = s.price_id
    WHERE i.tenant_id = ${tenant} AND i.invoice_id = ANY(${ids}::text[]) AND i.status = 'open'
      AND i.amount_due > i.amount_paid`.execute(tx)
  return r.rows.map((row) => ({
    invoiceId: row.invoice_id as string,
    subscriptionId: row.subscription_id as string,
    customerId: row.customer_id as string,
    currency: row.currency as string,
    owed: BigInt(row.owed as bigint),
    createdAt: new Date(row.created_at as string),
    subStatus: row.sub_status as string,
    paymentMethodId: (row.pm as string | null) ?? null,
    dunningDays: row.dunning_days as number[],
    dunningFinal: row.dunning_final as 'unpaid' | 'canceled',
  }))
}

export async function chargeInvoices(
  ctx: BillingContext,
  tenant: string,
  targets: readonly ChargeTarget[],
  now: Date,
  actor: Actor,
): Promise<ChargeSummary> {
  if (targets.length === 0) return { attempted: 0, succeeded: 0, failed: 0 }
  await ensureAccounts(ctx, tenant)
  const attemptOf = new Map(targets.map((t) => [t.invoiceId, t.attempt]))
  const paymentIds = new Map<string, string>()
  // 1. Claim.
  const claimed = await ctx.db.transaction().execute(async (tx) => {
    const rows = await load(
      tx,
      tenant,
      targets.map((t) => t.invoiceId),
    )
    if (rows.length === 0) return []
    for (const r of rows) paymentIds.set(r.invoiceId, ctx.ids('bpy'))
    const won = await sql<{ invoice_id: string }>`
      INSERT INTO billing_payments (tenant_id, invoice_id, attempt, payment_id, amount, currency, payment_method_id,
        status, created_at, claimed_at)
      SELECT ${tenant}, x.inv, x.attempt, x.pid, x.amount, x.cur, x.pm, 'pending', ${now}, ${ctx.clock.now()}
      FROM unnest(${rows.map((r) => r.invoiceId)}::text[], ${rows.map((r) => attemptOf.get(r.invoiceId)!)}::int[],
        ${rows.map((r) => paymentIds.get(r.invoiceId)!)}::text[], ${rows.map((r) => r.owed.toString())}::bigint[],
        ${rows.map((r) => r.currency)}::text[], ${rows.map((r) => r.paymentMethodId)}::text[])
        AS x(inv, attempt, pid, amount, cur, pm)
      ON CONFLICT (tenant_id, invoice_id, attempt) DO NOTHING
      RETURNING invoice_id`.execute(tx)
    const mine = new Set(won.rows.map((r) => r.invoice_id))
    const ours = rows.filter((r) => mine.has(r.invoiceId))
    if (ours.length > 0)
      await sql`UPDATE billing_invoices i SET attempt_count = x.attempt, next_attempt_at = NULL
        FROM unnest(${ours.map((r) => r.invoiceId)}::text[], ${ours.map((r) => attemptOf.get(r.invoiceId)!)}::int[])
          AS x(inv, attempt)
        WHERE i.tenant_id = ${tenant} AND i.invoice_id = x.inv`.execute(tx)
    return ours
  })
  if (claimed.length === 0) return { attempted: 0, succeeded: 0, failed: 0 }

  return chargeClaimed(ctx, tenant, claimed, paymentIds, attemptOf, now, actor)
}

/**
 * Steps 2 and 3 for attempts whose pending rows are ours: the claim above, or a resend of rows a
 * crashed process left (resend.ts). The key is the attempt's, so a resend is the same charge.
 */
export async function chargeClaimed(
  ctx: BillingContext,
  tenant: string,
  claimed: readonly Loaded[],
  paymentIds: ReadonlyMap<string, string>,
  attemptOf: ReadonlyMap<string, number>,
  now: Date,
  actor: Actor,
): Promise<ChargeSummary> {
  // 2. Gateway calls.
  const methods = await resolveMethods(
    ctx,
    tenant,
    claimed.flatMap((c) => (c.paymentMethodId ? [c.paymentMethodId] : [])),
  )
  const outcomes = await pool(claimed, ctx.chargeConcurrency, async (c): Promise<Outcome> => {
    const m = c.paymentMethodId ? methods.get(c.paymentMethodId) : undefined
    if (!m) return { status: 'declined', declineCode: 'no_payment_method', gateway: null }
    const gw = ctx.gateways.get(m.gateway)
    if (!gw) return { status: 'declined', declineCode: 'gateway_not_configured', gateway: m.gateway }
    try {
      const o = await gw.charge({
        tenantId: tenant,
        customerRef: m.customerRef,
        token: m.token,
        amount: c.owed,
        currency: c.currency,
        idempotencyKey: chargeKey(c.invoiceId, attemptOf.get(c.invoiceId)!),
        at: now,
        metadata: { invoiceId: c.invoiceId, tenantId: tenant },
      })
      return { ...o, gateway: m.gateway }
    } catch (err) {
      // An outage is a failed attempt worth retrying on the dunning schedule.
      ctx.logger?.warn({ err, invoiceId: c.invoiceId }, 'billing: off-session charge failed')
      const code =
        isGatewayError(err) && err.failure === 'declined'
          ? (err.vendorCode ?? 'generic_decline')
          : 'processing_error'
      return { status: 'declined', declineCode: code, gateway: m.gateway }
    }
  })

  // 3. Record.
  return ctx.db
    .transaction()
    .execute((tx) => record(ctx, tx, tenant, claimed, outcomes, paymentIds, attemptOf, now, actor))
}

/** The attempt's key at the gateway: the same for the first call and any resend. */
export const chargeKey = (invoiceId: string, attempt: number): string => `bill:${invoiceId}:${attempt}`

async function record(
  ctx: BillingContext,
  tx: Tx,
  tenant: string,
  claimed: readonly Loaded[],
  outcomes: readonly Outcome[],
  paymentIds: ReadonlyMap<string, string>,
  attemptOf: ReadonlyMap<string, number>,
  now: Date,
  actor: Actor,
): Promise<ChargeSummary> {
  const all = claimed.map((c, i) => {
    const o = outcomes[i]!
    const attempt = attemptOf.get(c.invoiceId)!
    const declineCode = o.status === 'succeeded' ? null : o.declineCode
    const retryable =
      o.status === 'declined' ? isRetryableDecline(o.declineCode) : o.status === 'succeeded' ? null : false
    const step: DunningStep | undefined =
      o.status === 'succeeded'
        ? undefined
        : decideDunning({
            attempt,
            retryable: retryable === true,
            dueAt: c.createdAt,
            days: c.dunningDays,
            now,
          })
    return { c, o, attempt, declineCode, retryable, step, paymentId: paymentIds.get(c.invoiceId)! }
  })
  const status = (r: (typeof all)[number]) =>
    r.o.status === 'succeeded' ? 'succeeded' : r.o.status === 'requires_action' ? 'requires_action' : 'failed'
  // Only rows still pending: a process presumed dead (its rows resent) may still finish; the first
  // record wins and the other changes nothing, so the ledger books the charge once.
  const updated = await sql<{ invoice_id: string }>`UPDATE billing_payments p SET status = x.status,
      gateway = x.gw, gateway_ref = x.ref, decline_code = x.code, retryable = x.retryable, completed_at = ${now}
    FROM unnest(${all.map((r) => r.c.invoiceId)}::text[], ${all.map((r) => r.attempt)}::int[],
      ${all.map(status)}::text[], ${all.map((r) => r.o.gateway)}::text[],
      ${all.map((r) => r.o.gatewayRef ?? null)}::text[], ${all.map((r) => r.declineCode)}::text[],
      ${all.map((r) => r.retryable)}::boolean[]) AS x(inv, attempt, status, gw, ref, code, retryable)
    WHERE p.tenant_id = ${tenant} AND p.invoice_id = x.inv AND p.attempt = x.attempt AND p.status = 'pending'
    RETURNING p.invoice_id`.execute(tx)
  const recorded = new Set(updated.rows.map((r) => r.invoice_id))
  const rows = all.filter((r) => recorded.has(r.c.invoiceId))

  const paid = rows.filter((r) => r.o.status === 'succeeded')
  const failed = rows.filter((r) => r.o.status !== 'succeeded')
  if (paid.length > 0) {
    await sql`UPDATE billing_invoices SET status = 'paid', amount_paid = amount_due, paid_at = ${now},
        next_attempt_at = NULL, collection_deadline = NULL
      WHERE tenant_id = ${tenant} AND invoice_id = ANY(${paid.map((r) => r.c.invoiceId)}::text[])`.execute(tx)
    assertPosted(
      await ctx.ledger.execute(
        tenant,
        paid.map((r) =>
          paymentPosting({
            paymentId: r.paymentId,
            invoiceId: r.c.invoiceId,
            gateway: r.o.gateway!,
            amount: r.c.owed,
            currency: r.c.currency,
          }),
        ),
        { tx, atomic: true },
      ),
    )
  }
  if (failed.length > 0)
    await sql`UPDATE billing_invoices i SET next_attempt_at = x.next, collection_deadline = coalesce(i.collection_deadline, x.deadline)
      FROM unnest(${failed.map((r) => r.c.invoiceId)}::text[],
        ${failed.map((r) => r.step!.nextAttemptAt?.toISOString() ?? null)}::timestamptz[],
        ${failed.map((r) => r.step!.deadline.toISOString())}::timestamptz[]) AS x(inv, next, deadline)
      WHERE i.tenant_id = ${tenant} AND i.invoice_id = x.inv`.execute(tx)

  // Subscription status: past_due on a failure, back to active when a past-due one is paid.
  const recovered = paid
    .filter((r) => r.c.subStatus === 'past_due' || r.c.subStatus === 'unpaid')
    .map((r) => r.c.subscriptionId)
  const pastDue = failed
    .filter((r) => r.c.subStatus === 'active' || r.c.subStatus === 'trialing')
    .map((r) => r.c.subscriptionId)
  const subEvents: { topic: string; id: string }[] = []
  if (recovered.length > 0) {
    // An unpaid subscription renews again from its current period end.
    await sql`UPDATE billing_subscriptions SET status = 'active', version = version + 1, updated_at = ${now},
        next_run_at = CASE WHEN status = 'unpaid' THEN current_period_end ELSE next_run_at END
      WHERE tenant_id = ${tenant} AND subscription_id = ANY(${recovered}::text[])
        AND status IN ('past_due', 'unpaid')`.execute(tx)
    for (const id of recovered) subEvents.push({ topic: BILLING_EVENTS.subscriptionRecovered, id })
  }
  if (pastDue.length > 0) {
    await sql`UPDATE billing_subscriptions SET status = 'past_due', version = version + 1, updated_at = ${now}
      WHERE tenant_id = ${tenant} AND subscription_id = ANY(${pastDue}::text[])`.execute(tx)
    for (const id of pastDue) subEvents.push({ topic: BILLING_EVENTS.subscriptionPastDue, id })
  }
  // The last retry failed (or the decline is final and the window is over): the price's final action.
  const exhausted = failed.filter((r) => r.step!.final)
  if (exhausted.length > 0)
    await endSubscriptionsForDunning(
      ctx,
      tx,
      tenant,
      exhausted.map((r) => ({
        invoiceId: r.c.invoiceId,
        subscriptionId: r.c.subscriptionId,
        final: r.c.dunningFinal,
      })),
      now,
      actor,
    )

  await ctx.outbox.enqueue(tx, [
    ...rows.map((r) => ({
      tenantId: tenant,
      topic:
        r.o.status === 'succeeded'
          ? BILLING_EVENTS.invoicePaid
          : r.o.status === 'requires_action'
            ? BILLING_EVENTS.invoiceActionRequired
            : BILLING_EVENTS.invoicePaymentFailed,
      key: r.c.subscriptionId,
      payload: {
        invoiceId: r.c.invoiceId,
        subscriptionId: r.c.subscriptionId,
        customerId: r.c.customerId,
        status: r.o.status === 'succeeded' ? 'paid' : 'open',
        total: r.c.owed.toString(),
        amountDue: r.c.owed.toString(),
        amountPaid: r.o.status === 'succeeded' ? r.c.owed.toString() : '0',
        currency: r.c.currency,
        attempt: r.attempt,
        declineCode: r.declineCode,
        nextAttemptAt: r.step?.nextAttemptAt?.toISOString() ?? null,
      },
    })),
    ...(await subscriptionEvents(tx, tenant, subEvents)),
  ])
  const entries: AuditRecord[] = rows.map((r) => ({
    tenant,
    actor: actor.actor,
    action: 'billing.invoice.charge',
    resource: `invoice:${r.c.invoiceId}`,
    outcome: r.o.status === 'succeeded' ? 'success' : 'failure',
    origin: actor.origin,
    details: {
      attempt: r.attempt,
      paymentId: r.paymentId,
      amount: r.c.owed.toString(),
      currency: r.c.currency,
      gateway: r.o.gateway,
      ...(r.declineCode ? { declineCode: r.declineCode, retryable: r.retryable } : {}),
      ...(r.step?.nextAttemptAt ? { nextAttemptAt: r.step.nextAttemptAt.toISOString() } : {}),
    },
  }))
  await ctx.audit.recordAllIn(tx, entries)
  return { attempted: rows.length, succeeded: paid.length, failed: failed.length }
}

/** Subscription events carry the subscription as it is now (read in the same transaction). */
export async function subscriptionEvents(
  tx: Tx,
  tenant: string,
  items: readonly { topic: string; id: string }[],
): Promise<{ tenantId: string; topic: string; key: string; payload: unknown }[]> {
  if (items.length === 0) return []
  const r = await sql<Record<string, unknown>>`
    SELECT subscription_id, customer_id, price_id, status, quantity, current_period_start, current_period_end
    FROM billing_subscriptions WHERE tenant_id = ${tenant} AND subscription_id = ANY(${items.map((i) => i.id)}::text[])`.execute(
    tx,
  )
  const byId = new Map(r.rows.map((row) => [row.subscription_id as string, row]))
  return items.flatMap((i) => {
    const row = byId.get(i.id)
    if (!row) return []
    return [
      {
        tenantId: tenant,
        topic: i.topic,
        key: i.id,
        payload: {
          subscriptionId: i.id,
          customerId: row.customer_id as string,
          priceId: row.price_id as string,
          status: row.status as string,
          quantity: String(row.quantity),
          currentPeriodStart: new Date(row.current_period_start as string).toISOString(),
          currentPeriodEnd: new Date(row.current_period_end as string).toISOString(),
        },
      },
    ]
  })
}
