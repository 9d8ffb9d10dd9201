import type { EvalContext, MonTxn } from '../monitoring/index.js'
import { RELATIVE_FEATURE_NAMES, writeRelative } from './features-relative.js'
import type { RiskGraph } from './graph.js'

/**
 * The model's feature vector of one transaction seen from one of its sides (the subject: the payer
 * or the payee), read from the monitoring engine's evaluation context — the same point-in-time,
 * memoised features the rules read (windows, velocity, distinct counterparties, history, funds
 * tracing, cycles), taken before the transaction is folded in — plus party attributes and the
 * counterparty graph (risk/graph.ts). Nothing here looks at a later event.
 *
 * Each transaction gives two rows (payer side and payee side) because an alert names one account:
 * a mule collecting from many senders and the victims paying it see different pictures.
 */

export type Side = 'out' | 'in'

/** Party attributes beyond monitoring's KYC facts: the party module's risk-rating reason factors. */
export interface PartyAttributesPort {
  /** Bit set of risk-rating reason factors (RISK_REASON_BITS) of an account's holder; 0 when none. */
  reasonBits(account: string): number
}

/** The parties module's rating factors (src/modules/parties/parties.ts rateRisk), one bit each. */
export const RISK_REASON_BITS: Readonly<Record<string, number>> = {
  country: 1,
  pep: 2,
  screening: 4,
  product: 8,
  occupation: 16,
}

const KIND_CODE: Record<string, number> = {
  transfer: 0,
  card: 1,
  cash_deposit: 2,
  cash_withdrawal: 3,
  wire: 4,
  ach: 5,
}
const SEGMENT_CODE: Record<string, number> = {
  unknown: -1,
  individual: 0,
  business: 1,
  merchant: 2,
  external: 3,
}
const RISK_CODE: Record<string, number> = { unknown: -1, low: 0, medium: 1, high: 2 }

/** Entity features of the subject account read by name from monitoring's views. */
const SELF_WINDOWS = [
  'in_count_1h',
  'out_count_1h',
  'in_count_24h',
  'out_count_24h',
  'in_count_7d',
  'out_count_7d',
  'in_sum_7d',
  'out_sum_7d',
  'in_max_7d',
  'out_max_7d',
  'in_distinct_48h',
  'out_distinct_48h',
  'in_distinct_7d',
  'out_distinct_7d',
  'in_distinct_30d',
  'out_distinct_30d',
  'in_round_count_30d',
  'out_round_count_30d',
  'all_count_30d',
  'all_sum_30d',
  'all_count_90d',
  'all_sum_90d',
  'history_count',
  'days_since_last',
  'age_days',
  'amount_z',
  'flow_in_amount',
  'flow_out_share',
  'flow_hours',
  'usual_amount',
] as const
const CUSTOMER_FEATURES = ['in_distinct_7d', 'out_distinct_7d', 'out_sum_7d', 'in_sum_7d'] as const
const OTHER_FEATURES = ['history_count', 'age_days', 'in_distinct_7d', 'out_distinct_7d'] as const

/** More of the subject's own features: one-sided silences, new senders, lifetime-long counts. */
const EXTRA_SELF = [
  'days_since_last_in',
  'days_since_last_out',
  'in_new_distinct_7d',
  'out_new_distinct_7d',
  'in_sum_30d',
  'out_sum_30d',
  'all_count_180d',
] as const

/**
 * Scale-free features: the subject measured against itself. Absolute amounts, silences and counts
 * carry the ranges of the data a model was trained on (a dormant account silent 60 days, mules
 * receiving 2,000–9,000), and trees cannot extrapolate past them nor form a ratio of two features;
 * these say "more than this customer usually does" whatever the scale, which is what carries
 * across typologies and data sets.
 */
