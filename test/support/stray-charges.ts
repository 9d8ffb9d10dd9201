import { asSandbox } from '../../src/modules/payments/index.js'
import type { AppServices } from '../../src/app.js'

/**
 * A stray charge (ADR 0506) made the way it happens, in the app's sandbox: a payment is canceled before
 * it was ever sent, then a request for it reaches the sandbox after all and is charged. The sandbox's
 * events about it are applied through the same service call the webhook inbox makes (a test app has no
 * sandbox webhook secret, so its signed endpoint is not open). With `refundedElsewhere` the charge is
 * first refunded at the gateway by another hand (the vendor's dashboard): the sweeper's own refund is
 * then refused and the charge is left failed, for an operator. Returns the payment's id; the caller
 * sweeps when it wants the reversal tried. `t` is a test app, or any services with a tenant (the CLI's
 * tests make one on an embedded data directory).
 */
export async function makeStrayCharge(
  t: { readonly app: { readonly services: AppServices }; readonly tenantId: string },
  amount: bigint,
  refundedElsewhere: boolean,
): Promise<{ paymentId: string; chargeRef: string; refundedByHand?: string }> {
  const { payments, db } = t.app.services
  const input = { amount, currency: 'USD', paymentMethod: 'pm_card_visa', confirm: false }
  const { id } = await payments.commands.create(t.tenantId, input)
  await payments.commands.cancel(t.tenantId, id)
  const sandbox = asSandbox(payments.gateways.get('sandbox'))!
  const charge = await sandbox.authorize({
    paymentId: id,
    tenantId: t.tenantId,
    amount,
    currency: 'USD',
    paymentMethod: 'pm_card_visa',
    capture: 'automatic',
    idempotencyKey: `late-${id}`,
  })
  const byHand = refundedElsewhere
    ? await sandbox.refund(charge.gatewayRef, amount, 'USD', `dashboard-${id}`)
    : undefined
  for (const e of sandbox.events.filter((x) => x.paymentId === id && x.type.startsWith('payment.')))
    await db.db
      .transaction()
      .execute((tx) => payments.webhooks.applyGatewayEvent(t.tenantId, 'sandbox', e, { tx }))
  return {
    paymentId: id,
    chargeRef: charge.gatewayRef,
    ...(byHand ? { refundedByHand: byHand.gatewayRef } : {}),
  }
}
