/**
 * Subscription commands: create (trial, anchor, first invoice), change quantity (prorated), pause,
 * resume, cancel at period end or now. Each runs in one transaction with its invoice, ledger
 * postings, events and audit entry; the charge of a new invoice follows the commit (charge.ts).
 */
import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { Actor, Subscription } from './billing.js'
import { BILLING_EVENTS } from './billing.events.js'
import { billingError } from './billing.errors.js'
import { loadPrice, loadSubscription, replayOf } from './billing.store.js'
import { chargeInvoices, subscriptionEvents } from './charge.js'
import { auditIn, billingNow, ensureAccounts, type BillingContext } from './context.js'
import { creditUnused } from './credit.js'
import { issueInvoices, type InvoiceDraft } from './issue.js'
import { addDays, periodStart } from './periods.js'
import { amountFor, prorate, taxOn, type Price } from './pricing.js'

export interface CreateSubscriptionInput {
  readonly customerId: string
  readonly priceId: string
  readonly quantity?: bigint
  readonly paymentMethodId?: string
  /** Overrides the price's trial (0 = none). */
  readonly trialDays?: number
  /** Billing cycle anchor: the start of the first full period (a later anchor bills a prorated stub first). */
  readonly anchor?: Date
  readonly idempotencyKey?: string
}

const ACTIVE = ['trialing', 'active', 'past_due'] as const

const audit = (
  ctx: BillingContext,
  tx: Db,
  tenant: string,
  actor: Actor,
  action: string,
  id: string,
  details: Record<string, unknown>,
) => auditIn(ctx, tx, tenant, actor, `billing.subscription.${action}`, `subscription:${id}`, details)

/** One line for a quantity of a price over [from, to), prorated when the span is part of the full period. */
function line(
  ctx: BillingContext,
  tenant: string,
  customerId: string,
  price: Price,
  quantity: bigint,
  full: { start: Date; end: Date },
  from: Date,
) {
  const whole = amountFor(price.model, quantity)
  const amount = from.getTime() <= full.start.getTime() ? whole : prorate(whole, full.start, full.end, from)
  const rate = ctx.tax.rateBps({ tenant, customerId, priceId: price.id, defaultBps: price.taxRateBps })
  return {
    description: `${quantity} × ${price.id}${amount === whole ? '' : ' (prorated)'}`,
    priceId: price.id,
    quantity,
    amount,
    tax: taxOn(amount, rate),
    periodStart: from,
    recognizeEnd: full.end,
  }
}

async function hasPaymentMethod(
  ctx: BillingContext,
  tenant: string,
  customerId: string,
  id?: string,
): Promise<boolean> {
  const r = id
    ? await sql`SELECT 1 FROM billing_payment_methods WHERE tenant_id = ${tenant} AND customer_id = ${customerId}
        AND payment_method_id = ${id} AND status = 'active'`.execute(ctx.db)
    : await sql`SELECT 1 FROM billing_payment_methods WHERE tenant_id = ${tenant} AND customer_id = ${customerId}
        AND is_default AND status = 'active'`.execute(ctx.db)
  return r.rows.length > 0
}

