/**
 * Stripe-specific behaviour beyond the shared contract: every vendor failure translated to its kind,
 * webhook events for refunds, disputes and payouts, settlement records for each balance transaction
 * type. All through the official SDK against the local Stripe-protocol server.
 */
import Stripe from 'stripe'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startStripeServer, type StripeServer } from '../../../../../test/support/vendors/stripe-server.js'
import { gatewayFailure } from '../../gateway.contract.js'
import type { GatewayFailure, PaymentGateway } from '../../gateway.js'
import { translateStripeError } from './client.js'
import { createStripeGateway } from './stripe.gateway.js'

const SECRET = 'whsec_test_' + randomUUID()
let server: StripeServer
let gw: PaymentGateway
let apiUrl: string

beforeAll(async () => {
  server = await startStripeServer({ slowResponseMs: 1000 })
  apiUrl = `http://${server.host}:${server.port}`
  gw = createStripeGateway({
    secretKey: server.secretKey,
    webhookSecret: SECRET,
    apiUrl,
    timeoutMs: 400,
    maxNetworkRetries: 0,
  })
})
afterAll(() => server.close())
beforeEach(() => server.clearFaults())

const pay = (method = 'pm_card_visa', capture: 'automatic' | 'manual' = 'automatic', amount = 1000n) =>
  gw.authorize({
    paymentId: `pay_${randomUUID()}`,
    tenantId: 'ten_a',
    amount,
    currency: 'USD',
    paymentMethod: method,
    capture,
    idempotencyKey: randomUUID(),
  })

const failOn = (path: string, status: number, error?: Record<string, unknown>): void =>
  server.fault({ match: (_m, p) => p.startsWith(path), status, ...(error ? { error } : {}), times: 1 })

describe('Stripe error translation', () => {
  const cases: [string, () => void, GatewayFailure, string | undefined][] = [
    [
      '402 card_error → declined with decline_code',
      () =>
        failOn('/v1/payment_intents', 402, {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'stolen_card',
          message: 'Your card was declined.',
        }),
      'declined',
      'stolen_card',
    ],
    ['500 api_error → unavailable', () => failOn('/v1/payment_intents', 500), 'unavailable', 'api_error'],
    ['503 → unavailable', () => failOn('/v1/payment_intents', 503), 'unavailable', 'api_error'],
    [
      '429 rate limit → unavailable',
      () =>
        failOn('/v1/payment_intents', 429, {
          type: 'invalid_request_error',
          code: 'rate_limit',
          message: 'Too many',
        }),
      'unavailable',
      'rate_limit',
    ],
    [
      '401 bad key → misconfigured',
      () => failOn('/v1/payment_intents', 401, { type: 'invalid_request_error', message: 'Invalid API Key' }),
      'misconfigured',
      'http_401',
    ],
    [
      '403 permission → misconfigured',
      () => failOn('/v1/payment_intents', 403, { type: 'invalid_request_error', message: 'restricted key' }),
      'misconfigured',
      'http_403',
    ],
    [
      '400 currency_not_supported → not_supported',
      () =>
        failOn('/v1/payment_intents', 400, {
          type: 'invalid_request_error',
          code: 'currency_not_supported',
          message: 'The currency xts is not supported',
        }),
      'not_supported',
      'currency_not_supported',
    ],
    [
      '400 other invalid request → misconfigured',
      () =>
        failOn('/v1/payment_intents', 400, {
          type: 'invalid_request_error',
          code: 'parameter_unknown',
          message: 'Received unknown parameter',
        }),
      'misconfigured',
      'parameter_unknown',
    ],
  ]
  for (const [title, plant, failure, vendorCode] of cases) {
    it(title, async () => {
      plant()
      const err = await gatewayFailure(pay())
      expect(err.failure).toBe(failure)
      expect(err.vendorCode).toBe(vendorCode)
      expect(err.retryable).toBe(failure === 'unavailable')
      // Only a rate limit is certainly not acted on; a 5xx may have been (ADR 0507).
      expect(err.unprocessed).toBe(vendorCode === 'rate_limit')
    })
  }

  it('same idempotency key with other parameters → misconfigured (a bug on our side, not retryable)', async () => {
    const key = randomUUID()
    const input = {
      paymentId: 'pay_x',
      tenantId: 'ten_a',
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      capture: 'automatic' as const,
      idempotencyKey: key,
    }
    await gw.authorize({ ...input, amount: 100n })
    const err = await gatewayFailure(gw.authorize({ ...input, amount: 200n }))
    expect(err.failure).toBe('misconfigured')
  })

  it('connection refused (nothing was sent) → unavailable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer()
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const closed = createStripeGateway({
      secretKey: 'sk_test_x',
      apiUrl: `http://127.0.0.1:${port}`,
      maxNetworkRetries: 0,
    })
    const err = await gatewayFailure(closed.cancel('pi_1', randomUUID()))
    expect(err.failure).toBe('unavailable')
    expect(err.vendorCode).toBe('ECONNREFUSED')
    expect(err.unprocessed).toBe(true)
  })

  it('timeout after the request was sent → unknown (the charge did happen)', async () => {
    const before = server.requests
    const err = await gatewayFailure(pay('pm_card_timeout'))
    expect(err.failure).toBe('unknown')
    expect(err.vendorCode).toBe('ETIMEDOUT')
    expect(server.requests).toBe(before + 1)
  })

  it('a failure that is not a Stripe error → unknown', () => {
    expect(translateStripeError(new TypeError('boom'), 'x').failure).toBe('unknown')
  })

  it('the SDK retries a 5xx with the same idempotency key: one charge', async () => {
    const retrying = createStripeGateway({ secretKey: server.secretKey, apiUrl, maxNetworkRetries: 1 })
    failOn('/v1/payment_intents', 500)
    const paymentId = `pay_${randomUUID()}`
    const state = await retrying.authorize({
      paymentId,
      tenantId: 'ten_a',
      amount: 500n,
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      capture: 'automatic',
      idempotencyKey: randomUUID(),
    })
    expect(state.status).toBe('captured')
    expect(server.paymentIntent(state.gatewayRef)).toBeDefined()
  })

  it('captured payments carry the fee and card details', async () => {
    const state = await pay('pm_card_mastercard', 'automatic', 10_000n)
    expect(state.fee).toBe(320n) // 2.9% + 30
    expect(state.card).toEqual({ brand: 'mastercard', country: 'US', last4: '4444' })
  })
})

