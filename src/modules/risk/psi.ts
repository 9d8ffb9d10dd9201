import { runSteps, type Steps } from '../../shared/time-slice.js'

/**
 * Population stability index per feature: how far a feature's distribution in recent scoring has
 * moved from the training data. Bins are the training data's deciles (fixed with the model), so the
 * comparison needs only counts. PSI = Σ (a − e) · ln(a / e) over bins, with a small floor on empty
 * bins. Conventional reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 a shift to act on.
 */

export const PSI_ALERT = 0.25
const FLOOR = 1e-4

export interface FeatureBins {
  readonly feature: string
  /** Upper edges of the reference bins (last one Infinity). */
  readonly edges: readonly number[]
  /** Share of the training rows in each bin. */
  readonly expected: readonly number[]
}

/** Decile bins of each column of a row-major matrix. */
export function referenceBins(
  x: Float64Array,
  rows: number,
  cols: number,
  features: readonly string[],
  bins = 10,
): FeatureBins[] {
  return runSteps(referenceBinsSteps(x, rows, cols, features, bins))
}

/** referenceBins, one step per column (a sort of every row's value: training yields between them). */
export function* referenceBinsSteps(
  x: Float64Array,
  rows: number,
  cols: number,
  features: readonly string[],
  bins = 10,
): Steps<FeatureBins[]> {
  const out: FeatureBins[] = []
  const col = new Float64Array(rows)
  for (let f = 0; f < cols; f++) {
    for (let i = 0; i < rows; i++) col[i] = x[i * cols + f]!
    const sorted = col.slice().sort()
    const edges: number[] = []
    for (let b = 1; b < bins; b++) {
      const v = sorted[Math.floor((b * rows) / bins)]!
      if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v)
    }
    edges.push(Infinity)
    const counts = countBins(col, rows, edges)
    out.push({ feature: features[f]!, edges, expected: counts.map((c) => c / Math.max(1, rows)) })
    yield
  }
  return out
}

/** Bin i holds values < edges[i] and >= edges[i−1]. */
function binOf(edges: readonly number[], v: number): number {
  let i = 0
  while (i < edges.length - 1 && v >= edges[i]!) i++
  return i
}

function countBins(col: ArrayLike<number>, rows: number, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length).fill(0)
  for (let i = 0; i < rows; i++) counts[binOf(edges, col[i]!)]! += 1
  return counts
}

export function psi(expected: readonly number[], actual: readonly number[]): number {
  let s = 0
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, FLOOR)
    const a = Math.max(actual[i]!, FLOOR)
    s += (a - e) * Math.log(a / e)
  }
  return s
}

export interface DriftReport {
  readonly feature: string
  readonly psi: number
  readonly drifting: boolean
}

/** PSI of every feature of a recent row-major sample against the model's reference bins. */
export function drift(ref: readonly FeatureBins[], x: Float64Array, rows: number): DriftReport[] {
  return runSteps(driftSteps(ref, x, rows))
}

/** drift, one step per feature (the service computes it in slices between other requests). */
export function* driftSteps(
  ref: readonly FeatureBins[],
  x: Float64Array,
  rows: number,
): Steps<DriftReport[]> {
  const cols = ref.length
  const col = new Float64Array(rows)
  const out: DriftReport[] = []
  for (let f = 0; f < cols; f++) {
    const r = ref[f]!
    for (let i = 0; i < rows; i++) col[i] = x[i * cols + f]!
    const counts = countBins(col, rows, r.edges)
    const value = psi(
      r.expected,
      counts.map((c) => c / Math.max(1, rows)),
    )
    out.push({ feature: r.feature, psi: value, drifting: value > PSI_ALERT })
    yield
  }
  return out
}
