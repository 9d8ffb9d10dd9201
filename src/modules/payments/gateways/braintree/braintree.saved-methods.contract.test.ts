/** The saved-methods contract against Braintree's vault through the official SDK and our local server. */
import { startBraintreeServer } from '../../../../../test/support/vendors/braintree-server.js'
import { runSavedMethodsContract } from '../../saved-methods.contract.js'
import { createBraintreeSavedMethods } from './braintree.saved-methods.js'

runSavedMethodsContract({
  name: 'braintree (local server)',
  async setup() {
    const server = await startBraintreeServer()
    return {
      gateway: createBraintreeSavedMethods({
        merchantId: server.merchantId,
        publicKey: server.publicKey,
        privateKey: server.privateKey,
        apiUrl: server.url,
        timeoutMs: 5000,
      }),
      currency: 'USD',
      methods: {
        card: 'fake-valid-visa-nonce',
        paypal: 'fake-paypal-billing-agreement-nonce',
        refused: 'fake-processor-declined-visa-nonce',
      },
      // Braintree's test amounts: 2001.00 declines with processor code 2001 (Insufficient Funds).
      insufficientFunds: { method: 'fake-valid-visa-nonce', amount: 200_100n },
      close: () => server.close(),
    }
  },
})
