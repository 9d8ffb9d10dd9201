import type { EvalContext, MonTxn } from '../monitoring/index.js'

/**
 * Session 23, appended to the model's features: pass-through, structuring, round amounts and mules
 * said without the customer's scale — shares, ratios against the account's own history or against
 * the currency's reporting threshold, counts and hours. Why: trained on `tuning`, the model put only
 * 1–2 of 7 business-scale pass-through hubs of `tuning_business` in its top 2 % (session 22): what it
 * had learned was bound to the amounts and counts of individuals.
 *
 * All are read from the monitoring context the rules read (point in time, before the transaction
 * is folded in); the pass-through episodes are monitoring's own features (monitoring/relative.ts),
 * so a rule can read them by name too (`dst.rel_pass_out_share`).
 */
export const RELATIVE_FEATURE_NAMES: readonly string[] = [
  // pass-through episodes (monitoring/relative.ts): the stranger's money leaving for strangers
  'self.rel_pass_out_share',
  'self.rel_pass_abroad_share',
  'self.rel_pass_hours',
  'self.rel_pass_payments',
  'self.rel_pass_vs_usual',
  'self.rel_pass_in_cross_border',
  // fast turnover: out / in over 48 hours, this payment included (pass-through, mules), capped at 10
  'rel.out_vs_in_48h',
  // inflow from individuals new to the account, sizeable for it (person_in_*), as a share of the month's inflow
  'rel.person_in_share_30d',
  // round payments out as a share of the month's payments out, this one included, and that share
  // against the account's own share over 90 days (a habit of round rents is not a new pattern)
  'rel.round_out_share_30d',
  'rel.round_out_share_30d_vs_90d',
  // cash deposits: the week's sum against the currency's reporting threshold, this deposit included
  'rel.cash_7d_vs_threshold',
  // the week's cash deposits against the account's weekly rate over the 23 days before (+1 each)
  'rel.cash_count_7d_vs_usual',
  // the month's mean cash deposit against the threshold (structuring sits just under it)
  'rel.cash_mean_30d_vs_threshold',
]

type Bag = Record<string, number | boolean | undefined>
const num = (v: number | boolean | undefined): number => (typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? 0))
const ratio = (a: number, b: number, cap: number): number => (b > 0 ? Math.min(cap, a / b) : 0)

/** Writes RELATIVE_FEATURE_NAMES' values of the subject `self` (payer when `pays`) from `k`; returns the next index. */
export function writeRelative(
  ctx: EvalContext,
  t: MonTxn,
  pays: boolean,
  self: Bag,
  out: Float64Array,
  start: number,
): number {
  let k = start
  out[k++] = num(self.rel_pass_out_share)
  out[k++] = num(self.rel_pass_abroad_share)
  out[k++] = self.rel_pass_hours === undefined ? -1 : num(self.rel_pass_hours)
  out[k++] = num(self.rel_pass_payments)
  out[k++] = num(self.rel_pass_vs_usual)
  out[k++] = num(self.rel_pass_in_cross_border)
  const amount = Number(t.amount)
  const outAdd = pays ? amount : 0
  const inAdd = pays ? 0 : amount
  out[k++] = ratio(num(self.out_sum_48h) + outAdd, num(self.in_sum_48h) + inAdd, 10)
  out[k++] = ratio(num(self.person_in_sum_30d), num(self.in_sum_30d) + inAdd, 1)
  const roundOut = pays && ctx.txn.round ? 1 : 0
  const share30 = ratio(num(self.out_round_count_30d) + roundOut, num(self.out_count_30d) + (pays ? 1 : 0), 1)
  out[k++] = share30
  out[k++] = share30 - ratio(num(self.out_round_count_90d), num(self.out_count_90d), 1)
  const cash = !pays && t.kind === 'cash_deposit' ? 1 : 0
  const threshold = ctx.txn.report_threshold
  out[k++] = ratio(num(self.cash_in_sum_7d) + cash * amount, threshold, 20)
  const c7 = num(self.cash_in_count_7d) + cash
  const before = Math.max(0, num(self.cash_in_count_30d) - num(self.cash_in_count_7d))
  out[k++] = (c7 + 1) / ((before * 7) / 23 + 1)
  const c30 = num(self.cash_in_count_30d) + cash
  out[k++] = c30 > 0 ? ratio((num(self.cash_in_sum_30d) + cash * amount) / c30, threshold, 10) : 0
  return k
}
