import { describe, expect, it } from 'vitest'
import { calibrate, fitIsotonic } from './calibration.js'
import { columnsOf, gbdtSteps, predictMargin, trainGbdt, type Ensemble, type Tree } from './gbdt.js'
import { explainRow, modelFromJson, modelToJson, scoreRow, trainModel, type LabelledRows } from './model.js'
import { drift, referenceBins } from './psi.js'
import { baseValue, treeShap } from './treeshap.js'
import { buildShapTables, tableShap } from './treeshap-tables.js'

/** Seeded PRNG (mulberry32) so every run sees the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Rows whose label depends on an interaction of features 0 and 1 and on feature 2; 3 is noise. */
function synthetic(n: number, seed: number, shift = 0): LabelledRows {
  const r = rng(seed)
  const cols = 4
  const x = new Float64Array(n * cols)
  const y = new Uint8Array(n)
  const at = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const a = r() + shift
    const b = r()
    const c = Math.floor(r() * 5)
    const d = r()
    x.set([a, b, c, d], i * cols)
    const p = a > 0.7 && b > 0.5 ? 0.8 : c === 4 ? 0.3 : 0.02
    y[i] = r() < p ? 1 : 0
    at[i] = i
  }
  return { rows: n, cols, x, y, at }
}

const FEATURES = ['a', 'b', 'c', 'd']

/** E[f(x) | x_S] the path-dependent way: outside S, average the children by their cover. */
function condExpectation(t: Tree, x: ArrayLike<number>, s: Set<number>, node = 0): number {
  const f = t.feature[node]!
  if (f < 0) return t.value[node]!
  const l = t.left[node]!
  const r = t.right[node]!
  if (s.has(f)) return condExpectation(t, x, s, x[f]! <= t.threshold[node]! ? l : r)
  return (
    (t.cover[l]! * condExpectation(t, x, s, l) + t.cover[r]! * condExpectation(t, x, s, r)) / t.cover[node]!
  )
}

/** Shapley values by enumerating every coalition (exponential: small feature counts only). */
function bruteShapley(m: Ensemble, x: ArrayLike<number>): number[] {
  const n = m.features.length
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1))
  const v = (s: Set<number>): number => m.trees.reduce((acc, t) => acc + condExpectation(t, x, s), 0)
  const phi = new Array<number>(n).fill(0)
  for (let i = 0; i < n; i++)
    for (let mask = 0; mask < 1 << n; mask++) {
      if (mask & (1 << i)) continue
      const s = new Set<number>()
      for (let j = 0; j < n; j++) if (mask & (1 << j)) s.add(j)
      const w = (fact(s.size) * fact(n - s.size - 1)) / fact(n)
      const withI = new Set(s)
      withI.add(i)
      phi[i]! += w * (v(withI) - v(s))
    }
  return phi
}