describe('Stripe vault', () => {
  it('a card saved under a customer pays with its token; under another customer it is refused', async () => {
    const { customerId, token } = await gw.vaultPaymentMethod!({ paymentMethod: 'pm_card_mastercard' })
    expect(token).toMatch(/^pm_/)
    expect(token).not.toBe('pm_card_mastercard')
    const input = {
      paymentId: `pay_${randomUUID()}`,
      tenantId: 'ten_a',
      amount: 1999n,
      currency: 'USD',
      paymentMethod: token,
      capture: 'automatic' as const,
      idempotencyKey: randomUUID(),
    }
    const state = await gw.authorize({ ...input, customerId })
    expect(state).toMatchObject({ status: 'captured', card: { brand: 'mastercard', last4: '4444' } })
    expect(server.paymentIntent(state.gatewayRef)).toMatchObject({ customer: customerId })
    const other = await gw.vaultPaymentMethod!({ paymentMethod: 'pm_card_visa' })
    const err = await gatewayFailure(
      gw.authorize({ ...input, customerId: other.customerId, idempotencyKey: randomUUID() }),
    )
    expect(err.failure).toBe('misconfigured')
  })
})

describe('Stripe webhooks', () => {
  const hook = (event: Record<string, unknown>, at = new Date()) => {
    const payload = JSON.stringify(event)
    return gw.verifyWebhook(
      Buffer.from(payload),
      {
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({
          payload,
          secret: SECRET,
          timestamp: Math.floor(at.getTime() / 1000),
        }),
      },
      at,
    )
  }
  const lastEvent = (type: string, objectId: string) => {
    const e = server.events.findLast(
      (x) => x.type === type && (x.data as { object: Record<string, unknown> }).object.id === objectId,
    )
    if (!e) throw new Error(`no ${type} for ${objectId}`)
    return e
  }

  it('authorised, refunded, disputed (opened, won), payout paid: each normalised', async () => {
    const auth = await pay('pm_card_dispute', 'manual', 2500n)
    expect(await hook(lastEvent('payment_intent.amount_capturable_updated', auth.gatewayRef))).toMatchObject({
      type: 'payment.authorized',
      paymentRef: auth.gatewayRef,
      amount: 2500n,
      currency: 'USD',
    })
    await gw.capture(auth.gatewayRef, 2500n, 'USD', randomUUID())
    const refund = await gw.refund(auth.gatewayRef, 500n, 'USD', randomUUID())
    expect(await hook(lastEvent('refund.created', refund.gatewayRef))).toMatchObject({
      type: 'refund.succeeded',
      objectRef: refund.gatewayRef,
      paymentRef: auth.gatewayRef,
      amount: 500n,
    })
    const opened = server.events.findLast((e) => e.type === 'charge.dispute.created')!
    const disputeId = (opened.data as { object: { id: string } }).object.id
    expect(await hook(opened)).toMatchObject({
      type: 'dispute.opened',
      objectRef: disputeId,
      paymentRef: auth.gatewayRef,
    })
    server.closeDispute(disputeId, 'won')
    expect(await hook(lastEvent('charge.dispute.closed', disputeId))).toMatchObject({ type: 'dispute.won' })

    const payout = await gw.payout!(1000n, 'USD', randomUUID())
    expect(payout.status).toBe('pending')
    server.settlePayout(payout.gatewayRef, 'paid')
    expect(await hook(lastEvent('payout.paid', payout.gatewayRef))).toMatchObject({
      type: 'payout.paid',
      objectRef: payout.gatewayRef,
      amount: 1000n,
    })
  })

  it('declined and canceled payments; unknown event types are ignored', async () => {
    await gatewayFailure(pay('pm_card_declined'))
    const failed = server.events.findLast((e) => e.type === 'payment_intent.payment_failed')!
    expect((await hook(failed)).type).toBe('payment.failed')
    const auth = await pay('pm_card_visa', 'manual')
    await gw.cancel(auth.gatewayRef, randomUUID())
    expect((await hook(lastEvent('payment_intent.canceled', auth.gatewayRef))).type).toBe('payment.canceled')
    const created = await hook(lastEvent('payment_intent.created', auth.gatewayRef))
    expect(created).toMatchObject({ type: 'ignored', vendorType: 'payment_intent.created' })
  })

  it('payment_method.automatically_updated → payment_method.updated with the new card data', async () => {
    const saved = await gw.vaultPaymentMethod!({ paymentMethod: 'pm_card_visa' })
    server.updateCard(saved.token, { expMonth: 9, expYear: 2033, last4: '5556' })
    const event = await hook(lastEvent('payment_method.automatically_updated', saved.token))
    expect(event).toMatchObject({
      type: 'payment_method.updated',
      vendorType: 'payment_method.automatically_updated',
      method: { ref: saved.token, brand: 'visa', last4: '5556', expMonth: 9, expYear: 2033 },
    })
    expect(event.method?.token).toBeUndefined() // Stripe keeps the PaymentMethod id
  })

  it('a signature from the future beyond the tolerance is refused', async () => {
    const now = new Date()
    const payload = JSON.stringify({ id: 'evt_1', type: 'x', created: 1, data: { object: { id: 'x' } } })
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: SECRET,
      timestamp: Math.floor(now.getTime() / 1000) + 400,
    })
    await expect(
      gw.verifyWebhook(Buffer.from(payload), { 'stripe-signature': header }, now),
    ).rejects.toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
    })
  })

  it('signed with another secret → refused', async () => {
    const payload = JSON.stringify({ id: 'evt_1', type: 'x', created: 1, data: { object: { id: 'x' } } })
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_other' })
    await expect(
      gw.verifyWebhook(Buffer.from(payload), { 'stripe-signature': header }, new Date()),
    ).rejects.toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
    })
  })
})

