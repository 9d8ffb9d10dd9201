/**
 * Brute-force lockout. Failures (wrong password, wrong or replayed code) are counted per operator and per
 * source address. Every `threshold`-th failure in a row locks the account (or address) for
 * `baseLockMs × 2^(locks so far)`, capped at `maxLockMs`; from the `untilUnlockAfter`-th lock in a row on,
 * the lock lasts until an admin lifts it. A successful sign-in (or `moneta operators unlock`) clears an
 * operator's counters, so "in a row" means without a successful sign-in in between.
 *
 * Operators' counters never restart on their own (`windowMs` undefined): with a restart after a quiet
 * period, an attacker holding the password could send 9 codes per period forever without a lock
 * (docs/security.md, attacker success probability). Addresses do restart (shared NATs).
 */
export interface LockoutPolicy {
  readonly threshold: number
  /** A counter restarts after this long without a failure; undefined: only a success restarts it. */
  readonly windowMs: number | undefined
  readonly baseLockMs: number
  readonly maxLockMs: number
  /** From this lock in a row on, the lock lasts until an admin unlocks; undefined: never. */
  readonly untilUnlockAfter: number | undefined
}

/** "Until an admin unlocks": long enough to outlive any attacker, short enough for a Date. */
export const UNTIL_UNLOCKED_MS = 100 * 365 * 24 * 3_600_000

/**
 * 10 failures lock for 30 minutes, then 1 h, 2 h, 4 h; the 5th lock in a row holds until an admin
 * unlocks. So at most 50 guesses are ever evaluated against an account without its owner signing in:
 * with 3 valid TOTP codes in 10⁶, P(success) ≤ 50 × 3×10⁻⁶ = 0.015 %.
 */
export const DEFAULT_OPERATOR_LOCKOUT: LockoutPolicy = {
  threshold: 10,
  windowMs: undefined,
  baseLockMs: 30 * 60_000,
  maxLockMs: UNTIL_UNLOCKED_MS,
  untilUnlockAfter: 5,
}

/**
 * Source addresses carry many people behind one NAT, so their threshold is higher, their counter restarts
 * after 30 quiet minutes and their locks stop doubling at 24 h; what they stop is one machine spraying
 * guesses across many accounts.
 */
export const DEFAULT_ADDRESS_LOCKOUT: LockoutPolicy = {
  threshold: 100,
  windowMs: 30 * 60_000,
  baseLockMs: 30 * 60_000,
  maxLockMs: 24 * 3_600_000,
  untilUnlockAfter: undefined,
}

/** How long the n-th lockout in a row lasts (n = locks before this one: 0 for the first). */
export function lockDurationMs(previousLocks: number, policy: LockoutPolicy): number {
  if (policy.untilUnlockAfter !== undefined && previousLocks + 1 >= policy.untilUnlockAfter)
    return UNTIL_UNLOCKED_MS
  const doublings = Math.min(previousLocks, 40)
  return Math.min(policy.baseLockMs * 2 ** doublings, policy.maxLockMs)
}

/** Whether this failure count locks (every threshold-th failure in a row). */
export const locksAt = (count: number, policy: LockoutPolicy): boolean =>
  count > 0 && count % policy.threshold === 0
