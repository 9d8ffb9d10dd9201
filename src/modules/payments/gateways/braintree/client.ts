/**
 * The only file that imports the `braintree` SDK. It builds the gateway (Braintree's sandbox or
 * production, or a local server speaking the same API), runs every call through `translate`, turns
 * `success: false` results into GatewayErrors, and parses webhook notifications (bt_signature /
 * bt_payload). Everything vendor-specific about failures is decided here, once.
 */
import braintree from 'braintree'
import { GatewayError, webhookSignatureInvalid, WEBHOOK_TOLERANCE_SECONDS } from '../../gateway.js'

export type BraintreeTransaction = braintree.Transaction
export type BraintreeNotification = braintree.WebhookNotification
export type BraintreeTransactionStatus = braintree.TransactionStatus

/**
 * `transaction.refund` with options: the SDK sends an object as the refund's fields (amount, order
 * id), though its type names only an amount.
 */
export function refundWithOptions(
  transactions: braintree.TransactionGateway,
  id: string,
  options: { amount: string; orderId: string },
): Promise<braintree.ValidatedResponse<BraintreeTransaction>> {
  const withOptions = transactions as unknown as {
    refund(
      id: string,
      options: { amount: string; orderId: string },
    ): Promise<braintree.ValidatedResponse<BraintreeTransaction>>
  }
  return withOptions.refund(id, options)
}

export interface BraintreeClientOptions {
  readonly merchantId: string
  readonly publicKey: string
  readonly privateKey: string
  /** sandbox (default) or production. */
  readonly environment?: 'sandbox' | 'production'
  /** e.g. http://127.0.0.1:12112 for a local server speaking Braintree's gateway API. */
  readonly apiUrl?: string
  readonly timeoutMs?: number
}

/** Transport failures where the request never left: safe to retry or fail over. */
const NOT_SENT = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/

const HTTP_FAILURES: Record<string, ['unavailable' | 'misconfigured' | 'unknown', string]> = {
  authenticationError: ['misconfigured', 'Braintree refused the API keys'],
  authorizationError: ['misconfigured', 'the Braintree API keys lack permission'],
  upgradeRequired: ['misconfigured', 'Braintree requires a newer SDK'],
  invalidKeysError: ['misconfigured', 'a parameter Braintree does not accept'],
  testOperationPerformedInProductionError: ['misconfigured', 'a testing call against production'],
  notFoundError: ['misconfigured', 'Braintree has no such object'],
  tooManyRequestsError: ['unavailable', 'rate limited by Braintree'],
  serverError: ['unavailable', 'Braintree server error'],
  serviceUnavailableError: ['unavailable', 'Braintree is unavailable'],
  gatewayTimeoutError: ['unknown', 'Braintree timed out upstream'],
  requestTimeoutError: ['unknown', 'Braintree timed out'],
}

/** Braintree exception → one of the port's failure kinds. Exported for the translation tests. */
export function translateBraintreeError(err: unknown, operation: string): GatewayError {
  if (err instanceof GatewayError) return err
  const where = `Braintree ${operation}`
  const type = (err as { type?: unknown } | undefined)?.type
  const message = err instanceof Error ? err.message : String(err)
  if (typeof type === 'string' && HTTP_FAILURES[type]) {
    const [failure, text] = HTTP_FAILURES[type]
    // A rate limit is answered before anything is done; a 5xx may have been processed.
    return new GatewayError(failure, `${where}: ${text}`, {
      vendorCode: type,
      cause: err,
      unprocessed: type === 'tooManyRequestsError',
    })
  }
  if (type === 'unexpectedError' && NOT_SENT.test(message)) {
    return new GatewayError('unavailable', `${where}: cannot reach Braintree (${message})`, {
      vendorCode: NOT_SENT.exec(message)![0],
      cause: err,
      unprocessed: true,
    })
  }
  // Timed out, connection cut, unreadable answer: Braintree may have acted on the request.
  return new GatewayError('unknown', `${where}: ${message}; outcome unknown`, {
    vendorCode: typeof type === 'string' ? type : 'unexpected',
    cause: err,
  })
}

interface FailedResult {
  readonly success: false
  readonly message?: string
  readonly transaction?: BraintreeTransaction
  readonly errors?: { deepErrors(): { code: string; attribute: string; message: string }[] }
}

/** Validation codes that mean "this gateway cannot do that", not "our request was wrong". */
const NOT_SUPPORTED_CODES = new Set(['91577', '91578', '91567', '81536'])

