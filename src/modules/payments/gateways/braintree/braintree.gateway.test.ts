/**
 * Braintree-specific behaviour beyond the shared contract: every vendor failure translated to its
 * kind, webhook kinds (settled sale and refund, disputes, disbursements), client tokens, vaulted
 * payment methods, settled records for reconciliation. Through the official SDK against the local
 * Braintree-protocol server.
 */
import braintree from 'braintree'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  startBraintreeServer,
  type BraintreeServer,
} from '../../../../../test/support/vendors/braintree-server.js'
import { gatewayFailure } from '../../gateway.contract.js'
import type { GatewayFailure, PaymentGateway } from '../../gateway.js'
import { translateBraintreeError } from './client.js'
import { createBraintreeGateway, toMinor } from './braintree.gateway.js'

let server: BraintreeServer
let gw: PaymentGateway
let sdk: braintree.BraintreeGateway

beforeAll(async () => {
  server = await startBraintreeServer({ slowResponseMs: 1000 })
  const options = {
    merchantId: server.merchantId,
    publicKey: server.publicKey,
    privateKey: server.privateKey,
    apiUrl: server.url,
    timeoutMs: 400,
  }
  gw = createBraintreeGateway(options)
  const port = String(server.port)
  sdk = new braintree.BraintreeGateway({
    environment: new braintree.Environment('127.0.0.1', port, server.url, false, '127.0.0.1', port),
    merchantId: server.merchantId,
    publicKey: server.publicKey,
    privateKey: server.privateKey,
  })
})
afterAll(() => server.close())
beforeEach(() => server.clearFaults())

const pay = (
  method = 'fake-valid-visa-nonce',
  capture: 'automatic' | 'manual' = 'automatic',
  amount = 1000n,
  currency = 'USD',
) =>
  gw.authorize({
    paymentId: `pay_${randomUUID()}`,
    tenantId: 'ten_a',
    amount,
    currency,
    paymentMethod: method,
    capture,
    idempotencyKey: randomUUID(),
  })

describe('Braintree error translation', () => {
  const statuses: [number, GatewayFailure, string][] = [
    [401, 'misconfigured', 'authenticationError'],
    [403, 'misconfigured', 'authorizationError'],
    [426, 'misconfigured', 'upgradeRequired'],
    [429, 'unavailable', 'tooManyRequestsError'],
    [500, 'unavailable', 'serverError'],
    [503, 'unavailable', 'serviceUnavailableError'],
    [504, 'unknown', 'gatewayTimeoutError'],
    [408, 'unknown', 'requestTimeoutError'],
  ]
  for (const [status, failure, vendorCode] of statuses) {
    it(`HTTP ${status} → ${failure}`, async () => {
      server.fault({ match: (m, p) => m === 'POST' && p === '/transactions', status, times: 1 })
      const err = await gatewayFailure(pay())
      expect(err.failure).toBe(failure)
      expect(err.vendorCode).toBe(vendorCode)
      expect(err.retryable).toBe(failure === 'unavailable')
      // Only a rate limit is certainly not acted on; a 5xx may have been (ADR 0507).
      expect(err.unprocessed).toBe(status === 429)
    })
  }

  it('processor decline → declined with the processor code', async () => {
    const err = await gatewayFailure(pay('fake-processor-declined-visa-nonce'))
    expect(err).toMatchObject({ failure: 'declined', vendorCode: '2000', code: 'PAYMENT_DECLINED' })
  })

  it('gateway rejection (fraud) → declined with the rejection reason', async () => {
    const err = await gatewayFailure(pay('fake-gateway-rejected-fraud-nonce'))
    expect(err).toMatchObject({ failure: 'declined', vendorCode: 'gateway_rejected:fraud' })
  })

  it('validation error → misconfigured with the Braintree error code', async () => {
    const err = await gatewayFailure(pay('not-a-nonce'))
    expect(err).toMatchObject({ failure: 'misconfigured', vendorCode: '91565' })
  })

  it('a merchant account in another currency → not_supported, and the authorisation is voided', async () => {
    const before = server.requests
    const err = await gatewayFailure(pay('fake-valid-visa-nonce', 'manual', 1000n, 'EUR'))
    expect(err).toMatchObject({ failure: 'not_supported', vendorCode: 'currency_mismatch' })
    expect(server.requests).toBe(before + 2) // the sale, then its void
  })

  it('connection refused → unavailable; a timeout after sending → unknown', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer()
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const closed = createBraintreeGateway({
      merchantId: 'm',
      publicKey: 'p',
      privateKey: 'k',
      apiUrl: `http://127.0.0.1:${port}`,
    })
    const refused = await gatewayFailure(closed.cancel('abc', randomUUID()))
    expect(refused).toMatchObject({ failure: 'unavailable', vendorCode: 'ECONNREFUSED', unprocessed: true })
    const timedOut = await gatewayFailure(pay('fake-timeout-nonce'))
    expect(timedOut.failure).toBe('unknown')
  })

  it('anything unrecognised → unknown', () => {
    expect(translateBraintreeError(new Error('???'), 'x').failure).toBe('unknown')
  })
})

