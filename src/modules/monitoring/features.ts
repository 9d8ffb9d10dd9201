import { CASH, DAY_MS, currencyProfile, sameOwner, type MonTxn } from './monitoring.js'
import { EventRing } from './event-ring.js'
import { AlertedAccounts, AlertedInflows } from './alerted-funds.js'
import {
  isRelativeField,
  noteEpisodes,
  RELATIVE_FIELDS,
  relativeNone,
  type RelativeState,
} from './relative.js'

/**
 * The feature store: per-entity state maintained incrementally, one transaction at a time, in
 * timestamp order. A query at time t sees only transactions applied before it, so a replay of
 * history in order is point-in-time correct (a backtest never sees the future).
 *
 * Per entity:
 *  - a ring of its most recent events (timestamp, amount, direction, round flag, counterparty),
 *    growing from 8 to RING_MAX slots: exact sliding windows while the ring covers the window;
 *  - day buckets (count, sum, max, round count per direction) for up to 181 days: the fallback
 *    for windows of a day or more when the ring no longer covers them (the window widened to whole
 *    UTC days: from the day its start falls in up to today, so it over-counts by < 1 day);
 *  - counterparties with their last-seen and first-seen times, sorted by last seen (distinct
 *    counterparties in a window is a binary search; "new" ones are those first seen in it too), at most CP_MAX per direction (the least recently seen is evicted);
 *  - running statistics of log amounts per direction (usual amount, z-score), first/last seen;
 *  - for accounts, the "origins" of money that recently flowed through them (cycle detection: each
 *    account may hold it up to 21 days, the whole cycle up to 90, up to 12 accounts);
 *  - for accounts, the recent inflows as "lots" drained first-in first-out by outflows (funds
 *    tracing: how much of a large inflow has left again, over several payments and days);
 *  - for accounts, their recent cash deposits (time, amount): structuring is judged on what was
 *    paid in cash over days, which the all-rail windows cannot separate from salaries and transfers.
 *
 * Every rail counts (transfer, wire, ACH, card, cash): money traced through a wire hop is the same
 * money. A move between two accounts of one customer (`srcCustomer === dstCustomer`) is not a
 * counterparty relationship: it records no counterparty, is never "round", drains no inflow and
 * carries no origin (a savings sweep is neither a cycle, nor fan-in, nor pass-through).
 */

export const WINDOWS = {
  '5m': 5 * 60_000,
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': DAY_MS,
  '48h': 2 * DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
  '90d': 90 * DAY_MS,
  '180d': 180 * DAY_MS,
} as const
export type WindowName = keyof typeof WINDOWS
export const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[]
/** Window lengths in ascending order (same order as WINDOW_NAMES). */
export const WINDOW_MS: readonly number[] = WINDOW_NAMES.map((w) => WINDOWS[w])

export const DIRS = ['in', 'out', 'all'] as const
export type Dir = (typeof DIRS)[number]
export const AGG_METRICS = ['count', 'sum', 'avg', 'max', 'round_count'] as const
export type AggMetric = (typeof AGG_METRICS)[number] | 'distinct' | 'new_distinct'

/** Entity slots a rule can read, with the entity kind whose store backs them. */
export const ENTITY_SLOTS = [
  'src',
  'dst',
  'src_customer',
  'dst_customer',
  'device',
  'card',
  'address',
] as const
export type EntitySlot = (typeof ENTITY_SLOTS)[number]

export const HISTORY_FIELDS = {
  history_count: 'double',
  days_since_last: 'double',
  days_since_last_in: 'double',
  days_since_last_out: 'double',
  age_days: 'double',
  usual_amount: 'double',
  amount_z: 'double',
  new_counterparty: 'bool',
  flow_in_amount: 'double',
  flow_out_share: 'double',
  flow_hours: 'double',
  flow_in_cross_border: 'bool',
  flow_out_payments: 'double',
  flow_in_prior_days: 'double',
  flow_out_new_share: 'double',
  flow_out_new_payments: 'double',
  flow_in_after: 'double',
  flow_in_new_sender: 'bool',
  flow_out_new_top_share: 'double',
  flow_out_abroad: 'bool',
  // session 52: the inflow a payment follows (the latest at least about its size) and what left to
  // new payees since it arrived, whichever money it was: a busy business's balance absorbs a wire
  // passed on within hours in the first-in-first-out reading above
  fresh_in_amount: 'double',
  fresh_hours: 'double',
  fresh_in_new_sender: 'bool',
  fresh_in_after: 'double',
  fresh_out_new_share: 'double',
  cash_in_count_7d: 'double',
  cash_in_sum_7d: 'double',
  cash_in_max_7d: 'double',
  cash_in_count_30d: 'double',
  cash_in_sum_30d: 'double',
  cash_in_max_30d: 'double',
  cash_in_usual: 'double',
  cash_in_outsized_count_7d: 'double',
  cash_in_outsized_sum_7d: 'double',
  person_in_count_7d: 'double',
  person_in_sum_7d: 'double',
  // session 51: a fortnight, so that a burst of them spread over a week and moved on days later is
  // still seen whole, and what came before it in the month (30d minus 14d) can be told apart
  person_in_count_14d: 'double',
  person_in_sum_14d: 'double',
  person_in_count_30d: 'double',
  person_in_sum_30d: 'double',
  company_in_count_7d: 'double',
  company_in_sum_7d: 'double',
  unseen_out_count_48h: 'double',
  unseen_out_sum_48h: 'double',
  unseen_out_count_7d: 'double',
  unseen_out_sum_7d: 'double',
  // session 40: money received from accounts alerted on, and how much of it left again (alerted-funds.ts)
  alerted_in_72h: 'double',
  alerted_in_passed: 'double',
  // session 41: this payment keeps a monthly rhythm with its counterparty (a rent, a savings plan)
  monthly_counterparty: 'bool',
  // round payments out of the last four weeks: a window shorter than any month, so that a monthly
  // habit (one round payment a month, to whoever) counts once, as a 30-day window counts it twice
  round_out_count_4w: 'double',
  // session 23: scale-free pass-through episodes (relative.ts)
  ...RELATIVE_FIELDS,
} as const
export type HistoryField = keyof typeof HISTORY_FIELDS
type FlowField = Extract<HistoryField, `flow_${string}`>
type FreshField = Extract<HistoryField, `fresh_${string}`>
type PersonField = Extract<HistoryField, `person_in_${string}`>

export interface WindowFeature {
  readonly kind: 'window'
  readonly dir: Dir
  readonly metric: AggMetric
  readonly window: WindowName
}
export interface HistoryFeature {
  readonly kind: 'history'
  readonly field: HistoryField
}
export type FeatureSpec = WindowFeature | HistoryFeature

/** Every declared entity feature name → its meaning. Anything else is an unknown feature. */
export const ENTITY_FEATURES: ReadonlyMap<string, FeatureSpec> = (() => {
  const m = new Map<string, FeatureSpec>()
  for (const window of WINDOW_NAMES) {
    for (const dir of DIRS) {
      for (const metric of AGG_METRICS)
        m.set(`${dir}_${metric}_${window}`, { kind: 'window', dir, metric, window })
      if (dir !== 'all') {
        m.set(`${dir}_distinct_${window}`, { kind: 'window', dir, metric: 'distinct', window })
        m.set(`${dir}_new_distinct_${window}`, { kind: 'window', dir, metric: 'new_distinct', window })
      }
    }
  }
  for (const field of Object.keys(HISTORY_FIELDS) as HistoryField[]) m.set(field, { kind: 'history', field })
  return m
})()

const RING_MAX = 64
const CP_MAX = 128
const DAY_BUCKETS = 181
const ORIGIN_MAX = 12
/**
 * How long an origin is carried (from the cycle's first payment) and how long one account may hold
 * the money before passing it on. 90 and 21 days since session 22 (30 and 10 before): cycles whose
 * accounts each held the money one to two weeks, most hops by wire or ACH, took 20 to 70 days to
 * return and escaped (tuning_rails). Amounts must still match hop by hop (ORIGIN_MIN/MAX_SHARE).
 */
export const ORIGIN_WINDOW_MS = 90 * DAY_MS
export const ORIGIN_HOP_MS = 21 * DAY_MS
/**
 * Hops an origin is carried: cycles of up to 12 accounts close (8 until session 44, when a cycle of
 * 10 accounts on tuning_cycles, closed in 38 days, escaped). Deeper origins cost nothing in memory
 * (ORIGIN_MAX slots per account either way).
 */
