/**
 * Late requests at Stripe and Braintree with no webhook (ADR 0507), through their official SDKs
 * against the local vendor-protocol servers: the vendor answers a create with a 500, the payment
 * fails over to the sandbox, and then the vendor charges it after all (the request had been
 * processed, or reached it late). No webhook comes. The sweeper asks the vendor again by our payment
 * id (Stripe's search by metadata, Braintree's by order id) and reverses the charge there.
 */
import Stripe from 'stripe'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Payment } from '../../src/modules/payments/index.js'
import { fixedClock } from '../../src/shared/clock.js'
import { newId } from '../../src/shared/ids.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { describeEachDb } from '../support/db.js'
import { startBraintreeServer, type BraintreeServer } from '../support/vendors/braintree-server.js'
import { vendorGatewayEnv } from '../support/vendors/gateway-env.js'
import { startStripeServer, type StripeServer } from '../support/vendors/stripe-server.js'

const MINUTE = 60_000

describeEachDb('late requests at the vendors, no webhook', (target) => {
  let stripeServer: StripeServer
  let btServer: BraintreeServer
  let t: TestApp
  const clock = fixedClock(new Date())

  beforeAll(async () => {
    stripeServer = await startStripeServer()
    btServer = await startBraintreeServer()
    t = await createTestApp(target, {
      ownDatabase: true,
      clock,
      env: vendorGatewayEnv(stripeServer, btServer, 'whsec_e2e_late_requests'),
    })
  })
  afterAll(async () => {
    await t.close()
    await stripeServer.close()
    await btServer.close()
  })

  const services = () => t.app.services
  const sweep = () => services().payments.sweeper.sweep({ tenants: [t.tenantId] })

  /**
   * A payment routed to `gateway` first while the vendor answers every create with a 500: it fails
   * over to the sandbox and is booked there, and the vendor is to be asked again (a 500 a vendor had
   * processed after all is the case ADR 0506 names).
   */
  async function failedOverFrom(gateway: 'stripe' | 'braintree'): Promise<Payment> {
    await services().payments.routing.setRoutingRules(t.tenantId, [
      {
        id: `${gateway}-then-sandbox`,
        priority: 1,
        match: {},
        gateways: [
          { gateway, weight: 1 },
          { gateway: 'sandbox', weight: 0 },
        ],
      },
    ])
    if (gateway === 'stripe')
      stripeServer.fault({ match: (m, p) => m === 'POST' && p === '/v1/payment_intents', status: 500 })
    else btServer.fault({ match: (m, p) => m === 'POST' && p.endsWith('/transactions'), status: 500 })
    const p = await services().payments.commands.create(
      t.tenantId,
      { amount: 2_400n, currency: 'USD', paymentMethod: 'pm_card_visa' },
      { idempotencyKey: newId('k') },
    )
    stripeServer.clearFaults()
    btServer.clearFaults()
    expect(p).toMatchObject({ status: 'succeeded', gateway: 'sandbox', amountCaptured: 2_400n })
    return p
  }

  /** The first request, reaching the vendor late under the payment's own key and metadata. */
  const lateRequest = (gateway: 'stripe' | 'braintree', p: Payment, paymentMethod: string) =>
    services()
      .payments.gateways.require(gateway)
      .authorize({
        paymentId: p.id,
        tenantId: t.tenantId,
        amount: p.amount,
        currency: 'USD',
        paymentMethod,
        capture: 'automatic',
        idempotencyKey: `${p.id}:authorize`,
        metadata: { moneta_tenant: t.tenantId, moneta_payment: p.id },
      })

  /** The payment is still booked at the sandbox alone, and the books balance. */
  async function expectBookedAtSandbox(p: Payment) {
    expect(await services().payments.queries.get(t.tenantId, p.id)).toMatchObject({
      status: 'succeeded',
      gateway: 'sandbox',
      amountCaptured: 2_400n,
      amountRefunded: 0n,
    })
    expect((await services().ledger.verify(t.tenantId)).ok).toBe(true)
  }

  it('Stripe: the charge it made after answering 500 is found by our id and refunded there', async () => {
    const p = await failedOverFrom('stripe')
    const late = await lateRequest('stripe', p, 'pm_card_visa')
    expect(late.status).toBe('captured')
    await sweep() // not yet due: nothing asked
    expect(await services().payments.queries.listStrayCharges(t.tenantId, p.id)).toEqual([])
    clock.advance(5 * MINUTE)
    await sweep()
    const [stray] = await services().payments.queries.listStrayCharges(t.tenantId, p.id)
    expect(stray).toMatchObject({ gatewayRef: late.gatewayRef, status: 'reversed', reversal: 'refunded' })
    const refund = await new Stripe(stripeServer.secretKey, {
      host: stripeServer.host,
      port: stripeServer.port,
      protocol: 'http',
    }).refunds.retrieve(stray!.reversalRef!)
    expect(refund).toMatchObject({ payment_intent: late.gatewayRef, amount: 2400, status: 'succeeded' })
    await expectBookedAtSandbox(p)
  })

  it('Braintree: the sale it made after answering 500 is found by its order id and voided (not settled yet)', async () => {
    const p = await failedOverFrom('braintree')
    const late = await lateRequest('braintree', p, 'fake-valid-visa-nonce')
    expect(btServer.transaction(late.gatewayRef)?.status).toBe('submitted_for_settlement')
    clock.advance(5 * MINUTE)
    await sweep()
    expect(await services().payments.queries.listStrayCharges(t.tenantId, p.id)).toEqual([
      expect.objectContaining({ gatewayRef: late.gatewayRef, status: 'reversed', reversal: 'canceled' }),
    ])
    expect(btServer.transaction(late.gatewayRef)?.status).toBe('voided')
    await expectBookedAtSandbox(p)
  })
})
