/**
 * Stray charges (ADR 0506): a gateway tells us it authorised or captured one of our payments, but the
 * payment is booked at another gateway (or ended canceled or failed, never authorised). That happens when a request reached a gateway late — it timed
 * out, the gateway had no record of it yet, and the payment was sent again elsewhere (ADR 0505), or a
 * failover followed an error after which the first gateway charged anyway. The customer has then paid
 * twice. The webhook records the charge; the sweeper reverses it at its gateway: an authorisation is
 * voided, a capture refunded, under idempotency keys of its own so a repeat reverses once.
 */
import {
  isGatewayError,
  type GatewayEvent,
  type GatewayPaymentState,
  type LedgerFact,
  type PaymentGateway,
} from '../gateway.js'
import type { FactOutcome } from '../apply-fact.js'
import type { PaymentsContext, Tx } from '../core/context.js'
import type { Actor } from '../payments.audit.js'
import { strayRefundCommand, type ChartOfAccounts } from '../ledger-mapping.js'
import { ledgerRejected } from '../payments.errors.js'
import { PAYMENT_EVENTS } from '../payments.events.js'
import type { Payment } from '../payments.js'
import type { TenantScope } from '../store/statements.js'
import type { StrayCharge, StrayOutcome } from '../store/stray-charges.js'
import { transitionOf } from '../store/transitions.js'

/** How long a sweeper holds a charge it is reversing; one left pending is tried again after it. */
const REVERSAL_LEASE_MS = 60_000

/** Reversal attempts that find no record of the charge before an operator is asked to look. */
const MAX_ATTEMPTS_WITHOUT_RECORD = 10

const CHARGE_EVENTS: ReadonlySet<GatewayEvent['type']> = new Set(['payment.authorized', 'payment.captured'])

/**
 * True when `event` from `gateway` tells of money taken for `p` that `p` will not book: at a gateway
 * it has left; on a payment that ended canceled or failed without ever being authorised (a late
 * request that reached its own gateway after the payment was canceled); or at its own gateway under
 * another reference than the one it booked — the gateway took the request twice (a retried sale:
 * Braintree keeps no idempotency key, so a sale whose answer was lost and a retry are two charges),
 * and the customer was charged once more than the payment says.
 */
export const isStrayCharge = (p: Payment, gateway: string, event: GatewayEvent): boolean =>
  CHARGE_EVENTS.has(event.type) &&
  !!event.paymentRef &&
  (p.gateway !== gateway ||
    (p.amountAuthorized === 0n && (p.status === 'canceled' || p.status === 'failed')) ||
    (p.gatewayRef !== null && event.paymentRef !== p.gatewayRef))

/**
 * Records the charge `event` tells of, in the webhook's transaction, with its audit entry, its event
 * and a line in the payment's timeline. The payment itself is not touched: its booking stands.
 */
export async function recordStrayCharge(
  c: PaymentsContext,
  tx: Tx,
  p: Payment,
  gateway: string,
  event: GatewayEvent,
): Promise<FactOutcome> {
  const at = c.now()
  const stray: StrayCharge = {
    id: c.deps.ids('stc'),
    paymentId: p.id,
    gateway,
    gatewayRef: event.paymentRef!,
    amount: event.amount && event.amount > 0n ? event.amount : p.amount,
    currency: event.currency ?? p.currency,
    status: 'pending',
    reversal: null,
    reversalRef: null,
    reversalFee: null,
    attempts: 0,
    lastError: null,
    resolvedBy: null,
    note: null,
    createdAt: at,
    updatedAt: at,
  }
  if (!(await c.store.insertStrayCharge(tx, p.tenantId, stray))) return 'duplicate'
  c.deps.logger?.warn(
    { tenantId: p.tenantId, paymentId: p.id, gateway, gatewayRef: stray.gatewayRef, bookedAt: p.gateway },
    'stray charge: a gateway charged a payment booked elsewhere; it will be reversed',
  )
  await writeStrayChange(c, tx, p.tenantId, stray, p.gateway, PAYMENT_EVENTS.strayChargeDetected, {
    actor: `gateway:${gateway}`,
    origin: 'worker',
  })
  return 'applied'
}