export async function createSubscription(
  ctx: BillingContext,
  tenant: string,
  input: CreateSubscriptionInput,
  actor: Actor,
): Promise<Subscription> {
  const quantity = input.quantity ?? 1n
  if (quantity < 1n) throw billingError('BILLING_INVALID', 'quantity must be at least 1')
  const hash = createHash('sha256')
    .update(
      JSON.stringify([
        input.customerId,
        input.priceId,
        quantity.toString(),
        input.paymentMethodId ?? null,
        input.trialDays ?? null,
        input.anchor?.toISOString() ?? null,
      ]),
    )
    .digest('base64url')
  const replay = await replayOf(
    ctx.db,
    'billing_subscriptions',
    'subscription_id',
    tenant,
    input.idempotencyKey,
    hash,
  )
  if (replay) return loadSubscription(ctx.db, tenant, replay)
  if (!(await ctx.customers.exists(tenant, input.customerId)))
    throw billingError('BILLING_CUSTOMER_NOT_FOUND', input.customerId)
  const price = await loadPrice(ctx.db, tenant, input.priceId)
  if (!price.active) throw billingError('BILLING_PRICE_INACTIVE', price.id)
  if (
    input.paymentMethodId &&
    !(await hasPaymentMethod(ctx, tenant, input.customerId, input.paymentMethodId))
  )
    throw billingError('BILLING_PAYMENT_METHOD_NOT_FOUND', input.paymentMethodId)
  const now = await billingNow(ctx, tenant)
  const trialDays = input.trialDays ?? price.trialDays
  if (trialDays === 0 && !input.paymentMethodId && !(await hasPaymentMethod(ctx, tenant, input.customerId)))
    throw billingError('BILLING_PAYMENT_METHOD_REQUIRED')
  if (input.anchor && input.anchor < now)
    throw billingError('BILLING_INVALID', 'anchor cannot be in the past')

  // Period −1 is the trial, or the prorated stub before a later anchor; period 0 starts at the anchor.
  const trialEnd = trialDays > 0 ? addDays(now, trialDays) : null
  const anchor = trialEnd ?? input.anchor ?? now
  const stub = anchor.getTime() > now.getTime()
  const index = stub ? -1 : 0
  const start = now
  const end = stub ? anchor : periodStart(anchor, price.interval, 1)
  const id = ctx.ids('sub')
  const status = trialEnd ? 'trialing' : 'active'
  await ensureAccounts(ctx, tenant)
  const issued = await ctx.db.transaction().execute(async (tx) => {
    await sql`INSERT INTO billing_subscriptions (tenant_id, subscription_id, customer_id, price_id, currency, quantity, status,
        payment_method_id, anchor, period_index, current_period_start, current_period_end, trial_end, next_run_at,
        idempotency_key, request_hash, created_at, updated_at)
      VALUES (${tenant}, ${id}, ${input.customerId}, ${price.id}, ${price.currency}, ${quantity}, ${status},
        ${input.paymentMethodId ?? null}, ${anchor}, ${index}, ${start}, ${end}, ${trialEnd}, ${end},
        ${input.idempotencyKey ?? null}, ${hash}, ${now}, ${now})`.execute(tx)
    const drafts: InvoiceDraft[] = trialEnd
      ? []
      : [
          {
            invoiceId: ctx.ids('inv'),
            subscriptionId: id,
            customerId: input.customerId,
            periodKey: `${id}:${start.toISOString()}`,
            reason: 'subscription_create',
            currency: price.currency,
            periodStart: start,
            periodEnd: end,
            issuedAt: now,
            lines: [
              line(
                ctx,
                tenant,
                input.customerId,
                price,
                quantity,
                { start: stub ? periodStart(anchor, price.interval, -1) : start, end },
                start,
              ),
            ],
          },
        ]
    const out = await issueInvoices(ctx, tx, tenant, drafts, now)
    await ctx.outbox.enqueue(
      tx,
      await subscriptionEvents(tx, tenant, [{ topic: BILLING_EVENTS.subscriptionCreated, id }]),
    )
    await audit(ctx, tx, tenant, actor, 'create', id, {
      priceId: price.id,
      quantity: quantity.toString(),
      status,
    })
    return out
  })
  await chargeIssued(ctx, tenant, issued, now, actor)
  return loadSubscription(ctx.db, tenant, id)
}

async function chargeIssued(
  ctx: BillingContext,
  tenant: string,
  issued: readonly { invoiceId: string; amountDue: bigint }[],
  now: Date,
  actor: Actor,
) {
  const due = issued.filter((i) => i.amountDue > 0n).map((i) => ({ invoiceId: i.invoiceId, attempt: 1 }))
  if (due.length > 0) await chargeInvoices(ctx, tenant, due, now, actor)
}

export interface PlanChange {
  readonly quantity?: bigint
  /** Another price of the same currency and interval (an upgrade or downgrade of plan). */
  readonly priceId?: string
}

