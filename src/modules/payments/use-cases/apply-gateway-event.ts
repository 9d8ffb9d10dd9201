/**
 * A normalised gateway event (from the webhook inbox) applied through the single writer, inside the
 * inbox row's transaction, under the payment's row lock. Idempotent; PAYMENT_EVENT_OUT_OF_ORDER
 * (retryable) when the event needs a fact not known yet (a refund before its capture).
 */
import type { GatewayEvent } from '../gateway.js'
import { applyFact, type FactOutcome } from '../apply-fact.js'
import type { PaymentsContext, Tx } from '../core/context.js'
import { outOfOrder, type Fact, type Payment } from '../payments.js'
import type { Dispute } from '../store/disputes.js'
import type { Refund } from '../store/refunds.js'
import { settleRefund } from './refund.js'
import { isStrayCharge, recordStrayCharge } from './stray-charges.js'

export async function applyGatewayEvent(
  c: PaymentsContext,
  tenant: string,
  gateway: string,
  event: GatewayEvent,
  tx: Tx,
): Promise<FactOutcome> {
  const { store } = c
  const paymentId =
    (event.paymentId && (await store.getPayment(tx, tenant, event.paymentId))
      ? event.paymentId
      : undefined) ??
    (event.paymentRef ? await store.paymentIdByRef(tx, tenant, gateway, event.paymentRef) : undefined)
  if (!paymentId) return 'ignored'
  const p = await c.mustGet(tx, tenant, paymentId, true)
  if (isStrayCharge(p, gateway, event)) return recordStrayCharge(c, tx, p, gateway, event)
  if (p.gateway !== gateway) return 'ignored'
  const fact = paymentFactOf(p, event)
  if (fact) return (await applyFact(c, tx, p, fact)).outcome
  // A refund or dispute of a stray charge (its reversal's own webhook) is not one of the payment's.
  if (
    event.paymentRef &&
    event.paymentRef !== p.gatewayRef &&
    (await c.store.isStrayChargeRef(tx, tenant, gateway, event.paymentRef))
  )
    return 'ignored'
  switch (event.type) {
    case 'refund.succeeded':
    case 'refund.failed':
      return refundEvent(c, tx, p, gateway, event)
    case 'dispute.opened':
    case 'dispute.won':
    case 'dispute.lost':
      return disputeEvent(c, tx, p, gateway, event)
    // Payment-level events were applied above. Payouts are recorded when we ask for them; the rest
    // is stored by the inbox, not applied; saved-method updates go to billing, not here.
    case 'payment.authorized':
    case 'payment.captured':
    case 'payment.failed':
    case 'payment.canceled':
    case 'payout.paid':
    case 'payout.failed':
    case 'payment_method.updated':
    case 'ignored':
      return 'ignored'
  }
}

/** Event types that are one fact on the payment alone (no refund or dispute row): batchable. */
export const PAYMENT_FACT_EVENTS: ReadonlySet<GatewayEvent['type']> = new Set([
  'payment.authorized',
  'payment.captured',
  'payment.failed',
  'payment.canceled',
])

/** The fact a payment-level event states about `p`, or undefined for refund, dispute and other events. */
export function paymentFactOf(p: Payment, event: GatewayEvent): Fact | undefined {
  const amountOr = (fallback: bigint) => event.amount ?? fallback
  const ref = event.paymentRef ? { gatewayRef: event.paymentRef } : {}
  switch (event.type) {
    case 'payment.authorized':
      return { type: 'authorized', amount: amountOr(p.amount), ...ref }
    case 'payment.captured':
      return {
        type: 'captured',
        amount: amountOr(p.amountAuthorized || p.amount),
        ...ref,
        ...(event.fee !== undefined ? { fee: event.fee } : {}),
      }
    case 'payment.failed':
      return { type: 'failed', declineCode: 'declined' }
    case 'payment.canceled':
      return { type: 'canceled' }
    case 'refund.succeeded':
    case 'refund.failed':
    case 'dispute.opened':
    case 'dispute.won':
    case 'dispute.lost':
    case 'payout.paid':
    case 'payout.failed':
    case 'payment_method.updated':
    case 'ignored':
      return undefined
  }
}