const ORIGIN_MAX_DEPTH = 11
/** A hop carries an origin along when it passes on at least this share of the original amount
 *  (one inflow may leave as several outflows) and at most a little more than it. */
const ORIGIN_MIN_SHARE = 0.3
const ORIGIN_MAX_SHARE = 1.05
const LOT_MAX = 16
/** With the lot ring full, neighbouring lots this small against the largest traced one are merged (addLot). */
const COALESCE_SHARE = 0.1
/** Gap to the previous payment with the same counterparty that makes a round payment a monthly standing order. */
const MONTHLY_MIN_MS = 20 * DAY_MS
const MONTHLY_MAX_MS = 40 * DAY_MS
/** `flow_in_prior_days` looks this far back before the traced inflow, for inflows at least PRIOR_SHARE of it. */
export const PRIOR_DAYS = 60
const PRIOR_MS = PRIOR_DAYS * DAY_MS
const PRIOR_SHARE = 0.3
/**
 * Non-cash inflows remembered for `flow_in_prior_days`: the last BIG_MAX that were at least BIG_USUAL
 * times the account's usual inflow when they arrived, or PRIOR_SHARE of the largest remembered (a
 * shop's many small payments and its cash takings would otherwise push a wholesaler's client wires
 * out of a short ring).
 */
const BIG_MAX = 8
const BIG_USUAL = 5
/**
 * Cash deposits remembered per account: enough for a deposit a day over the 37 days `cash_in_usual`
 * reads (the 30 days before the last week), with room for extra deposits (32 until session 21).
 */
const CASH_MAX = 64
const CASH_WINDOWS = { '7d': 7 * DAY_MS, '30d': 30 * DAY_MS } as const
/**
 * A cash deposit is outsized for the account (`cash_in_outsized_*`) at this many times its largest
 * deposit of the 30 days before the last week (`cash_in_usual`), about three times its typical one.
 * A shop's daily takings stay within their month's range; a sale day passes it once, on one day.
 */
export const CASH_OUTSIZED = 1.5
/**
 * Sizeable payments from individuals remembered per account (`person_in_*`): the last PERSON_MAX
 * non-cash inflows from a person that were at least PERSON_USUAL times the account's usual inflow
 * when they arrived. A shop's or a marketplace's customers pay it small sums; people paying a
 * business thousands each, all new to it, are gathering money through it.
 */
const PERSON_MAX = 16
const PERSON_USUAL = 10
const PERSON_WINDOWS = { '7d': 7 * DAY_MS, '14d': 14 * DAY_MS, '30d': 30 * DAY_MS } as const
/**
 * Payments at home (no border crossed) to payees the store had never seen at all (no event, as
 * anyone's counterparty), remembered per account (`unseen_out_*`): the last UNSEEN_MAX. An account
 * taken over is emptied to strangers' accounts opened for it; a shopping spree, even at shops new to
 * the customer, pays shops other customers pay too. Windows of two and seven days: bursts are spread
 * over days to stay below a 24-hour velocity rule.
 */
const UNSEEN_MAX = 32
const UNSEEN_WINDOWS = { '48h': 2 * DAY_MS, '7d': 7 * DAY_MS } as const
/**
 * Inflows from companies (a business party's account: an employer, a payroll firm) remembered per
 * account (`company_in_*_7d`): the last COMPANY_MAX. A young account paid wages by several
 * companies in a week is a worker with several jobs, not a mule collecting from victims.
 */
const COMPANY_MAX = 16
/** A payment to a payee (not a card purchase, not cash): what `flow_out_new_*` counts. */
const isPayment = (kind: MonTxn['kind']): boolean => kind === 'transfer' || kind === 'wire' || kind === 'ach'
/** A flow feature's value when no inflow is traced. */
const flowNone = (field: string): number | boolean =>
  field === 'flow_hours' || field === 'fresh_hours'
    ? -1
    : field === 'flow_in_cross_border' ||
        field === 'flow_in_new_sender' ||
        field === 'flow_out_abroad' ||
        field === 'fresh_in_new_sender'
      ? false
      : 0
/**
 * The inflow a payment follows (`fresh_*`): the latest traced one of at least this share of the
 * payment. Money passed on leaves in one payment about its size or in several smaller ones; spending
 * from a balance follows no inflow of its size.
 */
const FRESH_SHARE = 0.9
/** A pause in the whole feed longer than this starts a new watched period (FeatureStore.feedStart). */
const FEED_GAP_MS = 7 * DAY_MS
/**
 * Inflows older than this are no longer traced (and no longer drained). Fourteen days (seven until
 * session 16, ten until session 33): money held for a week or more before it is passed on is still
 * the same money, and business hubs on tuning_rails held a large foreign inflow 11-13 days before
 * sending it abroad in pieces (escaped at ten).
 */
export const FLOW_WINDOW_MS = 14 * DAY_MS
const DIR_IN = 0
const DIR_OUT = 1

function writeWindow(
  out: Float64Array,
  o: number,
  W4: number,
  ci: number,
  si: number,
  mi: number,
  ri: number,
  co: number,
  so: number,
  mo: number,
  ro: number,
): void {
  out[o] = ci
  out[o + 1] = si
  out[o + 2] = mi
  out[o + 3] = ri
  out[W4 + o] = co
  out[W4 + o + 1] = so
  out[W4 + o + 2] = mo
  out[W4 + o + 3] = ro
  out[2 * W4 + o] = ci + co
  out[2 * W4 + o + 1] = si + so
  out[2 * W4 + o + 2] = mi > mo ? mi : mo
  out[2 * W4 + o + 3] = ri + ro
}

/** Counterparty ids are interned to small integers so the hot path compares numbers. */
export class Interner {
  private readonly ids = new Map<string, number>()
  private readonly names: string[] = []
  get(id: string): number {
    let n = this.ids.get(id)
    if (n === undefined) {
      n = this.names.length
      this.ids.set(id, n)
      this.names.push(id)
    }
    return n
  }
  name(n: number): string {
    return this.names[n] ?? '?'
  }
  get size(): number {
    return this.names.length
  }
}

