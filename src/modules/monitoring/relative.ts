import { DAY_MS, type MonTxn } from './monitoring.js'

/**
 * Scale-free pass-through features (session 23): "stranger episodes" of an account, kept apart
 * from features.ts's lots so that they can be read and tested on their own.
 *
 * An episode opens when money arrives from a sender new to the account (by transfer, wire or ACH;
 * not cash, not the customer's own accounts). From then on the episode adds up what the account
 * pays out to payees new to it and what it pays abroad. Features are shares of the episode's
 * inflow, counts and hours — never amounts — so a hub passing on 150,000 a round reads like a
 * student passing on 5,000, and a busy business whose ordinary payments fill the funds-tracing
 * lots first in first out (features.ts `flow_*` trace the largest lot, drained oldest first) still
 * shows the stranger's money leaving for strangers.
 *
 * Point in time: the state is updated after the transaction is evaluated (FeatureStore.apply);
 * a feature read while deciding a payment counts that payment (to a new payee) in, as `flow_*` do,
 * and nothing later.
 */

/** Episodes open at once per account; when full, the smallest (or an expired one) makes room. */
const EPISODE_MAX = 4
/** An episode is read and fed for this long after its inflow (pass-through held up to 10 days and more). */
export const EPISODE_MS = 12 * DAY_MS
/** Shares are capped here (payments to new payees after an inflow can exceed it: other money too). */
const SHARE_CAP = 2

export const RELATIVE_FIELDS = {
  /** Of the open episode that has passed on the most money of its own: its payments to new payees / its inflow (0–2). */
  rel_pass_out_share: 'double',
  /** Of the same episode: payments abroad (to anyone) / its inflow, before this payment (0–2). */
  rel_pass_abroad_share: 'double',
  /** Hours since that episode's inflow arrived (-1: no open episode). */
  rel_pass_hours: 'double',
  /** Payments to new payees in that episode, this one included. */
  rel_pass_payments: 'double',
  /** `rel_pass_out_share` minus the account's mean share over its closed episodes (its own habit). */
  rel_pass_vs_usual: 'double',
  /** That episode's inflow came from another country. */
  rel_pass_in_cross_border: 'bool',
} as const
export type RelativeField = keyof typeof RELATIVE_FIELDS
export const isRelativeField = (f: string): f is RelativeField => Object.hasOwn(RELATIVE_FIELDS, f)
/** A field's value when the account has no open episode (or no state at all). */
export const relativeNone = (f: RelativeField): number | boolean =>
  f === 'rel_pass_hours' ? -1 : f === 'rel_pass_in_cross_border' ? false : 0

export class RelativeState {
  readonly at = new Float64Array(EPISODE_MAX)
  readonly amount = new Float64Array(EPISODE_MAX)
  readonly outNew = new Float64Array(EPISODE_MAX)
  readonly abroad = new Float64Array(EPISODE_MAX)
  readonly payments = new Uint16Array(EPISODE_MAX)
  readonly cross = new Uint8Array(EPISODE_MAX)
  n = 0
  /** Closed episodes: how many, and the sum of their final shares passed to new payees (capped at 1). */
  closed = 0
  closedShare = 0

  private close(i: number): void {
    this.closed++
    this.closedShare += Math.min(1, this.outNew[i]! / this.amount[i]!)
  }

  private drop(i: number): void {
    const last = --this.n
    if (i === last) return
    this.at[i] = this.at[last]!
    this.amount[i] = this.amount[last]!
    this.outNew[i] = this.outNew[last]!
    this.abroad[i] = this.abroad[last]!
    this.payments[i] = this.payments[last]!
    this.cross[i] = this.cross[last]!
  }

  /** Closes the episodes older than EPISODE_MS at `now`. */
  expire(now: number): void {
    for (let i = this.n - 1; i >= 0; i--)
      if (now - this.at[i]! > EPISODE_MS) {
        this.close(i)
        this.drop(i)
      }
  }

  /** Money from a new sender arrived. */
  open(at: number, amount: number, crossBorder: boolean): void {
    if (amount <= 0) return
    this.expire(at)
    let i = this.n
    if (i === EPISODE_MAX) {
      let small = 0
      for (let k = 1; k < EPISODE_MAX; k++) if (this.amount[k]! < this.amount[small]!) small = k
      // a marketplace's many small new buyers do not push a large stranger's inflow out
      if (this.amount[small]! >= amount) return
      this.close(small)
      i = small
    } else this.n++
    this.at[i] = at
    this.amount[i] = amount
    this.outNew[i] = 0
    this.abroad[i] = 0
    this.payments[i] = 0
    this.cross[i] = crossBorder ? 1 : 0
  }

  /** The account paid out: counts for every episode open before it. */
  pay(at: number, amount: number, newPayee: boolean, abroad: boolean): void {
    this.expire(at)
    for (let i = 0; i < this.n; i++) {
      if (this.at[i]! >= at) continue
      if (newPayee) {
        this.outNew[i] = this.outNew[i]! + amount
        if (this.payments[i]! < 65535) this.payments[i] = this.payments[i]! + 1
      }
      if (abroad) this.abroad[i] = this.abroad[i]! + amount
    }
  }

  /** A feature at `now`; `newPaying`: the amount of the payment being decided when it goes to a new payee. */
  feature(field: RelativeField, now: number, newPaying: number): number | boolean {
    // the episode that has passed on the most of its own money (min of paid and received): a
    // marketplace's small new buyer, "passed on" 300 times over by one supplier payment, is not it
    let best = -1
    let bestPassed = -1
    let bestShare = 0
    for (let i = 0; i < this.n; i++) {
      if (now - this.at[i]! > EPISODE_MS || this.at[i]! >= now) continue
      const paid = this.outNew[i]! + newPaying
      const passed = paid < this.amount[i]! ? paid : this.amount[i]!
      if (passed > bestPassed) {
        best = i
        bestPassed = passed
        bestShare = paid / this.amount[i]!
      }
    }
    if (best < 0) return relativeNone(field)
    const share = Math.min(SHARE_CAP, bestShare)
    switch (field) {
      case 'rel_pass_out_share':
        return share
      case 'rel_pass_abroad_share':
        return Math.min(SHARE_CAP, this.abroad[best]! / this.amount[best]!)
      case 'rel_pass_hours':
        return (now - this.at[best]!) / 3_600_000
      case 'rel_pass_payments':
        return this.payments[best]! + (newPaying > 0 ? 1 : 0)
      case 'rel_pass_vs_usual':
        return share - (this.closed > 0 ? this.closedShare / this.closed : 0)
      case 'rel_pass_in_cross_border':
        return this.cross[best] === 1
    }
  }
}

const isPayment = (kind: MonTxn['kind']): boolean => kind === 'transfer' || kind === 'wire' || kind === 'ach'

/**
 * Updates both accounts' episodes for a transaction between different customers (call after it
 * was evaluated, before the counterparty lists record it). `newSender` / `newPayee`: the other
 * side had not dealt with this account in that direction before.
 */
export function noteEpisodes(
  t: MonTxn,
  amount: number,
  src: { rel: RelativeState | undefined } | undefined,
  dst: { rel: RelativeState | undefined } | undefined,
  newSender: boolean,
  newPayee: boolean,
  crossBorder: boolean,
): void {
  if (src?.rel) src.rel.pay(t.at, amount, newPayee && isPayment(t.kind), crossBorder)
  if (dst && newSender && isPayment(t.kind)) {
    dst.rel ??= new RelativeState()
    dst.rel.open(t.at, amount, crossBorder)
  }
}
