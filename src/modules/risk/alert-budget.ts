import {
  combinedScoreOf,
  withinBudget,
  type AlertBudget,
  type WitnessCombination,
} from '../monitoring/index.js'
import { calibrate, type Calibration } from './calibration.js'
import { fitEarnedCalibration } from './combine.js'

/**
 * Pseudo-customers at the overall rate the confidence is shrunk with (combine.ts
 * fitEarnedCalibration): a handful of top customers all right on a small validation period do not
 * make the model surer than the rules. The bench's shrink 2 (session 11).
 */
export const CONFIDENCE_SHRINK = 2

/**
 * Rule-alerted customers the validation period must hold before the budget may move a rule alert out
 * of the queue (session 57, ADR 1410). The cut is the combined score of the last of as many customers
 * as the rules alerted on there: with a handful, it is an extreme of the model's scores, not a
 * measured trade. On tuning data with 90 days of history (bench/risk-small-tenant.ts), the validation
 * quarter held 4–10 rule-alerted customers at 2,000 customers, and the queue the budget built over the
 * next 60 days caught 2–6 of the rules' 6–9 cases; at 5,000 it held 11 and 16, at 10,000 25, and the
 * queue kept the rules' cases (docs/risk.md, "Session 57"). A floor on evidence, not a tuned figure.
 * Below it the budget keeps every rule alert (AlertBudget.keepsRuleAlerts).
 */
export const MIN_RULED_TO_TRADE = 15

/** The budget as the risk module stores it with the model: monitoring's figures and the confidence map. */
export interface TrainedAlertBudget extends AlertBudget {
  /**
   * The model's earned confidence on the validation period: a customer's model score (the peak of
   * its subject score, SubjectScores) → the precision alerting at that score reached over the
   * customers (every customer scoring at least as high), shrunk (CONFIDENCE_SHRINK). The model's
   * probabilities are calibrated per row; this puts them on the scale of the rules' precision, a
   * share of alerted customers that were right, so that the two can be compared.
   */
  readonly confidence: Calibration
  /**
   * The lowest model probability at which a customer the rules did not alert on is within the budget
   * (the model raises its own alert): the cut said on the probability scale, for the champion/challenger
   * metrics that count the model's alerts from stored probabilities. 2 when no probability reaches it.
   */
  readonly ownAlertFrom: number
}

/** A customer's confidence under a stored budget (its model score mapped by the budget's calibration). */
export const confidenceOf = (b: TrainedAlertBudget, probability: number): number =>
  calibrate(b.confidence, probability)

/**
 * The share of the customers the rules alerted on that were suspicious, smoothed with one right and
 * one wrong pseudo-alert: 9 of 9 right on a small validation period is not certainty, and at 1.0 no
 * model score could ever outrank a rule alert. The one definition the budget and the gate share.
 */
export function rulesPrecisionOf(ruled: ReadonlySet<string>, positives: ReadonlySet<string>): number {
  return ([...ruled].filter((s) => positives.has(s)).length + 1) / (ruled.size + 2)
}

/** Pseudo-customers at the pooled precision each rule's own precision is shrunk with (as combine.ts rulePrecisions). */
export const RULE_PRECISION_PRIOR = 2

/**
 * Per rule, the share of the customers it alerted on that were suspicious, shrunk towards the
 * pooled `overall` with RULE_PRECISION_PRIOR pseudo-customers: a rule with two alerts on validation
 * says little of itself. `ruled`: each alerted customer's rule ids.
 */
export function rulePrecisionsOf(
  ruled: ReadonlyMap<string, readonly string[]>,
  positives: ReadonlySet<string>,
  overall: number,
): Record<string, number> {
  const tally = new Map<string, { right: number; all: number }>()
  for (const [subject, rules] of ruled)
    for (const id of new Set(rules)) {
      const t = tally.get(id) ?? { right: 0, all: 0 }
      t.all++
      if (positives.has(subject)) t.right++
      tally.set(id, t)
    }
  const out: Record<string, number> = {}
  for (const [id, t] of [...tally].sort(([a], [b]) => (a < b ? -1 : 1)))
    out[id] = (t.right + RULE_PRECISION_PRIOR * overall) / (t.all + RULE_PRECISION_PRIOR)
  return out
}

/** Each customer the alerts name, with the ids of the rules that alerted on it. */
export function rulesBySubject(
  alerts: Iterable<{ readonly subject: string; readonly ruleId: string }>,
): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const a of alerts) {
    const list = out.get(a.subject)
    if (!list) out.set(a.subject, [a.ruleId])
    else if (!list.includes(a.ruleId)) list.push(a.ruleId)
  }
  return out
}

