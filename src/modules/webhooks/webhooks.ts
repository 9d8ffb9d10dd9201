import { createHmac, randomBytes } from 'node:crypto'

/**
 * Domain of outgoing webhooks (pure): event-type filters, the retry schedule, the Standard Webhooks
 * signature and the payload envelope.
 */

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled'

export interface Endpoint {
  readonly id: string
  readonly url: string
  readonly description: string
  readonly eventTypes: readonly string[]
  readonly enabled: boolean
  readonly disabledReason: string | null
  readonly disabledAt: Date | null
  /** First failed attempt of the current failure streak (null after any success). */
  readonly failingSince: Date | null
  readonly lastSuccessAt: Date | null
  /** Until when the previous secret still signs (after a rotation). */
  readonly previousSecretExpiresAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface Attempt {
  readonly attempt: number
  readonly at: Date
  readonly statusCode: number | null
  readonly latencyMs: number
  readonly error: string | null
  /** The first RESPONSE_BODY_MAX bytes of the response body. */
  readonly responseBody: string | null
}

export interface Delivery {
  readonly id: string
  readonly endpointId: string
  readonly eventId: string
  readonly eventType: string
  readonly status: DeliveryStatus
  readonly attempts: number
  readonly nextAttemptAt: Date | null
  readonly createdAt: Date
  readonly deliveredAt: Date | null
  /** Set on a manual replay: the delivery it repeats. */
  readonly replayOf: string | null
  readonly lastAttempt: Attempt | null
}

// ---- event-type filters ----------------------------------------------------------------------

const SEGMENT = '[a-z][a-z0-9_]*'
const FILTER_RE = new RegExp(`^(\\*|${SEGMENT}(\\.${SEGMENT})*(\\.v[0-9]+)?(\\.\\*)?)$`)

/** Whether a filter is well formed: "*", an exact name, or a prefix followed by ".*". */
export const isValidFilter = (f: string): boolean => f.length <= 200 && FILTER_RE.test(f)
export const isWildcard = (f: string): boolean => f === '*' || f.endsWith('.*')

/** `payments.*` matches `payments.payment.succeeded.v1`; `*` matches everything; else exact. */
export function matchesFilter(filter: string, type: string): boolean {
  if (filter === '*') return true
  if (filter.endsWith('.*')) return type.startsWith(filter.slice(0, -1))
  return filter === type
}

export const matchesAny = (filters: readonly string[], type: string): boolean =>
  filters.some((f) => matchesFilter(f, type))

// ---- retry schedule --------------------------------------------------------------------------

/**
 * Delay before each retry (after attempt 1, 2, …): 10 attempts over about 3 days (75 h 35 min
 * of delays before jitter). After the last one fails the delivery is `failed`.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
]
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1
/** Each delay is spread by ±JITTER so endpoints recovering from an outage are not hit in lockstep. */
export const JITTER = 0.1

/**
 * When to try again after `attempts` failed attempts, or undefined when none is left.
 * `random` returns [0, 1).
 */
export function nextAttemptDelay(attempts: number, random: () => number = Math.random): number | undefined {
  const base = RETRY_DELAYS_MS[attempts - 1]
  if (base === undefined) return undefined
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()))
}

// ---- secrets and signatures (Standard Webhooks) -------------------------------------------------

export const SECRET_PREFIX = 'whsec_'

/** `whsec_` + base64 of 32 random bytes. */
export const generateSecret = (): string => SECRET_PREFIX + randomBytes(32).toString('base64')

const secretKey = (secret: string): Buffer =>
  Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64')

/** `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` keyed by the decoded secret. */
export function sign(secret: string, id: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSec}.${body}`).digest('base64')
  return `v1,${mac}`
}

/** The `webhook-signature` header: one signature per valid secret, space-separated. */
export const signatureHeader = (
  secrets: readonly string[],
  id: string,
  timestampSec: number,
  body: string,
): string => secrets.map((s) => sign(s, id, timestampSec, body)).join(' ')

/** The body sent to receivers; the event id travels as `webhook-id`. */
export const payloadBody = (type: string, at: Date, data: unknown): string =>
  JSON.stringify({ type, timestamp: at.toISOString(), data })
