/**
 * Probability calibration: isotonic regression (pool-adjacent-violators) of the label on the
 * model's margin, fitted on a validation split the trees never saw, with the rows' true-population
 * weights (training re-weights classes; calibration undoes it). The result is a step function
 * stored as breakpoints: the margin's upper edge of each block and the block's probability.
 * Scoring interpolates linearly between block centres so that ranking ties are rare.
 */

export interface Calibration {
  readonly kind: 'isotonic'
  /** Block centres (margin), increasing. */
  readonly x: readonly number[]
  /** Calibrated probability of each block, non-decreasing. */
  readonly p: readonly number[]
}

export function fitIsotonic(
  margin: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
): Calibration {
  const n = margin.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => margin[a]! - margin[b]! || a - b)
  // blocks: weighted mean label, weight, weighted mean margin
  const mean: number[] = []
  const weight: number[] = []
  const centre: number[] = []
  for (const i of order) {
    const wi = w[i]!
    if (wi <= 0) continue
    mean.push(y[i]!)
    weight.push(wi)
    centre.push(margin[i]!)
    while (mean.length > 1 && mean[mean.length - 2]! >= mean[mean.length - 1]!) {
      const b = mean.length - 1
      const a = b - 1
      const W = weight[a]! + weight[b]!
      mean[a] = (mean[a]! * weight[a]! + mean[b]! * weight[b]!) / W
      centre[a] = (centre[a]! * weight[a]! + centre[b]! * weight[b]!) / W
      weight[a] = W
      mean.pop()
      weight.pop()
      centre.pop()
    }
  }
  return { kind: 'isotonic', x: centre, p: mean }
}

/** Calibrated probability of a margin. Without blocks, the logistic of the margin. */
export function calibrate(c: Calibration, margin: number): number {
  const { x, p } = c
  const n = x.length
  if (n === 0) return 1 / (1 + Math.exp(-margin))
  if (margin <= x[0]!) return p[0]!
  if (margin >= x[n - 1]!) return p[n - 1]!
  let lo = 0
  let hi = n - 1
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (x[mid]! <= margin) lo = mid
    else hi = mid
  }
  const t = (margin - x[lo]!) / (x[hi]! - x[lo]!)
  return p[lo]! + t * (p[hi]! - p[lo]!)
}