const RATIO_FEATURES = [
  // this amount against the subject's usual amount in the same direction (0: no history)
  'ratio.amount_vs_usual',
  // paying out: this amount against what came in over 7 days (what share of the inflow leaves)
  'ratio.amount_vs_in_7d',
  // out over in over 7 and 30 days, this payment included (pass-through: near 1)
  'ratio.out_vs_in_7d',
  'ratio.out_vs_in_30d',
  // distinct senders against distinct payees (fan-in > 1 > fan-out)
  'ratio.in_vs_out_degree_30d',
  // senders new in the week against all the week's senders (a collector of strangers)
  'ratio.new_in_share_7d',
  // the last 7 days' activity against the subject's lifetime weekly average (a burst after a silence)
  'ratio.burst_7d',
  // silence before this transaction against the account's observed age (dormancy, any scale)
  'ratio.silence_vs_age',
  // the week's inflow against the month's, this one included (money arriving all at once)
  'ratio.in_7d_vs_30d',
  // (session 11, appended) distinct senders per week of the account's observed age, this one
  // included: a young account collecting from several people at once (a mule), at any scale
  'ratio.senders_per_week_of_age',
  // receiving after a silence: this inflow against the usual inflow (100 if none), times the
  // silence in months (capped at 1): a reactivation inflow large for this account's own lifetime history
  'ratio.inflow_after_silence',
  // paying out: the share of the latest large inflow gone, times how young the account is (a week
  // over its age, capped at 1): a new account drained of what it received
  'ratio.drain_when_young',
  // (session 12, appended) the two above with the account's LIFE instead of its observed age:
  // life = the larger of the time since it was first seen and the time since the customer
  // relationship opened (KYC, known at the time). Why: observed age is short for EVERY account in
  // the first weeks of the history a model is trained or scored on, so "young" fired on 37 % of all
  // rows on tuning and singled out no mule (per-feature look, session 11); an account opened ten
  // years ago is not young because monitoring first saw it last week.
  'ratio.senders_per_week_of_life',
  'ratio.drain_when_young_life',
] as const

/**
 * Session 20, appended: the absolute sums said again against the account's own scale, so a hub
 * moving 150,000 a round and a student moving 900 read alike when each does what it never did
 * (session 17's look: the 30- and 90-day sums pushed pass-through and fan-in primaries down 1.1–1.6
 * log-odds because the largest sums on the training data belong to innocent businesses). The sums
 * themselves are no longer learned from (model.ts EXCLUDED_FEATURES).
 */
const SCALE_FREE = [
  // the week's inflow / outflow against the account's weekly average over 90 days (of its observed life)
  'ratio.in_7d_vs_weekly_90d',
  'ratio.out_7d_vs_weekly_90d',
  // the month's turnover against the quarter's, this transaction included
  'ratio.all_30d_vs_90d',
  // the month's inflow and outflow in units of the account's usual payment
  'ratio.in_30d_vs_usual',
  'ratio.out_30d_vs_usual',
  // the week's largest inflow and outflow against the usual payment
  'ratio.in_max_7d_vs_usual',
  'ratio.out_max_7d_vs_usual',
  // the traced inflow (largest of 14 days) against the usual payment and against the month's inflow
  'ratio.flow_in_vs_usual',
  'ratio.flow_in_vs_in_30d',
  // the week's largest inflow's share of the week's inflow (one lump, not a salary and small change)
  'ratio.in_max_share_7d',
  // the month's mean payment against the usual one
  'ratio.mean_30d_vs_usual',
] as const

/**
 * Session 20, appended: how the traced inflow leaves — the funds-tracing features the pass-through
 * and fan-out rules read (monitoring/features.ts flow), all counts, shares and flags, no amounts.
 */
const FLOW_SELF = [
  'flow_out_payments',
  'flow_in_prior_days',
  'flow_out_new_share',
  'flow_out_new_top_share',
  'flow_in_after',
  'flow_in_cross_border',
  'flow_in_new_sender',
] as const

/**
 * Session 65, appended: payments at home to payees nobody in the store had ever seen (monitoring's
 * `unseen_out_*`, which the velocity rule for strangers reads), over two and seven days, and their
 * share of the week's payments out. An account emptied to strangers' accounts opened for it pays
 * payees no one else pays; a spree, a payroll or a landlord's bills pay payees others pay too. The
 * rules read these and the model did not: a held-out velocity spike of 26 such payments in 10 hours
 * ranked 918th, pushed down by its plain count of distinct payees (docs/risk.md, "Session 65").
 */
const UNSEEN_SELF = ['unseen_out_count_48h', 'unseen_out_count_7d'] as const

export const FEATURE_NAMES: readonly string[] = [
  'txn.log_amount',
  'txn.kind',
  'txn.hour',
  'txn.cycle_len',
  'txn.round',
  'txn.same_owner',
  'txn.amount_vs_report_threshold',
  'txn.subject_pays',
  'txn.cross_border',
  'txn.other_country_high_risk',
  'txn.new_counterparty',
  ...SELF_WINDOWS.map((f) => `self.${f}`),
  ...CUSTOMER_FEATURES.map((f) => `self_customer.${f}`),
  'device.out_count_24h',
  'device.out_distinct_24h',
  ...OTHER_FEATURES.map((f) => `other.${f}`),
  'self_party.segment',
  'self_party.risk',
  'self_party.relationship_days',
  'self_party.known',
  'self_party.country_high_risk',
  'self_party.risk_reasons',
  'other_party.segment',
  'other_party.risk',
  'other_party.known',
  'graph.self_bad_distance',
  'graph.other_bad_distance',
  'graph.self_bad_neighbours',
  // appended (session 10), so models stored before keep their feature indices
  ...EXTRA_SELF.map((f) => `self.${f}`),
  ...RATIO_FEATURES,
  ...SCALE_FREE,
  ...FLOW_SELF.map((f) => `self.${f}`),
  // session 23, appended: scale-free pass-through, structuring, round amounts, mules (features-relative.ts)
  ...RELATIVE_FEATURE_NAMES,
  ...UNSEEN_SELF.map((f) => `self.${f}`),
  'ratio.unseen_out_share_7d',
]