class CpList {
  /**
   * Interleaved (counterparty, last seen, first seen) triples, sorted by last seen: one object, one
   * cache line run. First seen is when the relationship started (as far as the list remembers: an
   * evicted counterparty starts again), which tells a recurring payer from a new one.
   */
  d = new Float64Array(12)
  n = 0
  /** Records a contact; returns true when the counterparty had not been seen (or was evicted). */
  touch(cp: number, at: number): boolean {
    const d = this.d
    let i = this.n - 1
    while (i >= 0 && d[3 * i] !== cp) i--
    const isNew = i < 0
    let first = at
    if (!isNew) {
      // move to the end (most recent); events arrive in time order, so the list stays sorted
      first = d[3 * i + 2]!
      d.copyWithin(3 * i, 3 * i + 3, 3 * this.n)
      this.n--
    } else if (this.n === CP_MAX) {
      d.copyWithin(0, 3, 3 * this.n)
      this.n--
    } else if (3 * this.n === d.length) {
      const d2 = new Float64Array(Math.min(3 * CP_MAX, d.length * 2))
      d2.set(d)
      this.d = d2
    }
    this.d[3 * this.n] = cp
    this.d[3 * this.n + 1] = at
    this.d[3 * this.n + 2] = first
    this.n++
    return isNew
  }
  has(cp: number): boolean {
    return this.lastSeen(cp) >= 0
  }
  /** When the counterparty was last seen (-1: not in the list). */
  lastSeen(cp: number): number {
    const d = this.d
    for (let i = this.n - 1; i >= 0; i--) if (d[3 * i] === cp) return d[3 * i + 1]!
    return -1
  }
  /** When the relationship with the counterparty started (-1: not in the list). */
  firstSeen(cp: number): number {
    const d = this.d
    for (let i = this.n - 1; i >= 0; i--) if (d[3 * i] === cp) return d[3 * i + 2]!
    return -1
  }
  /** Index of the first counterparty seen at or after `since`. */
  private firstSince(since: number): number {
    let lo = 0
    let hi = this.n
    const d = this.d
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (d[3 * mid + 1]! < since) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  /**
   * Merges counterparties remembered from before what this list has seen (a restart's history
   * shorter than the entity's life): one already listed keeps its last contact and takes the earlier
   * first one; the rest go in by last contact, and only the CP_MAX most recent stay, as they would
   * have in a list that had seen everything (touch evicts the least recently seen).
   */
  seed(entries: readonly CounterpartySeed[], intern: (id: string) => number): void {
    const merged: { cp: number; last: number; first: number }[] = []
    for (let i = 0; i < this.n; i++)
      merged.push({ cp: this.d[3 * i]!, last: this.d[3 * i + 1]!, first: this.d[3 * i + 2]! })
    const at = new Map(merged.map((m, i) => [m.cp, i]))
    for (const e of entries) {
      const cp = intern(e.cp)
      const i = at.get(cp)
      if (i === undefined) {
        at.set(cp, merged.length)
        merged.push({ cp, last: e.last, first: e.first })
      } else {
        const m = merged[i]!
        m.first = Math.min(m.first, e.first)
        m.last = Math.max(m.last, e.last)
      }
    }
    merged.sort((a, b) => a.last - b.last)
    const keep = merged.slice(Math.max(0, merged.length - CP_MAX))
    if (keep.length * 3 > this.d.length) this.d = new Float64Array(keep.length * 3)
    keep.forEach((m, i) => {
      this.d[3 * i] = m.cp
      this.d[3 * i + 1] = m.last
      this.d[3 * i + 2] = m.first
    })
    this.n = keep.length
  }
  /** Distinct counterparties seen at or after `since`. */
  countSince(since: number): number {
    return this.n - this.firstSince(since)
  }
  /** Of those, the ones first seen at or after `since` too (new relationships, not recurring ones). */
  countNewSince(since: number): number {
    const d = this.d
    let c = 0
    for (let i = this.firstSince(since); i < this.n; i++) if (d[3 * i + 2]! >= since) c++
    return c
  }
}

export class EntityState {
  /** Interned id of an account (its counterparty number), -1 for other entity kinds. */
  cp = -1
  // ring of recent events: (time, amount, flags) triples, flags bit0 = out, bit1 = round
  ev = new Float64Array(8 * 3)
  cap = 8
  head = 0
  size = 0
  total = 0
  // day buckets: day number and 8 numbers per day (in: count,sum,max,round; out: count,sum,max,round)
  // (typed arrays grown by doubling: a growing JS array would leave its old backing stores behind
  // in the old generation, which made full GCs slow)
  days = new Int32Array(4)
  buckets = new Float64Array(32)
  nDays = 0
  firstTs = -1
  lastTs = -1
  lastInTs = -1
  lastOutTs = -1
  // running statistics of ln(amount) per direction (Welford)
  /** Welford running statistics of ln(amount): [n, mean, M2] for incoming, then outgoing. */
  stat = new Float64Array(6)
  cpIn = new CpList()
  cpOut = new CpList()
  // origins of recent inflows: interned account, depth (hops), start amount, start time, last hop time
  oCp: Int32Array | undefined
  oDepth: Uint8Array | undefined
  oAmt: Float64Array | undefined
  oStart: Float64Array | undefined
  oLast: Float64Array | undefined
  oN = 0
  // recent inflows (lots): arrival time, amount, amount not yet drained by outflows; a ring
  lAt: Float64Array | undefined
  lAmt: Float64Array | undefined
  lLeft: Float64Array | undefined
  /** Per lot: bit0 the inflow crossed a border; bits 1+ the payments that have drained it (capped). */
  lFlags: Uint8Array | undefined
  /**
   * Per lot: the amount drained by payments to counterparties new to the account, and how many
   * such payments (each one a distinct payee: once paid, a payee is no longer new). Money passed on
   * or scattered goes to strangers; a wholesaler pays its usual suppliers, a salary its usual bills.
   */
  lNew: Float64Array | undefined
  lNewN: Uint8Array | undefined
  /** Per lot: the largest part of it one new payee took (scattering shares it out, a purchase does not). */
  lNewTop: Float64Array | undefined
  /** Per lot: 1 when its sender had never paid the account before (a stranger's money, not a salary). */
  lSrcNew: Uint8Array | undefined
  /** Per lot: 1 when part of it has already left to another country (money in transit, not spent at home). */
  lAbroad: Uint8Array | undefined
  /** Per lot: what the account paid payees new to it since the lot arrived, whichever money it was (`fresh_out_new_share`). */
  lSinceNew: Float64Array | undefined
  lHead = 0
  lN = 0
  /** Outsized non-cash inflows (BIG_MAX). */
  big: EventRing | undefined
  /** Recent cash deposits (CASH_MAX). */
  cash: EventRing | undefined
  /** Sizeable inflows from individuals, with the sender and when it was first seen (PERSON_MAX). */
  person: EventRing | undefined
  /** Inflows from companies, with the payer (COMPANY_MAX). */
  company: EventRing | undefined
  /** Payments to payees nobody had seen before (UNSEEN_MAX). */
  unseen: EventRing | undefined
  /** Inflows from accounts alerted on shortly before, with what left after each (alerted-funds.ts). */
  alertedIn: AlertedInflows | undefined
  // day-bucket aggregates of the days before `bucketCacheDay`, per (direction, window)
  bucketCache: Float64Array | undefined
  bucketCacheDay: Int32Array | undefined
  /** Stranger episodes (relative.ts), created at the first inflow from a new sender. */
  rel: RelativeState | undefined = undefined

  record(
    at: number,
    amount: number,
    out: boolean,
    roundAmount: boolean,
    cp: number,
    lnAmount = Math.log(amount > 1 ? amount : 1),
  ): void {
    // A round payment to (or from) a counterparty last dealt with 20–40 days ago is a monthly
    // standing order (a rent, a savings plan, a landlord's own rent): not counted as round, so
    // that `round_count` measures round amounts outside a monthly rhythm.
    const round = roundAmount && !this.monthlyWith(cp, at, out)
    // ring
    if (this.size === this.cap && this.size < RING_MAX) this.grow()
    const cap = this.cap
    const ev = this.ev
    const h = this.head * 3
    ev[h] = at
    ev[h + 1] = amount
    ev[h + 2] = (out ? 1 : 0) | (round ? 2 : 0)
    this.head = this.head + 1 === cap ? 0 : this.head + 1
    if (this.size < cap) this.size++
    this.total++
    // day buckets
    const day = Math.floor(at / DAY_MS)
    let last = this.nDays - 1
    if (last < 0 || this.days[last] !== day) {
      if (this.nDays > 0 && this.days[0]! <= day - DAY_BUCKETS) {
        let drop = 0
        while (drop < this.nDays && this.days[drop]! <= day - DAY_BUCKETS) drop++
        this.days.copyWithin(0, drop, this.nDays)
        this.buckets.copyWithin(0, drop * 8, this.nDays * 8)
        this.nDays -= drop
      }
      if (this.nDays === this.days.length) {
        const days = new Int32Array(this.days.length * 2)
        days.set(this.days)
        const buckets = new Float64Array(days.length * 8)
        buckets.set(this.buckets)
        this.days = days
        this.buckets = buckets
      }
      this.days[this.nDays] = day
      this.buckets.fill(0, this.nDays * 8, this.nDays * 8 + 8)
      last = this.nDays++
    }
    const b = last * 8 + (out ? 4 : 0)
    const bk = this.buckets
    bk[b] = bk[b]! + 1
    bk[b + 1] = bk[b + 1]! + amount
    if (amount > bk[b + 2]!) bk[b + 2] = amount
    if (round) bk[b + 3] = bk[b + 3]! + 1
    // history
    if (this.firstTs < 0) this.firstTs = at
    this.lastTs = at
    const d = out ? DIR_OUT : DIR_IN
    if (out) this.lastOutTs = at
    else this.lastInTs = at
    const x = lnAmount
    const st = this.stat
    const k = d * 3
    const n = st[k]! + 1
    const delta = x - st[k + 1]!
    const mean = st[k + 1]! + delta / n
    st[k] = n
    st[k + 1] = mean
    st[k + 2] = st[k + 2]! + delta * (x - mean)
    if (cp >= 0) (out ? this.cpOut : this.cpIn).touch(cp, at)
  }

  /**
   * Merges ln(amount) statistics of events this state has not seen (Chan et al.'s pairwise
   * combination of Welford's n, mean and M2): seeded before a replay, the replay continues from them.
   */
  seedStat(dir: 'in' | 'out', n: number, mean: number, m2: number): void {
    if (!(n > 0)) return
    const st = this.stat
    const k = (dir === 'out' ? DIR_OUT : DIR_IN) * 3
    const na = st[k]!
    const total = na + n
    const delta = mean - st[k + 1]!
    st[k + 1] = na === 0 ? mean : st[k + 1]! + (delta * n) / total
    st[k + 2] = na === 0 ? m2 : st[k + 2]! + m2 + (delta * delta * na * n) / total
    st[k] = total
  }