/**
 * A new quantity and/or price from now on. The unearned part of this period's invoices is credited
 * (credit note), the new plan is invoiced for the rest of the period; the customer's credit pays what
 * it can, so an upgrade charges the difference and a downgrade leaves credit for the next renewal.
 * The new price must share the currency and interval: the periods (anchor + n intervals) stay as they are.
 */
export async function changePlan(
  ctx: BillingContext,
  tenant: string,
  id: string,
  change: PlanChange,
  actor: Actor,
): Promise<Subscription> {
  if (change.quantity !== undefined && change.quantity < 1n)
    throw billingError('BILLING_INVALID', 'quantity must be at least 1')
  const now = await billingNow(ctx, tenant)
  await ensureAccounts(ctx, tenant)
  const issued = await ctx.db.transaction().execute(async (tx) => {
    const sub = await loadSubscription(tx, tenant, id, { forUpdate: true })
    if (!(ACTIVE as readonly string[]).includes(sub.status))
      throw billingError('BILLING_SUBSCRIPTION_STATE', `${sub.status} subscriptions keep their plan`)
    const quantity = change.quantity ?? sub.quantity
    const priceId = change.priceId ?? sub.priceId
    // The same plan again (a retried request) changes nothing.
    if (sub.quantity === quantity && sub.priceId === priceId) return []
    const price = await loadPrice(tx, tenant, priceId)
    if (priceId !== sub.priceId) {
      const old = await loadPrice(tx, tenant, sub.priceId)
      if (!price.active) throw billingError('BILLING_PRICE_INACTIVE', price.id)
      if (price.currency !== sub.currency) throw billingError('BILLING_CURRENCY_MISMATCH', price.id)
      if (price.interval.unit !== old.interval.unit || price.interval.count !== old.interval.count)
        throw billingError('BILLING_INVALID', 'the new price must bill on the same interval')
    }
    const version = sub.version
    await sql`UPDATE billing_subscriptions SET quantity = ${quantity}, price_id = ${priceId}, version = version + 1,
        updated_at = ${now}
      WHERE tenant_id = ${tenant} AND subscription_id = ${id}`.execute(tx)
    let drafts: InvoiceDraft[] = []
    if (sub.status !== 'trialing') {
      const current = await sql<{ invoice_id: string }>`SELECT DISTINCT i.invoice_id FROM billing_invoices i
        JOIN billing_invoice_lines l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
        WHERE i.tenant_id = ${tenant} AND i.subscription_id = ${id} AND l.recognize_end > ${now}
          AND i.status IN ('open', 'paid')`.execute(tx)
      for (const inv of current.rows)
        await creditUnused(ctx, tx, tenant, inv.invoice_id, now, 'proration', `qty:${id}:${version}`)
      const full = {
        start: periodStart(sub.anchor, price.interval, sub.periodIndex),
        end: sub.currentPeriodEnd,
      }
      drafts = [
        {
          invoiceId: ctx.ids('inv'),
          subscriptionId: id,
          customerId: sub.customerId,
          periodKey: `${id}:update:${version}`,
          reason: 'subscription_update',
          currency: sub.currency,
          periodStart: now,
          periodEnd: sub.currentPeriodEnd,
          issuedAt: now,
          lines: [line(ctx, tenant, sub.customerId, price, quantity, full, now)],
        },
      ]
    }
    const out = await issueInvoices(ctx, tx, tenant, drafts, now)
    await ctx.outbox.enqueue(
      tx,
      await subscriptionEvents(tx, tenant, [{ topic: BILLING_EVENTS.subscriptionUpdated, id }]),
    )
    await audit(ctx, tx, tenant, actor, 'update', id, {
      before: { quantity: sub.quantity.toString(), priceId: sub.priceId },
      after: { quantity: quantity.toString(), priceId },
    })
    return out
  })
  await chargeIssued(ctx, tenant, issued, now, actor)
  return loadSubscription(ctx.db, tenant, id)
}

