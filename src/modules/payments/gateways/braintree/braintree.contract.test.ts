/**
 * The gateway contract against the Braintree adapter, through the official SDK: always against the
 * local server speaking Braintree's gateway API; against Braintree's sandbox when
 * BRAINTREE_MERCHANT_ID, BRAINTREE_PUBLIC_KEY and BRAINTREE_PRIVATE_KEY are set.
 */
import braintree from 'braintree'
import { startBraintreeServer } from '../../../../../test/support/vendors/braintree-server.js'
import { runGatewayContract, type GatewayContractHarness } from '../../gateway.contract.js'
import { createBraintreeGateway, type BraintreeGatewayOptions } from './braintree.gateway.js'

/** The harness parts both variants share: test nonces, decline codes, SDK-made webhooks, settling. */
function harness(
  options: BraintreeGatewayOptions,
  sdk: braintree.BraintreeGateway,
  local: boolean,
  close: () => Promise<void>,
): GatewayContractHarness {
  return {
    gateway: createBraintreeGateway(options),
    currency: 'USD',
    methods: {
      ok: 'fake-valid-visa-nonce',
      declined: 'fake-processor-declined-visa-nonce',
      insufficientFunds: 'fake-valid-visa-nonce',
      ...(local ? { unavailable: 'fake-unavailable-nonce', timeout: 'fake-timeout-nonce' } : {}),
    },
    insufficientFundsAmount: 200_100n,
    declineCodes: { declined: '2000', insufficientFunds: '2001' },
    idempotentAuthorize: false,
    settlesImmediately: true,
    settle: async (id) => {
      await sdk.testing.settle(id)
    },
    misconfigured: () => createBraintreeGateway({ ...options, privateKey: 'not-the-key' }),
    async signedWebhook(_kind, payment) {
      // Braintree's own helper signs with the same keys the adapter verifies with; it dates it now.
      const sample = await sdk.webhookTesting.sampleNotification('transaction_settled', payment.gatewayRef)
      const body = new URLSearchParams({ bt_signature: sample.bt_signature, bt_payload: sample.bt_payload })
      return {
        rawBody: Buffer.from(body.toString()),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }
    },
    withoutSignature: (hook) => {
      const form = new URLSearchParams(hook.rawBody.toString())
      form.delete('bt_signature')
      return { rawBody: Buffer.from(form.toString()), headers: hook.headers }
    },
    close,
  }
}

runGatewayContract({
  name: 'braintree (local server)',
  async setup() {
    const server = await startBraintreeServer({ slowResponseMs: 1500 })
    const options = {
      merchantId: server.merchantId,
      publicKey: server.publicKey,
      privateKey: server.privateKey,
      apiUrl: server.url,
      timeoutMs: 500,
    }
    const port = String(server.port)
    const sdk = new braintree.BraintreeGateway({
      environment: new braintree.Environment('127.0.0.1', port, server.url, false, '127.0.0.1', port),
      merchantId: server.merchantId,
      publicKey: server.publicKey,
      privateKey: server.privateKey,
    })
    return harness(options, sdk, true, () => server.close())
  },
})

const {
  BRAINTREE_MERCHANT_ID: merchantId,
  BRAINTREE_PUBLIC_KEY: publicKey,
  BRAINTREE_PRIVATE_KEY: privateKey,
} = process.env
if (merchantId && publicKey && privateKey) {
  runGatewayContract({
    name: 'braintree (Braintree sandbox)',
    setup() {
      const options = { merchantId, publicKey, privateKey, environment: 'sandbox' as const }
      const sdk = new braintree.BraintreeGateway({ ...options, environment: braintree.Environment.Sandbox })
      return Promise.resolve(harness(options, sdk, false, () => Promise.resolve()))
    },
  })
}
