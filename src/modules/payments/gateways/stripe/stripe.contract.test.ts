/**
 * The gateway contract against the Stripe adapter, through the official SDK: always against the local
 * server speaking Stripe's /v1 protocol; against Stripe's own test mode when STRIPE_TEST_SECRET_KEY is set.
 */
import Stripe from 'stripe'
import { randomUUID } from 'node:crypto'
import { startStripeServer } from '../../../../../test/support/vendors/stripe-server.js'
import { runGatewayContract, type ContractPayment, type SignedWebhook } from '../../gateway.contract.js'
import { createStripeGateway } from './stripe.gateway.js'

const WEBHOOK_SECRET = 'whsec_contract_' + randomUUID()

const sign = (payload: string, at: Date): SignedWebhook => ({
  rawBody: Buffer.from(payload),
  headers: {
    'stripe-signature': Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: WEBHOOK_SECRET,
      timestamp: Math.floor(at.getTime() / 1000),
    }),
  },
})

/** What Stripe would send for a captured payment when no server recorded the event (real test mode). */
const syntheticEvent = (p: ContractPayment): string =>
  JSON.stringify({
    id: `evt_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    type: 'payment_intent.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: p.gatewayRef,
        object: 'payment_intent',
        amount: Number(p.amount),
        amount_received: Number(p.amount),
        currency: p.currency.toLowerCase(),
        metadata: { paymentId: p.paymentId },
        status: 'succeeded',
      },
    },
  })

runGatewayContract({
  name: 'stripe (local server)',
  async setup() {
    const server = await startStripeServer({ slowResponseMs: 1500 })
    const apiUrl = `http://${server.host}:${server.port}`
    const options = { webhookSecret: WEBHOOK_SECRET, apiUrl, timeoutMs: 500, maxNetworkRetries: 0 }
    return {
      gateway: createStripeGateway({ secretKey: server.secretKey, ...options }),
      currency: 'USD',
      methods: {
        ok: 'pm_card_visa',
        declined: 'pm_card_chargeDeclined',
        insufficientFunds: 'pm_card_chargeDeclinedInsufficientFunds',
        requiresAction: 'pm_card_threeDSecure2Required',
        unavailable: 'pm_card_unavailable',
        timeout: 'pm_card_timeout',
      },
      declineCodes: { declined: 'generic_decline', insufficientFunds: 'insufficient_funds' },
      idempotentAuthorize: true,
      settlesImmediately: true,
      misconfigured: () => createStripeGateway({ secretKey: 'sk_test_wrong', ...options }),
      signedWebhook(_kind, payment, at) {
        const event = server.events.find(
          (e) =>
            e.type === 'payment_intent.succeeded' &&
            (e.data as { object: { id: string } }).object.id === payment.gatewayRef,
        )
        if (!event)
          throw new Error(`the server recorded no payment_intent.succeeded for ${payment.gatewayRef}`)
        return Promise.resolve(sign(JSON.stringify(event), at))
      },
      close: () => server.close(),
    }
  },
})

const realKey = process.env.STRIPE_TEST_SECRET_KEY
if (realKey) {
  runGatewayContract({
    name: 'stripe (Stripe test mode)',
    setup() {
      return Promise.resolve({
        gateway: createStripeGateway({ secretKey: realKey, webhookSecret: WEBHOOK_SECRET }),
        currency: 'USD',
        methods: {
          ok: 'pm_card_visa',
          declined: 'pm_card_chargeDeclined',
          insufficientFunds: 'pm_card_chargeDeclinedInsufficientFunds',
          requiresAction: 'pm_card_threeDSecure2Required',
        },
        declineCodes: { declined: 'generic_decline', insufficientFunds: 'insufficient_funds' },
        idempotentAuthorize: true,
        settlesImmediately: true,
        misconfigured: () => createStripeGateway({ secretKey: 'sk_test_not_a_real_key' }),
        signedWebhook: (_kind, payment, at) => Promise.resolve(sign(syntheticEvent(payment), at)),
        close: () => Promise.resolve(),
      })
    },
  })
}