describe('gradient-boosted trees', () => {
  const data = synthetic(4000, 7)
  const w = new Float64Array(data.rows).fill(1)

  const base = {
    trees: 30,
    depth: 4,
    learningRate: 0.2,
    lambda: 1,
    minChildWeight: 1,
    minGain: 0,
    maxBins: 32,
  }

  it('learns the interaction and is deterministic bit for bit', () => {
    const params = base
    const a = trainGbdt({ ...data, w }, FEATURES, params)
    const b = trainGbdt({ ...data, w }, FEATURES, params)
    expect(JSON.stringify(modelToJson(wrap(a)))).toBe(JSON.stringify(modelToJson(wrap(b))))
    const hot = predictMargin(a, [0.9, 0.9, 0, 0.5])
    const cold = predictMargin(a, [0.1, 0.1, 0, 0.5])
    expect(hot).toBeGreaterThan(cold + 2)
  })

  it('yields once per feature binned and once per node grown, and gives the same ensemble as in one go', () => {
    // the server trains between other requests one step at a time (runStepsInSlices): a step of a
    // whole tree or of every feature's binning held its event loop for 200 ms to 3.5 s (session 29)
    const steps = gbdtSteps({ ...data, w }, FEATURES, base)
    let yields = 0
    let r = steps.next()
    for (; !r.done; r = steps.next()) yields++
    const nodes = r.value.trees.reduce((s, t) => s + t.feature.length, 0)
    expect(yields).toBe(FEATURES.length + nodes)
    expect(JSON.stringify(modelToJson(wrap(r.value)))).toBe(
      JSON.stringify(modelToJson(wrap(trainGbdt({ ...data, w }, FEATURES, base)))),
    )
  })

  it('colsample: each tree splits only on its own feature subset, deterministically; 1 changes nothing', () => {
    const params = { ...base, trees: 20, depth: 3 }
    const sub = trainGbdt({ ...data, w }, FEATURES, { ...params, colsample: 0.5 })
    const again = trainGbdt({ ...data, w }, FEATURES, { ...params, colsample: 0.5 })
    expect(JSON.stringify(modelToJson(wrap(sub)))).toBe(JSON.stringify(modelToJson(wrap(again))))
    let restricted = 0
    sub.trees.forEach((t, k) => {
      const allowed = columnsOf(k, FEATURES.length, 0.5)!
      expect(allowed.some((a) => a === 1)).toBe(true)
      if (allowed.some((a) => a === 0)) restricted++
      for (const f of t.feature) if (f >= 0) expect(allowed[f]).toBe(1)
    })
    // the subsets differ between trees and leave features out of some of them
    expect(restricted).toBeGreaterThan(0)
    expect(
      new Set(sub.trees.map((_, k) => columnsOf(k, FEATURES.length, 0.5)!.join(''))).size,
    ).toBeGreaterThan(1)
    const all = trainGbdt({ ...data, w }, FEATURES, { ...params, colsample: 1 })
    const none = trainGbdt({ ...data, w }, FEATURES, params)
    expect(JSON.stringify(modelToJson(wrap(all)))).toBe(JSON.stringify(modelToJson(wrap(none))))
    expect(columnsOf(3, FEATURES.length, 1)).toBeUndefined()
  })

  it('TreeSHAP equals brute-force Shapley values and sums to margin − base value', () => {
    const m = trainGbdt({ ...data, w }, FEATURES, {
      trees: 6,
      depth: 4,
      learningRate: 0.3,
      lambda: 1,
      minChildWeight: 1,
      minGain: 0,
      maxBins: 16,
    })
    const r = rng(99)
    for (let k = 0; k < 20; k++) {
      const x = [r(), r(), Math.floor(r() * 5), r()]
      const phi = treeShap(m, x)
      const brute = bruteShapley(m, x)
      for (let i = 0; i < 4; i++) expect(phi[i]).toBeCloseTo(brute[i]!, 9)
      const sum = phi.reduce((s, v) => s + v, 0)
      expect(sum).toBeCloseTo(predictMargin(m, x) - baseValue(m), 9)
    }
  })

  it('table TreeSHAP (decision path) gives the same values as the recursive form and brute force', () => {
    // depth 6 on 4 features: most paths test a feature more than once (the merged-feature case)
    const m = trainGbdt({ ...data, w }, FEATURES, {
      trees: 12,
      depth: 6,
      learningRate: 0.3,
      lambda: 1,
      minChildWeight: 1,
      minGain: 0,
      maxBins: 16,
    })
    const tables = buildShapTables(m)
    expect(tables).toBeDefined()
    const r = rng(7)
    const phi = new Float64Array(4)
    for (let k = 0; k < 40; k++) {
      const x = [r(), r(), Math.floor(r() * 5), r()]
      tableShap(tables!, x, phi)
      const recursive = treeShap(m, x)
      const brute = k < 5 ? bruteShapley(m, x) : undefined
      for (let i = 0; i < 4; i++) {
        expect(phi[i]).toBeCloseTo(recursive[i]!, 10)
        if (brute) expect(phi[i]).toBeCloseTo(brute[i]!, 9)
      }
    }
  })
})

/** A RiskModel around a bare ensemble (serialisation test). */
function wrap(e: Ensemble): Parameters<typeof modelToJson>[0] {
  return {
    ensemble: e,
    calibration: { kind: 'isotonic', x: [], p: [] },
    reference: [],
    baseValue: baseValue(e),
    metrics: {
      trainRows: 0,
      trainPositives: 0,
      validationRows: 0,
      validationPositives: 0,
      averagePrecision: 0,
      brier: 0,
      positiveWeight: 1,
    },
  }
}

