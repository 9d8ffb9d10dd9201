/**
 * Stripe and Braintree webhooks end to end: payments routed to each vendor (their official SDKs
 * against the local vendor-protocol servers), then the vendor's capture notification — signed by
 * the vendor SDK's own test helpers — delivered twice to /v1/webhooks/{gateway}, stored once and
 * applied once by the inbox worker.
 */
import braintree from 'braintree'
import Stripe from 'stripe'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { newId } from '../../src/shared/ids.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { describeEachDb } from '../support/db.js'
import { startBraintreeServer, type BraintreeServer } from '../support/vendors/braintree-server.js'
import { vendorGatewayEnv } from '../support/vendors/gateway-env.js'
import { startStripeServer, type StripeServer } from '../support/vendors/stripe-server.js'

const STRIPE_WEBHOOK_SECRET = 'whsec_e2e_gateway_webhooks_stripe'

interface PaymentJson {
  id: string
  status: string
  gateway: string
  gatewayRef: string
  amountCaptured: string
}

describeEachDb('vendor webhooks through the inbox', (target) => {
  let stripeServer: StripeServer
  let btServer: BraintreeServer
  let t: TestApp

  beforeAll(async () => {
    stripeServer = await startStripeServer()
    btServer = await startBraintreeServer()
    t = await createTestApp(target, {
      ownDatabase: true, // it drains every due inbox row: others' rows must not be among them
      env: vendorGatewayEnv(stripeServer, btServer, STRIPE_WEBHOOK_SECRET),
    })
  })
  afterAll(async () => {
    await t.close()
    await stripeServer.close()
    await btServer.close()
  })

  const payOn = async (gateway: string, amount: string, paymentMethod: string) => {
    await t.app.services.payments.routing.setRoutingRules(t.tenantId, [
      { id: `only-${gateway}`, priority: 1, match: {}, gateways: [{ gateway, weight: 1 }] },
    ])
    const r = await t.app.server.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: { authorization: `Bearer ${t.apiKey}`, 'idempotency-key': newId('k') },
      payload: { amount, currency: 'USD', paymentMethod, capture: 'manual' },
    })
    const p = r.json<PaymentJson>()
    expect([r.statusCode, p.status, p.gateway]).toEqual([201, 'requires_capture', gateway])
    return p
  }
  const deliver = async (gateway: string, headers: Record<string, string>, payload: string) => {
    const r = await t.app.server.inject({ method: 'POST', url: `/v1/webhooks/${gateway}`, headers, payload })
    return { status: r.statusCode, body: r.json<{ duplicate?: boolean; error?: { code: string } }>() }
  }
  const drain = async () => {
    while ((await t.app.services.gatewayWebhooks.processDue()).claimed > 0);
  }
  const captured = async (gateway: string) =>
    (await t.app.services.ledger.balances(t.tenantId, `pay.gateway.${gateway}.USD`)).debitsPosted

  it('Stripe: payment_intent.succeeded signed by generateTestHeaderString captures once', async () => {
    const p = await payOn('stripe', '2500', 'pm_card_visa')
    const before = await captured('stripe')
    const payload = JSON.stringify({
      id: `evt_${newId('e').slice(2)}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: {
        object: {
          id: p.gatewayRef,
          object: 'payment_intent',
          amount: 2500,
          amount_received: 2500,
          currency: 'usd',
          metadata: { paymentId: p.id },
        },
      },
    })
    const stripe = new Stripe(stripeServer.secretKey)
    const headers = {
      'content-type': 'application/json',
      'stripe-signature': stripe.webhooks.generateTestHeaderString({
        payload,
        secret: STRIPE_WEBHOOK_SECRET,
      }),
    }
    const forged = {
      ...headers,
      'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours' }),
    }
    expect((await deliver('stripe', forged, payload)).body.error?.code).toBe('WEBHOOK_SIGNATURE_INVALID')
    const answers = [await deliver('stripe', headers, payload), await deliver('stripe', headers, payload)]
    expect(answers.map((a) => [a.status, a.body.duplicate])).toEqual([
      [200, false],
      [200, true],
    ])
    await drain()
    const after = await t.app.services.payments.queries.get(t.tenantId, p.id)
    expect([after.status, after.amountCaptured]).toEqual(['succeeded', 2500n])
    expect((await captured('stripe')) - before).toBe(2500n)
    const [row] = await t.app.services.gatewayWebhooks.list({ gateway: 'stripe', tenantId: t.tenantId })
    expect(row).toMatchObject({
      vendorType: 'payment_intent.succeeded',
      status: 'processed',
      outcome: 'applied',
    })
  })

  it('Braintree: transaction_settled from webhookTesting.sampleNotification captures once', async () => {
    // The sample notification reports a settled sale of 100.00 USD for the id given.
    const p = await payOn('braintree', '10000', 'fake-valid-visa-nonce')
    const before = await captured('braintree')
    const bt = new braintree.BraintreeGateway({
      environment: braintree.Environment.Sandbox,
      merchantId: btServer.merchantId,
      publicKey: btServer.publicKey,
      privateKey: btServer.privateKey,
    })
    const sample = await bt.webhookTesting.sampleNotification('transaction_settled', p.gatewayRef)
    const form = new URLSearchParams({ bt_signature: sample.bt_signature, bt_payload: sample.bt_payload })
    const headers = { 'content-type': 'application/x-www-form-urlencoded' }
    const tampered = new URLSearchParams(form)
    tampered.set('bt_signature', `${btServer.publicKey}|${'0'.repeat(40)}`)
    expect((await deliver('braintree', headers, tampered.toString())).status).toBe(400)
    const answers = [
      await deliver('braintree', headers, form.toString()),
      await deliver('braintree', headers, form.toString()),
    ]
    expect(answers.map((a) => [a.status, a.body.duplicate])).toEqual([
      [200, false],
      [200, true],
    ])
    await drain()
    const after = await t.app.services.payments.queries.get(t.tenantId, p.id)
    expect([after.status, after.amountCaptured]).toEqual(['succeeded', 10000n])
    expect((await captured('braintree')) - before).toBe(10000n)
  })
  it('Braintree: a second sale for a booked payment (a retried sale) is refunded there; the booking stands', async () => {
    // Braintree keeps no idempotency key: a sale whose answer was lost and its retry are two sales
    // under one order id. The payment books one; the other's settlement webhook used to pass as a
    // duplicate capture, and the customer stayed charged twice.
    const p = await payOn('braintree', '3000', 'fake-valid-visa-nonce')
    const captured = await t.app.server.inject({
      method: 'POST',
      url: `/v1/payments/${p.id}/capture`,
      headers: { authorization: `Bearer ${t.apiKey}`, 'idempotency-key': newId('k') },
      payload: {},
    })
    expect(captured.json<PaymentJson>().status).toBe('succeeded')
    const second = await t.app.services.payments.gateways.require('braintree').authorize({
      paymentId: p.id,
      tenantId: t.tenantId,
      amount: 3000n,
      currency: 'USD',
      paymentMethod: 'fake-valid-visa-nonce',
      capture: 'automatic',
      idempotencyKey: `${p.id}:authorize`,
    })
    expect(second.gatewayRef).not.toBe(p.gatewayRef)
    const headers = { 'content-type': 'application/x-www-form-urlencoded' }
    for (const sale of [p.gatewayRef, second.gatewayRef]) {
      const n = btServer.settle(sale)
      const form = new URLSearchParams({ bt_signature: n.bt_signature, bt_payload: n.bt_payload })
      expect((await deliver('braintree', headers, form.toString())).status).toBe(200)
    }
    await drain()
    const strays = () => t.app.services.payments.queries.listStrayCharges(t.tenantId, p.id)
    expect(await strays()).toEqual([
      expect.objectContaining({ gatewayRef: second.gatewayRef, status: 'pending', amount: 3000n }),
    ])
    await t.app.services.payments.sweeper.sweep({ tenants: [t.tenantId] })
    const [stray] = await strays()
    expect(stray).toMatchObject({ status: 'reversed', reversal: 'refunded' })
    const refund = btServer.transaction(stray!.reversalRef!)
    expect(refund).toMatchObject({
      type: 'credit',
      refunded_transaction_id: second.gatewayRef,
      amount: '30.00',
    })
    expect(await t.app.services.payments.queries.get(t.tenantId, p.id)).toMatchObject({
      status: 'succeeded',
      gatewayRef: p.gatewayRef,
      amountCaptured: 3000n,
      amountRefunded: 0n,
    })
    expect((await t.app.services.ledger.verify(t.tenantId)).ok).toBe(true)
  })

  it('Stripe: a late charge for a payment booked on the sandbox is refunded at Stripe (ADR 0506)', async () => {
    const p = await payOn('sandbox', '1800', 'pm_card_visa')
    // The request that reached Stripe late, under the payment's own gateway key and metadata.
    const late = await t.app.services.payments.gateways.require('stripe').authorize({
      paymentId: p.id,
      tenantId: t.tenantId,
      amount: 1800n,
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      capture: 'automatic',
      idempotencyKey: `${p.id}:authorize`,
      metadata: { moneta_tenant: t.tenantId, moneta_payment: p.id },
    })
    expect(late.status).toBe('captured')
    const event = stripeServer.events.find(
      (e) =>
        e.type === 'payment_intent.succeeded' &&
        (e.data as { object: { id: string } }).object.id === late.gatewayRef,
    )
    const payload = JSON.stringify(event)
    const stripe = new Stripe(stripeServer.secretKey)
    const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET })
    const headers = { 'content-type': 'application/json', 'stripe-signature': signature }
    expect((await deliver('stripe', headers, payload)).status).toBe(200)
    await drain()
    await t.app.services.payments.sweeper.sweep()
    const r = await t.app.server.inject({
      method: 'GET',
      url: `/v1/payments/${p.id}/stray-charges`,
      headers: { authorization: `Bearer ${t.apiKey}` },
    })
    expect(r.statusCode).toBe(200)
    const [stray] = r.json<{
      items: { gatewayRef: string; status: string; reversal: string; reversalRef: string }[]
    }>().items
    expect(stray).toMatchObject({ gatewayRef: late.gatewayRef, status: 'reversed', reversal: 'refunded' })
    const refund = await new Stripe(stripeServer.secretKey, {
      host: stripeServer.host,
      port: stripeServer.port,
      protocol: 'http',
    }).refunds.retrieve(stray!.reversalRef)
    expect(refund).toMatchObject({ payment_intent: late.gatewayRef, amount: 1800, status: 'succeeded' })
    // The tenant's work list: reversed, none failed; bad input is a 400; another tenant sees nothing.
    const list = async (query: string, apiKey = t.apiKey) =>
      t.app.server.inject({
        method: 'GET',
        url: `/v1/stray-charges${query}`,
        headers: { authorization: `Bearer ${apiKey}` },
      })
    // (this suite's other tests leave reversed stray charges of their own in the tenant)
    const reversed = (await list('?status=reversed')).json<{
      items: { gatewayRef: string; status: string }[]
    }>()
    expect(reversed.items.filter((x) => x.gatewayRef === late.gatewayRef)).toHaveLength(1)
    expect(reversed.items.every((x) => x.status === 'reversed')).toBe(true)
    expect((await list('?status=failed')).json<{ items: unknown[] }>().items).toEqual([])
    expect((await list('?status=lost')).statusCode).toBe(400)
    expect((await list('?limit=0')).json<{ error: { code: string } }>().error.code).toBe('INVALID_LIMIT')
    const other = await t.newTenant()
    expect((await list('', other.apiKey)).json<{ items: unknown[] }>().items).toEqual([])
    // The payment itself is untouched at the sandbox.
    const after = await t.app.services.payments.queries.get(t.tenantId, p.id)
    expect([after.gateway, after.status, after.amountRefunded]).toEqual(['sandbox', 'requires_capture', 0n])
  })
})
