/**
 * The payment gateway port. Every adapter (sandbox, Stripe, Braintree) implements it; the shared
 * contract suite (gateway.contract.ts) runs against each. Only an adapter's `client.ts` imports a
 * vendor SDK, and vendor errors are translated there, once, into `GatewayError` kinds.
 */
import { AppError } from '../../shared/errors.js'

export type GatewayName = 'sandbox' | 'stripe' | 'braintree'

/** What an adapter can do; the service refuses (GATEWAY_NOT_SUPPORTED) instead of guessing. */
export interface GatewayCapabilities {
  readonly manualCapture: boolean
  readonly partialCapture: boolean
  /** Several partial refunds against one capture. */
  readonly multipleRefunds: boolean
  /**
   * The vendor deduplicates refunds on our idempotency key, so a refund call whose answer was lost
   * (a crash, a timeout) can be repeated safely; without it we wait for the vendor's webhook.
   */
  readonly idempotentRefunds: boolean
  readonly disputes: boolean
  readonly payouts: boolean
  /** Settled-funds records for reconciliation (balance transactions / settlement batches). */
  readonly settlements: boolean
  /** Saved payment methods (customer vault). */
  readonly vaultedMethods: boolean
  /** A client token the browser SDK needs before it can make a nonce (Braintree). */
  readonly clientToken: boolean
  readonly currencies: readonly string[] | 'any'
}

/**
 * How a gateway call failed, the small set every vendor error is translated into:
 * - declined: the payer's bank or the gateway said no; final, not retried;
 * - unavailable: network, 5xx, rate limit; retryable, routing may fail over;
 * - misconfigured: bad credentials or account setup; an operator must act;
 * - not_supported: the gateway cannot do this (capability missing);
 * - unknown: the request may or may not have taken effect (timeout after send); the payment
 *   goes to status `unknown` and the sweeper asks the gateway (`retrieve`) later.
 */
export type GatewayFailure = 'declined' | 'unavailable' | 'misconfigured' | 'not_supported' | 'unknown'

const FAILURE_CODES: Record<GatewayFailure, [string, AppError['kind']]> = {
  declined: ['PAYMENT_DECLINED', 'rejected'],
  unavailable: ['GATEWAY_UNAVAILABLE', 'unavailable'],
  misconfigured: ['GATEWAY_MISCONFIGURED', 'internal'],
  not_supported: ['GATEWAY_NOT_SUPPORTED', 'rejected'],
  unknown: ['GATEWAY_OUTCOME_UNKNOWN', 'unavailable'],
}

export class GatewayError extends AppError {
  readonly failure: GatewayFailure
  /** Vendor's own code (e.g. Stripe decline_code "insufficient_funds", Braintree processor code). */
  readonly vendorCode: string | undefined
  /**
   * True when the gateway certainly did not act on the request (the connection was refused, a rate
   * limit answered, a simulated outage): nothing can land there later, so a failover from it leaves
   * nothing to watch (ADR 0507). False when it may have (a 5xx it could have processed).
   */
  readonly unprocessed: boolean

  constructor(
    failure: GatewayFailure,
    message: string,
    opts: { vendorCode?: string; cause?: unknown; unprocessed?: boolean } = {},
  ) {
    const [code, kind] = FAILURE_CODES[failure]
    super(code, kind, message, {
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
      ...(opts.vendorCode ? { details: { vendorCode: opts.vendorCode } } : {}),
    })
    this.failure = failure
    this.vendorCode = opts.vendorCode
    this.unprocessed = opts.unprocessed ?? false
  }

  get retryable(): boolean {
    return this.failure === 'unavailable'
  }
}

export const isGatewayError = (e: unknown): e is GatewayError => e instanceof GatewayError