/** A `success: false` result → declined (processor / gateway rejection) or the validation error's kind. */
export function translateBraintreeResult(result: FailedResult, operation: string): GatewayError {
  const where = `Braintree ${operation}`
  const t = result.transaction
  if (t && ['processor_declined', 'gateway_rejected', 'settlement_declined', 'failed'].includes(t.status)) {
    const vendorCode =
      t.status === 'gateway_rejected'
        ? `gateway_rejected:${String(t.gatewayRejectionReason)}`
        : String(t.processorResponseCode)
    return new GatewayError('declined', `${where}: ${result.message ?? t.processorResponseText}`, {
      vendorCode,
    })
  }
  const first = result.errors?.deepErrors()[0]
  const vendorCode = first?.code ?? 'validation'
  const failure = NOT_SUPPORTED_CODES.has(vendorCode) ? 'not_supported' : 'misconfigured'
  return new GatewayError(
    failure,
    `${where}: Braintree refused the request: ${result.message ?? first?.message}`,
    {
      vendorCode,
    },
  )
}

export interface BraintreeClient {
  readonly sdk: braintree.BraintreeGateway
  /** Runs an SDK call; a thrown exception or a `success: false` result comes out as a GatewayError. */
  call<T>(operation: string, fn: (sdk: braintree.BraintreeGateway) => Promise<T>): Promise<T>
  /** Every item of a search stream; a failed search throws. */
  search(
    operation: string,
    fn: (sdk: braintree.BraintreeGateway) => NodeJS.ReadableStream,
  ): Promise<BraintreeTransaction[]>
  /** Verifies bt_signature over bt_payload (form body) and checks the notification's age. */
  parseNotification(rawBody: Buffer, now: Date): Promise<BraintreeNotification>
}

function environmentOf(opts: BraintreeClientOptions): braintree.Environment {
  if (opts.apiUrl) {
    const url = new URL(opts.apiUrl)
    const ssl = url.protocol === 'https:'
    const port = url.port || (ssl ? '443' : '80')
    return new braintree.Environment(url.hostname, port, opts.apiUrl, ssl, url.hostname, port)
  }
  return opts.environment === 'production' ? braintree.Environment.Production : braintree.Environment.Sandbox
}

export function createBraintreeClient(opts: BraintreeClientOptions): BraintreeClient {
  const sdk = new braintree.BraintreeGateway({
    environment: environmentOf(opts),
    merchantId: opts.merchantId,
    publicKey: opts.publicKey,
    privateKey: opts.privateKey,
  })
  ;(sdk.config as { timeout: number }).timeout = opts.timeoutMs ?? 30_000

  return {
    sdk,
    async call(operation, fn) {
      let result: unknown
      try {
        result = await fn(sdk)
      } catch (err) {
        throw translateBraintreeError(err, operation)
      }
      if (result && typeof result === 'object' && (result as { success?: unknown }).success === false)
        throw translateBraintreeResult(result as FailedResult, operation)
      return result as Awaited<ReturnType<typeof fn>>
    },
    search(operation, fn) {
      return new Promise((resolve, reject) => {
        const items: BraintreeTransaction[] = []
        let stream: NodeJS.ReadableStream
        try {
          stream = fn(sdk)
        } catch (err) {
          reject(translateBraintreeError(err, operation))
          return
        }
        stream.on('data', (t: BraintreeTransaction) => items.push(t))
        stream.on('error', (err: unknown) => reject(translateBraintreeError(err, operation)))
        stream.on('end', () => resolve(items))
      })
    },
    async parseNotification(rawBody, now) {
      const form = new URLSearchParams(rawBody.toString('utf8'))
      const signature = form.get('bt_signature')
      const payload = form.get('bt_payload')
      if (!signature || !payload) throw webhookSignatureInvalid('Missing bt_signature or bt_payload')
      let notification: BraintreeNotification
      try {
        notification = await sdk.webhookNotification.parse(signature, payload)
      } catch (err) {
        throw webhookSignatureInvalid(
          `bt_signature does not verify: ${err instanceof Error ? err.message : String(err)}`,
        )
      }
      // Braintree signs no timestamp; the notification carries one, inside the signed payload.
      const at = new Date(notification.timestamp).getTime()
      if (!Number.isFinite(at) || Math.abs(now.getTime() - at) > WEBHOOK_TOLERANCE_SECONDS * 1000)
        throw webhookSignatureInvalid('Braintree notification timestamp is outside the tolerance')
      return notification
    },
  }
}
