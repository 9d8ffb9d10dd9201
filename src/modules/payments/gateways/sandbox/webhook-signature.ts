/**
 * Sandbox webhooks on the wire: the Standard Webhooks scheme (https://www.standardwebhooks.com).
 * Headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature` (space-separated
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), keyed by a `whsec_<base64>` secret
 * (MONETA_SANDBOX_WEBHOOK_SECRET). The body is JSON in our own event vocabulary, so the sandbox's
 * parser is the identity mapping that the Stripe and Braintree adapters perform from theirs.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import { invalid } from '../../../../shared/errors.js'
import {
  webhookSignatureInvalid,
  WEBHOOK_TOLERANCE_SECONDS,
  type GatewayEvent,
  type GatewayMethodUpdate,
  type GatewayEventType,
} from '../../gateway.js'

export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>

/** The JSON body the sandbox sends. Amounts are integer strings in minor units. */
export interface SandboxWebhookBody {
  readonly id: string
  readonly type: string
  /** ISO-8601 time the event happened at the gateway. */
  readonly created: string
  readonly data: {
    readonly paymentRef?: string
    readonly paymentId?: string
    readonly tenantId?: string
    readonly objectRef?: string
    readonly refundId?: string
    readonly amount?: string
    readonly currency?: string
    readonly fee?: string
    readonly method?: GatewayMethodUpdate
  }
}

const KNOWN_TYPES: ReadonlySet<string> = new Set<GatewayEventType>([
  'payment.authorized',
  'payment.captured',
  'payment.failed',
  'payment.canceled',
  'refund.succeeded',
  'refund.failed',
  'dispute.opened',
  'dispute.won',
  'dispute.lost',
  'payout.paid',
  'payout.failed',
  'payment_method.updated',
])