describe('Braintree operations', () => {
  it('client token, with and without a customer', async () => {
    const token = await gw.clientToken!()
    expect(JSON.parse(Buffer.from(token, 'base64').toString())).toMatchObject({
      merchantId: server.merchantId,
    })
    const vaulted = await gw.vaultPaymentMethod!({ paymentMethod: 'fake-valid-mastercard-nonce' })
    const forCustomer = await gw.clientToken!(vaulted.customerId)
    expect(JSON.parse(Buffer.from(forCustomer, 'base64').toString())).toMatchObject({
      customerId: vaulted.customerId,
    })
  })

  it('a vaulted payment method pays with the token and customer', async () => {
    const { customerId, token } = await gw.vaultPaymentMethod!({
      paymentMethod: 'fake-valid-mastercard-nonce',
    })
    const state = await gw.authorize({
      paymentId: `pay_${randomUUID()}`,
      tenantId: 'ten_a',
      amount: 2599n,
      currency: 'USD',
      paymentMethod: token,
      customerId,
      capture: 'automatic',
      idempotencyKey: randomUUID(),
    })
    expect(state).toMatchObject({
      status: 'captured',
      amountCaptured: 2599n,
      card: { brand: 'mastercard', last4: '4444' },
    })
    expect(server.transaction(state.gatewayRef)?.customer_id).toBe(customerId)
  })

  it('refunding an unsettled sale is refused (Braintree voids those instead)', async () => {
    const paid = await pay()
    const err = await gatewayFailure(gw.refund(paid.gatewayRef, 100n, 'USD', randomUUID()))
    expect(err).toMatchObject({ failure: 'misconfigured', vendorCode: '91506' })
  })

  it('settled records: the sale as a charge, its refund as a negative refund record', async () => {
    const from = new Date(Date.now() - 1000)
    const paid = await pay('fake-valid-visa-nonce', 'automatic', 5000n)
    await sdk.testing.settle(paid.gatewayRef)
    const refund = await gw.refund(paid.gatewayRef, 1200n, 'USD', randomUUID())
    expect(refund).toMatchObject({ status: 'succeeded', amount: 1200n, currency: 'USD' })
    await sdk.testing.settle(refund.gatewayRef)
    const records = await gw.listSettlements({ from, to: new Date(Date.now() + 1000) })
    expect(records.find((r) => r.sourceRef === paid.gatewayRef)).toMatchObject({
      type: 'charge',
      amount: 5000n,
    })
    expect(records.find((r) => r.sourceRef === refund.gatewayRef)).toMatchObject({
      type: 'refund',
      amount: -1200n,
    })
  })

  it('a refund repeated with its key (its answer was lost) answers the first refund, not a second one', async () => {
    const paid = await pay('fake-valid-visa-nonce', 'automatic', 5000n)
    await sdk.testing.settle(paid.gatewayRef)
    const key = `re_${randomUUID()}`
    const first = await gw.refund(paid.gatewayRef, 1000n, 'USD', key)
    const again = await gw.refund(paid.gatewayRef, 1000n, 'USD', key)
    expect(again).toEqual(first)
    // Another key is another refund.
    const other = await gw.refund(paid.gatewayRef, 1000n, 'USD', `re_${randomUUID()}`)
    expect(other.gatewayRef).not.toBe(first.gatewayRef)
    expect(server.transaction(paid.gatewayRef)?.refund_ids).toEqual([first.gatewayRef, other.gatewayRef])
    expect(server.transaction(first.gatewayRef)?.order_id).toBe(key)
  })

  it('a failed settlement search throws (never an empty list)', async () => {
    server.fault({ match: (_m, p) => p.startsWith('/transactions/advanced_search'), status: 500 })
    const err = await gatewayFailure(gw.listSettlements({ from: new Date(0), to: new Date() }))
    expect(err.failure).toBe('unavailable')
  })

  it('amounts convert between Braintree decimals and minor units by currency exponent', () => {
    expect(toMinor('10.50', 'USD')).toBe(1050n)
    expect(toMinor('1050', 'JPY')).toBe(1050n)
    expect(toMinor('1.234', 'BHD')).toBe(1234n)
    expect(toMinor('-3.1', 'EUR')).toBe(-310n)
    expect(() => toMinor('1.001', 'USD')).toThrow()
  })
})