async function refundEvent(
  c: PaymentsContext,
  tx: Tx,
  p: Payment,
  gateway: string,
  event: GatewayEvent,
): Promise<FactOutcome> {
  if (!event.objectRef) return 'ignored'
  const known = await refundOfEvent(c, tx, p, gateway, { ...event, objectRef: event.objectRef })
  if (event.type === 'refund.failed') {
    if (!known || known.status !== 'pending') return known ? 'duplicate' : 'ignored'
    await settleRefund(c, tx, p, known, 'failed', event.objectRef)
    return 'applied'
  }
  if (known) {
    if (known.status !== 'pending') return known.status === 'succeeded' ? 'duplicate' : 'ignored'
    await settleRefund(c, tx, p, known, 'succeeded', event.objectRef)
    return 'applied'
  }
  // A refund we did not ask for (made in the vendor's dashboard).
  if (event.amount === undefined || event.amount <= 0n) return 'ignored'
  const at = c.now()
  const refund: Refund = {
    id: c.deps.ids('re'),
    paymentId: p.id,
    amount: event.amount,
    currency: p.currency,
    status: 'succeeded',
    reason: 'gateway',
    gateway,
    gatewayRef: event.objectRef,
    createdAt: at,
    updatedAt: at,
  }
  const r = await applyFact(c, tx, p, { type: 'refunded', amount: event.amount, reserved: false }, { refund })
  await c.store.insertRefund(tx, p.tenantId, refund)
  return r.outcome
}

async function disputeEvent(
  c: PaymentsContext,
  tx: Tx,
  p: Payment,
  gateway: string,
  event: GatewayEvent,
): Promise<FactOutcome> {
  if (!event.objectRef) return 'ignored'
  let dispute = await c.store.disputeByRef(tx, p.tenantId, gateway, event.objectRef)
  let payment = p
  if (!dispute) {
    const amount = event.amount ?? payment.amountCaptured - payment.amountRefunded - payment.amountDisputed
    dispute = {
      id: c.deps.ids('dp'),
      paymentId: p.id,
      gateway,
      gatewayRef: event.objectRef,
      amount,
      currency: p.currency,
      status: 'opened',
    }
    // A won or lost dispute we never saw open: open it first, so the ledger passes through both.
    payment = (await applyFact(c, tx, payment, { type: 'dispute_opened', amount }, { dispute })).payment
    await c.store.upsertDispute(tx, p.tenantId, dispute, c.now())
    if (event.type === 'dispute.opened') return 'applied'
  } else if (event.type === 'dispute.opened') return 'duplicate'
  const outcome = event.type === 'dispute.won' ? 'won' : 'lost'
  if (dispute.status !== 'opened') return dispute.status === outcome ? 'duplicate' : 'ignored'
  const closed: Dispute = { ...dispute, status: outcome }
  await applyFact(
    c,
    tx,
    payment,
    { type: outcome === 'won' ? 'dispute_won' : 'dispute_lost', amount: dispute.amount },
    { dispute: closed },
  )
  await c.store.upsertDispute(tx, p.tenantId, closed, c.now())
  return 'applied'
}

/**
 * Which of our refunds a gateway refund event is about: by its ref; else by our refund id when the
 * vendor echoed it; else, for a refund still in flight (no ref yet), the only one of that amount.
 * Several in flight that it could be: PAYMENT_EVENT_OUT_OF_ORDER (retried after our calls return).
 */
async function refundOfEvent(
  c: PaymentsContext,
  tx: Tx,
  p: Payment,
  gateway: string,
  event: GatewayEvent & { objectRef: string },
): Promise<Refund | undefined> {
  const byRef = await c.store.refundByRef(tx, p.tenantId, gateway, event.objectRef)
  if (byRef) return byRef
  if (event.refundId) {
    const ours = await c.store.getRefund(tx, p.tenantId, event.refundId)
    if (ours && ours.paymentId === p.id && ours.gateway === gateway) return ours
  }
  const inFlight = (await c.store.listRefunds(tx, p.tenantId, p.id)).filter(
    (r) => r.status === 'pending' && !r.gatewayRef,
  )
  const same = inFlight.filter((r) => event.amount === undefined || r.amount === event.amount)
  if (same.length === 1) return same[0]
  if (inFlight.length > 0) throw outOfOrder('Refunds of this payment are still in flight; retry later.')
  return undefined
}