/** Reverses pending stray charges at their gateways; returns how many were settled (reversed or failed). */
export async function reverseStrayCharges(c: PaymentsContext, tenants?: TenantScope): Promise<number> {
  let settled = 0
  const now = c.now()
  const leaseUntil = new Date(now.getTime() + REVERSAL_LEASE_MS)
  for (const { tenantId, stray } of await c.store.leaseStrayCharges(now, leaseUntil, 100, tenants)) {
    const outcome = await reverseAtGateway(c, stray)
    const chart = outcome.refunded ? await c.provision(tenantId, stray.gateway, stray.currency) : undefined
    const after = await c.transaction(async (tx) => {
      const s = await c.store.settleStrayCharge(
        tx,
        tenantId,
        stray.id,
        outcome.refunded ? { ...outcome, fee: outcome.refunded.fee } : outcome,
      )
      if (!s || s.status === 'pending') return s
      if (chart && outcome.refunded && s.reversalRef)
        await bookStrayRefund(c, tx, tenantId, chart, s, { ...outcome.refunded, gatewayRef: s.reversalRef })
      const topic =
        s.status === 'reversed'
          ? PAYMENT_EVENTS.strayChargeReversed
          : PAYMENT_EVENTS.strayChargeReversalFailed
      await writeStrayChange(c, tx, tenantId, s, null, topic, { actor: 'system:sweeper', origin: 'worker' })
      return s
    })
    if (after && after.status !== 'pending') settled++
  }
  return settled
}

/**
 * What one reversal attempt left; a capture refunded also carries the amount refunded and the fee the
 * gateway kept on the charge (0 when it did not say), for the ledger.
 */
type ReversalOutcome = StrayOutcome & { readonly refunded?: { amount: bigint; fee: bigint } }

/**
 * Books a refunded stray charge in the transaction that settles it: the charge in and out of the
 * gateway balance (owed to the customer meanwhile) and the fee kept, with their reconciliation facts.
 */
export async function bookStrayRefund(
  c: PaymentsContext,
  tx: Tx,
  tenant: string,
  chart: ChartOfAccounts,
  s: StrayCharge,
  refund: { amount: bigint; fee: bigint; gatewayRef: string },
): Promise<void> {
  const [res] = await c.deps.ledger.execute(tenant, [strayRefundCommand(chart, s, refund)], { tx })
  if (!res?.ok) throw ledgerRejected(`The ledger refused the refund of stray charge ${s.id}.`)
  const fact = (kind: LedgerFact['kind'], gatewayRef: string, amount: bigint) => ({
    id: c.deps.ids('plf'),
    kind,
    gateway: s.gateway as LedgerFact['gateway'],
    gatewayRef,
    paymentId: s.paymentId,
    ledgerTransactionId: res.transactionId,
    amount,
    currency: s.currency,
    at: c.now(),
  })
  await c.store.insertFacts(tx, tenant, [
    fact('capture', s.gatewayRef, refund.amount),
    fact('refund', refund.gatewayRef, -refund.amount),
    ...(refund.fee > 0n ? [fact('fee', s.gatewayRef, -refund.fee)] : []),
  ])
}

/** One attempt: what the gateway holds for the charge decides what undoes it. */
async function reverseAtGateway(c: PaymentsContext, s: StrayCharge): Promise<ReversalOutcome> {
  const at = c.now()
  const gateway = c.deps.gateways.get(s.gateway)
  if (!gateway) return { status: 'failed', error: `gateway ${s.gateway} is no longer configured`, at }
  try {
    const state = await gateway.retrieve({ gatewayRef: s.gatewayRef, paymentId: s.paymentId })
    if (!state) {
      const error = `${s.gateway} has no record of ${s.gatewayRef}`
      return s.attempts + 1 >= MAX_ATTEMPTS_WITHOUT_RECORD
        ? { status: 'failed', error, at }
        : pending(error, at)
    }
    return await undo(gateway, s, state, at)
  } catch (err) {
    const e = c.asGatewayError(err)
    // Unavailable or unknown: the next sweep asks again (the keys make a repeat safe).
    if (e.retryable || e.failure === 'unknown') return pending(e.message, at)
    return { status: 'failed', error: e.message, at }
  }
}

