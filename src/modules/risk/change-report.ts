import { runSteps, type Steps } from '../../shared/time-slice.js'
import { FEATURE_COUNT } from './features.js'
import type { LabelledRows, RiskModel } from './model.js'
import { treeShap } from './treeshap.js'
import type { GateResult } from './training.js'

/**
 * What changed with a retrained model, against the model it would replace (the champion, or the
 * newest model when none is live): its metrics side by side with deltas, and the features whose
 * importance moved most. Importance is the mean absolute TreeSHAP value over the same holdout rows
 * for both models — exact, on the same data, in log-odds — not a split count.
 */

export interface MetricChange {
  readonly before: number | null
  readonly after: number
  readonly delta: number | null
}

export interface ImportanceChange {
  readonly feature: string
  readonly before: number | null
  readonly after: number
  readonly delta: number | null
  readonly rankBefore: number | null
  readonly rankAfter: number
}

export interface ChangeReport {
  readonly against: { readonly modelId: string; readonly version: number; readonly status: string } | null
  readonly rowsCompared: number
  readonly metrics: Readonly<Record<string, MetricChange>>
  /** The features whose importance changed most, largest change first. */
  readonly importance: readonly ImportanceChange[]
}

/** Holdout rows read for importance (evenly spaced): enough for stable means, cheap to explain. */
const IMPORTANCE_ROWS = 400
const TOP_CHANGES = 10

/** Mean |SHAP| per feature over (a spaced sample of) the rows. */
export function importance(model: RiskModel, rows: LabelledRows): Map<string, number> {
  return runSteps(importanceSteps(model, rows))
}

/** importance in steps of 8 rows explained (~1 ms a row: 400 rows held the server 350 ms, session 29). */
function* importanceSteps(model: RiskModel, rows: LabelledRows): Steps<Map<string, number>> {
  const names = model.ensemble.features
  const sum = new Float64Array(names.length)
  const step = Math.max(1, Math.floor(rows.rows / IMPORTANCE_ROWS))
  let n = 0
  for (let i = 0; i < rows.rows; i += step) {
    const phi = treeShap(model.ensemble, rows.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT))
    for (let f = 0; f < names.length; f++) sum[f]! += Math.abs(phi[f]!)
    if (++n % 8 === 0) yield
  }
  return new Map(names.map((name, f) => [name, n > 0 ? sum[f]! / n : 0]))
}

const ranks = (m: Map<string, number>): Map<string, number> =>
  new Map([...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([f], i) => [f, i + 1]))

interface Side {
  readonly model: RiskModel
  readonly threshold: number
  readonly gate?: GateResult | undefined
}

export function changeReport(
  next: Side,
  previous: (Side & { modelId: string; version: number; status: string }) | undefined,
  holdout: LabelledRows,
): ChangeReport {
  return runSteps(changeReportSteps(next, previous, holdout))
}

/** changeReport in steps (the service builds it in slices between other requests). */
export function* changeReportSteps(
  next: Side,
  previous: (Side & { modelId: string; version: number; status: string }) | undefined,
  holdout: LabelledRows,
): Steps<ChangeReport> {
  const figures = (s: Side): Record<string, number> => ({
    averagePrecision: s.model.metrics.averagePrecision,
    brier: s.model.metrics.brier,
    threshold: s.threshold,
    trainRows: s.model.metrics.trainRows,
    trainPositives: s.model.metrics.trainPositives,
    ...(s.gate
      ? {
          gateCandidateDetected: s.gate.candidateDetected,
          gateBudget: s.gate.budget,
          gateCandidateAveragePrecision: s.gate.candidateAveragePrecision,
        }
      : {}),
  })
  const after = figures(next)
  const before = previous ? figures(previous) : {}
  const metrics: Record<string, MetricChange> = {}
  for (const [k, v] of Object.entries(after)) {
    const b = before[k]
    metrics[k] = { before: b ?? null, after: v, delta: b === undefined ? null : v - b }
  }
  const impAfter = yield* importanceSteps(next.model, holdout)
  const impBefore = previous ? yield* importanceSteps(previous.model, holdout) : undefined
  const rankAfter = ranks(impAfter)
  const rankBefore = impBefore ? ranks(impBefore) : undefined
  const changes: ImportanceChange[] = [...impAfter].map(([feature, a]) => {
    const b = impBefore?.get(feature)
    return {
      feature,
      before: b ?? null,
      after: a,
      delta: b === undefined ? null : a - b,
      rankBefore: rankBefore?.get(feature) ?? null,
      rankAfter: rankAfter.get(feature)!,
    }
  })
  changes.sort((x, y) =>
    x.delta === null || y.delta === null
      ? y.after - x.after
      : Math.abs(y.delta) - Math.abs(x.delta) || x.feature.localeCompare(y.feature),
  )
  return {
    against: previous
      ? { modelId: previous.modelId, version: previous.version, status: previous.status }
      : null,
    rowsCompared: Math.ceil(holdout.rows / Math.max(1, Math.floor(holdout.rows / IMPORTANCE_ROWS))),
    metrics,
    importance: changes.slice(0, TOP_CHANGES),
  }
}
