/** Capture: all (default) or part of the authorised amount, once. */
import { GatewayError } from '../gateway.js'
import type { PaymentsContext } from '../core/context.js'
import { boundClaim, continueClaimed, idempotent } from '../core/idempotency.js'
import { validateAmount } from '../core/validate.js'
import { captureExceedsAuthorized, operationInProgress } from '../payments.errors.js'
import { amountCapturable, invalidState, type Payment } from '../payments.js'
import type { WriteOptions } from '../ports.js'
import { afterUnknownResolved, resumeInFlight, setInFlight, settleInFlight } from './in-flight.js'

export function capturePayment(
  c: PaymentsContext,
  tenant: string,
  id: string,
  amount?: bigint,
  opts: WriteOptions = {},
): Promise<Payment> {
  if (amount !== undefined) validateAmount(amount)
  return afterUnknownResolved(c, tenant, id, () => captureOnce(c, tenant, id, amount, opts))
}

async function captureOnce(
  c: PaymentsContext,
  tenant: string,
  id: string,
  amount: bigint | undefined,
  opts: WriteOptions,
): Promise<Payment> {
  let toCapture = 0n
  const check = (p: Payment) => {
    if (p.status !== 'requires_capture') throw invalidState(p.status, 'capture')
    const capturable = amountCapturable(p)
    toCapture = amount ?? capturable
    if (toCapture > capturable) throw captureExceedsAuthorized(toCapture, capturable)
    const gw = c.gatewayOf(p)
    if (toCapture < capturable && !gw.capabilities.partialCapture)
      throw new GatewayError('not_supported', `${p.gateway} cannot capture part of a payment.`)
  }
  const call = (p: Payment) => () =>
    c.gatewayOf(p).capture(p.gatewayRef!, toCapture, p.currency, `${id}:capture`)
  const key = opts.idempotencyKey
  const request = { id, amount }
  // A new key (or none), the common case: the key claimed bound to the payment and the capture marked
  // in flight in a transaction shared with the captures and refunds arriving meanwhile
  // (core/marker.ts); the answer is then booked with the key's answer (core/booker.ts).
  const claim = boundClaim(key, 'capture', request, id)
  const r = await c.mark({
    tenant,
    id,
    ...(claim ? { key: claim } : {}),
    prepare: (p) => {
      if (p.inFlight) throw operationInProgress(p.inFlight)
      check(p)
      return { inFlight: 'capture' }
    },
  })
  if ('marked' in r)
    return continueClaimed(c, tenant, key, (k) => settleInFlight(c, tenant, id, call(r.marked), k))
  // The key is not new (a replay, a conflict, a request in progress or to resume): examined locked.
  return idempotent(c, tenant, key, 'capture', request, async (k) => {
    const { resume, bind } = k
    if (resume) {
      const captured = await resumeInFlight(c, tenant, id, 'capture', (p) => p.amountCaptured > 0n)
      if (captured) return captured
    }
    const p = await setInFlight(c, tenant, id, 'capture', check, bind)
    return settleInFlight(c, tenant, id, call(p), k)
  })
}
