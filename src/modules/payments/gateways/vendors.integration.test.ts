/**
 * The app with Stripe and Braintree configured (MONETA_STRIPE_*, MONETA_BRAINTREE_*) against the local
 * vendor-protocol servers: both gateways are registered, a payment over HTTP routed to Stripe reaches
 * Stripe through the SDK, vendor-signed webhooks are accepted at /v1/webhooks/:gateway and forged ones
 * refused, and reconciliation runs against the configured gateway.
 */
import Stripe from 'stripe'
import braintree from 'braintree'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../../test/support/app.js'
import { describeEachDb } from '../../../../test/support/db.js'
import {
  startBraintreeServer,
  type BraintreeServer,
} from '../../../../test/support/vendors/braintree-server.js'
import { startStripeServer, type StripeServer } from '../../../../test/support/vendors/stripe-server.js'

const STRIPE_WEBHOOK_SECRET = 'whsec_wiring_test_secret'

describeEachDb('vendor gateways wired into the app', (target) => {
  let stripeServer: StripeServer
  let btServer: BraintreeServer
  let t: TestApp
  const auth = () => ({ authorization: `Bearer ${t.apiKey}` })
  let stripeRef = ''
  const routeAllTo = async (gateway: string) => {
    const r = await t.app.server.inject({
      method: 'PUT',
      url: '/v1/routing-rules',
      headers: auth(),
      payload: {
        rules: [{ id: `all-${gateway}`, priority: 1, match: {}, gateways: [{ gateway, weight: 1 }] }],
      },
    })
    expect(r.statusCode).toBe(200)
  }

  beforeAll(async () => {
    stripeServer = await startStripeServer()
    btServer = await startBraintreeServer()
    t = await createTestApp(target, {
      env: {
        MONETA_STRIPE_SECRET_KEY: stripeServer.secretKey,
        MONETA_STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET,
        MONETA_STRIPE_API_URL: `http://${stripeServer.host}:${stripeServer.port}`,
        MONETA_BRAINTREE_MERCHANT_ID: btServer.merchantId,
        MONETA_BRAINTREE_PUBLIC_KEY: btServer.publicKey,
        MONETA_BRAINTREE_PRIVATE_KEY: btServer.privateKey,
        MONETA_BRAINTREE_API_URL: btServer.url,
      },
    })
  }, 180_000)
  afterAll(async () => {
    await t?.close()
    await stripeServer.close()
    await btServer.close()
  })

  it('registers stripe and braintree next to the sandbox', async () => {
    const r = await t.app.server.inject({ method: 'GET', url: '/v1/routing-rules', headers: auth() })
    expect(r.statusCode).toBe(200)
    expect(r.json<{ gateways: string[] }>().gateways).toEqual(
      expect.arrayContaining(['sandbox', 'stripe', 'braintree']),
    )
  })

  it('a payment routed to Stripe goes through the SDK to the Stripe server', async () => {
    await routeAllTo('stripe')
    const r = await t.app.server.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: { ...auth(), 'idempotency-key': 'wiring-1' },
      payload: { amount: '2500', currency: 'USD', paymentMethod: 'pm_card_visa' },
    })
    expect(r.statusCode).toBe(201)
    const payment = r.json<{ id: string; gateway: string; gatewayRef: string; status: string }>()
    expect(payment).toMatchObject({ gateway: 'stripe', status: 'succeeded' })
    const pi = stripeServer.paymentIntent(payment.gatewayRef)
    expect(pi).toMatchObject({ amount: 2500, metadata: { paymentId: payment.id, tenantId: t.tenantId } })
    stripeRef = payment.gatewayRef
  })

  it('Stripe- and Braintree-signed webhooks are accepted; forged ones are refused with 400', async () => {
    // What Stripe delivers for the payment made above (our tenant and payment id in its metadata).
    const event = stripeServer.events.find(
      (e) =>
        e.type === 'payment_intent.succeeded' &&
        (e.data as { object: { id: string } }).object.id === stripeRef,
    )
    const payload = JSON.stringify(event)
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET })
    const ok = await t.app.server.inject({
      method: 'POST',
      url: '/v1/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload,
    })
    expect(ok.statusCode).toBe(200)
    const forged = await t.app.server.inject({
      method: 'POST',
      url: '/v1/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload: payload.replace('"amount":2500', '"amount":1'),
    })
    expect(forged.statusCode).toBe(400)
    expect(forged.json<{ error: { code: string } }>().error.code).toBe('WEBHOOK_SIGNATURE_INVALID')

    const bt = new braintree.BraintreeGateway({
      environment: braintree.Environment.Sandbox,
      merchantId: btServer.merchantId,
      publicKey: btServer.publicKey,
      privateKey: btServer.privateKey,
    })
    await routeAllTo('braintree')
    const paid = await t.app.server.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: { ...auth(), 'idempotency-key': 'wiring-bt' },
      payload: { amount: '1500', currency: 'USD', paymentMethod: 'fake-valid-visa-nonce' },
    })
    expect(paid.json<{ gateway: string }>().gateway).toBe('braintree')
    const btRef = paid.json<{ gatewayRef: string }>().gatewayRef
    expect(btServer.transaction(btRef)?.status).toBe('submitted_for_settlement')
    await routeAllTo('stripe')
    const sample = await bt.webhookTesting.sampleNotification('transaction_settled', btRef)
    const form = new URLSearchParams({ bt_signature: sample.bt_signature, bt_payload: sample.bt_payload })
    const btOk = await t.app.server.inject({
      method: 'POST',
      url: '/v1/webhooks/braintree',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form.toString(),
    })
    expect(btOk.statusCode).toBe(200)
    form.set('bt_signature', `${btServer.publicKey}|0000`)
    const btForged = await t.app.server.inject({
      method: 'POST',
      url: '/v1/webhooks/braintree',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form.toString(),
    })
    expect(btForged.statusCode).toBe(400)
  })

  it('reconciliation runs against the configured Stripe account', async () => {
    const now = new Date()
    const { run } = await t.app.services.reconciliation.run({
      tenant: t.tenantId,
      gateway: 'stripe',
      from: new Date(now.getTime() - 3_600_000),
      to: new Date(now.getTime() + 3_600_000),
    })
    expect(run.status).toBe('reconciled')
    expect(run.counts.matched).toBeGreaterThanOrEqual(1)

    const list = await t.app.server.inject({
      method: 'GET',
      url: '/v1/reconciliations?gateway=stripe',
      headers: auth(),
    })
    expect(list.statusCode).toBe(200)
    expect(list.json<{ items: { id: string; status: string }[] }>().items[0]).toMatchObject({
      id: run.id,
      status: 'reconciled',
    })
    const one = await t.app.server.inject({
      method: 'GET',
      url: `/v1/reconciliations/${run.id}`,
      headers: auth(),
    })
    expect(one.statusCode).toBe(200)
    expect(one.json<{ run: { counts: { matched: number } }; lines: unknown[] }>()).toMatchObject({
      run: { counts: { matched: run.counts.matched } },
      lines: [],
    })
    const other = await t.newTenant()
    const hidden = await t.app.server.inject({
      method: 'GET',
      url: `/v1/reconciliations/${run.id}`,
      headers: { authorization: `Bearer ${other.apiKey}` },
    })
    expect(hidden.statusCode).toBe(404)
    expect(hidden.json<{ error: { code: string } }>().error.code).toBe('RECONCILIATION_RUN_NOT_FOUND')
  })
})
