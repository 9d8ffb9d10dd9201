/** Capture: all (default) or part of the authorised amount, once. */
import { GatewayError } from '../gateway.js'
import type { PaymentsContext } from '../core/context.js'
import { idempotent } from '../core/idempotency.js'
import { validateAmount } from '../core/validate.js'
import { captureExceedsAuthorized } from '../payments.errors.js'
import { amountCapturable, invalidState, type Payment } from '../payments.js'
import type { WriteOptions } from '../ports.js'
import { resumeInFlight, setInFlight, settleInFlight } from './in-flight.js'

export function capturePayment(
  c: PaymentsContext,
  tenant: string,
  id: string,
  amount?: bigint,
  opts: WriteOptions = {},
): Promise<Payment> {
  if (amount !== undefined) validateAmount(amount)
  return idempotent(c, tenant, opts.idempotencyKey, 'capture', { id, amount }, async ({ resume, bind }) => {
    if (resume) {
      const captured = await resumeInFlight(c, tenant, id, 'capture', (p) => p.amountCaptured > 0n)
      if (captured) return captured
    }
    let toCapture = 0n
    const p = await setInFlight(
      c,
      tenant,
      id,
      'capture',
      (p) => {
        if (p.status !== 'requires_capture') throw invalidState(p.status, 'capture')
        const capturable = amountCapturable(p)
        toCapture = amount ?? capturable
        if (toCapture > capturable) throw captureExceedsAuthorized(toCapture, capturable)
        const gw = c.gatewayOf(p)
        if (toCapture < capturable && !gw.capabilities.partialCapture)
          throw new GatewayError('not_supported', `${p.gateway} cannot capture part of a payment.`)
      },
      bind,
    )
    return settleInFlight(c, tenant, id, () =>
      c.gatewayOf(p).capture(p.gatewayRef!, toCapture, p.currency, `${id}:capture`),
    )
  })
}