  private grow(): void {
    const cap = this.cap
    const next = Math.min(RING_MAX, cap * 2)
    const ev = new Float64Array(next * 3)
    // unroll into chronological order
    for (let i = 0; i < this.size; i++) {
      const j = (this.head - this.size + i + cap) % cap
      ev[i * 3] = this.ev[j * 3]!
      ev[i * 3 + 1] = this.ev[j * 3 + 1]!
      ev[i * 3 + 2] = this.ev[j * 3 + 2]!
    }
    this.ev = ev
    this.cap = next
    this.head = this.size % next
  }

  /**
   * Aggregates over every window at once, both directions in one backward pass over the ring
   * (windows are nested), up to window index wMax. Layout of `out`: direction d (0 in, 1 out,
   * 2 all) and window k → count, sum, max, round count at (d × windows + k) × 4.
   */
  aggregateAll(now: number, out: Float64Array, wMax = WINDOW_MS.length - 1): void {
    const W4 = WINDOW_MS.length * 4
    let ci = 0
    let si = 0
    let mi = 0
    let ri = 0
    let co = 0
    let so = 0
    let mo = 0
    let ro = 0
    const cap = this.cap
    const ev = this.ev
    let w = 0
    let boundary = now - WINDOW_MS[0]!
    let idx = this.head
    let i = 0
    for (; i < this.size; i++) {
      idx = idx === 0 ? cap - 1 : idx - 1
      const t = ev[idx * 3]!
      while (t <= boundary) {
        writeWindow(out, w * 4, W4, ci, si, mi, ri, co, so, mo, ro)
        w++
        if (w > wMax) return
        boundary = now - WINDOW_MS[w]!
      }
      const a = ev[idx * 3 + 1]!
      const f = ev[idx * 3 + 2]!
      if (f & 1) {
        co++
        so += a
        if (a > mo) mo = a
        if (f & 2) ro++
      } else {
        ci++
        si += a
        if (a > mi) mi = a
        if (f & 2) ri++
      }
    }
    // the ring ran out before the remaining windows did: exact only if nothing was ever evicted;
    // sub-day windows beyond the ring are a lower bound (a velocity rule saturates anyway)
    const exact = this.total === this.size
    for (; w <= wMax && (exact || WINDOW_MS[w]! < DAY_MS); w++)
      writeWindow(out, w * 4, W4, ci, si, mi, ri, co, so, mo, ro)
    if (w <= wMax) {
      this.fromBuckets(now, 'in', out, 0, w, wMax)
      this.fromBuckets(now, 'out', out, W4, w, wMax)
      this.fromBuckets(now, 'all', out, 2 * W4, w, wMax)
    }
  }

  /**
   * Day-bucket aggregates for windows w0..wMax: each window widened to whole UTC days, from the
   * day its start falls in up to today (never fewer events than the window). The part before
   * today cannot change any more (events arrive in time order), so it is cached per UTC day:
   * a busy entity pays for the scan once a day, then only adds today's bucket.
   */
  private fromBuckets(
    now: number,
    dir: Dir,
    out: Float64Array,
    base: number,
    w0: number,
    wMax: number,
  ): void {
    const today = Math.floor(now / DAY_MS)
    const d = dir === 'in' ? 0 : dir === 'out' ? 1 : 2
    const days = this.days
    const bk = this.buckets
    const cache = (this.bucketCache ??= new Float64Array(3 * WINDOW_MS.length * 4))
    const cacheDay = (this.bucketCacheDay ??= new Int32Array(3 * WINDOW_MS.length).fill(-1))
    const last = this.nDays - 1
    const hasToday = last >= 0 && days[last] === today
    for (let w = w0; w <= wMax; w++) {
      const key = d * WINDOW_MS.length + w
      const c = key * 4
      if (cacheDay[key] !== today) {
        const firstDay = Math.floor((now - WINDOW_MS[w]!) / DAY_MS)
        let count = 0
        let sum = 0
        let max = 0
        let round = 0
        for (let k = hasToday ? last - 1 : last; k >= 0 && days[k]! >= firstDay; k--) {
          for (let side = 0; side < 2; side++) {
            if (d !== 2 && side !== d) continue
            const b = k * 8 + side * 4
            count += bk[b]!
            sum += bk[b + 1]!
            if (bk[b + 2]! > max) max = bk[b + 2]!
            round += bk[b + 3]!
          }
        }
        cache[c] = count
        cache[c + 1] = sum
        cache[c + 2] = max
        cache[c + 3] = round
        cacheDay[key] = today
      }
      let count = cache[c]!
      let sum = cache[c + 1]!
      let max = cache[c + 2]!
      let round = cache[c + 3]!
      if (hasToday) {
        for (let side = 0; side < 2; side++) {
          if (d !== 2 && side !== d) continue
          const b = last * 8 + side * 4
          count += bk[b]!
          sum += bk[b + 1]!
          if (bk[b + 2]! > max) max = bk[b + 2]!
          round += bk[b + 3]!
        }
      }
      const o = base + w * 4
      out[o] = count
      out[o + 1] = sum
      out[o + 2] = max
      out[o + 3] = round
    }
  }

  distinct(now: number, windowMs: number, dir: Dir): number {
    const since = now - windowMs
    if (dir === 'in') return this.cpIn.countSince(since + 1e-9)
    if (dir === 'out') return this.cpOut.countSince(since + 1e-9)
    return this.cpIn.countSince(since + 1e-9) + this.cpOut.countSince(since + 1e-9)
  }

  /** Distinct counterparties of the window whose relationship also started in it. */
  newDistinct(now: number, windowMs: number, dir: Dir): number {
    const since = now - windowMs + 1e-9
    if (dir === 'in') return this.cpIn.countNewSince(since)
    if (dir === 'out') return this.cpOut.countNewSince(since)
    return this.cpIn.countNewSince(since) + this.cpOut.countNewSince(since)
  }

  history(field: HistoryField, now: number, out: boolean, amount: number, cp: number): number | boolean {
    if (isRelativeField(field)) {
      if (!this.rel) return relativeNone(field)
      return this.rel.feature(field, now, out && cp >= 0 && !this.cpOut.has(cp) ? amount : 0)
    }
    switch (field) {
      case 'history_count':
        return this.total
      case 'days_since_last':
        return this.lastTs < 0 ? -1 : (now - this.lastTs) / DAY_MS
      case 'days_since_last_in':
        return this.lastInTs < 0 ? -1 : (now - this.lastInTs) / DAY_MS
      case 'days_since_last_out':
        return this.lastOutTs < 0 ? -1 : (now - this.lastOutTs) / DAY_MS
      case 'age_days':
        return this.firstTs < 0 ? -1 : (now - this.firstTs) / DAY_MS
      case 'usual_amount': {
        const d = out ? DIR_OUT : DIR_IN
        return this.stat[d * 3]! === 0 ? 0 : Math.exp(this.stat[d * 3 + 1]!)
      }
      case 'amount_z': {
        const d = out ? DIR_OUT : DIR_IN
        const n = this.stat[d * 3]!
        if (n < 5) return 0
        const sd = Math.sqrt(this.stat[d * 3 + 2]! / (n - 1))
        return (Math.log(amount > 1 ? amount : 1) - this.stat[d * 3 + 1]!) / (sd < 0.1 ? 0.1 : sd)
      }
      case 'new_counterparty':
        return cp < 0 ? false : !(out ? this.cpOut : this.cpIn).has(cp)
      case 'monthly_counterparty':
        return this.monthlyWith(cp, now, out)
      case 'round_out_count_4w':
        return this.roundOutSince(now, 27)
      case 'flow_in_amount':
      case 'flow_out_share':
      case 'flow_hours':
      case 'flow_in_cross_border':
      case 'flow_out_payments':
      case 'flow_in_prior_days':
      case 'flow_out_new_share':
      case 'flow_out_new_payments':
      case 'flow_in_after':
      case 'flow_in_new_sender':
      case 'flow_out_new_top_share':
      case 'flow_out_abroad':
        return this.flow(field, now, out && cp >= 0 ? amount : 0, out && cp >= 0 && !this.cpOut.has(cp))
      case 'fresh_in_amount':
      case 'fresh_hours':
      case 'fresh_in_new_sender':
      case 'fresh_in_after':
      case 'fresh_out_new_share':
        return this.fresh(field, now, out && cp >= 0 ? amount : 0, out && cp >= 0 && !this.cpOut.has(cp))
      case 'cash_in_count_7d':
      case 'cash_in_sum_7d':
      case 'cash_in_max_7d':
      case 'cash_in_count_30d':
      case 'cash_in_sum_30d':
      case 'cash_in_max_30d':
        return this.cashIn(field, now)
      case 'cash_in_usual':
        return this.cashUsual(now)
      case 'cash_in_outsized_count_7d':
      case 'cash_in_outsized_sum_7d':
        return this.cashOutsized(field === 'cash_in_outsized_sum_7d', now)
      case 'person_in_count_7d':
      case 'person_in_sum_7d':
      case 'person_in_count_14d':
      case 'person_in_sum_14d':
      case 'person_in_count_30d':
      case 'person_in_sum_30d':
        return this.personIn(field, now)
      case 'company_in_count_7d':
      case 'company_in_sum_7d':
        return this.companyIn(field === 'company_in_sum_7d', now)
      case 'unseen_out_count_48h':
      case 'unseen_out_sum_48h':
      case 'unseen_out_count_7d':
      case 'unseen_out_sum_7d':
        return this.unseenOut(field, now)
      case 'alerted_in_72h':
        return this.alertedIn ? this.alertedIn.received(now) : 0
      case 'alerted_in_passed':
        return this.alertedIn ? this.alertedIn.passed(now) : 0
    }
  }