export const FEATURE_COUNT = FEATURE_NAMES.length

const SELF_BAD_DISTANCE = FEATURE_NAMES.indexOf('graph.self_bad_distance')

/**
 * Whether the row's subject is itself named in a confirmed case (true positive, SAR filed or an
 * imported label) that the graph held when the row was read: its distance to known-bad is 0. The
 * model raises no alert of its own on such a subject (session 59, ADR 1413): its case is known, the
 * rules go on alerting on it, and on a tuning tenant 7 of the 12 customers above the model's alert
 * cut in the live period were old confirmed cases, ahead of the current ones in time.
 * Read from the row so that the decision path and every replay of it (the gate, the budget) agree.
 */
export const confirmedInRow = (x: ArrayLike<number>): boolean => x[SELF_BAD_DISTANCE] === 0
/** Features before session 10's additions: what a model stored before reads (and the bench's ablation). */
export const BASE_FEATURE_COUNT = FEATURE_NAMES.indexOf(`self.${EXTRA_SELF[0]}`)

type Bag = Record<string, number | boolean>
const num = (v: number | boolean | undefined): number => (typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? 0))

export interface FeatureInputs {
  readonly highRisk: ReadonlySet<string>
  readonly graph: RiskGraph
  readonly attributes?: PartyAttributesPort
}

/**
 * Writes the row of `side` into `out` at `offset`. `ctx` must be the context of `t` as the engine
 * prepared it (ProcessOptions.observe), before `t` was applied.
 */
/** a / b capped, 0 when b is not positive (module level: extractRow runs twice per transaction). */
const ratio = (a: number, b: number, cap = 100): number => (b > 0 ? Math.min(cap, a / b) : 0)

