/**
 * Brute-force lockout. Failures (wrong password, wrong or replayed code) are counted per operator and per
 * source address; a counter restarts after `windowMs` without a failure. Every `threshold`-th failure in a
 * row locks the account (or address) for `baseLockMs × 2^(locks so far)`, capped at `maxLockMs`. A
 * successful sign-in (or `moneta operators unlock`) clears the counters, so the doubling is per run of
 * lockouts without a success in between.
 */
export interface LockoutPolicy {
  readonly threshold: number
  readonly windowMs: number
  readonly baseLockMs: number
  readonly maxLockMs: number
}

export const DEFAULT_OPERATOR_LOCKOUT: LockoutPolicy = {
  threshold: 10,
  windowMs: 30 * 60_000,
  baseLockMs: 30 * 60_000,
  maxLockMs: 24 * 3_600_000,
}

/**
 * Source addresses carry many people behind one NAT, so their threshold is higher by default; what they
 * stop is one machine spraying guesses across many accounts.
 */
export const DEFAULT_ADDRESS_LOCKOUT: LockoutPolicy = { ...DEFAULT_OPERATOR_LOCKOUT, threshold: 100 }

/** How long the n-th lockout in a row lasts (n = locks before this one: 0 for the first). */
export function lockDurationMs(previousLocks: number, policy: LockoutPolicy): number {
  const doublings = Math.min(previousLocks, 40)
  return Math.min(policy.baseLockMs * 2 ** doublings, policy.maxLockMs)
}

/** Whether this failure count locks (every threshold-th failure in a row). */
export const locksAt = (count: number, policy: LockoutPolicy): boolean =>
  count > 0 && count % policy.threshold === 0