const pending = (error: string, at: Date): StrayOutcome => ({ status: 'pending', error, at })

async function undo(
  gateway: PaymentGateway,
  s: StrayCharge,
  state: GatewayPaymentState,
  at: Date,
): Promise<ReversalOutcome> {
  switch (state.status) {
    case 'authorized': {
      const voided = await gateway.cancel(s.gatewayRef, `${s.id}:cancel`)
      if (voided.status === 'canceled') return { status: 'reversed', reversal: 'canceled', at }
      // Captured meanwhile (an automatic capture): the next sweep refunds it.
      return pending(`the void found the charge ${voided.status}`, at)
    }
    case 'captured': {
      const refund = await gateway
        .refund(s.gatewayRef, state.amountCaptured, state.currency, `${s.id}:refund`)
        .catch((err: unknown) => voidUnsettled(gateway, s, at, err))
      if ('reversal' in refund) return refund
      if (refund.status === 'failed') return { status: 'failed', error: 'the gateway refused the refund', at }
      return {
        status: 'reversed',
        reversal: 'refunded',
        reversalRef: refund.gatewayRef,
        at,
        refunded: { amount: state.amountCaptured, fee: state.fee ?? 0n },
      }
    }
    case 'canceled':
    case 'declined':
      return { status: 'reversed', reversal: 'none', at }
    case 'processing':
    case 'requires_action':
      return pending(`the charge is still ${state.status}`, at)
  }
}

/**
 * A capture some gateways will not refund until it settles (Braintree: "submitted for settlement")
 * can still be voided, which is what undoes it then. Tried only after a refusal (not after an
 * unreachable gateway or a lost answer, which the next sweep asks about again); if the void is
 * refused too, the refund's refusal stands.
 */
async function voidUnsettled(gateway: PaymentGateway, s: StrayCharge, at: Date, err: unknown) {
  if (!isGatewayError(err) || err.retryable || err.failure === 'unknown') throw err
  const voided = await gateway.cancel(s.gatewayRef, `${s.id}:cancel`).catch(() => undefined)
  if (voided?.status !== 'canceled') throw err
  return { status: 'reversed', reversal: 'canceled', at } as const satisfies StrayOutcome
}

export async function writeStrayChange(
  c: PaymentsContext,
  tx: Tx,
  tenant: string,
  s: StrayCharge,
  paymentGateway: string | null,
  topic: string,
  by: Actor,
): Promise<void> {
  const payload = {
    strayChargeId: s.id,
    paymentId: s.paymentId,
    amount: s.amount.toString(),
    currency: s.currency,
    gateway: s.gateway,
    gatewayRef: s.gatewayRef,
    paymentGateway,
    status: s.status,
    reversal: s.reversal,
    reversalRef: s.reversalRef,
    ...(s.reversalFee !== null ? { reversalFee: s.reversalFee.toString() } : {}),
    error: s.lastError,
    ...(s.resolvedBy ? { resolvedBy: s.resolvedBy, note: s.note } : {}),
  }
  await c.deps.audit?.recordIn(tx, {
    tenant,
    actor: by.actor,
    action: topic.replace(/\.v1$/, ''),
    resource: `payments:${s.paymentId}`,
    outcome: s.status === 'failed' ? 'failure' : 'success',
    origin: by.origin,
    details: payload,
  })
  await c.deps.outbox?.enqueue(tx, [{ tenantId: tenant, topic, key: s.paymentId, payload }])
  await c.store.insertTransitions(tx, [transitionOf(tenant, s.paymentId, topic, payload, s.updatedAt)])
}