export interface AuthorizeInput {
  /** Our payment id (pay_…); adapters send it as vendor metadata so webhooks can be tied back. */
  readonly paymentId: string
  readonly tenantId: string
  readonly amount: bigint
  readonly currency: string
  /** Token or nonce from the client SDK, or a vaulted payment-method id. */
  readonly paymentMethod: string
  readonly capture: 'automatic' | 'manual'
  readonly customerId?: string
  /** Passed to the vendor's own idempotency mechanism where it has one (Stripe Idempotency-Key). */
  readonly idempotencyKey: string
  readonly metadata?: Readonly<Record<string, string>>
}

/** The gateway's view of a payment after a call, or when the sweeper asks. */
export interface GatewayPaymentState {
  /** The vendor's id for the payment (PaymentIntent pi_…, Braintree transaction id, sandbox ref). */
  readonly gatewayRef: string
  readonly status: 'requires_action' | 'authorized' | 'captured' | 'canceled' | 'declined' | 'processing'
  readonly amountAuthorized: bigint
  readonly amountCaptured: bigint
  readonly currency: string
  /** Gateway fee on the capture, when the vendor reports it synchronously. */
  readonly fee?: bigint
  readonly declineCode?: string
  /** Card brand and country, for routing analytics and disputes. */
  readonly card?: { readonly brand?: string; readonly country?: string; readonly last4?: string }
}

export interface RefundResult {
  readonly gatewayRef: string
  readonly status: 'succeeded' | 'pending' | 'failed'
  readonly amount: bigint
  readonly currency: string
}

export interface PayoutResult {
  readonly gatewayRef: string
  readonly status: 'pending' | 'paid' | 'failed'
  readonly amount: bigint
  readonly currency: string
}

/** Gateway webhook events, normalised. Anything else maps to `ignored` and is stored, not applied. */
export type GatewayEventType =
  | 'payment.authorized'
  | 'payment.captured'
  | 'payment.failed'
  | 'payment.canceled'
  | 'refund.succeeded'
  | 'refund.failed'
  | 'dispute.opened'
  | 'dispute.won'
  | 'dispute.lost'
  | 'payout.paid'
  | 'payout.failed'
  /** A saved payment method changed at the gateway (card updater: new expiry, replaced card). */
  | 'payment_method.updated'
  | 'ignored'

/**
 * What a card-updater event says about a saved method: only the vault token and display data (the
 * gateway keeps the card). `ref` is the token the method was saved under (to find it again); `token`
 * is the token to charge from now on when the gateway replaced it (Stripe keeps the same id).
 */
export interface GatewayMethodUpdate {
  readonly ref: string
  readonly token?: string
  readonly customerRef?: string
  readonly brand?: string
  readonly last4?: string
  readonly expMonth?: number
  readonly expYear?: number
}

export interface GatewayEvent {
  /** Vendor's event id (Stripe evt_…, Braintree: kind + subject id + timestamp); the inbox is unique on it. */
  readonly id: string
  readonly type: GatewayEventType
  /** The vendor's own event type, kept for the operator ("payment_intent.succeeded"). */
  readonly vendorType: string
  /** gatewayRef of the payment the event is about (for refunds and disputes: of the payment). */
  readonly paymentRef?: string
  /** Our payment id when the vendor echoed our metadata back. */
  readonly paymentId?: string
  /**
   * Our tenant id when the vendor echoed our metadata back. A routing hint only: the webhook inbox
   * keys the row by it and the payment is still looked up under that tenant before anything applies.
   */
  readonly tenantId?: string
  /** Vendor id of the refund, dispute or payout the event is about. */
  readonly objectRef?: string
  /** Our refund id (re_…) when the vendor echoed it back: ties a refund event to our call in flight. */
  readonly refundId?: string
  readonly amount?: bigint
  readonly currency?: string
  readonly fee?: bigint
  /** payment_method.updated: the saved method's new token / display data. */
  readonly method?: GatewayMethodUpdate
  readonly occurredAt: Date
}

