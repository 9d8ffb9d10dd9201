/**
 * The last `cap` events of one kind on an account (cash deposits, sizeable inflows from people,
 * inflows from companies, payments to unseen payees, outsized inflows): when, how much, and where
 * a feature needs them, the counterparty and a second time. The oldest is overwritten.
 *
 * Scans go newest first (`slot(0)` is the newest) so that a window query stops at the first event
 * older than the window. Typed arrays, allocated on the first event: most accounts never hold an
 * event of most kinds, and the engine keeps hundreds of thousands of accounts.
 */
export class EventRing {
  readonly at: Float64Array
  readonly amount: Float64Array
  /** The counterparty's interned id, when `withCounterparty`. */
  readonly cp: Int32Array | undefined
  /** A second time per event (when its counterparty was first seen), when `withSince`. */
  readonly since: Float64Array | undefined
  private head = 0
  /** Events held (at most `cap`). */
  size = 0

  constructor(
    readonly cap: number,
    withCounterparty = false,
    withSince = false,
  ) {
    this.at = new Float64Array(cap)
    this.amount = new Float64Array(cap)
    this.cp = withCounterparty ? new Int32Array(cap) : undefined
    this.since = withSince ? new Float64Array(cap) : undefined
  }

  /** The array index of the k-th newest event (k = 0: the newest). */
  slot(k: number): number {
    return (this.head - 1 - k + this.cap) % this.cap
  }

  push(at: number, amount: number, cp = 0, since = 0): void {
    const i = this.head
    this.at[i] = at
    this.amount[i] = amount
    if (this.cp) this.cp[i] = cp
    if (this.since) this.since[i] = since
    this.head = (i + 1) % this.cap
    if (this.size < this.cap) this.size++
  }

  /** Whether an event newer than the k-th newest has the same counterparty (count each counterparty once). */
  counterpartySeenNewer(k: number): boolean {
    const cp = this.cp!
    const mine = cp[this.slot(k)]!
    for (let j = 0; j < k; j++) if (cp[this.slot(j)] === mine) return true
    return false
  }

  /** How many events, or their sum, after `since`. */
  countOrSumAfter(since: number, sum: boolean): number {
    let count = 0
    let total = 0
    for (let k = 0; k < this.size; k++) {
      const i = this.slot(k)
      if (this.at[i]! <= since) break
      count++
      total += this.amount[i]!
    }
    return sum ? total : count
  }

  /** The largest amount held (any order: the window does not matter). */
  maxAmount(): number {
    let max = 0
    for (let i = 0; i < this.size; i++) if (this.amount[i]! > max) max = this.amount[i]!
    return max
  }
}
