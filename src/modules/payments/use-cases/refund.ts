/**
 * Refunds: the amount is reserved under the payment's row lock before the gateway call (so concurrent
 * refunds never exceed the captured amount), the call is made outside any lock, and its answer booked.
 */
import { GatewayError, type RefundResult } from '../gateway.js'
import { applyFact } from '../apply-fact.js'
import type { PaymentsContext, Tx } from '../core/context.js'
import { idempotent } from '../core/idempotency.js'
import { validateAmount } from '../core/validate.js'
import { paymentError } from '../payments.errors.js'
import { amountRefundable, invalidState, type Payment } from '../payments.js'
import type { Refund } from '../payments.store.js'
import type { RefundInput, WriteOptions } from '../ports.js'

export function refundPayment(
  c: PaymentsContext,
  tenant: string,
  id: string,
  input: RefundInput = {},
  opts: WriteOptions = {},
): Promise<Refund> {
  if (input.amount !== undefined) validateAmount(input.amount)
  if (input.reason !== undefined && input.reason.length > 500) throw paymentError('INVALID_REASON')
  return idempotent(c, tenant, opts.idempotencyKey, 'refund', { id, ...input }, async ({ resume, bind }) => {
    if (resume) {
      // An earlier attempt with this key reserved a refund and may have reached the gateway.
      const earlier = await c.store.getRefund(c.deps.db, tenant, resume)
      if (earlier?.status === 'succeeded') return earlier
      if (earlier?.status === 'pending') return driveRefund(c, tenant, earlier)
      // failed: the gateway refused it, so this retry asks again as a new refund.
    }
    // Reserve the amount under the row lock: concurrent refunds can never exceed the captured amount.
    const r = await c.transaction(async (tx) => {
      const p = await c.mustGet(tx, tenant, id, true)
      if (p.status !== 'succeeded') throw invalidState(p.status, 'refund')
      const gw = c.gatewayOf(p)
      const amount = input.amount ?? amountRefundable(p)
      if (!gw.capabilities.multipleRefunds && p.amountRefunded + p.amountRefundPending > 0n)
        throw new GatewayError('not_supported', `${p.gateway} allows one refund per payment.`)
      await applyFact(c, tx, p, { type: 'refund_reserved', amount })
      const at = c.now()
      const refund: Refund = {
        id: c.deps.ids('re'),
        paymentId: id,
        amount,
        currency: p.currency,
        status: 'pending',
        reason: input.reason ?? null,
        gateway: p.gateway!,
        gatewayRef: null,
        createdAt: at,
        updatedAt: at,
      }
      await c.store.insertRefund(tx, tenant, refund)
      // The key now names the refund: a retry resumes it instead of refunding again.
      await bind(tx, refund.id)
      return refund
    })
    return driveRefund(c, tenant, r)
  })
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

/** Settles a reserved refund with an answer in a transaction of its own, retried until booked. */
function bookRefund(
  c: PaymentsContext,
  tenant: string,
  r: Refund,
  status: Refund['status'],
  gatewayRef: string | null,
): Promise<Refund> {
  return c.idempotentTransaction(async (tx) => {
    const p = await c.mustGet(tx, tenant, r.paymentId, true)
    const current = (await c.store.getRefund(tx, tenant, r.id))!
    return settleRefund(c, tx, p, current, status, gatewayRef)
  })
}

/**
 * Makes the gateway call of a reserved refund, or repeats it under the same gateway idempotency
 * key (its id) when an earlier call's answer was lost, and books the answer. A gateway that acted
 * is booked: the booking is retried, and if it still fails the refund stays reserved and the
 * caller's key stays bound to it, so neither a retry nor the sweeper refunds twice.
 */
export async function driveRefund(c: PaymentsContext, tenant: string, r: Refund): Promise<Refund> {
  const p = await c.mustGet(c.deps.db, tenant, r.paymentId)
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
  return bookRefund(c, tenant, r, result.status, result.gatewayRef)
}
