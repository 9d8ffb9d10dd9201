/**
 * A small exact gradient-boosted-trees learner for binary classification (log loss), histogram
 * based (LightGBM/XGBoost "hist"): features are cut into at most 255 quantile bins once, each
 * node's split is searched over bin histograms of gradients and hessians, and a child's histogram
 * is its parent's minus its sibling's (only the smaller child is scanned). Depth-wise growth, L2
 * leaf regularisation, minimum child weight, per-row weights (class imbalance). No randomness: the
 * same rows in the same order give the same model, bit for bit. Why our own: docs/adr/1400.
 *
 * Trees are stored as flat arrays so that scoring is a few array reads per level and TreeSHAP
 * (treeshap.ts) can walk them: node i is a leaf when `feature[i] < 0`; otherwise rows with
 * `x[feature] <= threshold` go to `left[i]`, the rest to `right[i]`. `cover[i]` is the training
 * weight that reached the node (TreeSHAP's expectation weights).
 */

import { runSteps, type Steps } from '../../shared/time-slice.js'

export interface Tree {
  readonly feature: Int32Array
  readonly threshold: Float64Array
  readonly left: Int32Array
  readonly right: Int32Array
  /** Leaf value (margin contribution, learning rate applied); 0 on inner nodes. */
  readonly value: Float64Array
  readonly cover: Float64Array
  readonly maxDepth: number
}

export interface Ensemble {
  /** Log-odds before any tree. */
  readonly base: number
  readonly trees: readonly Tree[]
  readonly features: readonly string[]
}

export interface TrainParams {
  readonly trees: number
  readonly depth: number
  readonly learningRate: number
  /** L2 penalty on leaf values. */
  readonly lambda: number
  /** Minimum hessian weight in a child. */
  readonly minChildWeight: number
  /** Minimum loss reduction to split. */
  readonly minGain: number
  readonly maxBins: number
  /**
   * Share of the features each tree may split on (1: all; session 22). The subset is drawn per tree
   * from a hash of the tree's and the feature's index, so training stays deterministic. Why: with
   * every feature open to every tree, the ensemble leans on the few features that separate the
   * training data best — often facts of that data's shape (session 17: `txn.hour`) — and other
   * data without them loses most of the score; trees that must also work without them spread the
   * evidence over several features.
   */
  readonly colsample?: number
}

export const DEFAULT_TRAIN: TrainParams = {
  trees: 80,
  depth: 5,
  learningRate: 0.15,
  lambda: 1,
  minChildWeight: 1,
  minGain: 0,
  maxBins: 64,
}

/** A training matrix: row-major values, one label and one weight per row. */
export interface Dataset {
  readonly rows: number
  readonly cols: number
  readonly x: Float64Array
  readonly y: Uint8Array
  readonly w: Float64Array
}

interface Binned {
  /** Column-major bin index per row (feature f of row i at f * rows + i). */
  readonly bins: Uint8Array
  /** Upper edges: bin b of feature f holds values <= cuts[f][b]. */
  readonly cuts: Float64Array[]
}

/**
 * Quantile cut points per feature from the distinct values (all rows; deterministic). One step per
 * feature: a sort of every row's value each, 1.4 s for 115 features at 100k rows, which held the
 * server's event loop in one piece while it trained (session 29).
 */
function* binDatasetSteps(d: Dataset, maxBins: number): Steps<Binned> {
  const { rows, cols, x } = d
  const bins = new Uint8Array(rows * cols)
  const cuts: Float64Array[] = []
  const col = new Float64Array(rows)
  for (let f = 0; f < cols; f++) {
    for (let i = 0; i < rows; i++) col[i] = x[i * cols + f]!
    const sorted = col.slice().sort()
    const edges: number[] = []
    // distinct values, then at most maxBins evenly spaced by rank
    let prev = NaN
    const distinct: number[] = []
    for (const v of sorted) if (v !== prev) distinct.push((prev = v))
    if (distinct.length <= maxBins) edges.push(...distinct)
    else {
      for (let b = 1; b <= maxBins; b++) {
        const v = sorted[Math.min(rows - 1, Math.floor((b * rows) / maxBins) - 1)]!
        if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v)
      }
      edges[edges.length - 1] = Infinity
    }
    const e = Float64Array.from(edges)
    cuts.push(e)
    for (let i = 0; i < rows; i++) bins[f * rows + i] = lowerBound(e, col[i]!)
    yield
  }
  return { bins, cuts }
}

/** First edge >= v. */
function lowerBound(edges: Float64Array, v: number): number {
  let lo = 0
  let hi = edges.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (edges[mid]! >= v) hi = mid
    else lo = mid + 1
  }
  return lo
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

/** Trains an ensemble. */
export function trainGbdt(
  d: Dataset,
  features: readonly string[],
  params: TrainParams = DEFAULT_TRAIN,
  start?: Ensemble,
): Ensemble {
  return runSteps(gbdtSteps(d, features, params, start))
}