export function extractRow(
  ctx: EvalContext,
  t: MonTxn,
  side: Side,
  inp: FeatureInputs,
  out: Float64Array,
  offset: number,
): void {
  const pays = side === 'out'
  const self = (pays ? ctx.src : ctx.dst) as unknown as Bag
  const other = (pays ? ctx.dst : ctx.src) as unknown as Bag
  const selfCust = (pays ? ctx.src_customer : ctx.dst_customer) as unknown as Bag
  const device = ctx.device as unknown as Bag
  const sp = pays ? ctx.src_party : ctx.dst_party
  const op = pays ? ctx.dst_party : ctx.src_party
  const subject = pays ? t.src : t.dst
  const counterparty = pays ? t.dst : t.src
  const otherCountry = (pays ? t.dstCountry : t.srcCountry) ?? op.country
  const amount = Number(t.amount)
  let k = offset
  out[k++] = Math.log1p(amount)
  out[k++] = KIND_CODE[t.kind] ?? -1
  out[k++] = ctx.txn.hour
  out[k++] = ctx.txn.cycle_len
  out[k++] = ctx.txn.round ? 1 : 0
  out[k++] = ctx.txn.same_owner ? 1 : 0
  out[k++] = ctx.txn.report_threshold > 0 ? amount / ctx.txn.report_threshold : 0
  out[k++] = pays ? 1 : 0
  out[k++] = t.srcCountry && t.dstCountry && t.srcCountry !== t.dstCountry ? 1 : 0
  out[k++] = otherCountry && inp.highRisk.has(otherCountry) ? 1 : 0
  out[k++] = num(self.new_counterparty)
  for (const f of SELF_WINDOWS) out[k++] = num(self[f])
  for (const f of CUSTOMER_FEATURES) out[k++] = num(selfCust[f])
  out[k++] = num(device.out_count_24h)
  out[k++] = num(device.out_distinct_24h)
  for (const f of OTHER_FEATURES) out[k++] = num(other[f])
  out[k++] = SEGMENT_CODE[sp.segment] ?? -1
  out[k++] = RISK_CODE[sp.risk] ?? -1
  out[k++] = sp.age_days
  out[k++] = sp.known ? 1 : 0
  out[k++] = sp.country && inp.highRisk.has(sp.country) ? 1 : 0
  out[k++] = inp.attributes ? inp.attributes.reasonBits(subject) : 0
  out[k++] = SEGMENT_CODE[op.segment] ?? -1
  out[k++] = RISK_CODE[op.risk] ?? -1
  out[k++] = op.known ? 1 : 0
  out[k++] = inp.graph.distance(subject)
  out[k++] = inp.graph.distance(counterparty)
  out[k++] = inp.graph.badNeighbours(subject)
  for (const f of EXTRA_SELF) out[k++] = num(self[f])
  const usual = num(self.usual_amount)
  const inSum7 = num(self.in_sum_7d)
  const outAdd = pays ? amount : 0
  const inAdd = pays ? 0 : amount
  const ageDays = num(self.age_days)
  const history = num(self.history_count)
  const count7 = num(self.in_count_7d) + num(self.out_count_7d)
  out[k++] = ratio(amount, usual)
  out[k++] = pays ? ratio(amount, inSum7, 10) : 0
  out[k++] = ratio(num(self.out_sum_7d) + outAdd, inSum7 + inAdd, 10)
  out[k++] = ratio(num(self.out_sum_30d) + outAdd, num(self.in_sum_30d) + inAdd, 10)
  out[k++] = ratio(num(self.in_distinct_30d) + 1, num(self.out_distinct_30d) + 1)
  out[k++] = ratio(num(self.in_new_distinct_7d), num(self.in_distinct_7d), 1)
  // weekly average over the observed life (at least a week, so a new account is not a burst by itself)
  out[k++] = history > 0 ? ratio(count7 + 1, (history * 7) / Math.max(7, ageDays)) : 0
  out[k++] = ageDays > 0 ? ratio(num(self.days_since_last), ageDays, 1) : 0
  out[k++] = ratio(inSum7 + inAdd, num(self.in_sum_30d) + inAdd, 1)
  const newSender = !pays && num(self.new_counterparty) > 0 ? 1 : 0
  out[k++] = ageDays >= 0 ? ((num(self.in_distinct_30d) + newSender) * 7) / Math.max(7, ageDays) : 0
  const silence = num(self.days_since_last)
  // an account that never received before (a dormant one's history is its own spending) counts as
  // the cap: the per-feature look on tuning found the plain ratio 0 on every dormant primary
  const vsUsual = usual > 0 ? ratio(amount, usual) : 100
  out[k++] = !pays && silence > 0 ? vsUsual * Math.min(1, silence / 30) : 0
  out[k++] = pays && ageDays >= 0 ? num(self.flow_out_share) * Math.min(1, 7 / Math.max(1, ageDays)) : 0
  const life = Math.max(ageDays, sp.age_days)
  out[k++] = life >= 0 ? ((num(self.in_distinct_30d) + newSender) * 7) / Math.max(7, life) : 0
  out[k++] = pays && life >= 0 ? num(self.flow_out_share) * Math.min(1, 7 / Math.max(1, life)) : 0
  // SCALE_FREE: weekly averages over the part of 90 days the account has been seen (at least a week)
  const weeks90 = Math.max(1, Math.min(90, ageDays) / 7)
  const inSum30 = num(self.in_sum_30d) + inAdd
  const outSum30 = num(self.out_sum_30d) + outAdd
  const all90 = num(self.all_sum_90d) + amount
  out[k++] = ratio(inSum7 + inAdd, (num(self.in_sum_90d) + inAdd) / weeks90)
  out[k++] = ratio(num(self.out_sum_7d) + outAdd, (num(self.out_sum_90d) + outAdd) / weeks90)
  out[k++] = ratio(num(self.all_sum_30d) + amount, all90, 1)
  // no usual payment yet: the cap, as for ratio.inflow_after_silence (nothing to compare with is not "usual")
  const vsUsualOf = (a: number, cap: number): number => (usual > 0 ? ratio(a, usual, cap) : a > 0 ? cap : 0)
  out[k++] = vsUsualOf(inSum30, 1000)
  out[k++] = vsUsualOf(outSum30, 1000)
  out[k++] = vsUsualOf(Math.max(num(self.in_max_7d), inAdd), 100)
  out[k++] = vsUsualOf(Math.max(num(self.out_max_7d), outAdd), 100)
  const flowIn = num(self.flow_in_amount)
  out[k++] = vsUsualOf(flowIn, 100)
  out[k++] = ratio(flowIn, inSum30, 1)
  out[k++] = ratio(Math.max(num(self.in_max_7d), inAdd), inSum7 + inAdd, 1)
  const count30 = num(self.all_count_30d) + 1
  out[k++] = vsUsualOf((num(self.all_sum_30d) + amount) / count30, 100)
  for (const f of FLOW_SELF) out[k++] = num(self[f])
  k = writeRelative(ctx, t, pays, self, out, k)
  for (const f of UNSEEN_SELF) out[k++] = num(self[f])
  out[k++] = ratio(num(self.unseen_out_count_7d), num(self.out_count_7d), 1)
}
