/**
 * The saved-payment-methods port: a gateway's customer vault and off-session charges, used by
 * billing for renewals. A separate port from PaymentGateway (which moves one-off payments) so that
 * each adapter declares what it can do here without touching the one-off path.
 *
 * Contract (saved-methods.contract.ts runs it against every adapter):
 * - save() exchanges what the browser produced (a nonce, a SetupIntent's PaymentMethod, a sandbox
 *   magic method) for a vault token under a gateway customer, verifying the card where the vendor
 *   can. Only the token and display data come back, never a card number.
 * - charge() charges a saved token without the customer present. It never throws for a decline:
 *   declines and authentication_required are outcomes; only unavailable/misconfigured throw
 *   GatewayError. The idempotency key is passed to the vendor where it dedupes on one.
 */
export interface SavedMethodsCapabilities {
  /** A client token the browser SDK needs first (Braintree Drop-in / hosted fields). */
  readonly clientToken: boolean
  /** A setup flow the browser confirms (Stripe SetupIntents). */
  readonly setupIntents: boolean
  /** PayPal billing agreements vaulted like cards. */
  readonly paypal: boolean
  /** Card-updater events (new expiry, replaced card) arrive by webhook. */
  readonly cardUpdater: boolean
}

export interface SavedMethod {
  readonly customerRef: string
  readonly token: string
  readonly kind: 'card' | 'paypal'
  readonly brand?: string
  readonly last4?: string
  readonly expMonth?: number
  readonly expYear?: number
  /** PayPal payer email (personal: stored encrypted). */
  readonly email?: string
}

export interface OffSessionChargeInput {
  readonly tenantId: string
  readonly customerRef: string
  readonly token: string
  readonly amount: bigint
  readonly currency: string
  readonly idempotencyKey: string
  /** Billing's time of the charge (a test clock may run ahead of the wall clock). */
  readonly at: Date
  readonly metadata?: Readonly<Record<string, string>>
}

export type OffSessionOutcome =
  | { readonly status: 'succeeded'; readonly gatewayRef: string }
  | { readonly status: 'declined'; readonly gatewayRef?: string; readonly declineCode: string }
  | { readonly status: 'requires_action'; readonly gatewayRef?: string; readonly declineCode: string }

export interface SetupSession {
  readonly customerRef: string
  /** Stripe: the SetupIntent's client_secret; Braintree: a client token. */
  readonly clientSecret: string
  readonly setupRef?: string
}

export interface SavedMethodsGateway {
  readonly name: string
  readonly capabilities: SavedMethodsCapabilities
  /** What the browser needs to collect a method (creates the gateway customer if none is given). */
  startSetup(input: { customerRef?: string; tenantId: string }): Promise<SetupSession>
  /** `at`: billing's time (a tenant's test clock may run ahead of the wall clock). */
  save(input: {
    customerRef?: string
    paymentMethod: string
    tenantId: string
    at?: Date
  }): Promise<SavedMethod>
  charge(input: OffSessionChargeInput): Promise<OffSessionOutcome>
}

/**
 * Declines worth retrying later (the money may be there tomorrow) versus declines no retry can fix
 * (a stolen card, a closed account, a customer who must authenticate). Codes are the vendors'
 * normalised decline codes (Stripe decline_code, Braintree processor response mapped by the adapter).
 */
const RETRYABLE_DECLINES = new Set([
  'insufficient_funds',
  'processing_error',
  'try_again_later',
  'issuer_not_available',
  'reenter_transaction',
  'approve_with_id',
  'card_velocity_exceeded',
  'withdrawal_count_limit_exceeded',
  'do_not_honor',
  'generic_decline',
])

export const isRetryableDecline = (code: string): boolean => RETRYABLE_DECLINES.has(code)
