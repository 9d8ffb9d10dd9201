/**
 * Picks the saved-methods adapters billing charges through: the sandbox always; Braintree when
 * configured, Stripe when configured (composition root only, like banking-providers.ts).
 */
import type { Config } from './config.js'
import {
  createBraintreeSavedMethods,
  createSandboxSavedMethods,
  createStripeSavedMethods,
  type SavedMethodsGateway,
} from './modules/payments/index.js'
import type { Clock } from './shared/clock.js'

export function createBillingGateways(config: Config, clock: Clock): SavedMethodsGateway[] {
  const gateways: SavedMethodsGateway[] = [createSandboxSavedMethods({ clock })]
  const bt = config.payments.braintree
  if (bt)
    gateways.push(
      createBraintreeSavedMethods({
        merchantId: bt.merchantId,
        publicKey: bt.publicKey,
        privateKey: bt.privateKey.reveal(),
        environment: bt.environment,
        ...(bt.apiUrl ? { apiUrl: bt.apiUrl } : {}),
      }),
    )
  const stripe = config.payments.stripe
  if (stripe)
    gateways.push(
      createStripeSavedMethods({
        secretKey: stripe.secretKey.reveal(),
        ...(stripe.apiUrl ? { apiUrl: stripe.apiUrl } : {}),
      }),
    )
  return gateways
}