  /**
   * Whether a payment to (or from) counterparty `cp` at `at` keeps a monthly rhythm: the account last
   * dealt with it in that direction 20–40 days before. Such a payment is a standing order (a rent, a
   * savings plan, a landlord's own rent), never a "round amount" pattern.
   */
  monthlyWith(cp: number, at: number, out: boolean): boolean {
    if (cp < 0) return false
    const last = (out ? this.cpOut : this.cpIn).lastSeen(cp)
    return last >= 0 && at - last >= MONTHLY_MIN_MS && at - last <= MONTHLY_MAX_MS
  }

  /**
   * Round payments out (standing orders left out) from `days` days before `now`'s day to `now`: day
   * buckets, as the windows (27 → 28 calendar days, fewer than any month has).
   */
  roundOutSince(now: number, days: number): number {
    const first = Math.floor(now / DAY_MS) - days
    let n = 0
    for (let k = this.nDays - 1; k >= 0 && this.days[k]! >= first; k--) n += this.buckets[k * 8 + 7]!
    return n
  }

  /** Payments (before this transaction) in the window to payees nobody had seen when paid: how many, or their sum. */
  unseenOut(field: `unseen_out_${'count' | 'sum'}_${keyof typeof UNSEEN_WINDOWS}`, now: number): number {
    const since = now - UNSEEN_WINDOWS[field.endsWith('48h') ? '48h' : '7d']
    return this.unseen ? this.unseen.countOrSumAfter(since, field.startsWith('unseen_out_sum')) : 0
  }

  /** A payment to a payee the store had never seen (its first event is this payment). */
  noteUnseenPayee(at: number, amount: number): void {
    ;(this.unseen ??= new EventRing(UNSEEN_MAX)).push(at, amount)
  }

  /** Distinct companies that paid the account in the last 7 days (before this transaction), or what they paid. */
  companyIn(sum: boolean, now: number): number {
    const since = now - CASH_WINDOWS['7d']
    const r = this.company
    let count = 0
    let total = 0
    for (let k = 0; r && k < r.size; k++) {
      const i = r.slot(k)
      if (r.at[i]! <= since) break
      total += r.amount[i]!
      if (!r.counterpartySeenNewer(k)) count++
    }
    return sum ? total : count
  }

  /** A non-cash inflow from a company's account. */
  noteCompanyInflow(at: number, amount: number, cp: number): void {
    ;(this.company ??= new EventRing(COMPANY_MAX, true)).push(at, amount, cp)
  }

  /**
   * Sizeable inflows from individuals in the window whose relationship with the account also
   * started in it (a regular client paying a large invoice every month is not new): the distinct
   * senders (`count`) or the sum of those payments (`sum`).
   */
  personIn(field: PersonField, now: number): number {
    const since = now - PERSON_WINDOWS[field.slice(field.lastIndexOf('_') + 1) as keyof typeof PERSON_WINDOWS]
    const sum = field.startsWith('person_in_sum')
    const r = this.person
    let count = 0
    let total = 0
    for (let k = 0; r && k < r.size; k++) {
      const i = r.slot(k)
      if (r.at[i]! <= since) break
      if (r.since![i]! <= since) continue
      total += r.amount[i]!
      // distinct senders: counted at their most recent payment only
      if (!r.counterpartySeenNewer(k)) count++
    }
    return sum ? total : count
  }

  /** A non-cash inflow from an individual (before it is recorded): remembered when sizeable for this account. */
  notePersonInflow(at: number, amount: number, cp: number): void {
    if (this.stat[0]! >= 5 && amount < PERSON_USUAL * Math.exp(this.stat[1]!)) return
    const first = this.cpIn.firstSeen(cp)
    ;(this.person ??= new EventRing(PERSON_MAX, true, true)).push(at, amount, cp, first < 0 ? at : first)
  }

  /** Count, sum or largest of the cash deposits in the window (before the current transaction). */
  cashIn(field: `cash_in_${'count' | 'sum' | 'max'}_${keyof typeof CASH_WINDOWS}`, now: number): number {
    const since = now - CASH_WINDOWS[field.endsWith('7d') ? '7d' : '30d']
    const metric = field.slice(8, field.lastIndexOf('_'))
    const r = this.cash
    let count = 0
    let sum = 0
    let max = 0
    for (let k = 0; r && k < r.size; k++) {
      const i = r.slot(k)
      if (r.at[i]! <= since) break
      const a = r.amount[i]!
      count++
      sum += a
      if (a > max) max = a
    }
    return metric === 'count' ? count : metric === 'sum' ? sum : max
  }

  /**
   * The account's largest cash deposit in the 30 days before the last 7 (0 when it made none then:
   * any deposit is outside its history). The week's own deposits are left out, so that a burst of
   * them does not become the account's usual.
   */
  cashUsual(now: number): number {
    const to = now - CASH_WINDOWS['7d']
    const since = to - CASH_WINDOWS['30d']
    const r = this.cash
    let max = 0
    for (let k = 0; r && k < r.size; k++) {
      const i = r.slot(k)
      const t = r.at[i]!
      if (t <= since) break
      if (t <= to && r.amount[i]! > max) max = r.amount[i]!
    }
    return max
  }

  /** Count (or sum) of the cash deposits in the last 7 days of at least CASH_OUTSIZED × `cash_in_usual`. */
  cashOutsized(sum: boolean, now: number): number {
    const r = this.cash
    if (!r) return 0
    const floor = CASH_OUTSIZED * this.cashUsual(now)
    const since = now - CASH_WINDOWS['7d']
    let count = 0
    let total = 0
    for (let k = 0; k < r.size; k++) {
      const i = r.slot(k)
      if (r.at[i]! <= since) break
      const a = r.amount[i]!
      if (a < floor) continue
      count++
      total += a
    }
    return sum ? total : count
  }

  /** A cash deposit to this account (remembered for the cash windows, oldest dropped). */
  addCash(at: number, amount: number): void {
    ;(this.cash ??= new EventRing(CASH_MAX)).push(at, amount)
  }