describe('Braintree webhooks', () => {
  const hook = async (kind: braintree.WebhookNotificationKind, id: string) => {
    const sample = await sdk.webhookTesting.sampleNotification(kind, id)
    const body = new URLSearchParams({ bt_signature: sample.bt_signature, bt_payload: sample.bt_payload })
    return gw.verifyWebhook(Buffer.from(body.toString()), {}, new Date())
  }

  it('settled sale → payment.captured; settlement declined → payment.failed', async () => {
    expect(await hook('transaction_settled', 'tx1')).toMatchObject({
      type: 'payment.captured',
      paymentRef: 'tx1',
      amount: 10_000n,
      currency: 'USD',
      vendorType: 'transaction_settled',
    })
    expect(await hook('transaction_settlement_declined', 'tx2')).toMatchObject({
      type: 'payment.failed',
      paymentRef: 'tx2',
    })
  })

  it('disputes opened, won and lost carry the dispute and the disputed transaction', async () => {
    const opened = await hook('dispute_opened', 'dp1')
    expect(opened).toMatchObject({ type: 'dispute.opened', objectRef: 'dp1', amount: 25_000n })
    expect(opened.paymentRef).toMatch(/\S/)
    expect((await hook('dispute_won', 'dp1')).type).toBe('dispute.won')
    expect((await hook('dispute_lost', 'dp1')).type).toBe('dispute.lost')
  })

  it('disbursement → payout.paid; other kinds ignored', async () => {
    expect(await hook('disbursement', 'db1')).toMatchObject({ type: 'payout.paid', objectRef: 'db1' })
    expect(await hook('subscription_went_active', 's1')).toMatchObject({
      type: 'ignored',
      vendorType: 'subscription_went_active',
    })
  })

  it("a vaulted card's new data → payment_method.updated; a Venmo account's → ignored", async () => {
    const vaulted = await gw.vaultPaymentMethod!({ paymentMethod: 'fake-valid-visa-nonce' })
    const form = server.updateCard(vaulted.token, { expMonth: 3, expYear: 2034 })
    const body = new URLSearchParams(form)
    expect(await gw.verifyWebhook(Buffer.from(body.toString()), {}, new Date())).toMatchObject({
      type: 'payment_method.updated',
      vendorType: 'payment_method_customer_data_updated',
      method: { ref: vaulted.token, expMonth: 3, expYear: 2034 },
    })
    // The SDK's own sample is a Venmo account: no card data to show, nothing to update.
    // (@types/braintree does not list this kind yet; the SDK does.)
    const kind = 'payment_method_customer_data_updated' as braintree.WebhookNotificationKind
    expect(await hook(kind, 'venmo1')).toMatchObject({ type: 'ignored' })
  })

  it('event ids are stable for the same notification and differ between subjects', async () => {
    const a = await hook('dispute_opened', 'dpA')
    const b = await hook('dispute_opened', 'dpB')
    expect(a.id).not.toBe(b.id)
    expect(a.id).toContain('dpA')
  })

  it('a notification signed with other keys is refused', async () => {
    const other = new braintree.BraintreeGateway({
      environment: braintree.Environment.Sandbox,
      merchantId: 'x',
      publicKey: server.publicKey,
      privateKey: 'another-private-key',
    })
    const sample = await other.webhookTesting.sampleNotification('transaction_settled', 'tx')
    const body = new URLSearchParams({ bt_signature: sample.bt_signature, bt_payload: sample.bt_payload })
    await expect(gw.verifyWebhook(Buffer.from(body.toString()), {}, new Date())).rejects.toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
    })
  })
})
