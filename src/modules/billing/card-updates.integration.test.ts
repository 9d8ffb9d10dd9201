/**
 * Card-updater events through the gateway webhook inbox: a sandbox, Stripe and Braintree webhook
 * (signed as each vendor signs it, parsed by the official SDK where there is one) updates the saved
 * method's display data, writes its event and audit entry, and a past-due subscription recovers.
 */
import { sql } from 'kysely'
import Stripe from 'stripe'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.js'
import { billingActor as actor, billingBalances, createCustomer } from '../../../test/support/billing.js'
import { describeEachDb } from '../../../test/support/db.js'
import { startBraintreeServer, type BraintreeServer } from '../../../test/support/vendors/braintree-server.js'
import { startStripeServer, type StripeServer } from '../../../test/support/vendors/stripe-server.js'
import { createSandboxSavedMethods, sandboxWebhookBody, signSandboxWebhook } from '../payments/index.js'
import { methodFields } from './method-tokens.js'

const SANDBOX_SECRET = `whsec_${Buffer.from('card-updates-test-secret-0123456').toString('base64')}`
const STRIPE_SECRET = 'whsec_card_updates_test'

describeEachDb('billing: card-updater webhooks', (target) => {
  let t: TestApp
  let stripe: StripeServer
  let bt: BraintreeServer
  beforeAll(async () => {
    stripe = await startStripeServer()
    bt = await startBraintreeServer()
    t = await createTestApp(target, {
      ownDatabase: true, // it drains every due inbox row: others' rows must not be among them
      env: {
        MONETA_BILLING_RUN_INTERVAL_MS: '0',
        MONETA_SANDBOX_WEBHOOK_SECRET: SANDBOX_SECRET,
        MONETA_STRIPE_SECRET_KEY: stripe.secretKey,
        MONETA_STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
        MONETA_STRIPE_API_URL: `http://${stripe.host}:${stripe.port}`,
        MONETA_BRAINTREE_MERCHANT_ID: bt.merchantId,
        MONETA_BRAINTREE_PUBLIC_KEY: bt.publicKey,
        MONETA_BRAINTREE_PRIVATE_KEY: bt.privateKey,
        MONETA_BRAINTREE_API_URL: bt.url,
      },
    })
  }, 180_000)
  afterAll(async () => {
    await t?.close()
    await stripe?.close()
    await bt?.close()
  }, 60_000)

  const d = (s: string) => new Date(s)

  /** The vault token of a saved method, as billing stored it (encrypted). */
  async function tokenOf(tenant: string, id: string): Promise<string> {
    const r = await sql<{ token_ct: Uint8Array }>`SELECT token_ct FROM billing_payment_methods
      WHERE tenant_id = ${tenant} AND payment_method_id = ${id}`.execute(t.app.services.db.db)
    const f = methodFields(t.app.services.crypto.fieldCipher)
    return (JSON.parse(await f.token.decryptString(tenant, id, r.rows[0]!.token_ct)) as { token: string })
      .token
  }

  /** Posts a webhook and processes the inbox until `done` holds (the background processor may win). */
  async function deliver(gateway: string, headers: Record<string, string>, payload: string) {
    const r = await t.app.server.inject({ method: 'POST', url: `/v1/webhooks/${gateway}`, headers, payload })
    expect(r.statusCode).toBe(200)
    await t.app.services.gatewayWebhooks.processDue()
  }

  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    for (let i = 0; ; i++) {
      const v = await read()
      if (ok(v) || i > 100) return v
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async function auditActions(tenant: string): Promise<string[]> {
    await t.app.services.audit.flush()
    const entries = await t.app.services.audit.entries(tenant, 0, 1000)
    return entries.map((e) => e.entry?.action ?? '')
  }

  async function outboxTopics(tenant: string): Promise<string[]> {
    const r = await sql<{ topic: string }>`SELECT topic FROM event_outbox WHERE tenant_id = ${tenant}
      ORDER BY seq`.execute(t.app.services.db.db)
    return r.rows.map((x) => x.topic)
  }

  /** A new tenant's customer with one card saved on `gateway`, and the gateway's token for it. */
  async function savedCard(gateway: string, paymentMethod: string) {
    const { tenantId: tenant } = await t.newTenant()
    const customer = await createCustomer(t.app, tenant)
    const { method } = await t.app.services.billing.paymentMethods.attach(
      tenant,
      customer,
      { gateway, paymentMethod },
      actor,
    )
    return { tenant, customer, method, token: await tokenOf(tenant, method.id) }
  }

  /** The customer's card once the delivered update shows `expYear`, audited as a card update. */
  async function cardUpdatedTo(tenant: string, customer: string, expYear: number) {
    const [m] = await until(
      () => t.app.services.billing.paymentMethods.list(tenant, customer),
      (ms) => ms[0]?.expYear === expYear,
    )
    expect(await auditActions(tenant)).toContain('billing.payment_method.card_update')
    return m
  }

  it('sandbox: an expired card renewed by the card updater recovers the past-due subscription', async () => {
    const { tenantId: tenant } = await t.newTenant()
    const b = t.app.services.billing
    await b.scheduler.runTestClock(tenant, d('2026-01-15T00:00:00Z'), actor)
    const product = await b.catalog.createProduct(tenant, { name: 'Plan' }, actor)
    const price = await b.catalog.createPrice(
      tenant,
      {
        productId: product.id,
        currency: 'USD',
        model: { kind: 'fixed', amount: 1000n },
        interval: { unit: 'month', count: 1 },
      },
      actor,
    )
    const customer = await createCustomer(t.app, tenant)
    // Expires at the end of February: the March renewal declines expired_card (not worth retrying).
    const { method } = await b.paymentMethods.attach(
      tenant,
      customer,
      { gateway: 'sandbox', paymentMethod: 'pm_card_expiring' },
      actor,
    )
    expect(method).toMatchObject({ expMonth: 2, expYear: 2026 })
    const sub = await b.subscriptions.create(tenant, { customerId: customer, priceId: price.id }, actor)
    await b.scheduler.runTestClock(tenant, d('2026-03-16T00:00:00Z'), actor)
    expect((await b.subscriptions.get(tenant, sub.id)).status).toBe('past_due')
    const open = (await b.invoices.list(tenant, { subscriptionId: sub.id })).filter(
      (i) => i.status === 'open',
    )
    expect(open).toHaveLength(1)

    const oldToken = await tokenOf(tenant, method.id)
    const event = createSandboxSavedMethods({ clock: t.app.services.clock }).cardUpdateEvent(
      oldToken,
      2,
      2030,
      new Date(),
    )
    const body = sandboxWebhookBody(event)
    const headers = {
      'content-type': 'application/json',
      ...signSandboxWebhook(SANDBOX_SECRET, body, { id: event.id, at: new Date() }),
    }
    await deliver('sandbox', headers, body)

    const paid = await until(
      () => b.invoices.get(tenant, open[0]!.id),
      (i) => i.status === 'paid',
    )
    expect(paid.status).toBe('paid')
    expect((await b.subscriptions.get(tenant, sub.id)).status).toBe('active')
    const [updated] = await b.paymentMethods.list(tenant, customer)
    expect(updated).toMatchObject({
      id: method.id,
      status: 'active',
      expMonth: 2,
      expYear: 2030,
      last4: '0069',
    })
    // The charge went out on the replaced token (the old one still encodes the old expiry).
    expect(await tokenOf(tenant, method.id)).not.toBe(oldToken)
    expect(await outboxTopics(tenant)).toEqual(
      expect.arrayContaining(['billing.payment_method.updated.v1', 'billing.subscription.recovered.v1']),
    )
    expect(await auditActions(tenant)).toContain('billing.payment_method.card_update')
    const bal = await billingBalances(t.app, tenant, 'USD')
    expect(bal).toMatchObject({ receivable: 0n, gateway: 3000n })
    expect((await t.app.services.ledger.verify(tenant)).ok).toBe(true)

    // The same delivery again is stored once and changes nothing.
    await deliver('sandbox', headers, body)
    expect(
      (await b.invoices.list(tenant, { subscriptionId: sub.id })).every((i) => i.status === 'paid'),
    ).toBe(true)
  }, 180_000)

  it('Stripe: payment_method.automatically_updated (Stripe-Signature, SDK constructEvent) updates the card', async () => {
    const { tenant, customer, method, token: pmId } = await savedCard('stripe', 'pm_card_visa')
    stripe.updateCard(pmId, { expMonth: 7, expYear: 2031, last4: '1881' })
    const event = stripe.events.findLast((e) => e.type === 'payment_method.automatically_updated')
    const payload = JSON.stringify(event)
    await deliver(
      'stripe',
      {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }),
      },
      payload,
    )
    const m = await cardUpdatedTo(tenant, customer, 2031)
    expect(m).toMatchObject({ id: method.id, brand: 'visa', last4: '1881', expMonth: 7, expYear: 2031 })
    expect(await tokenOf(tenant, method.id)).toBe(pmId)
    expect(await outboxTopics(tenant)).toContain('billing.payment_method.updated.v1')
  }, 120_000)

  it('Braintree: payment_method_customer_data_updated (bt_signature, SDK parse) updates the card', async () => {
    const { tenant, customer, method, token } = await savedCard('braintree', 'fake-valid-visa-nonce')
    const form = new URLSearchParams(bt.updateCard(token, { expMonth: 4, expYear: 2032 }))
    await deliver('braintree', { 'content-type': 'application/x-www-form-urlencoded' }, form.toString())
    const m = await cardUpdatedTo(tenant, customer, 2032)
    expect(m).toMatchObject({ id: method.id, expMonth: 4, expYear: 2032, last4: method.last4 })
  }, 120_000)
})
