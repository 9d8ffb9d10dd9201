import type { Ensemble, Tree } from './gbdt.js'

/**
 * Exact TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature attribution for
 * tree ensembles", Algorithm 2; the path-dependent form used by XGBoost, LightGBM and shap): the
 * Shapley values of one row's margin, with a coalition's expectation taken over the training
 * weight that reached each node (`cover`). They sum exactly to margin − base value, where the base
 * value is the cover-weighted mean margin of the training data. O(leaves · depth²) per tree.
 *
 * The path is kept in flat arrays; each recursion level works on its own copy placed after its
 * parent's (the reference implementation's layout), so nothing is allocated per node.
 */

export interface Path {
  feature: Int32Array
  zero: Float64Array
  one: Float64Array
  weight: Float64Array
}

export function newPath(maxDepth: number): Path {
  const size = ((maxDepth + 2) * (maxDepth + 3)) / 2 + 1
  return {
    feature: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    weight: new Float64Array(size),
  }
}

export function extend(p: Path, o: number, depth: number, zero: number, one: number, feature: number): void {
  p.feature[o + depth] = feature
  p.zero[o + depth] = zero
  p.one[o + depth] = one
  p.weight[o + depth] = depth === 0 ? 1 : 0
  for (let i = depth - 1; i >= 0; i--) {
    p.weight[o + i + 1] = p.weight[o + i + 1]! + (one * p.weight[o + i]! * (i + 1)) / (depth + 1)
    p.weight[o + i] = (zero * p.weight[o + i]! * (depth - i)) / (depth + 1)
  }
}

function unwind(p: Path, o: number, depth: number, index: number): void {
  const one = p.one[o + index]!
  const zero = p.zero[o + index]!
  let next = p.weight[o + depth]!
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = p.weight[o + i]!
      p.weight[o + i] = (next * (depth + 1)) / ((i + 1) * one)
      next = tmp - (p.weight[o + i]! * zero * (depth - i)) / (depth + 1)
    } else {
      p.weight[o + i] = (p.weight[o + i]! * (depth + 1)) / (zero * (depth - i))
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[o + i] = p.feature[o + i + 1]!
    p.zero[o + i] = p.zero[o + i + 1]!
    p.one[o + i] = p.one[o + i + 1]!
  }
}

export function unwoundSum(p: Path, o: number, depth: number, index: number): number {
  const one = p.one[o + index]!
  const zero = p.zero[o + index]!
  let next = p.weight[o + depth]!
  let total = 0
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (depth + 1)) / ((i + 1) * one)
      total += tmp
      next = p.weight[o + i]! - (tmp * zero * (depth - i)) / (depth + 1)
    } else if (zero !== 0) {
      total += p.weight[o + i]! / zero / ((depth - i) / (depth + 1))
    }
  }
  return total
}

function recurse(
  t: Tree,
  x: ArrayLike<number>,
  phi: Float64Array,
  p: Path,
  parentOffset: number,
  node: number,
  depth: number,
  parentZero: number,
  parentOne: number,
  parentFeature: number,
): void {
  // this level's copy of the path, after the parent's
  const o = parentOffset + depth
  for (let i = 0; i < depth; i++) {
    p.feature[o + i] = p.feature[parentOffset + i]!
    p.zero[o + i] = p.zero[parentOffset + i]!
    p.one[o + i] = p.one[parentOffset + i]!
    p.weight[o + i] = p.weight[parentOffset + i]!
  }
  extend(p, o, depth, parentZero, parentOne, parentFeature)
  const f = t.feature[node]!
  if (f < 0) {
    const v = t.value[node]!
    for (let i = 1; i <= depth; i++) {
      const w = unwoundSum(p, o, depth, i)
      const pf = p.feature[o + i]!
      phi[pf] = phi[pf]! + w * (p.one[o + i]! - p.zero[o + i]!) * v
    }
    return
  }
  const goLeft = x[f]! <= t.threshold[node]!
  const hot = goLeft ? t.left[node]! : t.right[node]!
  const cold = goLeft ? t.right[node]! : t.left[node]!
  const cover = t.cover[node]!
  const hotZero = cover > 0 ? t.cover[hot]! / cover : 0
  const coldZero = cover > 0 ? t.cover[cold]! / cover : 0
  let inZero = 1
  let inOne = 1
  let d = depth
  let k = 1
  while (k <= d && p.feature[o + k] !== f) k++
  if (k <= d) {
    inZero = p.zero[o + k]!
    inOne = p.one[o + k]!
    unwind(p, o, d, k)
    d -= 1
  }
  recurse(t, x, phi, p, o, hot, d + 1, hotZero * inZero, inOne, f)
  recurse(t, x, phi, p, o, cold, d + 1, coldZero * inZero, 0, f)
}

/** Cover-weighted mean leaf value of one tree (its expected contribution). */
export function treeExpectation(t: Tree): number {
  let s = 0
  for (let i = 0; i < t.feature.length; i++) if (t.feature[i]! < 0) s += t.cover[i]! * t.value[i]!
  return t.cover[0]! > 0 ? s / t.cover[0]! : 0
}

/** Expected margin over the training data: what the SHAP values of a row are measured from. */
export function baseValue(m: Ensemble): number {
  let s = m.base
  for (const t of m.trees) s += treeExpectation(t)
  return s
}

/** SHAP value of every feature for one row (same order as `m.features`). */
export function treeShap(m: Ensemble, x: ArrayLike<number>): Float64Array {
  const phi = new Float64Array(m.features.length)
  let maxDepth = 0
  for (const t of m.trees) if (t.maxDepth > maxDepth) maxDepth = t.maxDepth
  const p = newPath(maxDepth + 1)
  for (const t of m.trees) recurse(t, x, phi, p, 0, 0, 0, 1, 1, -1)
  return phi
}
