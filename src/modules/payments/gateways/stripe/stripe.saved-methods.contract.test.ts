/**
 * The saved-methods contract against Stripe (SetupIntents, PaymentMethods on a Customer, off-session
 * PaymentIntents) through the official SDK and our local Stripe-protocol server; plus the browser
 * flow: the SetupIntent's client_secret confirmed as Stripe.js would, then saved by its id.
 */
import { expect, it } from 'vitest'
import Stripe from 'stripe'
import { startStripeServer, type StripeServer } from '../../../../../test/support/vendors/stripe-server.js'
import { runSavedMethodsContract } from '../../saved-methods.contract.js'
import { createStripeSavedMethods } from './stripe.saved-methods.js'

let server: StripeServer | undefined
const gatewayFor = (s: StripeServer) =>
  createStripeSavedMethods({
    secretKey: s.secretKey,
    apiUrl: `http://${s.host}:${s.port}`,
    timeoutMs: 5000,
    maxNetworkRetries: 0,
  })

runSavedMethodsContract({
  name: 'stripe (local server)',
  async setup() {
    server = await startStripeServer()
    return {
      gateway: gatewayFor(server),
      currency: 'USD',
      methods: { card: 'pm_card_visa', refused: 'pm_card_chargeDeclined' },
      insufficientFunds: { method: 'pm_card_insufficient_funds', amount: 1250n },
      authenticationRequired: 'pm_card_authenticationRequiredOffSession',
      close: async () => server?.close(),
    }
  },
})

it('browser flow: a SetupIntent confirmed with its client_secret is saved by id, then charged off-session', async () => {
  const s = await startStripeServer()
  try {
    const gw = gatewayFor(s)
    const setup = await gw.startSetup({ tenantId: 'ten_contract' })
    expect(setup.clientSecret).toMatch(/^seti_\w+_secret_\w+$/)
    // What Stripe.js does with the client_secret (confirmCardSetup), here through the SDK.
    const sdk = new Stripe(s.secretKey, { host: s.host, port: s.port, protocol: 'http', telemetry: false })
    const confirmed = await sdk.setupIntents.confirm(setup.setupRef!, { payment_method: 'pm_card_visa' })
    expect(confirmed.status).toBe('succeeded')
    const saved = await gw.save({ tenantId: 'ten_contract', paymentMethod: setup.setupRef! })
    expect(saved).toMatchObject({
      customerRef: setup.customerRef,
      kind: 'card',
      brand: 'visa',
      last4: '4242',
    })
    expect(saved.token).toMatch(/^pm_/)
    const key = 'contract:browser-flow'
    const charge = (k: string) =>
      gw.charge({
        tenantId: 'ten_contract',
        customerRef: saved.customerRef,
        token: saved.token,
        amount: 990n,
        currency: 'EUR',
        idempotencyKey: k,
        at: new Date(),
      })
    const first = await charge(key)
    expect(first.status).toBe('succeeded')
    // The same idempotency key is the same PaymentIntent (a resend after a crash charges once).
    expect(await charge(key)).toEqual(first)
    const pi = s.paymentIntent((first as { gatewayRef: string }).gatewayRef)
    expect(pi).toMatchObject({ customer: saved.customerRef, payment_method: saved.token, amount: 990 })
  } finally {
    await s.close()
  }
})