describe('risk model', () => {
  const data = synthetic(6000, 3)
  const model = trainModel(data, FEATURES, { validationFrom: 4500, params: { trees: 40, depth: 4 } })

  it('training and scoring are deterministic, and survive a JSON round trip', () => {
    const again = trainModel(data, FEATURES, { validationFrom: 4500, params: { trees: 40, depth: 4 } })
    expect(JSON.stringify(modelToJson(again))).toBe(JSON.stringify(modelToJson(model)))
    const restored = modelFromJson(
      JSON.parse(JSON.stringify(modelToJson(model))) as ReturnType<typeof modelToJson>,
    )
    const x = [0.8, 0.9, 1, 0.2]
    expect(scoreRow(restored, x)).toEqual(scoreRow(model, x))
  })

  it('bags: the mean of ensembles fitted on different negative samples, as one ensemble', () => {
    const opts = { validationFrom: 4500, params: { trees: 10, depth: 3 }, negativeRate: 0.3 }
    const one = trainModel(data, FEATURES, opts)
    // one bag is the single model exactly
    expect(JSON.stringify(modelToJson(trainModel(data, FEATURES, { ...opts, bags: 1 })))).toBe(
      JSON.stringify(modelToJson(one)),
    )
    const other = trainModel(data, FEATURES, { ...opts, sampleSeed: 1 })
    // another sample gives another model
    expect(JSON.stringify(other.ensemble.trees)).not.toBe(JSON.stringify(one.ensemble.trees))
    const two = trainModel(data, FEATURES, { ...opts, bags: 2 })
    expect(two.ensemble.trees).toHaveLength(20)
    expect(two.metrics.bags).toBe(2)
    const r = rng(11)
    for (let k = 0; k < 50; k++) {
      const x = [r(), r(), Math.floor(r() * 5), r()]
      const mean = (predictMargin(one.ensemble, x) + predictMargin(other.ensemble, x)) / 2
      expect(predictMargin(two.ensemble, x)).toBeCloseTo(mean, 12)
      // the explanation stays exact over the averaged trees
      const e = explainRow(two, x)
      expect(e.contributions.reduce((a, c) => a + c.shap, 0)).toBeCloseTo(e.margin - e.baseValue, 9)
    }
  })

  it('calibrates: probabilities are monotone in the margin and near the observed rate', () => {
    expect(scoreRow(model, [0.9, 0.9, 0, 0.5]).probability).toBeGreaterThan(0.5)
    expect(scoreRow(model, [0.1, 0.1, 0, 0.5]).probability).toBeLessThan(0.1)
    expect(model.metrics.averagePrecision).toBeGreaterThan(0.5)
    const c = fitIsotonic([0, 1, 2, 3], [0, 1, 0, 1], [1, 1, 1, 1])
    for (let m = -1; m < 4; m += 0.25) expect(calibrate(c, m + 0.25)).toBeGreaterThanOrEqual(calibrate(c, m))
  })

  it('every explanation sums to the score logit minus the base value', () => {
    const r = rng(5)
    for (let k = 0; k < 50; k++) {
      const x = [r(), r(), Math.floor(r() * 5), r()]
      const e = explainRow(model, x)
      const sum = e.contributions.reduce((s, c) => s + c.shap, 0)
      expect(sum).toBeCloseTo(e.margin - e.baseValue, 9)
      expect(e.margin).toBe(scoreRow(model, x).margin)
    }
    const e = explainRow(model, [0.95, 0.95, 0, 0.5])
    expect(['a', 'b']).toContain(e.contributions[0]!.feature)
    expect(e.contributions[0]!.shap).toBeGreaterThan(0)
  })

  it('PSI flags a shifted feature and leaves stable ones alone', () => {
    const ref = referenceBins(data.x, data.rows, data.cols, FEATURES)
    const same = synthetic(3000, 11)
    expect(drift(ref, same.x, same.rows).every((d) => !d.drifting)).toBe(true)
    const shifted = synthetic(3000, 11, 0.5)
    const report = drift(ref, shifted.x, shifted.rows)
    expect(report.find((d) => d.feature === 'a')!.drifting).toBe(true)
    expect(report.find((d) => d.feature === 'd')!.drifting).toBe(false)
  })
})
