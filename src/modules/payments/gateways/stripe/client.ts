/**
 * The only file that imports the `stripe` SDK. It builds the SDK client (pointed at api.stripe.com,
 * or at a local server speaking the same protocol), runs every call through `translate`, and
 * verifies webhook signatures. Everything vendor-specific about failures is decided here, once.
 */
import Stripe from 'stripe'
import { GatewayError, webhookSignatureInvalid, WEBHOOK_TOLERANCE_SECONDS } from '../../gateway.js'

export type StripePaymentIntent = Stripe.PaymentIntent
export type StripeCharge = Stripe.Charge
export type StripeRefund = Stripe.Refund
export type StripePayout = Stripe.Payout
export type StripeBalanceTransaction = Stripe.BalanceTransaction
export type StripeDispute = Stripe.Dispute
export type StripeEvent = Stripe.Event
export type StripePaymentMethod = Stripe.PaymentMethod

export interface StripeClientOptions {
  readonly secretKey: string
  readonly webhookSecret?: string
  /** e.g. http://127.0.0.1:12111 for a local server; api.stripe.com when absent. */
  readonly apiUrl?: string
  readonly timeoutMs?: number
  /** The SDK retries 5xx / 409 / connection errors with the same idempotency key. */
  readonly maxNetworkRetries?: number
}

/** Connection failures where the request never reached Stripe: safe to retry or fail over. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

/** Stripe error → one of the port's failure kinds. Exported for the translation tests. */
export function translateStripeError(err: unknown, operation: string): GatewayError {
  if (err instanceof GatewayError) return err
  if (!(err instanceof Stripe.errors.StripeError)) {
    return new GatewayError('unknown', `Stripe ${operation}: unexpected failure; outcome unknown`, {
      cause: err,
    })
  }
  const vendorCode = err.decline_code ?? err.code ?? err.rawType ?? 'stripe_error'
  const where = `Stripe ${operation}`
  if (err instanceof Stripe.errors.StripeCardError)
    return new GatewayError('declined', `${where}: ${err.message}`, { vendorCode, cause: err })
  if (err instanceof Stripe.errors.StripeRateLimitError)
    return new GatewayError('unavailable', `${where}: rate limited`, {
      vendorCode,
      cause: err,
      unprocessed: true,
    })
  if (
    err instanceof Stripe.errors.StripeAuthenticationError ||
    err instanceof Stripe.errors.StripePermissionError
  ) {
    return new GatewayError('misconfigured', `${where}: Stripe refused the API key (${err.message})`, {
      vendorCode: `http_${err.statusCode ?? 401}`,
      cause: err,
    })
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError)
    return new GatewayError('misconfigured', `${where}: idempotency key reused with other parameters`, {
      vendorCode,
      cause: err,
    })
  if (err instanceof Stripe.errors.StripeConnectionError) {
    const code = (err.detail as { code?: unknown } | undefined)?.code
    if (typeof code === 'string' && NOT_SENT.has(code))
      return new GatewayError('unavailable', `${where}: cannot reach Stripe (${code})`, {
        vendorCode: code,
        cause: err,
        unprocessed: true,
      })
    // Timed out or cut off after the request was sent: Stripe may have acted on it.
    return new GatewayError('unknown', `${where}: no answer from Stripe (${err.message}); outcome unknown`, {
      vendorCode: typeof code === 'string' ? code : 'connection_error',
      cause: err,
    })
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    // Our request was wrong for Stripe's state or account setup; retrying will not help.
    if (err.code === 'currency_not_supported' || err.code === 'payment_method_not_available')
      return new GatewayError('not_supported', `${where}: ${err.message}`, { vendorCode, cause: err })
    return new GatewayError('misconfigured', `${where}: Stripe rejected the request: ${err.message}`, {
      vendorCode,
      cause: err,
    })
  }
  // StripeAPIError: 5xx, 409 lock timeouts, invalid JSON.
  return new GatewayError(
    'unavailable',
    `${where}: Stripe error ${err.statusCode ?? ''} ${err.message}`.trim(),
    {
      vendorCode,
      cause: err,
    },
  )
}

const header = (
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  name: string,
): string | undefined => {
  const v = headers[name] ?? headers[name.toLowerCase()]
  return typeof v === 'string' ? v : v?.[0]
}

export interface StripeClient {
  readonly sdk: Stripe
  /** Runs an SDK call; any failure comes out as a GatewayError. */
  call<T>(operation: string, fn: (sdk: Stripe) => Promise<T>): Promise<T>
  /** Verifies `Stripe-Signature` on the raw body (tolerance both ways) and parses the event. */
  verifyEvent(
    rawBody: Buffer,
    headers: Readonly<Record<string, string | readonly string[] | undefined>>,
    now: Date,
  ): StripeEvent
}

export function createStripeClient(opts: StripeClientOptions): StripeClient {
  const url = opts.apiUrl ? new URL(opts.apiUrl) : undefined
  const sdk = new Stripe(opts.secretKey, {
    maxNetworkRetries: opts.maxNetworkRetries ?? 2,
    timeout: opts.timeoutMs ?? 30_000,
    telemetry: false,
    appInfo: { name: 'moneta' },
    ...(url
      ? {
          host: url.hostname,
          port: url.port || (url.protocol === 'https:' ? 443 : 80),
          protocol: url.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  })
  return {
    sdk,
    async call(operation, fn) {
      try {
        return await fn(sdk)
      } catch (err) {
        throw translateStripeError(err, operation)
      }
    },
    verifyEvent(rawBody, headers, now) {
      if (!opts.webhookSecret)
        throw new GatewayError('misconfigured', 'Stripe webhooks need MONETA_STRIPE_WEBHOOK_SECRET')
      const signature = header(headers, 'stripe-signature')
      if (!signature) throw webhookSignatureInvalid('Missing Stripe-Signature header')
      const nowSeconds = Math.floor(now.getTime() / 1000)
      // The SDK refuses old signatures; a timestamp far in the future is refused here too.
      const t = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1])
      if (Number.isFinite(t) && t - nowSeconds > WEBHOOK_TOLERANCE_SECONDS)
        throw webhookSignatureInvalid('Stripe-Signature timestamp is in the future')
      try {
        return sdk.webhooks.constructEvent(
          rawBody,
          signature,
          opts.webhookSecret,
          WEBHOOK_TOLERANCE_SECONDS,
          undefined,
          now.getTime(), // milliseconds: the SDK divides by 1000 itself
        )
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        throw webhookSignatureInvalid(`Stripe-Signature does not verify: ${message.split('\n')[0]}`)
      }
    },
  }
}