  /**
   * Funds tracing over the largest inflow received in the last 14 days (`flow_in_amount`,
   * FLOW_WINDOW_MS): the share of it that has left again, first in first out, counting this payment
   * when the entity pays it (`flow_out_share`, 0–1), and the hours since it arrived (`flow_hours`,
   * -1 if none);
   * whether it came from another country (`flow_in_cross_border`), how many payments it has left
   * in, this one included when it reaches it (`flow_out_payments`), and how many non-cash inflows
   * of at least 30 % its size the account received in the 60 days before it (`flow_in_prior_days`:
   * 0 = an inflow unlike anything before, not a wholesaler's routine client payment).
   */
  flow(field: FlowField, now: number, paying: number, newPayee = false): number | boolean {
    const n = this.lN
    if (n === 0) return flowNone(field)
    const at = this.lAt!
    const amt = this.lAmt!
    const left = this.lLeft!
    // FIFO: the part of this payment not covered by older lots reaches lot i
    let best = -1
    let reach = paying
    let bestShare = 0
    let bestTake = 0
    for (let k = 0; k < n; k++) {
      const i = (this.lHead - n + k + LOT_MAX) % LOT_MAX
      const l = left[i]!
      const take = reach < l ? reach : l
      if (now - at[i]! <= FLOW_WINDOW_MS && (best < 0 || amt[i]! > amt[best]!)) {
        best = i
        bestShare = (amt[i]! - l + take) / amt[i]!
        bestTake = take
      }
      if (now - at[i]! <= FLOW_WINDOW_MS) reach -= take
    }
    if (best < 0) return flowNone(field)
    switch (field) {
      case 'flow_in_amount':
        return amt[best]!
      case 'flow_hours':
        return (now - at[best]!) / 3_600_000
      case 'flow_out_share':
        return bestShare
      case 'flow_in_cross_border':
        return (this.lFlags![best]! & 1) === 1
      case 'flow_out_payments':
        return (this.lFlags![best]! >> 1) + (bestTake > 0 ? 1 : 0)
      case 'flow_in_prior_days':
        return this.priorDays(at[best]!, amt[best]!)
      case 'flow_out_new_share':
        return (this.lNew![best]! + (newPayee ? bestTake : 0)) / amt[best]!
      case 'flow_out_new_payments':
        return this.lNewN![best]! + (newPayee && bestTake > 0 ? 1 : 0)
      case 'flow_out_new_top_share': {
        const top = this.lNewTop![best]!
        return (newPayee && bestTake > top ? bestTake : top) / amt[best]!
      }
      case 'flow_in_new_sender':
        return this.lSrcNew![best]! === 1
      case 'flow_out_abroad':
        return this.lAbroad![best]! === 1
      case 'flow_in_after':
        return this.inflowsAfter(best)
    }
  }

  /**
   * The inflow this payment (`paying`, 0 when the entity is not paying) follows: the latest traced
   * one of at least FRESH_SHARE of it. Its amount, hours since it arrived, whether it came from a
   * sender new to the account, the comparable inflows after it, and the share of it that payees
   * new to the account were paid since it arrived, this payment included when it goes to one
   * (`fresh_out_new_share`).
   */
  fresh(field: FreshField, now: number, paying: number, newPayee: boolean): number | boolean {
    const n = this.lN
    if (n === 0 || paying <= 0) return flowNone(field)
    const at = this.lAt!
    const amt = this.lAmt!
    let lot = -1
    for (let k = n - 1; k >= 0 && lot < 0; k--) {
      const i = (this.lHead - n + k + LOT_MAX) % LOT_MAX
      if (now - at[i]! > FLOW_WINDOW_MS) break
      if (amt[i]! >= FRESH_SHARE * paying) lot = i
    }
    if (lot < 0) return flowNone(field)
    switch (field) {
      case 'fresh_in_amount':
        return amt[lot]!
      case 'fresh_hours':
        return (now - at[lot]!) / 3_600_000
      case 'fresh_in_new_sender':
        return this.lSrcNew![lot]! === 1
      case 'fresh_in_after':
        return this.inflowsAfter(lot)
      case 'fresh_out_new_share':
        return (this.lSinceNew![lot]! + (newPayee ? paying : 0)) / amt[lot]!
    }
  }

  /**
   * Inflows of a comparable size that arrived after lot `lot`: an outflow now is as likely theirs
   * (a wholesaler's next client payment), FIFO notwithstanding.
   */
  private inflowsAfter(lot: number): number {
    const n = this.lN
    const at = this.lAt!
    const amt = this.lAmt!
    let c = 0
    for (let k = 0; k < n; k++) {
      const i = (this.lHead - n + k + LOT_MAX) % LOT_MAX
      if (at[i]! > at[lot]! && amt[i]! >= PRIOR_SHARE * amt[lot]!) c++
    }
    return c
  }

  /** Outsized non-cash inflows in the PRIOR_MS before `at` of at least PRIOR_SHARE × `amount`. */
  private priorDays(at: number, amount: number): number {
    const r = this.big
    let c = 0
    for (let k = 0; r && k < r.size; k++) {
      const i = r.slot(k)
      const t = r.at[i]!
      if (t >= at) continue
      if (t < at - PRIOR_MS) break
      if (r.amount[i]! >= PRIOR_SHARE * amount) c++
    }
    return c
  }

  /** A non-cash inflow from someone else: remembered when outsized for this account (before it is recorded). */
  noteInflow(at: number, amount: number): void {
    // outsized for the account, or comparable to one remembered (an employer whose inflows are all
    // large client wires: none is outsized against its usual, each is like the last)
    if (this.stat[0]! >= 5 && amount < BIG_USUAL * Math.exp(this.stat[1]!)) {
      if (!this.big || amount < PRIOR_SHARE * this.big.maxAmount()) return
    }
    ;(this.big ??= new EventRing(BIG_MAX)).push(at, amount)
  }

  /** An inflow to trace (an account receiving from someone else). */
  addLot(at: number, amount: number, crossBorder = false, newSender = false): void {
    if (!this.lAt) {
      this.lAt = new Float64Array(LOT_MAX)
      this.lAmt = new Float64Array(LOT_MAX)
      this.lLeft = new Float64Array(LOT_MAX)
      this.lFlags = new Uint8Array(LOT_MAX)
      this.lNew = new Float64Array(LOT_MAX)
      this.lNewN = new Uint8Array(LOT_MAX)
      this.lNewTop = new Float64Array(LOT_MAX)
      this.lSrcNew = new Uint8Array(LOT_MAX)
      this.lAbroad = new Uint8Array(LOT_MAX)
      this.lSinceNew = new Float64Array(LOT_MAX)
    }
    if (this.lN === LOT_MAX) this.makeRoom(at)
    const i = this.lHead
    this.lAt[i] = at
    this.lAmt![i] = amount
    this.lLeft![i] = amount
    this.lFlags![i] = crossBorder ? 1 : 0
    this.lNew![i] = 0
    this.lNewN![i] = 0
    this.lNewTop![i] = 0
    this.lSrcNew![i] = newSender ? 1 : 0
    this.lAbroad![i] = 0
    this.lSinceNew![i] = 0
    this.lHead = (i + 1) % LOT_MAX
    if (this.lN < LOT_MAX) this.lN++
  }

  /**
   * With the ring full, the oldest lot is about to be dropped. When it is a large inflow still
   * traced, two neighbouring small lots (each below COALESCE_SHARE of the largest traced) are merged
   * instead, so a shop's or a busy account's many small receipts do not push a large inflow out
   * of the ring within a day or two, before it has been passed on. The merged money keeps its place
   * in the queue and still absorbs outflows first in first out.
   */
  private makeRoom(at: number): void {
    const lot = (p: number): number => (this.lHead + p) % LOT_MAX
    let max = 0
    for (let i = 0; i < LOT_MAX; i++)
      if (at - this.lAt![i]! <= FLOW_WINDOW_MS && this.lAmt![i]! > max) max = this.lAmt![i]!
    const small = COALESCE_SHARE * max
    const oldest = lot(0)
    if (at - this.lAt![oldest]! > FLOW_WINDOW_MS || this.lAmt![oldest]! < small) return
    for (let p = 1; p < LOT_MAX - 1; p++) {
      const a = lot(p)
      const b = lot(p + 1)
      if (this.lAmt![a]! >= small || this.lAmt![b]! >= small) continue
      // merge a into b (b takes a's arrival time), then move the lots older than a up by one:
      // the oldest slot is free for the new lot and nothing large was lost
      this.lAmt![b] = this.lAmt![b]! + this.lAmt![a]!
      this.lLeft![b] = this.lLeft![b]! + this.lLeft![a]!
      this.lAt![b] = this.lAt![a]!
      this.lFlags![b] =
        Math.max(this.lFlags![a]! & ~1, this.lFlags![b]! & ~1) | ((this.lFlags![a]! | this.lFlags![b]!) & 1)
      this.lNew![b] = this.lNew![b]! + this.lNew![a]!
      this.lNewN![b] = Math.min(255, this.lNewN![b]! + this.lNewN![a]!)
      this.lNewTop![b] = Math.max(this.lNewTop![b]!, this.lNewTop![a]!)
      this.lSrcNew![b] = this.lSrcNew![b]! & this.lSrcNew![a]!
      this.lAbroad![b] = this.lAbroad![b]! | this.lAbroad![a]!
      // the merged lot takes the older one's arrival, so what was paid since then
      this.lSinceNew![b] = Math.max(this.lSinceNew![b]!, this.lSinceNew![a]!)
      for (let q = p; q > 0; q--) {
        const to = lot(q)
        const from = lot(q - 1)
        this.lAt![to] = this.lAt![from]!
        this.lAmt![to] = this.lAmt![from]!
        this.lLeft![to] = this.lLeft![from]!
        this.lFlags![to] = this.lFlags![from]!
        this.lNew![to] = this.lNew![from]!
        this.lNewN![to] = this.lNewN![from]!
        this.lNewTop![to] = this.lNewTop![from]!
        this.lSrcNew![to] = this.lSrcNew![from]!
        this.lAbroad![to] = this.lAbroad![from]!
        this.lSinceNew![to] = this.lSinceNew![from]!
      }
      return
    }
  }

