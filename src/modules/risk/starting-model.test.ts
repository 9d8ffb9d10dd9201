import { describe, expect, it } from 'vitest'
import { rng } from '../monitoring/index.js'
import { FEATURE_NAMES } from './features.js'
import { predictMargin, trainGbdt, DEFAULT_TRAIN } from './gbdt.js'
import { bundledStartingModel } from './starting-model.js'
import { treeShap, baseValue } from './treeshap.js'

const FEATURES = ['a', 'b', 'c']

/** Label from feature 0 on a "general" population, and from feature 1 too on a "tenant" one. */
function rows(n: number, seed: number, tenant: boolean) {
  const r = rng(seed)
  const x = new Float64Array(n * 3)
  const y = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const a = r()
    const b = r()
    x.set([a, b, r()], i * 3)
    const p = a > 0.8 ? 0.7 : tenant && b > 0.9 ? 0.7 : 0.03
    y[i] = r() < p ? 1 : 0
  }
  return { rows: n, cols: 3, x, y, w: new Float64Array(n).fill(1) }
}

const logLoss = (m: Parameters<typeof predictMargin>[0], d: ReturnType<typeof rows>): number => {
  let s = 0
  for (let i = 0; i < d.rows; i++) {
    const p = 1 / (1 + Math.exp(-predictMargin(m, d.x.subarray(i * 3, i * 3 + 3))))
    s -= d.y[i] ? Math.log(p) : Math.log(1 - p)
  }
  return s / d.rows
}

describe('the starting model', () => {
  it('is bundled for this build’s features (retrain it with `npm run bench -- risk-starting-model` when they change)', () => {
    const start = bundledStartingModel()
    expect(start).toBeDefined()
    expect(start!.ensemble.features).toEqual(FEATURE_NAMES)
    expect(start!.ensemble.trees.length).toBeGreaterThan(0)
    expect(start!.name).toMatch(/^tuning-/)
  })

  it('boosts new trees from its margin: its trees first, then trees that fit what it got wrong', () => {
    const general = trainGbdt(rows(4000, 1, false), FEATURES, { ...DEFAULT_TRAIN, trees: 20, depth: 3 })
    const tenant = rows(4000, 2, true)
    const boosted = trainGbdt(tenant, FEATURES, { ...DEFAULT_TRAIN, trees: 10, depth: 3 }, general)
    expect(boosted.trees.length).toBe(30)
    expect(boosted.trees.slice(0, 20)).toEqual(general.trees)
    expect(boosted.base).toBe(general.base)
    // on the tenant's own rows it does better than the start alone (it learned feature 1)
    expect(logLoss(boosted, tenant)).toBeLessThan(logLoss(general, tenant) - 0.01)
    // explanations stay exact: TreeSHAP adds up to the margin over all the trees
    const x = tenant.x.subarray(0, 3)
    const phi = [...treeShap(boosted, x)]
    expect(baseValue(boosted) + phi.reduce((s, v) => s + v, 0)).toBeCloseTo(predictMargin(boosted, x), 9)
  })

  it('refuses a start trained on other features', () => {
    const general = trainGbdt(rows(500, 1, false), ['x', 'y', 'z'], { ...DEFAULT_TRAIN, trees: 2, depth: 2 })
    expect(() => trainGbdt(rows(500, 2, true), FEATURES, DEFAULT_TRAIN, general)).toThrow(/other features/)
  })
})
