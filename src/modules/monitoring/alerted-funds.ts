import { DAY_MS } from './monitoring.js'

/**
 * Following the money out of an alerted account (session 40). A laundering network without a hub
 * (bipartite, layering: accounts each paying several of the next layer) shows in any one account
 * only as an ordinary inflow from someone and a payment or two on. The rules see about half of
 * such a network's accounts (docs/monitoring.md, "Session 40"); what the others share is that the
 * money came from an account the rules had just alerted on, and left again within days.
 *
 * `AlertedAccounts` remembers when each account was alerted; an inflow from an account alerted in
 * the two weeks before it is kept on the payee (`AlertedInflows`) with what the payee paid out
 * after it. The features `alerted_in_72h` and `alerted_in_passed` read them, and the rule
 * `network.passes_on_alerted_funds` fires when most of it has left again.
 */

/** An inflow counts when its sender was alerted at most this long before it. */
export const ALERTED_LOOKBACK_MS = 14 * DAY_MS
/** The features look at inflows of the last 72 hours. */
export const ALERTED_IN_WINDOW_MS = 3 * DAY_MS
/** Alert times kept per account (the newest). */
const TIMES_PER_ACCOUNT = 8
/** Inflows kept per payee (the newest). */
const INFLOWS_PER_ACCOUNT = 8

/** When each account was alerted (by any rule, or the model), newest last. */
export class AlertedAccounts {
  private readonly times = new Map<string, number[]>()

  note(account: string, at: number): void {
    let list = this.times.get(account)
    if (!list) this.times.set(account, (list = []))
    if (list.includes(at)) return
    list.push(at)
    // restarts load stored alerts in any order: keep the times sorted
    if (list.length > 1 && list[list.length - 2]! > at) list.sort((a, b) => a - b)
    if (list.length > TIMES_PER_ACCOUNT) list.shift()
  }

  /** Whether the account had been alerted at `at` or in the lookback before it. */
  alertedBefore(account: string, at: number): boolean {
    const list = this.times.get(account)
    if (!list) return false
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i]!
      if (t <= at) return t >= at - ALERTED_LOOKBACK_MS
    }
    return false
  }

  /** Forgets accounts whose last alert is older than `before` (no inflow after it can count). */
  forgetBefore(before: number): void {
    for (const [account, list] of this.times) if (list[list.length - 1]! < before) this.times.delete(account)
  }

  get size(): number {
    return this.times.size
  }
}

/** A payee's inflows from alerted accounts, each with what the payee paid out after it. */
export class AlertedInflows {
  private readonly at = new Float64Array(INFLOWS_PER_ACCOUNT)
  private readonly amount = new Float64Array(INFLOWS_PER_ACCOUNT)
  private readonly outAfter = new Float64Array(INFLOWS_PER_ACCOUNT)
  private head = 0
  private size = 0

  add(at: number, amount: number): void {
    const i = this.head
    this.at[i] = at
    this.amount[i] = amount
    this.outAfter[i] = 0
    this.head = (i + 1) % INFLOWS_PER_ACCOUNT
    if (this.size < INFLOWS_PER_ACCOUNT) this.size++
  }

  /** A payment out of the account (any rail, to another owner): passed on after every inflow held. */
  paidOut(amount: number): void {
    for (let k = 0; k < this.size; k++) this.outAfter[k] = this.outAfter[k]! + amount
  }

  /** The sum of the inflows in the window before `now`. */
  received(now: number): number {
    let sum = 0
    this.each(now, (i) => (sum += this.amount[i]!))
    return sum
  }

  /** What has been paid out since the earliest of those inflows (0 when none). */
  passed(now: number): number {
    let earliest = -1
    this.each(now, (i) => {
      if (earliest < 0 || this.at[i]! < this.at[earliest]!) earliest = i
    })
    return earliest < 0 ? 0 : this.outAfter[earliest]!
  }

  private each(now: number, f: (i: number) => void): void {
    const since = now - ALERTED_IN_WINDOW_MS
    for (let k = 0; k < this.size; k++) {
      const i = (this.head - 1 - k + INFLOWS_PER_ACCOUNT) % INFLOWS_PER_ACCOUNT
      if (this.at[i]! > since && this.at[i]! <= now) f(i)
    }
  }
}