/**
 * trainGbdt in steps (the service trains in slices between other requests): one per feature binned,
 * then one per node of each tree (a node's histogram, 200 ms a whole tree at 100k rows, session 29).
 */
export function* gbdtSteps(
  d: Dataset,
  features: readonly string[],
  params: TrainParams = DEFAULT_TRAIN,
  start?: Ensemble,
): Steps<Ensemble> {
  if (features.length !== d.cols) throw new Error(`${features.length} feature names for ${d.cols} columns`)
  if (start && start.features.join(',') !== features.join(','))
    throw new Error('the starting ensemble was trained on other features')
  const { rows, cols } = d
  const binned = yield* binDatasetSteps(d, Math.min(255, params.maxBins))
  let sw = 0
  let swy = 0
  for (let i = 0; i < rows; i++) {
    sw += d.w[i]!
    swy += d.w[i]! * d.y[i]!
  }
  const prior = Math.min(Math.max(swy / sw, 1e-6), 1 - 1e-6)
  // boosting from a starting ensemble: each row starts at its margin, and the new trees fit what it
  // got wrong on this data; the result is its trees followed by the new ones
  const base = start ? start.base : Math.log(prior / (1 - prior))
  const margin = new Float64Array(rows).fill(base)
  if (start)
    for (let i = 0; i < rows; i++) {
      margin[i] = predictMargin(start, d.x.subarray(i * cols, (i + 1) * cols))
      if ((i & 16383) === 16383) yield
    }
  const g = new Float64Array(rows)
  const h = new Float64Array(rows)
  const trees: Tree[] = []
  const grower = new TreeGrower(binned, rows, cols, params)
  for (let t = 0; t < params.trees; t++) {
    for (let i = 0; i < rows; i++) {
      const p = sigmoid(margin[i]!)
      const w = d.w[i]!
      g[i] = w * (p - d.y[i]!)
      h[i] = w * Math.max(p * (1 - p), 1e-16)
    }
    trees.push(yield* grower.grow(g, h, d.w, margin, columnsOf(t, cols, params.colsample ?? 1)))
  }
  return { base, trees: [...(start?.trees ?? []), ...trees], features: [...features] }
}

/** Deterministic hash of a tree and a feature index to [0, 1). */
const unit = (t: number, f: number): number => {
  let h = Math.imul(t ^ 0x27d4eb2f, 0x85ebca6b) ^ Math.imul(f + 0x165667b1, 0xc2b2ae35)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  h ^= h >>> 12
  h = Math.imul(h, 0x297a2d39)
  h ^= h >>> 15
  return (h >>> 0) / 4294967296
}

/**
 * The features tree `t` may split on: each with probability `share` (TrainParams.colsample), at
 * least one; undefined when all are allowed.
 */
export function columnsOf(t: number, cols: number, share: number): Uint8Array | undefined {
  if (share >= 1) return undefined
  const allowed = new Uint8Array(cols)
  let any = false
  for (let f = 0; f < cols; f++)
    if (unit(t, f) < share) {
      allowed[f] = 1
      any = true
    }
  if (!any) allowed[Math.floor(unit(t, cols) * cols)] = 1
  return allowed
}

interface Pending {
  readonly node: number
  readonly start: number
  readonly end: number
  readonly depth: number
  readonly hist: Float64Array
  readonly G: number
  readonly H: number
  readonly W: number
}

/** Grows one tree over the binned matrix; reuses its row index buffer across trees. */
class TreeGrower {
  private readonly idx: Uint32Array
  private readonly tmp: Uint32Array
  private readonly histSize: number

  constructor(
    private readonly b: Binned,
    private readonly rows: number,
    private readonly cols: number,
    private readonly p: TrainParams,
  ) {
    this.idx = new Uint32Array(rows)
    this.tmp = new Uint32Array(rows)
    this.histSize = cols * 256 * 3
  }

  /** Histogram (g, h, w per bin per feature) of rows idx[start, end). */
  private histogram(
    start: number,
    end: number,
    g: Float64Array,
    h: Float64Array,
    w: Float64Array,
  ): Float64Array {
    const hist = new Float64Array(this.histSize)
    const { bins } = this.b
    const idx = this.idx
    const rows = this.rows
    for (let f = 0; f < this.cols; f++) {
      const off = f * rows
      const hoff = f * 768
      for (let k = start; k < end; k++) {
        const i = idx[k]!
        const o = hoff + bins[off + i]! * 3
        hist[o] = hist[o]! + g[i]!
        hist[o + 1] = hist[o + 1]! + h[i]!
        hist[o + 2] = hist[o + 2]! + w[i]!
      }
    }
    return hist
  }

