import type { Ensemble } from './gbdt.js'
import { extend, newPath, unwoundSum } from './treeshap.js'

/**
 * TreeSHAP from precomputed tables (the idea of Yang 2021, "Fast TreeSHAP", v2), for explanations
 * inside the monitoring decision. The recursive algorithm (treeshap.ts) redoes the same polynomial
 * arithmetic for every row, O(leaves · depth²) per tree. But a leaf's contribution to each feature
 * on its path depends on the row only through WHICH of the path's (distinct) features the row
 * agrees with — one bit per feature, "every split on this feature sends the row towards this
 * leaf". The zero fractions (cover ratios) are fixed by the tree. So for each leaf and each of its
 * 2^d agreement patterns the exact Shapley weights are computed once, when the model is loaded,
 * with the very same extend/unwoundSum arithmetic; explaining a row is then one comparison per
 * inner node, a pattern per leaf and d additions. The values are the same Shapley values
 * (identical up to floating-point rounding; model.test.ts compares them with the recursive form).
 *
 * Memory is leaves · 2^d · d numbers; models deeper than the limit keep the recursive form.
 */

export interface ShapTables {
  readonly features: number
  /**
   * Node slots of every tree one after another, each tree's nodes in their stored order (children
   * after their parent, as the grower numbers them). Inner node: split feature, threshold, child
   * slots and the bit of its feature among the distinct features of the path to it; leaf: feature
   * -1 and its leaf index.
   */
  readonly nodeFeature: Int32Array
  readonly nodeThreshold: Float64Array
  readonly nodeLeft: Int32Array
  readonly nodeRight: Int32Array
  readonly nodeBit: Uint8Array
  readonly nodeLeaf: Int32Array
  /** Slot of each tree's root. */
  readonly treeRoot: Int32Array
  /** Per leaf: number of distinct path features, first path feature, first table entry. */
  readonly leafDepth: Uint8Array
  readonly leafFeatStart: Int32Array
  readonly leafTableStart: Int32Array
  readonly leafFeature: Int32Array
  /** table[leafTableStart + pattern · d + k]: contribution to leafFeature[k] for that pattern. */
  readonly table: Float64Array
}

/** Tables above this many numbers (8 bytes each) are not built: the recursive form is used. */
export const MAX_TABLE_ENTRIES = 1 << 21

interface LeafPath {
  readonly node: number
  readonly value: number
  /** Distinct features in first-seen order and their products of cover ratios. */
  readonly feats: number[]
  readonly zero: number[]
}

/** The leaves of tree `t` in node order, and each inner node's feature bit on its path. */
function leafPaths(e: Ensemble, t: number): { leaves: LeafPath[]; bits: Uint8Array } {
  const tr = e.trees[t]!
  const found: LeafPath[] = []
  const bits = new Uint8Array(tr.feature.length)
  const walk = (n: number, feats: number[], zero: number[]): void => {
    const f = tr.feature[n]!
    if (f < 0) {
      found.push({ node: n, value: tr.value[n]!, feats, zero })
      return
    }
    const k = feats.indexOf(f)
    bits[n] = k >= 0 ? k : feats.length
    const cover = tr.cover[n]!
    for (const child of [tr.left[n]!, tr.right[n]!]) {
      const ratio = cover > 0 ? tr.cover[child]! / cover : 0
      walk(
        child,
        k >= 0 ? feats : [...feats, f],
        k >= 0 ? zero.map((z, i) => (i === k ? z * ratio : z)) : [...zero, ratio],
      )
    }
  }
  walk(0, [], [])
  return { leaves: found.sort((a, b) => a.node - b.node), bits }
}