// The last secret's decoded key: a process verifies thousands of deliveries a second under one
// secret, and decoding it again for each showed in the intake's profile (issue #18).
let lastSecret: string | undefined
let lastKey: KeyObject | undefined
const keyOf = (secret: string): KeyObject => {
  if (secret !== lastSecret || !lastKey) {
    lastKey = createSecretKey(Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
    lastSecret = secret
  }
  return lastKey
}

/** HMAC-SHA256 of `id.timestamp.body` under the secret, as bytes. */
const signatureBytes = (secret: string, id: string, timestamp: number, body: Buffer | string): Buffer =>
  createHmac('sha256', keyOf(secret))
    .update(`${id}.${timestamp}.`)
    .update(typeof body === 'string' ? Buffer.from(body) : body)
    .digest()

const header = (headers: WebhookHeaders, name: string): string | undefined => {
  const v = headers[name]
  return typeof v === 'string' ? v : v?.[0]
}

/** The base64 HMAC-SHA256 of `id.timestamp.body` under the secret. */
export function sandboxSignature(
  secret: string,
  id: string,
  timestamp: number,
  body: Buffer | string,
): string {
  return signatureBytes(secret, id, timestamp, body).toString('base64')
}

/** Headers for a signed sandbox webhook (what the sandbox gateway, tests and the bench send). */
export function signSandboxWebhook(
  secret: string,
  body: Buffer | string,
  opts: { id: string; at: Date },
): Record<string, string> {
  const timestamp = Math.floor(opts.at.getTime() / 1000)
  return {
    'webhook-id': opts.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${sandboxSignature(secret, opts.id, timestamp, body)}`,
  }
}

/** Serialises an event the way the sandbox gateway sends it. */
export function sandboxWebhookBody(event: GatewayEvent): string {
  const body: SandboxWebhookBody = {
    id: event.id,
    type: event.type === 'ignored' ? event.vendorType : event.type,
    created: event.occurredAt.toISOString(),
    data: {
      ...(event.paymentRef === undefined ? {} : { paymentRef: event.paymentRef }),
      ...(event.paymentId === undefined ? {} : { paymentId: event.paymentId }),
      ...(event.tenantId === undefined ? {} : { tenantId: event.tenantId }),
      ...(event.objectRef === undefined ? {} : { objectRef: event.objectRef }),
      ...(event.refundId === undefined ? {} : { refundId: event.refundId }),
      ...(event.amount === undefined ? {} : { amount: event.amount.toString() }),
      ...(event.currency === undefined ? {} : { currency: event.currency }),
      ...(event.fee === undefined ? {} : { fee: event.fee.toString() }),
      ...(event.method === undefined ? {} : { method: event.method }),
    },
  }
  return JSON.stringify(body)
}

/** Checks the signature on the exact raw bytes; throws WEBHOOK_SIGNATURE_INVALID. */
export function verifySandboxSignature(
  secret: string,
  rawBody: Buffer,
  headers: WebhookHeaders,
  now: Date,
): string {
  const id = header(headers, 'webhook-id')
  const ts = header(headers, 'webhook-timestamp')
  const sigs = header(headers, 'webhook-signature')
  if (!id || !ts || !sigs) {
    throw webhookSignatureInvalid('Missing webhook-id, webhook-timestamp or webhook-signature header.')
  }
  if (!/^[0-9]{1,12}$/.test(ts)) throw webhookSignatureInvalid('webhook-timestamp must be Unix seconds.')
  const timestamp = Number(ts)
  if (Math.abs(now.getTime() / 1000 - timestamp) > WEBHOOK_TOLERANCE_SECONDS) {
    throw webhookSignatureInvalid(
      `webhook-timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s away from the server time.`,
    )
  }
  const expected = signatureBytes(secret, id, timestamp, rawBody)
  for (const candidate of sigs.split(' ')) {
    const [version, value] = candidate.split(',', 2)
    if (version !== 'v1' || !value) continue
    const given = Buffer.from(value, 'base64')
    if (given.length === expected.length && timingSafeEqual(given, expected)) return id
  }
  throw webhookSignatureInvalid('No webhook-signature matches the body.')
}

const payloadInvalid = (why: string) =>
  invalid('WEBHOOK_PAYLOAD_INVALID', `The webhook body is signed but not a valid event: ${why}.`)

const optString = (v: unknown, name: string): string | undefined => {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v.length === 0 || v.length > 255)
    throw payloadInvalid(`${name} must be a string`)
  return v
}

const optAmount = (v: unknown, name: string): bigint | undefined => {
  const s = optString(v, name)
  if (s === undefined) return undefined
  if (!/^-?[0-9]{1,19}$/.test(s)) throw payloadInvalid(`${name} must be an integer string`)
  return BigInt(s)
}

const optMonth = (v: unknown, name: string, max: number): number | undefined => {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw payloadInvalid(`${name} must be an integer from 1 to ${max}`)
  return v
}

/** data.method of a payment_method.updated event: tokens and display data only. */
function optMethod(v: unknown): GatewayMethodUpdate | undefined {
  if (v === undefined) return undefined
  if (!v || typeof v !== 'object') throw payloadInvalid('data.method must be an object')
  const m = v as Record<string, unknown>
  const ref = optString(m.ref, 'data.method.ref')
  if (!ref) throw payloadInvalid('data.method.ref is missing')
  const last4 = optString(m.last4, 'data.method.last4')
  if (last4 !== undefined && !/^[0-9]{4}$/.test(last4))
    throw payloadInvalid('data.method.last4 must be 4 digits')
  const token = optString(m.token, 'data.method.token')
  const customerRef = optString(m.customerRef, 'data.method.customerRef')
  const brand = optString(m.brand, 'data.method.brand')
  const expMonth = optMonth(m.expMonth, 'data.method.expMonth', 12)
  const expYear = optMonth(m.expYear, 'data.method.expYear', 9999)
  return {
    ref,
    ...(token === undefined ? {} : { token }),
    ...(customerRef === undefined ? {} : { customerRef }),
    ...(brand === undefined ? {} : { brand }),
    ...(last4 === undefined ? {} : { last4 }),
    ...(expMonth === undefined ? {} : { expMonth }),
    ...(expYear === undefined ? {} : { expYear }),
  }
}

/** Parses a verified sandbox body into the normalised event. */
export function parseSandboxEvent(id: string, rawBody: Buffer): GatewayEvent {
  let body: unknown
  try {
    body = JSON.parse(rawBody.toString('utf8'))
  } catch {
    throw payloadInvalid('not JSON')
  }
  if (!body || typeof body !== 'object') throw payloadInvalid('not an object')
  const b = body as Record<string, unknown>
  if (b.id !== id) throw payloadInvalid('its id differs from the webhook-id header')
  if (typeof b.type !== 'string' || b.type.length === 0) throw payloadInvalid('type is missing')
  const occurredAt = new Date(typeof b.created === 'string' ? b.created : Number.NaN)
  if (Number.isNaN(occurredAt.getTime())) throw payloadInvalid('created must be an ISO-8601 time')
  const data = (b.data && typeof b.data === 'object' ? b.data : {}) as Record<string, unknown>
  const paymentRef = optString(data.paymentRef, 'data.paymentRef')
  const paymentId = optString(data.paymentId, 'data.paymentId')
  const tenantId = optString(data.tenantId, 'data.tenantId')
  const objectRef = optString(data.objectRef, 'data.objectRef')
  const refundId = optString(data.refundId, 'data.refundId')
  const amount = optAmount(data.amount, 'data.amount')
  const currency = optString(data.currency, 'data.currency')
  const fee = optAmount(data.fee, 'data.fee')
  const method = optMethod(data.method)
  // Built by assignment, not by conditional spreads: one object of one shape per delivery instead of
  // a dozen temporaries (the intake's profile, issue #18 session 14). Absent fields stay absent.
  const event: { -readonly [K in keyof GatewayEvent]: GatewayEvent[K] } = {
    id,
    type: KNOWN_TYPES.has(b.type) ? (b.type as GatewayEventType) : 'ignored',
    vendorType: b.type,
    occurredAt,
  }
  if (paymentRef !== undefined) event.paymentRef = paymentRef
  if (paymentId !== undefined) event.paymentId = paymentId
  if (tenantId !== undefined) event.tenantId = tenantId
  if (objectRef !== undefined) event.objectRef = objectRef
  if (refundId !== undefined) event.refundId = refundId
  if (amount !== undefined) event.amount = amount
  if (currency !== undefined) event.currency = currency
  if (fee !== undefined) event.fee = fee
  if (method !== undefined) event.method = method
  return event
}

/** The sandbox gateway's `verifyWebhook`: signature on the raw bytes first, then the body. */
export function verifySandboxWebhook(
  secret: string,
  rawBody: Buffer,
  headers: WebhookHeaders,
  now: Date,
): GatewayEvent {
  const id = verifySandboxSignature(secret, rawBody, headers, now)
  return parseSandboxEvent(id, rawBody)
}