/**
 * The alert budget a model is trained with (monitoring's AlertBudget says how the decision path
 * uses it): on the validation period, every customer the model scored gets its combined score — its
 * confidence, or for a customer the rules alerted on, the larger of that and the best precision of
 * the rules that alerted on it (each rule's own, shrunk towards the pooled one; with `perRule`
 * false the pooled one for all, as sessions 31–34; combined with the confidence as `combine` says,
 * AlertBudget.combine) — and the budget is the top as many customers as
 * the rules alerted on; the last of them sets the cut. A rule-alerted customer the model never
 * scores (an account outside the institution, for a customers-only model) keeps its place: its rule
 * alert is never marked.
 *
 * The budget keeps every rule alert (AlertBudget.keepsRuleAlerts) when the rules alerted on fewer
 * than `minRuledToTrade` customers (MIN_RULED_TO_TRADE), or when no customer without a rule alert
 * made it into the budget: no trade was measured, so none is made.
 *
 * Undefined when the rules alerted on nobody in the period: there is no rules' volume to keep, and
 * the model alerts at its own threshold as before.
 */
export function alertBudgetOf(
  best: ReadonlyMap<string, number>,
  ruled: ReadonlyMap<string, readonly string[]>,
  positives: ReadonlySet<string>,
  perRule = true,
  combine: WitnessCombination = 'max',
  minRuledToTrade = MIN_RULED_TO_TRADE,
): TrainedAlertBudget | undefined {
  if (ruled.size === 0) return undefined
  const rulesPrecision = rulesPrecisionOf(new Set(ruled.keys()), positives)
  const rulePrecision = perRule ? rulePrecisionsOf(ruled, positives, rulesPrecision) : undefined
  const pooled: AlertBudget = {
    rulesPrecision,
    cut: 0,
    cutModel: 0,
    customers: ruled.size,
    ...(combine === 'noisy_or' ? { combine } : {}),
  }
  const shape: AlertBudget = rulePrecision ? { ...pooled, rulePrecision } : pooled
  const scored = [...best]
  const confidence = thinned(
    fitEarnedCalibration(
      scored.map(([, m]) => m),
      scored.map(([s]) => (positives.has(s) ? 1 : 0)),
      CONFIDENCE_SHRINK,
    ),
  )
  const places = ruled.size - [...ruled.keys()].filter((s) => !best.has(s)).length
  const ranked = scored.map(([s, m]) => ({
    m,
    c: combinedScoreOf(shape, calibrate(confidence, m), ruled.get(s) ?? []),
    ruled: ruled.has(s),
  }))
  // by combined score, then by the model score itself (the calibration's blocks tie many customers)
  ranked.sort((a, b) => b.c - a.c || b.m - a.m)
  const within = ranked.slice(0, Math.max(0, places))
  const last = within.at(-1)
  // the customers of the model's own that took a rule alert's place on validation: none, and the
  // cut is only the lowest of the rule-alerted customers' scores there — a later rule alert below
  // it would leave its place empty, there being nobody the model rated better to take it
  const traded = within.filter((x) => !x.ruled).length
  // every place is taken by rule alerts the model does not score: nothing more fits (2 is above
  // any probability; Infinity would not survive the model's JSON)
  const cut = last ? { cut: last.c, cutModel: last.m } : { cut: 2, cutModel: 2 }
  const budget: AlertBudget = {
    ...shape,
    ...cut,
    ...(ruled.size < minRuledToTrade || traded === 0 ? { keepsRuleAlerts: true } : {}),
  }
  return { ...budget, confidence, ownAlertFrom: ownAlertFrom(budget, confidence) }
}

/**
 * The lowest probability p with withinBudget(confidence(p), p, no rule alert): the predicate only
 * turns from false to true as p grows (the confidence never falls), so bisection finds it.
 */
function ownAlertFrom(b: AlertBudget, confidence: Calibration): number {
  const within = (p: number): boolean => withinBudget(b, calibrate(confidence, p), p, false)
  if (!within(1)) return 2
  if (within(0)) return 0
  let lo = 0
  let hi = 1
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2
    if (within(mid)) hi = mid
    else lo = mid
  }
  return hi
}

/** Points kept of the confidence curve: it is stored with every model (a point per distinct score otherwise). */
const CONFIDENCE_POINTS = 256

/** The curve through at most CONFIDENCE_POINTS of its points, evenly spread, both ends kept (still non-decreasing). */
function thinned(c: Calibration): Calibration {
  const n = c.x.length
  if (n <= CONFIDENCE_POINTS) return c
  const keep = Array.from({ length: CONFIDENCE_POINTS }, (_, i) =>
    Math.round((i * (n - 1)) / (CONFIDENCE_POINTS - 1)),
  )
  return { kind: c.kind, x: keep.map((i) => c.x[i]!), p: keep.map((i) => c.p[i]!) }
}