  /** One step per node split or made a leaf (its histogram is the step's work). */
  *grow(
    g: Float64Array,
    h: Float64Array,
    w: Float64Array,
    margin: Float64Array,
    allowed: Uint8Array | undefined,
  ): Steps<Tree> {
    const { depth: maxDepth, lambda, minChildWeight, minGain, learningRate } = this.p
    const maxNodes = 2 ** (maxDepth + 1) - 1
    const feature = new Int32Array(maxNodes).fill(-1)
    const threshold = new Float64Array(maxNodes)
    const left = new Int32Array(maxNodes).fill(-1)
    const right = new Int32Array(maxNodes).fill(-1)
    const value = new Float64Array(maxNodes)
    const cover = new Float64Array(maxNodes)
    for (let i = 0; i < this.rows; i++) this.idx[i] = i
    let G = 0
    let H = 0
    let W = 0
    for (let i = 0; i < this.rows; i++) {
      G += g[i]!
      H += h[i]!
      W += w[i]!
    }
    let count = 1
    const queue: Pending[] = [
      { node: 0, start: 0, end: this.rows, depth: 0, hist: this.histogram(0, this.rows, g, h, w), G, H, W },
    ]
    const leaf = (n: Pending): void => {
      const v = (-n.G / (n.H + lambda)) * learningRate
      value[n.node] = v
      for (let k = n.start; k < n.end; k++) {
        const i = this.idx[k]!
        margin[i] = margin[i]! + v
      }
    }
    while (queue.length > 0) {
      yield
      const n = queue.shift()!
      cover[n.node] = n.W
      const split = n.depth < maxDepth ? this.bestSplit(n, lambda, minChildWeight, allowed) : undefined
      if (!split || split.gain <= minGain) {
        leaf(n)
        continue
      }
      const mid = this.partition(n.start, n.end, split.feature, split.bin)
      const l = count++
      const r = count++
      feature[n.node] = split.feature
      threshold[n.node] = this.b.cuts[split.feature]![split.bin]!
      left[n.node] = l
      right[n.node] = r
      // scan the smaller child, derive the larger one by subtraction
      const leftSmaller = mid - n.start <= n.end - mid
      const small = leftSmaller ? this.histogram(n.start, mid, g, h, w) : this.histogram(mid, n.end, g, h, w)
      const big = n.hist
      for (let k = 0; k < big.length; k++) big[k] = big[k]! - small[k]!
      const lh = leftSmaller ? small : big
      const rh = leftSmaller ? big : small
      queue.push(
        {
          node: l,
          start: n.start,
          end: mid,
          depth: n.depth + 1,
          hist: lh,
          G: split.lG,
          H: split.lH,
          W: split.lW,
        },
        {
          node: r,
          start: mid,
          end: n.end,
          depth: n.depth + 1,
          hist: rh,
          G: n.G - split.lG,
          H: n.H - split.lH,
          W: n.W - split.lW,
        },
      )
    }
    return {
      feature: feature.slice(0, count),
      threshold: threshold.slice(0, count),
      left: left.slice(0, count),
      right: right.slice(0, count),
      value: value.slice(0, count),
      cover: cover.slice(0, count),
      maxDepth,
    }
  }

  private bestSplit(
    n: Pending,
    lambda: number,
    minChildWeight: number,
    allowed: Uint8Array | undefined,
  ): { feature: number; bin: number; gain: number; lG: number; lH: number; lW: number } | undefined {
    const parent = (n.G * n.G) / (n.H + lambda)
    let best: { feature: number; bin: number; gain: number; lG: number; lH: number; lW: number } | undefined
    for (let f = 0; f < this.cols; f++) {
      if (allowed && allowed[f] === 0) continue
      const nb = this.b.cuts[f]!.length
      let lG = 0
      let lH = 0
      let lW = 0
      const hoff = f * 768
      for (let b = 0; b < nb - 1; b++) {
        const o = hoff + b * 3
        lG += n.hist[o]!
        lH += n.hist[o + 1]!
        lW += n.hist[o + 2]!
        const rH = n.H - lH
        if (lH < minChildWeight) continue
        if (rH < minChildWeight) break
        const rG = n.G - lG
        const gain = (lG * lG) / (lH + lambda) + (rG * rG) / (rH + lambda) - parent
        if (!best || gain > best.gain) best = { feature: f, bin: b, gain, lG, lH, lW }
      }
    }
    return best
  }

  /** Stable partition of idx[start, end) by bin <= splitBin; returns the first right position. */
  private partition(start: number, end: number, f: number, splitBin: number): number {
    const { bins } = this.b
    const off = f * this.rows
    const idx = this.idx
    const tmp = this.tmp
    let l = start
    let r = 0
    for (let k = start; k < end; k++) {
      const i = idx[k]!
      if (bins[off + i]! <= splitBin) idx[l++] = i
      else tmp[r++] = i
    }
    for (let k = 0; k < r; k++) idx[l + k] = tmp[k]!
    return l
  }
}

/** Margin (log-odds) of one row. */
export function predictMargin(m: Ensemble, x: ArrayLike<number>): number {
  let s = m.base
  const trees = m.trees
  for (let t = 0; t < trees.length; t++) {
    const tr = trees[t]!
    let n = 0
    let f = tr.feature[0]!
    while (f >= 0) {
      n = x[f]! <= tr.threshold[n]! ? tr.left[n]! : tr.right[n]!
      f = tr.feature[n]!
    }
    s += tr.value[n]!
  }
  return s
}
