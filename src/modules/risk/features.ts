import type { EvalContext, MonTxn } from '../monitoring/index.js'
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
]

export const FEATURE_COUNT = FEATURE_NAMES.length

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
}