  /**
   * An outflow to someone else drains the traced inflows of the last 14 days, oldest first;
   * `newPayee`: the payee had never been paid by this account (counted per lot); `abroad`: the
   * payment crosses a border (marks the lots it reaches as gone abroad in part). A payment to a new
   * payee is also added to what every traced lot has seen paid on since it arrived (`lSinceNew`),
   * whichever lot first in first out charges it to.
   */
  drainLots(now: number, amount: number, newPayee = false, abroad = false): void {
    const n = this.lN
    if (newPayee)
      for (let k = 0; k < n; k++) {
        const i = (this.lHead - n + k + LOT_MAX) % LOT_MAX
        if (now - this.lAt![i]! <= FLOW_WINDOW_MS) this.lSinceNew![i] = this.lSinceNew![i]! + amount
      }
    let rest = amount
    for (let k = 0; k < n && rest > 0; k++) {
      const i = (this.lHead - n + k + LOT_MAX) % LOT_MAX
      if (now - this.lAt![i]! > FLOW_WINDOW_MS) continue
      const l = this.lLeft![i]!
      const take = rest < l ? rest : l
      this.lLeft![i] = l - take
      // one more payment this inflow left in (count capped at 127)
      if (take > 0 && this.lFlags![i]! < 254) this.lFlags![i] = this.lFlags![i]! + 2
      if (abroad && take > 0) this.lAbroad![i] = 1
      if (newPayee && take > 0) {
        this.lNew![i] = this.lNew![i]! + take
        if (this.lNewN![i]! < 255) this.lNewN![i] = this.lNewN![i]! + 1
        if (take > this.lNewTop![i]!) this.lNewTop![i] = take
      }
      rest -= take
    }
  }

  /** Cycle detection: length of the cycle this transfer closes (0 = none). `this` is the payer. */
  closesCycle(dstCp: number, now: number, amount: number): number {
    const n = this.oN
    if (n === 0) return 0
    const cps = this.oCp!
    for (let i = 0; i < n; i++) {
      if (cps[i] !== dstCp) continue
      const depth = this.oDepth![i]!
      if (depth < 2) continue
      // the closing account, too, held the money at most ORIGIN_HOP_MS (as every hop before it did)
      if (now - this.oStart![i]! > ORIGIN_WINDOW_MS || now - this.oLast![i]! > ORIGIN_HOP_MS) continue
      const start = this.oAmt![i]!
      if (amount >= ORIGIN_MIN_SHARE * start && amount <= ORIGIN_MAX_SHARE * start) return depth + 1
    }
    return 0
  }

  /** Money from `srcCp` (whose own origins are `src`) arrived here: remember where it came from. */
  inheritOrigins(src: EntityState, srcCp: number, selfCp: number, now: number, amount: number): void {
    this.addOrigin(srcCp, 1, amount, now, now)
    const n = src.oN
    for (let i = 0; i < n; i++) {
      const origin = src.oCp![i]!
      if (origin === selfCp) continue
      const depth = src.oDepth![i]!
      if (depth >= ORIGIN_MAX_DEPTH) continue
      if (now - src.oStart![i]! > ORIGIN_WINDOW_MS || now - src.oLast![i]! > ORIGIN_HOP_MS) continue
      const start = src.oAmt![i]!
      // only money that flows through in a comparable amount (or a sizeable part of it) carries its origin
      if (amount < ORIGIN_MIN_SHARE * start || amount > ORIGIN_MAX_SHARE * start) continue
      this.addOrigin(origin, depth + 1, start, src.oStart![i]!, now)
    }
  }

  /**
   * Remembers that money which started at `cp` (`amount` then) arrived here at `last`. With every
   * slot taken, an origin no longer carried (ORIGIN_WINDOW_MS, ORIGIN_HOP_MS) gives way first, then
   * the smallest sum in flight (the stalest of equal ones), unless this one is smaller still; and an
   * origin already held keeps its larger live sum. Why (session 45): until then the stalest slot gave way, so a ring member who also
   * received salary, friends' payments and their inherited origins in the days it held the ring's
   * 40,000–75,000 lost it to them, and two rings of 7 and 8 accounts closed on holdout34x unseen.
   */
  private addOrigin(cp: number, depth: number, amount: number, start: number, last: number): void {
    if (!this.oCp) {
      this.oCp = new Int32Array(ORIGIN_MAX)
      this.oDepth = new Uint8Array(ORIGIN_MAX)
      this.oAmt = new Float64Array(ORIGIN_MAX)
      this.oStart = new Float64Array(ORIGIN_MAX)
      this.oLast = new Float64Array(ORIGIN_MAX)
    }
    // no closure for "still carried": this runs for every origin a payment hands on (hot path)
    const amt = this.oAmt!
    const oStart = this.oStart!
    const oLast = this.oLast!
    let slot = -1
    for (let i = 0; i < this.oN; i++) if (this.oCp[i] === cp) slot = i
    if (slot >= 0) {
      const carried = last - oStart[slot]! <= ORIGIN_WINDOW_MS && last - oLast[slot]! <= ORIGIN_HOP_MS
      if (amt[slot]! > amount && carried) return
    } else if (this.oN < ORIGIN_MAX) slot = this.oN++
    else {
      let smallest = 0
      for (let i = 0; i < this.oN && slot < 0; i++) {
        if (last - oStart[i]! > ORIGIN_WINDOW_MS || last - oLast[i]! > ORIGIN_HOP_MS) slot = i
        else if (amt[i]! < amt[smallest]! || (amt[i] === amt[smallest] && oLast[i]! < oLast[smallest]!))
          smallest = i
      }
      if (slot < 0) {
        // a sum as small as the smallest held takes the place of the staler one
        if (amt[smallest]! > amount) return
        slot = smallest
      }
    }
    this.oCp[slot] = cp
    this.oDepth![slot] = depth
    amt[slot] = amount
    oStart[slot] = start
    oLast[slot] = last
  }
}

/** A whole multiple of the currency's round unit (Number arithmetic while exact: no BigInt per transaction). */
export function isRound(minor: bigint, amount: number, currency: string): boolean {
  const unit = currencyProfile(currency).roundUnit
  return amount <= Number.MAX_SAFE_INTEGER ? amount % unit === 0 : minor % BigInt(unit) === 0n
}

/** Both countries known and different (a feed that leaves one out says nothing about borders). */
const crossBorder = (t: MonTxn): boolean =>
  t.srcCountry !== undefined && t.dstCountry !== undefined && t.srcCountry !== t.dstCountry

export const isTracked = (id: string | undefined): id is string =>
  id !== undefined && id !== '' && id !== CASH

/** A counterparty an entity dealt with: its account and the first and last contact. */
export interface CounterpartySeed {
  readonly cp: string
  readonly first: number
  readonly last: number
}

/** One direction of an entity's habits: ln(amount) statistics (Welford's n, mean, M2) and counterparties. */
export interface DirectionHabits {
  readonly n: number
  readonly mean: number
  readonly m2: number
  readonly counterparties: readonly CounterpartySeed[]
}

/** The kinds of entity the store keeps: accounts, customers, and the payer's device, card and address. */
export type EntityKind = 'account' | 'customer' | 'device' | 'card' | 'address'

/** What an entity's long memory held before a time (FeatureStore.seedHabits). */
export interface EntityHabits {
  readonly kind: EntityKind
  readonly id: string
  readonly in: DirectionHabits
  readonly out: DirectionHabits
}

/** All entity stores of one tenant. */
export class FeatureStore {
  readonly interner = new Interner()
  readonly accounts = new Map<string, EntityState>()
  readonly customers = new Map<string, EntityState>()
  readonly devices = new Map<string, EntityState>()
  readonly cards = new Map<string, EntityState>()
  readonly addresses = new Map<string, EntityState>()
  /** When accounts were alerted on (the engine notes each alert it raises or remembers). */
  readonly alerted = new AlertedAccounts()
  /** Latest applied transaction time: events must arrive in time order (older ones are rejected by the engine). */
  watermark = -Infinity
  applied = 0
  /**
   * Start of the continuous feed the store has watched: the first transaction applied after a gap
   * of more than FEED_GAP_MS (or ever). An account quiet for weeks only means something once the
   * store has watched those weeks: on a cold start every account looks quiet and every sender new.
   * Isolated old events (an account's activity long before the feed, lifetime snapshots) do not
   * count as watching.
   */
  feedStart = Infinity