describe('Stripe settlements (balance transactions)', () => {
  it('charges, refunds, disputes and payouts map to settlement records tied to our refs', async () => {
    const from = new Date(Date.now() - 1000)
    const paid = await pay('pm_card_dispute', 'automatic', 5000n)
    const refund = await gw.refund(paid.gatewayRef, 1000n, 'USD', randomUUID())
    const payout = await gw.payout!(2000n, 'USD', randomUUID())
    const records = await gw.listSettlements({ from, to: new Date(Date.now() + 2000) })
    const mine = records.filter(
      (r) =>
        [paid.gatewayRef, refund.gatewayRef, payout.gatewayRef].includes(r.sourceRef ?? '') ||
        r.type === 'dispute',
    )
    expect(mine.find((r) => r.type === 'charge')).toMatchObject({
      sourceRef: paid.gatewayRef,
      amount: 5000n,
      fee: 175n,
      currency: 'USD',
    })
    expect(mine.find((r) => r.type === 'refund')).toMatchObject({
      sourceRef: refund.gatewayRef,
      amount: -1000n,
    })
    expect(mine.find((r) => r.type === 'payout')).toMatchObject({
      sourceRef: payout.gatewayRef,
      amount: -2000n,
    })
    expect(mine.find((r) => r.type === 'dispute')).toMatchObject({
      amount: -5000n,
      fee: 1500n,
      paymentRef: paid.gatewayRef,
    })
    expect(mine.find((r) => r.type === 'dispute')?.sourceRef).toMatch(/^dp_/)
  })

  it('pages through more than one page of balance transactions', async () => {
    const at = Math.floor(Date.UTC(2020, 0, 1) / 1000)
    for (let i = 0; i < 130; i++)
      server.plantBalanceTransaction({ type: 'adjustment', amount: i + 1, created: at + i })
    const records = await gw.listSettlements({ from: new Date(at * 1000), to: new Date((at + 200) * 1000) })
    expect(records).toHaveLength(130)
    expect(new Set(records.map((r) => r.id)).size).toBe(130)
  })

  it('a failed fetch throws (never an empty list)', async () => {
    server.fault({ match: (_m, p) => p.startsWith('/v1/balance_transactions'), status: 500 })
    const err = await gatewayFailure(gw.listSettlements({ from: new Date(0), to: new Date() }))
    expect(err.failure).toBe('unavailable')
  })
})