/** Builds the tables of an ensemble, or undefined when they would exceed MAX_TABLE_ENTRIES. */
export function buildShapTables(e: Ensemble): ShapTables | undefined {
  const perTree = e.trees.map((_, t) => leafPaths(e, t))
  let entries = 0
  let leaves = 0
  let feats = 0
  let nodes = 0
  for (let t = 0; t < perTree.length; t++) {
    nodes += e.trees[t]!.feature.length
    for (const l of perTree[t]!.leaves) {
      entries += (1 << l.feats.length) * l.feats.length
      leaves++
      feats += l.feats.length
    }
    if (entries > MAX_TABLE_ENTRIES) return undefined
  }
  const tables: ShapTables = {
    features: e.features.length,
    nodeFeature: new Int32Array(nodes),
    nodeThreshold: new Float64Array(nodes),
    nodeLeft: new Int32Array(nodes),
    nodeRight: new Int32Array(nodes),
    nodeBit: new Uint8Array(nodes),
    nodeLeaf: new Int32Array(nodes).fill(-1),
    treeRoot: new Int32Array(perTree.length),
    leafDepth: new Uint8Array(leaves),
    leafFeatStart: new Int32Array(leaves),
    leafTableStart: new Int32Array(leaves),
    leafFeature: new Int32Array(feats),
    table: new Float64Array(entries),
  }
  let maxDepth = 0
  for (const t of e.trees) maxDepth = Math.max(maxDepth, t.maxDepth)
  const path = newPath(maxDepth + 1)
  let node0 = 0
  let leaf = 0
  let feat = 0
  let entry = 0
  for (let t = 0; t < perTree.length; t++) {
    const tr = e.trees[t]!
    const { leaves: paths, bits } = perTree[t]!
    tables.treeRoot[t] = node0
    for (let n = 0; n < tr.feature.length; n++) {
      if (n > 0 && tr.feature[n]! >= 0 && (tr.left[n]! <= n || tr.right[n]! <= n))
        throw new Error('tree nodes are not numbered parent before child')
      tables.nodeFeature[node0 + n] = tr.feature[n]!
      tables.nodeThreshold[node0 + n] = tr.threshold[n]!
      tables.nodeLeft[node0 + n] = node0 + tr.left[n]!
      tables.nodeRight[node0 + n] = node0 + tr.right[n]!
      tables.nodeBit[node0 + n] = bits[n]!
    }
    for (const l of paths) {
      const d = l.feats.length
      tables.nodeLeaf[node0 + l.node] = leaf
      tables.leafDepth[leaf] = d
      tables.leafFeatStart[leaf] = feat
      tables.leafTableStart[leaf] = entry
      for (let k = 0; k < d; k++) tables.leafFeature[feat + k] = l.feats[k]!
      feat += d
      for (let pattern = 0; pattern < 1 << d; pattern++) {
        // the recursive form's path at this leaf: a root element, then one element per feature
        extend(path, 0, 0, 1, 1, -1)
        for (let k = 0; k < d; k++) extend(path, 0, k + 1, l.zero[k]!, (pattern >> k) & 1, l.feats[k]!)
        for (let k = 0; k < d; k++) {
          const w = unwoundSum(path, 0, d, k + 1)
          tables.table[entry + pattern * d + k] = w * (path.one[k + 1]! - path.zero[k + 1]!) * l.value
        }
      }
      entry += (1 << d) * d
      leaf++
    }
    node0 += tr.feature.length
  }
  return tables
}

/**
 * SHAP values of one row from the tables, written into `phi`. `pattern` is scratch with one slot
 * per node: each node's agreement bits, passed from parent to child in one pass over the nodes.
 */
export function tableShap(
  s: ShapTables,
  x: ArrayLike<number>,
  phi: Float64Array,
  pattern: Int32Array = new Int32Array(s.nodeFeature.length),
): Float64Array {
  phi.fill(0)
  const { nodeFeature: nf, nodeThreshold: nt, nodeLeft: nl, nodeRight: nr, nodeBit: nb } = s
  // every tree's root starts with all bits set: the row agrees with an empty path
  for (let t = 0; t < s.treeRoot.length; t++) pattern[s.treeRoot[t]!] = -1
  for (let n = 0; n < nf.length; n++) {
    const f = nf[n]!
    const here = pattern[n]!
    if (f >= 0) {
      const cleared = here & ~(1 << nb[n]!)
      const left = x[f]! <= nt[n]!
      pattern[nl[n]!] = left ? here : cleared
      pattern[nr[n]!] = left ? cleared : here
      continue
    }
    const l = s.nodeLeaf[n]!
    const d = s.leafDepth[l]!
    if (d === 0) continue
    const base = s.leafTableStart[l]! + (here & ((1 << d) - 1)) * d
    const fs = s.leafFeatStart[l]!
    for (let k = 0; k < d; k++) {
      const g = s.leafFeature[fs + k]!
      phi[g] = phi[g]! + s.table[base + k]!
    }
  }
  return phi
}