/** One settled-funds record from the gateway, for reconciliation. Amounts are signed (+ in, − out). */
export interface SettlementRecord {
  /** Vendor id of the record (Stripe txn_…, Braintree transaction id within a batch). */
  readonly id: string
  readonly type: 'charge' | 'refund' | 'dispute' | 'dispute_reversal' | 'fee' | 'payout' | 'adjustment'
  /** gatewayRef of the payment, refund or payout it settles, when it has one. */
  readonly sourceRef?: string
  /** gatewayRef of the payment behind it (the charge itself, or the refunded / disputed payment). */
  readonly paymentRef?: string
  readonly amount: bigint
  readonly fee: bigint
  readonly currency: string
  readonly createdAt: Date
}

export interface DateRange {
  readonly from: Date
  readonly to: Date
}

export interface PaymentGateway {
  readonly name: GatewayName
  readonly capabilities: GatewayCapabilities
  authorize(input: AuthorizeInput): Promise<GatewayPaymentState>
  capture(
    gatewayRef: string,
    amount: bigint,
    currency: string,
    idempotencyKey: string,
  ): Promise<GatewayPaymentState>
  cancel(gatewayRef: string, idempotencyKey: string): Promise<GatewayPaymentState>
  refund(gatewayRef: string, amount: bigint, currency: string, idempotencyKey: string): Promise<RefundResult>
  /** The sweeper's question for payments in status `unknown`; by our payment id when no ref came back. */
  retrieve(ref: { gatewayRef?: string; paymentId: string }): Promise<GatewayPaymentState | undefined>
  /**
   * Pays out from the gateway balance. A repeat with the same key must pay out once (Stripe's
   * Idempotency-Key): a payout whose answer was lost is asked again by the retry or the sweeper.
   */
  payout?(amount: bigint, currency: string, idempotencyKey: string): Promise<PayoutResult>
  clientToken?(customerId?: string): Promise<string>
  /** Card brand and country a payment-method token tells before any call (for routing), if known. */
  cardOf?(paymentMethod: string): { readonly brand?: string; readonly country?: string } | undefined
  /**
   * Saves a payment method (token or nonce) in the vendor's vault (capability vaultedMethods), under
   * the given customer or a new one. authorize then takes the returned token with that customerId.
   */
  vaultPaymentMethod?(input: {
    customerId?: string
    paymentMethod: string
  }): Promise<{ readonly customerId: string; readonly token: string }>
  /** Settled-funds records in a time range. Throws (never returns []) when the fetch failed. */
  listSettlements(range: DateRange): Promise<readonly SettlementRecord[]>
  /**
   * Verifies the signature on the exact raw body and parses the event. Throws AppError
   * WEBHOOK_SIGNATURE_INVALID (kind invalid → 400) for a forged, malformed or stale signature.
   */
  verifyWebhook(
    rawBody: Buffer,
    headers: Readonly<Record<string, string | readonly string[] | undefined>>,
    now: Date,
  ): Promise<GatewayEvent>
}

/** Signatures older (or newer) than this are refused, so a captured webhook cannot be replayed later. */
export const WEBHOOK_TOLERANCE_SECONDS = 300

export const webhookSignatureInvalid = (message: string): AppError =>
  new AppError('WEBHOOK_SIGNATURE_INVALID', 'invalid', message)

/**
 * What the books say about one gateway fact: payments writes these (ledger transaction metadata
 * plus its own rows) and reconciliation matches them against `SettlementRecord`s.
 */
export interface LedgerFact {
  readonly kind: 'capture' | 'refund' | 'dispute' | 'dispute_reversal' | 'fee' | 'payout'
  readonly gateway: GatewayName
  /** The vendor id the fact is keyed on: payment ref for captures and fees, refund/dispute/payout ref. */
  readonly gatewayRef: string
  readonly paymentId?: string
  readonly ledgerTransactionId: string
  /** Signed like SettlementRecord.amount: + money in (capture, dispute won back), − money out. */
  readonly amount: bigint
  readonly currency: string
  readonly at: Date
}