  /** Days of continuous feed before `now` (0 before anything was applied). */
  watchedDays(now: number): number {
    return this.feedStart === Infinity || now < this.feedStart ? 0 : (now - this.feedStart) / DAY_MS
  }

  entity(map: Map<string, EntityState>, id: string | undefined, create: boolean): EntityState | undefined {
    if (!isTracked(id)) return undefined
    let e = map.get(id)
    if (!e && create) {
      e = new EntityState()
      map.set(id, e)
    }
    return e
  }

  /** The state of an entity named by kind (seeds), created on demand. */
  private ofKind(kind: EntityKind, id: string): EntityState | undefined {
    if (kind === 'account') return this.account(id, true)
    const map = { customer: this.customers, device: this.devices, card: this.cards, address: this.addresses }[
      kind
    ]
    return this.entity(map, id, true)
  }

  /** An account's state (with its interned counterparty number), created on demand. */
  account(id: string, create: boolean): EntityState | undefined {
    let e = this.accounts.get(id)
    if (!e && create) {
      e = new EntityState()
      e.cp = this.interner.get(id)
      this.accounts.set(id, e)
    }
    return e
  }

  /**
   * Applies a transaction to every entity it touches. Call after evaluating it. `srcPerson`: the
   * payer is an individual's account, `srcCompany` a business's (the parties are the engine's, the
   * store does not know them).
   */
  apply(t: MonTxn, srcPerson = false, srcCompany = false): void {
    const srcCp = isTracked(t.src) ? this.interner.get(t.src) : -1
    const dstCp = isTracked(t.dst) ? this.interner.get(t.dst) : -1
    this.applyResolved(
      t,
      srcCp,
      dstCp,
      isTracked(t.src) ? this.account(t.src, true) : undefined,
      isTracked(t.dst) ? this.account(t.dst, true) : undefined,
      this.entity(this.customers, t.srcCustomer, true),
      this.entity(this.customers, t.dstCustomer, true),
      this.entity(this.devices, t.device, true),
      this.entity(this.cards, t.card, true),
      this.entity(this.addresses, t.address, true),
      srcPerson,
      srcCompany,
    )
  }

  /** apply() with the entities and interned counterparties already looked up (the engine's hot path). */
  applyResolved(
    t: MonTxn,
    srcCpIn: number,
    dstCpIn: number,
    src: EntityState | undefined,
    dst: EntityState | undefined,
    srcCustomer: EntityState | undefined,
    dstCustomer: EntityState | undefined,
    device: EntityState | undefined,
    card: EntityState | undefined,
    address: EntityState | undefined,
    srcPerson = false,
    srcCompany = false,
  ): void {
    let srcCp = srcCpIn
    let dstCp = dstCpIn
    const amount = Number(t.amount)
    const own = sameOwner(t)
    const round = !own && isRound(t.amount, amount, t.currency)
    const ln = Math.log(amount > 1 ? amount : 1)
    if (own) {
      // one customer's own accounts: volumes count, relationships do not
      srcCp = -1
      dstCp = -1
    } else {
      // every rail carries money along (a wire or ACH hop does not break the chain)
      if (src && dst) dst.inheritOrigins(src, srcCp, dstCp, t.at, amount)
      noteEpisodes(
        t,
        amount,
        src,
        dst && dst.cp >= 0 ? dst : undefined,
        srcCp >= 0 && dst !== undefined && !dst.cpIn.has(srcCp),
        dstCp >= 0 && src !== undefined && !src.cpOut.has(dstCp),
        crossBorder(t),
      )
      // money from an account alerted on shortly before, and what of it leaves again (alerted-funds.ts)
      src?.alertedIn?.paidOut(amount)
      if (dst && t.src !== CASH && this.alerted.alertedBefore(t.src, t.at))
        (dst.alertedIn ??= new AlertedInflows()).add(t.at, amount)
      // scattering goes to payees by transfer, wire or ACH; a card purchase or an ATM is spending
      if (src && src.lN > 0)
        src.drainLots(t.at, amount, dstCp >= 0 && isPayment(t.kind) && !src.cpOut.has(dstCp), crossBorder(t))
      if (dst && dst.cp >= 0) {
        dst.addLot(t.at, amount, crossBorder(t), srcCp >= 0 && !dst.cpIn.has(srcCp))
        if (t.kind !== 'cash_deposit') {
          dst.noteInflow(t.at, amount)
          if (srcPerson && srcCp >= 0) dst.notePersonInflow(t.at, amount, srcCp)
          if (srcCompany && srcCp >= 0) dst.noteCompanyInflow(t.at, amount, srcCp)
        }
      }
    }
    if (dst && t.kind === 'cash_deposit') dst.addCash(t.at, amount)
    // before dst records this payment: a payee with no event yet is one nobody has dealt with (at
    // home only: a trip abroad pays shops and hotels no customer had paid, by nature)
    if (!own && src && src.cp >= 0 && dst && dst.total === 0 && dstCp >= 0)
      if (t.kind !== 'cash_withdrawal' && !crossBorder(t)) src.noteUnseenPayee(t.at, amount)
    src?.record(t.at, amount, true, round, dstCp, ln)
    dst?.record(t.at, amount, false, round, srcCp, ln)
    srcCustomer?.record(t.at, amount, true, round, dstCp, ln)
    dstCustomer?.record(t.at, amount, false, round, srcCp, ln)
    // devices, cards and addresses belong to the payer side
    device?.record(t.at, amount, true, round, dstCp, ln)
    card?.record(t.at, amount, true, round, dstCp, ln)
    address?.record(t.at, amount, true, round, dstCp, ln)
    if (this.watermark === -Infinity || t.at - this.watermark > FEED_GAP_MS) this.feedStart = t.at
    if (t.at > this.watermark) this.watermark = t.at
    this.applied++
  }

  /**
   * Merges lifetime activity kept outside the window history (first and last activity, events):
   * an entity quiet for longer than the replayed window still knows when it was last active.
   * Safe before or after a replay: times merge by min / max, counts by max.
   */
  seedActivity(a: {
    kind: EntityKind
    id: string
    firstAt: number
    lastAt: number
    lastInAt: number | undefined
    lastOutAt: number | undefined
    events: number
  }): void {
    const e = this.ofKind(a.kind, a.id)
    if (!e) return
    if (e.firstTs < 0 || a.firstAt < e.firstTs) e.firstTs = a.firstAt
    if (a.lastAt > e.lastTs) e.lastTs = a.lastAt
    if (a.lastInAt !== undefined && a.lastInAt > e.lastInTs) e.lastInTs = a.lastInAt
    if (a.lastOutAt !== undefined && a.lastOutAt > e.lastOutTs) e.lastOutTs = a.lastOutAt
    if (a.events > e.total) e.total = a.events
  }

  /**
   * Merges an entity's habits from before the replayed history (seedActivity's companion): its
   * usual amounts and the counterparties it already knew. Without them a restarted engine, which
   * replays only its window, read an account dormant for longer as a stranger to its old
   * counterparties with a different usual amount than the engine that had run through (rules and
   * the model decided differently after a restart; docs/monitoring.md, "Restarts").
   */
  seedHabits(h: EntityHabits): void {
    const e = this.ofKind(h.kind, h.id)
    if (!e) return
    e.seedStat('in', h.in.n, h.in.mean, h.in.m2)
    e.seedStat('out', h.out.n, h.out.mean, h.out.m2)
    const intern = (id: string): number => this.interner.get(id)
    if (h.in.counterparties.length > 0) e.cpIn.seed(h.in.counterparties, intern)
    if (h.out.counterparties.length > 0) e.cpOut.seed(h.out.counterparties, intern)
  }

  get entityCount(): number {
    return (
      this.accounts.size + this.customers.size + this.devices.size + this.cards.size + this.addresses.size
    )
  }
}
