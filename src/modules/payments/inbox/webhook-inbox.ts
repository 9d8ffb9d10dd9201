/**
 * The gateway webhook inbox, domain side: what a stored event looks like, how its tenant key is
 * chosen and how long a failed one waits before the next attempt. Pure; no I/O.
 */
import type { GatewayEvent, GatewayEventType, GatewayMethodUpdate, GatewayName } from '../gateway.js'

/** Rows whose event names no tenant are kept under this key until the processor resolves one. */
export const UNROUTED_TENANT = '_unrouted'

export type InboxStatus = 'pending' | 'processed' | 'dead'
export const INBOX_STATUSES: readonly InboxStatus[] = ['pending', 'processed', 'dead']

/** What applying the event did: changed a payment, was already reflected, or had nothing to change. */
export type InboxOutcome = 'applied' | 'duplicate' | 'ignored'

export interface InboxEntry {
  /** Key part: the tenant the event names (or `_unrouted`), fixed at receipt. */
  readonly tenantId: string
  readonly gateway: GatewayName
  readonly eventId: string
  readonly type: GatewayEventType
  readonly vendorType: string
  readonly paymentRef: string | undefined
  readonly paymentId: string | undefined
  readonly status: InboxStatus
  readonly outcome: InboxOutcome | undefined
  /** The tenant the event was applied for (after lookup). */
  readonly appliedTenantId: string | undefined
  readonly attempts: number
  readonly nextAttemptAt: Date
  readonly lastError: string | undefined
  readonly receivedAt: Date
  readonly processedAt: Date | undefined
}

export interface RetryPolicy {
  /** Failed attempts after which the row is dead-lettered. */
  readonly maxAttempts: number
  /** Wait after the first failure; doubles per attempt. */
  readonly baseMs: number
  /** Longest wait between two attempts. */
  readonly maxMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseMs: 2_000, maxMs: 600_000 }

/**
 * Exponential backoff with ±20 % jitter (so a burst of failures does not retry in lockstep).
 * `attempts` counts failures so far, including the one just recorded (≥ 1).
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempts: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)))
  return Math.round(exp * (0.8 + 0.4 * random()))
}

/** The tenant key of an event's row: deterministic in the event, so every redelivery lands on one key. */
export const routingTenant = (e: GatewayEvent): string =>
  e.tenantId && /^[A-Za-z0-9_-]{1,64}$/.test(e.tenantId) ? e.tenantId : UNROUTED_TENANT

/** The event as stored in the inbox (JSON: amounts as integer strings, time as ISO-8601). */
export interface StoredEvent {
  readonly id: string
  readonly type: GatewayEventType
  readonly vendorType: string
  readonly paymentRef?: string
  readonly paymentId?: string
  readonly tenantId?: string
  readonly objectRef?: string
  readonly amount?: string
  readonly currency?: string
  readonly fee?: string
  /** payment_method.updated: tokens and display data only (the vendor keeps the card). */
  readonly method?: GatewayMethodUpdate
  readonly occurredAt: string
}

/** Fields whose stored form differs from the event's (bigint → string, Date → ISO-8601). */
const CONVERTED: ReadonlySet<string> = new Set(['amount', 'fee', 'occurredAt'])

export function toStoredEvent(e: GatewayEvent): StoredEvent {
  // A copy by for-in rather than rest destructuring: once per delivery on the intake, where the
  // destructuring's generic copy showed in the profile (issue #18, session 14). Same fields.
  const out: Record<string, unknown> = {}
  for (const k in e) if (!CONVERTED.has(k)) out[k] = e[k as keyof GatewayEvent]
  out.occurredAt = e.occurredAt.toISOString()
  if (e.amount !== undefined) out.amount = e.amount.toString()
  if (e.fee !== undefined) out.fee = e.fee.toString()
  return out as unknown as StoredEvent
}

export function fromStoredEvent(s: StoredEvent): GatewayEvent {
  const { amount, fee, occurredAt, ...rest } = s
  return {
    ...rest,
    occurredAt: new Date(occurredAt),
    ...(amount === undefined ? {} : { amount: BigInt(amount) }),
    ...(fee === undefined ? {} : { fee: BigInt(fee) }),
  }
}

/** The error text kept on the row: code and message, never a stack. */
export function describeFailure(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code
    const message = (err as { message?: unknown }).message
    const text = typeof message === 'string' ? message : JSON.stringify(err)
    return (typeof code === 'string' ? `${code}: ${text}` : text).slice(0, 2000)
  }
  return String(err).slice(0, 2000)
}
