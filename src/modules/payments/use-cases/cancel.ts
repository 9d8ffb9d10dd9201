/** Cancel: a payment not yet confirmed is canceled here; an authorised one is canceled at its gateway. */
import { applyFact } from '../apply-fact.js'
import type { PaymentsContext } from '../core/context.js'
import { idempotent } from '../core/idempotency.js'
import { invalidState, type Payment } from '../payments.js'
import type { WriteOptions } from '../ports.js'
import { afterUnknownResolved, resumeInFlight, setInFlight, settleInFlight } from './in-flight.js'

export function cancelPayment(
  c: PaymentsContext,
  tenant: string,
  id: string,
  opts: WriteOptions = {},
): Promise<Payment> {
  return afterUnknownResolved(c, tenant, id, () => cancelOnce(c, tenant, id, opts))
}

function cancelOnce(c: PaymentsContext, tenant: string, id: string, opts: WriteOptions): Promise<Payment> {
  return idempotent(c, tenant, opts.idempotencyKey, 'cancel', { id }, async (k) => {
    const { resume, bind } = k
    if (resume) {
      const canceled = await resumeInFlight(c, tenant, id, 'cancel', (p) => p.status === 'canceled')
      if (canceled) return canceled
    }
    const current = await c.mustGet(c.deps.db, tenant, id)
    if (current.status === 'requires_confirmation') {
      return c.deps.db.transaction().execute(async (tx) => {
        const p = await c.mustGet(tx, tenant, id, true)
        if (p.status !== 'requires_confirmation') throw invalidState(p.status, 'cancel')
        return (await applyFact(c, tx, p, { type: 'canceled' })).payment
      })
    }
    const p = await setInFlight(
      c,
      tenant,
      id,
      'cancel',
      (p) => {
        if (p.status !== 'requires_capture' && p.status !== 'requires_action')
          throw invalidState(p.status, 'cancel')
      },
      bind,
    )
    return settleInFlight(c, tenant, id, () => c.gatewayOf(p).cancel(p.gatewayRef!, `${id}:cancel`), k)
  })
}
