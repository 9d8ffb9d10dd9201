/**
 * Refunds: the amount is reserved under the payment's row lock before the gateway call (so concurrent
 * refunds never exceed the captured amount), the call is made outside any lock, and its answer booked.
 */
import { GatewayError, type RefundResult } from '../gateway.js'
import { applyFact } from '../apply-fact.js'
import type { PaymentsContext, Tx } from '../core/context.js'
import { boundClaim, continueClaimed, idempotent, type KeyContext } from '../core/idempotency.js'
import { validateAmount } from '../core/validate.js'
import { paymentError } from '../payments.errors.js'
import { amountRefundable, invalidState, type Payment } from '../payments.js'
import type { Refund } from '../store/refunds.js'
import type { RefundInput, WriteOptions } from '../ports.js'

export async function refundPayment(
  c: PaymentsContext,
  tenant: string,
  id: string,
  input: RefundInput = {},
  opts: WriteOptions = {},
): Promise<Refund> {
  if (input.amount !== undefined) validateAmount(input.amount)
  if (input.reason !== undefined && input.reason.length > 500) throw paymentError('INVALID_REASON')
  const key = opts.idempotencyKey
  const request = { id, ...input }
  // A new key (or none), the common case: the key claimed bound to the refund and the refund reserved
  // in a transaction shared with the captures and refunds arriving meanwhile (core/marker.ts); the
  // answer is then booked with the key's answer (core/booker.ts).
  const refundId = c.deps.ids('re')
  const claim = boundClaim(key, 'refund', request, refundId)
  const r = await c.mark({
    tenant,
    id,
    ...(claim ? { key: claim } : {}),
    prepare: (p) => {
      const refund = reservation(c, p, input, refundId)
      return { fact: { type: 'refund_reserved', amount: refund.amount }, refund }
    },
  })
  if ('marked' in r)
    return continueClaimed(c, tenant, key, (k) => driveRefund(c, tenant, r.refund!, r.marked, k))
  // The key is not new (a replay, a conflict, a request in progress or to resume): examined locked.
  return idempotent(c, tenant, key, 'refund', request, async (k) => {
    if (k.resume) {
      // An earlier attempt with this key reserved a refund and may have reached the gateway.
      const earlier = await c.store.getRefund(c.deps.db, tenant, k.resume)
      if (earlier?.status === 'succeeded') return earlier
      if (earlier?.status === 'pending') return driveRefund(c, tenant, earlier, undefined, k)
      // failed: the gateway refused it, so this retry asks again as a new refund.
    }
    const r = await c.transaction(async (tx) => {
      const reserved = await reserve(c, tx, tenant, id, input, c.deps.ids('re'))
      // The key now names the refund: a retry resumes it instead of refunding again.
      await k.bind(tx, reserved.refund.id)
      return reserved
    })
    return driveRefund(c, tenant, r.refund, r.p, k)
  })
}

/**
 * Reserves the amount under the payment's row lock (concurrent refunds can never exceed the captured
 * amount) and writes the refund, pending, in `tx`: from its commit the gateway may act.
 */
async function reserve(
  c: PaymentsContext,
  tx: Tx,
  tenant: string,
  id: string,
  input: RefundInput,
  refundId: string,
): Promise<{ p: Payment; refund: Refund }> {
  const p = await c.mustGet(tx, tenant, id, true)
  const refund = reservation(c, p, input, refundId)
  const { payment } = await applyFact(c, tx, p, { type: 'refund_reserved', amount: refund.amount })
  await c.store.insertRefund(tx, tenant, refund)
  return { p: payment, refund }
}

/** The refund `input` asks of the locked payment `p`, pending, once the payment may be refunded. */
function reservation(c: PaymentsContext, p: Payment, input: RefundInput, refundId: string): Refund {
  if (p.status !== 'succeeded') throw invalidState(p.status, 'refund')
  const gw = c.gatewayOf(p)
  const amount = input.amount ?? amountRefundable(p)
  if (!gw.capabilities.multipleRefunds && p.amountRefunded + p.amountRefundPending > 0n)
    throw new GatewayError('not_supported', `${p.gateway} allows one refund per payment.`)
  const at = c.now()
  return {
    id: refundId,
    paymentId: p.id,
    amount,
    currency: p.currency,
    status: 'pending',
    reason: input.reason ?? null,
    gateway: p.gateway!,
    gatewayRef: null,
    createdAt: at,
    updatedAt: at,
  }
}

/**
 * Books a gateway's answer about refund `r` on its locked payment, once: a refund already settled
 * (by its webhook, the sweeper or an earlier attempt) is returned as it is.
 */
export async function settleRefund(
  c: PaymentsContext,
  tx: Tx,
  p: Payment,
  r: Refund,
  status: Refund['status'],
  gatewayRef: string | null,
): Promise<Refund> {
  if (r.status !== 'pending') return r
  const ref = gatewayRef ?? r.gatewayRef
  await c.store.updateRefund(tx, p.tenantId, r.id, { status, gatewayRef: ref, at: c.now() })
  const next: Refund = { ...r, status, gatewayRef: ref, updatedAt: c.now() }
  if (status === 'succeeded')
    await applyFact(c, tx, p, { type: 'refunded', amount: r.amount, reserved: true }, { refund: next })
  else if (status === 'failed') await applyFact(c, tx, p, { type: 'refund_released', amount: r.amount })
  // pending at the gateway: stays reserved until its webhook (refund.succeeded / failed).
  return next
}

/**
 * Settles a reserved refund with an answer, retried until booked, in a transaction shared with the
 * other answers arriving meanwhile (core/booker.ts): a merchant's refunds then lock its ledger
 * accounts once per batch instead of queueing on them one by one.
 */
function bookRefund(
  c: PaymentsContext,
  tenant: string,
  r: Refund,
  status: Refund['status'],
  gatewayRef: string | null,
  key?: string,
): Promise<Refund> {
  return c.bookRefund({
    tenant,
    id: r.paymentId,
    refund: { id: r.id, status, gatewayRef },
    ...(key ? { key } : {}),
  })
}

/**
 * Makes the gateway call of a reserved refund, or repeats it under the same gateway idempotency
 * key (its id) when an earlier call's answer was lost, and books the answer. A gateway that acted
 * is booked: the booking is retried, and if it still fails the refund stays reserved and the
 * caller's key stays bound to it, so neither a retry nor the sweeper refunds twice. `p`: the payment
 * as the reservation left it (else read); `k`: the caller's key, answered with the refund in the
 * booking's transaction (not on a refusal: the key is then released so the request can be retried).
 */
export async function driveRefund(
  c: PaymentsContext,
  tenant: string,
  r: Refund,
  p?: Payment,
  k?: Pick<KeyContext, 'key' | 'answered'>,
): Promise<Refund> {
  p ??= await c.mustGet(c.deps.db, tenant, r.paymentId)
  const gw = c.deps.gateways.require(r.gateway)
  let result: RefundResult
  try {
    result = await gw.refund(p.gatewayRef!, r.amount, r.currency, r.id)
  } catch (err) {
    const e = c.asGatewayError(err)
    // An unknown outcome keeps the reservation (the webhook or the sweeper settles it); anything else releases it.
    if (e.failure !== 'unknown') await bookRefund(c, tenant, r, 'failed', null)
    throw e
  }
  const booked = await bookRefund(c, tenant, r, result.status, result.gatewayRef, k?.key)
  if (k?.key) k.answered()
  return booked
}
