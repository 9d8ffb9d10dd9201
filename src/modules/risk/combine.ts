import {
  DAY_MS,
  scoreCustomers,
  type CaseLabel,
  type CustomerScore,
  type TypedAlert,
} from '../monitoring/index.js'

/**
 * Rules and model together, at an alert budget. The model raises an alert of its own when a row's
 * calibrated probability reaches `modelThreshold`, and ranks the rules' alerts: a rule alert is
 * kept when the model's probability of that transaction's row for the alerted account reaches
 * `rulesThreshold` (0 keeps every rule alert). Both thresholds are chosen on a validation period so
 * that the alerted customers do not exceed what the rules alone alert on, then applied unchanged
 * to later data.
 */

export interface RowScores {
  readonly subjects: readonly string[]
  readonly txnIds: readonly string[]
  readonly at: ArrayLike<number>
  readonly prob: Float64Array
}

export interface RuleAlert {
  readonly subject: string
  readonly txnId: string
  readonly at: number
  readonly ruleId: string
  readonly typology?: string | undefined
}

export interface OperatingPoint {
  readonly modelThreshold: number
  readonly rulesThreshold: number
}

const DEDUP_MS = 30 * DAY_MS

/** One alert per subject and 30-day bucket (as monitoring deduplicates). */
function dedup(alerts: TypedAlert[]): TypedAlert[] {
  const seen = new Set<string>()
  return alerts.filter((a) => {
    const k = `${a.subject}|${Math.floor(a.at / DEDUP_MS)}|${a.ruleId}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

export function modelAlerts(rows: RowScores, threshold: number): TypedAlert[] {
  const out: TypedAlert[] = []
  for (let i = 0; i < rows.prob.length; i++)
    if (rows.prob[i]! >= threshold)
      out.push({ subject: rows.subjects[i]!, at: rows.at[i]!, ruleId: 'risk.model', typology: 'model' })
  return dedup(out)
}

/** Probability of the row (transaction, subject) each rule alert is about. */
export function ruleAlertProbabilities(rows: RowScores, alerts: readonly RuleAlert[]): Float64Array {
  const index = new Map<string, number>()
  for (let i = 0; i < rows.prob.length; i++) index.set(`${rows.txnIds[i]}|${rows.subjects[i]}`, i)
  return Float64Array.from(alerts, (a) => {
    const i = index.get(`${a.txnId}|${a.subject}`)
    return i === undefined ? 0 : rows.prob[i]!
  })
}

export function combinedAlerts(
  rows: RowScores,
  rules: readonly RuleAlert[],
  ruleProb: Float64Array,
  op: OperatingPoint,
): TypedAlert[] {
  const kept: TypedAlert[] = rules.filter((_, i) => ruleProb[i]! >= op.rulesThreshold)
  return [...dedup(kept), ...modelAlerts(rows, op.modelThreshold)]
}

export const alertedCustomers = (alerts: readonly TypedAlert[]): number =>
  new Set(alerts.map((a) => a.subject)).size

export interface ChosenPoint {
  readonly point: OperatingPoint
  readonly score: CustomerScore
  readonly rulesScore: CustomerScore
}

/**
 * The operating point that detects the most labelled cases (then: the best precision) while
 * alerting on no more customers than the rules alone, searched over a grid of row-probability
 * quantiles.
 */
export function chooseOperatingPoint(
  rows: RowScores,
  rules: readonly RuleAlert[],
  labels: readonly CaseLabel[],
): ChosenPoint {
  const ruleProb = ruleAlertProbabilities(rows, rules)
  const rulesScore = scoreCustomers(rules, labels)
  const budget = alertedCustomers(rules)
  const sorted = Float64Array.from(rows.prob).sort().reverse()
  const modelGrid = [0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02]
    .map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 1)
    .concat([1.01])
  const ruleSorted = Float64Array.from(ruleProb).sort()
  const rulesGrid = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    .map((q) => ruleSorted[Math.floor(q * ruleSorted.length)] ?? 0)
    .concat([1.01])
  let best: ChosenPoint | undefined
  for (const modelThreshold of modelGrid)
    for (const rulesThreshold of rulesGrid) {
      const point = { modelThreshold, rulesThreshold }
      const alerts = combinedAlerts(rows, rules, ruleProb, point)
      if (alertedCustomers(alerts) > budget) continue
      const score = scoreCustomers(alerts, labels)
      if (
        !best ||
        score.detected > best.score.detected ||
        (score.detected === best.score.detected && score.precision > best.score.precision)
      )
        best = { point, score, rulesScore }
    }
  return best ?? { point: { modelThreshold: 1.01, rulesThreshold: 0 }, score: rulesScore, rulesScore }
}

/**
 * Share of labelled cases with a primary account among the top `share` of customers ranked by
 * their highest row probability (customers with no row rank last).
 */
export function topShareRecall(
  rows: RowScores,
  labels: readonly CaseLabel[],
  customers: number,
  share = 0.02,
): { recall: number; byTypology: Record<string, { cases: number; detected: number }> } {
  const best = new Map<string, number>()
  for (let i = 0; i < rows.prob.length; i++) {
    const s = rows.subjects[i]!
    const p = rows.prob[i]!
    if ((best.get(s) ?? -1) < p) best.set(s, p)
  }
  const top = new Set(
    [...best.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, Math.floor(customers * share))
      .map(([s]) => s),
  )
  const byTypology: Record<string, { cases: number; detected: number }> = {}
  let hit = 0
  for (const c of labels) {
    const r = (byTypology[c.typology] ??= { cases: 0, detected: 0 })
    r.cases++
    if (c.primary.some((p) => top.has(p))) {
      r.detected++
      hit++
    }
  }
  return { recall: labels.length === 0 ? 1 : hit / labels.length, byTypology }
}
