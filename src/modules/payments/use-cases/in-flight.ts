/**
 * Operations sent to a gateway (capture, cancel) are marked in flight on the payment before the call
 * and settled with its answer, so a process that dies mid-call leaves a mark the sweeper (or a retry
 * with the same key) resolves by asking the gateway. Nothing is locked during the gateway call.
 */
import type { GatewayPaymentState } from '../gateway.js'
import { applyNow } from '../apply-fact.js'
import type { PaymentsContext, Tx } from '../core/context.js'
import type { KeyContext } from '../core/idempotency.js'
import { isAppError } from '../../../shared/errors.js'
import { operationInProgress } from '../payments.errors.js'
import { factOf, type Fact, type Payment } from '../payments.js'
import { watchForLateRequest } from './late-requests.js'

/** Marks `op` in flight (or clears the mark with null) after `check` accepts the locked payment. */
export function setInFlight(
  c: PaymentsContext,
  tenant: string,
  id: string,
  op: string | null,
  check: (p: Payment) => void,
  bind?: KeyContext['bind'],
): Promise<Payment> {
  return c.transaction(async (tx) => {
    const next = await markInFlight(c, tx, tenant, id, op, check)
    // From here the gateway may act: the caller's key stays bound to the payment until it is known.
    await bind?.(tx, id)
    return next
  })
}

/** setInFlight's write, in the caller's transaction `tx` (which may have claimed the key already). */
export async function markInFlight(
  c: PaymentsContext,
  tx: Tx,
  tenant: string,
  id: string,
  op: string | null,
  check: (p: Payment) => void,
): Promise<Payment> {
  const p = await c.mustGet(tx, tenant, id, true)
  if (op !== null && p.inFlight) throw operationInProgress(p.inFlight)
  check(p)
  const next = { ...p, inFlight: op, updatedAt: c.now() }
  await c.store.updatePayment(tx, next)
  return next
}

/**
 * Makes the gateway call of an operation marked in flight and applies its answer, clearing the mark.
 * An unknown outcome puts the payment in `unknown` for the sweeper; a definite failure just clears it.
 */
export async function settleInFlight(
  c: PaymentsContext,
  tenant: string,
  id: string,
  call: () => Promise<GatewayPaymentState>,
  k?: Pick<KeyContext, 'key' | 'answered'>,
): Promise<Payment> {
  let state: GatewayPaymentState
  try {
    state = await call()
  } catch (err) {
    const e = c.asGatewayError(err)
    if (e.failure === 'unknown')
      return answer(k, applyNow(c, tenant, id, { type: 'unknown' }, { inFlight: null }, k?.key))
    await setInFlight(c, tenant, id, null, () => undefined)
    throw e
  }
  return answer(k, applyNow(c, tenant, id, factOf(state), { inFlight: null }, k?.key))
}

/** Marks the caller's key answered once the booking that stored its answer has committed. */
export async function answer(
  k: Pick<KeyContext, 'key' | 'answered'> | undefined,
  booking: Promise<Payment>,
): Promise<Payment> {
  const p = await booking
  if (k?.key) k.answered()
  return p
}

/** Asks the gateway what became of a payment in processing, unknown or in flight, and applies it. */
export async function resolveWithGateway(c: PaymentsContext, p: Payment): Promise<Payment> {
  if (!p.gateway) {
    if (p.status !== 'processing') return p
    return applyNow(c, p.tenantId, p.id, { type: 'unavailable' })
  }
  const state: GatewayPaymentState | undefined = await c.deps.gateways
    .require(p.gateway)
    .retrieve({ ...(p.gatewayRef ? { gatewayRef: p.gatewayRef } : {}), paymentId: p.id })
  // No record: a payment sent for authorisation was never received (payments.ts, `no_record`); an
  // operation in flight on one the gateway knows has an outcome we cannot learn here.
  const fact: Fact = state
    ? factOf(state)
    : p.status === 'processing' || p.status === 'unknown'
      ? { type: 'no_record' }
      : { type: 'unknown' }
  if (state?.status === 'processing') return p
  // "No record" is the gateway's answer now; the request may still land there: it is asked again
  // later (ADR 0507). Opened before the answer is booked, so a crash between leaves a check, not a gap.
  if (fact.type === 'no_record' && p.amountAuthorized === 0n)
    await watchForLateRequest(c, undefined, {
      tenantId: p.tenantId,
      paymentId: p.id,
      gateway: p.gateway,
      reason: 'no_record',
    })
  return applyNow(c, p.tenantId, p.id, fact, { inFlight: null })
}

/**
 * A retry of a capture or cancel whose earlier attempt (same key) failed after the gateway may have
 * acted: what the gateway did is learnt first, and an operation already done answers its result.
 */
export async function resumeInFlight(
  c: PaymentsContext,
  tenant: string,
  id: string,
  op: 'capture' | 'cancel',
  done: (p: Payment) => boolean,
): Promise<Payment | undefined> {
  let p = await c.mustGet(c.deps.db, tenant, id)
  if (p.inFlight === op || p.status === 'unknown') p = await resolveWithGateway(c, p)
  return done(p) ? p : undefined
}

/**
 * Runs a capture or cancel; if it is refused only because the payment's last outcome is `unknown`,
 * asks the gateway what became of it first (as the sweeper would, a minute later) and runs it once
 * more on the answer. A client retrying after a lost answer then gets the real outcome at once — a
 * capture that never reached the gateway goes through, one that did is refused as already done —
 * instead of a 409 for a state it cannot act on.
 */
export async function afterUnknownResolved<T>(
  c: PaymentsContext,
  tenant: string,
  id: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (!isAppError(err) || err.code !== 'PAYMENT_INVALID_STATE' || err.details?.status !== 'unknown')
      throw err
    const p = await c.mustGet(c.deps.db, tenant, id)
    if (p.status === 'unknown' && (await resolveWithGateway(c, p)).status === 'unknown') throw err
    return run()
  }
}