/** Pause: no invoices while paused (periods still turn); resume: billing again from the next period. */
export async function setPaused(
  ctx: BillingContext,
  tenant: string,
  id: string,
  paused: boolean,
  actor: Actor,
): Promise<Subscription> {
  const now = await billingNow(ctx, tenant)
  await ctx.db.transaction().execute(async (tx) => {
    const sub = await loadSubscription(tx, tenant, id, { forUpdate: true })
    const from = paused ? 'active' : 'paused'
    // Already where the request wants it (a retried request): nothing changes.
    if (sub.status === (paused ? 'paused' : 'active')) return
    if (sub.status !== from)
      throw billingError(
        'BILLING_SUBSCRIPTION_STATE',
        `only ${from} subscriptions can be ${paused ? 'paused' : 'resumed'}`,
      )
    await sql`UPDATE billing_subscriptions SET status = ${paused ? 'paused' : 'active'}, version = version + 1,
        updated_at = ${now} WHERE tenant_id = ${tenant} AND subscription_id = ${id}`.execute(tx)
    await ctx.outbox.enqueue(
      tx,
      await subscriptionEvents(tx, tenant, [{ topic: BILLING_EVENTS.subscriptionUpdated, id }]),
    )
    await audit(ctx, tx, tenant, actor, paused ? 'pause' : 'resume', id, {})
  })
  return loadSubscription(ctx.db, tenant, id)
}

/**
 * Cancel at the period end (the scheduler ends it then; reversible until then) or now: the unearned
 * part of the current period is credited to the customer (credit note), and nothing renews.
 */
export async function cancelSubscription(
  ctx: BillingContext,
  tenant: string,
  id: string,
  mode: { atPeriodEnd: boolean },
  actor: Actor,
): Promise<Subscription> {
  const now = await billingNow(ctx, tenant)
  await ensureAccounts(ctx, tenant)
  await ctx.db.transaction().execute(async (tx) => {
    const sub = await loadSubscription(tx, tenant, id, { forUpdate: true })
    // Canceled already (a retried request): nothing changes; at period end asked twice: the same.
    if (sub.status === 'canceled' || (mode.atPeriodEnd && sub.cancelAtPeriodEnd)) return
    if (mode.atPeriodEnd) {
      await sql`UPDATE billing_subscriptions SET cancel_at_period_end = true, version = version + 1, updated_at = ${now}
        WHERE tenant_id = ${tenant} AND subscription_id = ${id}`.execute(tx)
    } else {
      const current = await sql<{ invoice_id: string }>`SELECT DISTINCT i.invoice_id FROM billing_invoices i
        JOIN billing_invoice_lines l ON l.tenant_id = i.tenant_id AND l.invoice_id = i.invoice_id
        WHERE i.tenant_id = ${tenant} AND i.subscription_id = ${id} AND l.recognize_end > ${now}
          AND i.status IN ('open', 'paid')`.execute(tx)
      for (const inv of current.rows)
        await creditUnused(ctx, tx, tenant, inv.invoice_id, now, 'cancellation', `cancel:${id}`)
      await sql`UPDATE billing_subscriptions SET status = 'canceled', canceled_at = ${now}, next_run_at = NULL,
          version = version + 1, updated_at = ${now}
        WHERE tenant_id = ${tenant} AND subscription_id = ${id}`.execute(tx)
      // Open invoices of a canceled subscription are no longer chased.
      await sql`UPDATE billing_invoices SET next_attempt_at = NULL, collection_deadline = NULL
        WHERE tenant_id = ${tenant} AND subscription_id = ${id} AND status = 'open'`.execute(tx)
    }
    const topic = mode.atPeriodEnd ? BILLING_EVENTS.subscriptionUpdated : BILLING_EVENTS.subscriptionCanceled
    await ctx.outbox.enqueue(tx, await subscriptionEvents(tx, tenant, [{ topic, id }]))
    await audit(ctx, tx, tenant, actor, 'cancel', id, { atPeriodEnd: mode.atPeriodEnd })
  })
  return loadSubscription(ctx.db, tenant, id)
}
