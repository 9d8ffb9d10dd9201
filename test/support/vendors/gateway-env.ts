import type { BraintreeServer } from './braintree-server.js'
import type { StripeServer } from './stripe-server.js'

/** The settings that point the app's Stripe and Braintree adapters at the local vendor servers. */
export function vendorGatewayEnv(
  stripe: StripeServer,
  braintree: BraintreeServer,
  stripeWebhookSecret: string,
): Record<string, string> {
  return {
    MONETA_STRIPE_SECRET_KEY: stripe.secretKey,
    MONETA_STRIPE_WEBHOOK_SECRET: stripeWebhookSecret,
    MONETA_STRIPE_API_URL: `http://${stripe.host}:${stripe.port}`,
    MONETA_BRAINTREE_MERCHANT_ID: braintree.merchantId,
    MONETA_BRAINTREE_PUBLIC_KEY: braintree.publicKey,
    MONETA_BRAINTREE_PRIVATE_KEY: braintree.privateKey,
    MONETA_BRAINTREE_ENVIRONMENT: 'sandbox',
    MONETA_BRAINTREE_API_URL: braintree.url,
  }
}
