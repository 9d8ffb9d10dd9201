import { describe, expect, it } from 'vitest'
import {
  compileRuleSet,
  DAY_MS,
  defaultRuleSet,
  generateTransactions,
  combinedScoreOf,
  withinBudget,
} from '../monitoring/index.js'
import { SUBJECT_ROW_DISCOUNT, SUBJECT_TOP_ROWS } from './combine.js'
import { FEATURE_COUNT } from './features.js'
import { modelFromJson, modelToJson, scoreRow, scoresRow, type ModelJson, type RiskModel } from './model.js'
import { SUBJECT_WINDOW_MS } from './subject-score.js'
import { confidenceOf, rulesBySubject } from './alert-budget.js'
import {
  negativeSampling,
  promotionGate,
  promotionGateSteps,
  ruleSubjects,
  subjectScores,
  subjectSeeds,
  subjectSeedsSteps,
  timeSplit,
  trainOnHistory,
  trainOnHistorySteps,
} from './training.js'
import { runSteps, runStepsInSlices } from '../../shared/time-slice.js'
import { liveQueueSteps } from './live-queue.js'
import { caseLabels } from './case-labels.fixture.js'

/** The same trees with every leaf negated: it ranks the innocent first. */
function inverted(m: RiskModel): RiskModel {
  return {
    ...m,
    ensemble: {
      ...m.ensemble,
      trees: m.ensemble.trees.map((t) => ({ ...t, value: t.value.map((v) => -v) })),
    },
  }
}

describe('negative sampling', () => {
  it('keeps every negative of a small history, and a quarter of a large one in one ensemble', () => {
    expect(negativeSampling(400_000)).toEqual({ negativeRate: 1, bags: 1 })
    expect(negativeSampling(400_001)).toEqual({ negativeRate: 0.25, bags: 1 })
  })
})

describe('training on history and the promotion gate', () => {
  const data = generateTransactions({ customers: 1000, days: 60, seed: 21, caseRate: 0.04 })
  const labels = caseLabels(data.cases)
  const history = {
    txns: data.txns,
    parties: data.parties,
    highRisk: data.highRiskCountries,
    labels,
    ruleSet: compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist'])),
  }
  const split = timeSplit(data.start, data.end + DAY_MS)
  const trained = trainOnHistory(history, split, { trees: 30, depth: 4 })

  it('trains deterministically on the first half, calibrates on the next quarter', () => {
    expect(trained.model.metrics.trainPositives).toBeGreaterThan(0)
    expect(trained.model.metrics.validationPositives).toBeGreaterThan(0)
    expect(trained.threshold).toBeGreaterThan(0)
    const again = trainOnHistory(history, split, { trees: 30, depth: 4 })
    expect(again.threshold).toBe(trained.threshold)
    expect(again.model.metrics).toEqual(trained.model.metrics)
  }, 120_000)

  it('trains to the same model and gate in slices, between which the event loop turns', async () => {
    let turns = 0
    const tick = setInterval(() => turns++, 1)
    const sliced = await runStepsInSlices(
      trainOnHistorySteps(split, trained.replay, { trees: 30, depth: 4 }),
    ).finally(() => clearInterval(tick))
    expect(modelToJson(sliced.model)).toEqual(modelToJson(trained.model))
    expect(sliced.threshold).toBe(trained.threshold)
    const gate = await runStepsInSlices(promotionGateSteps(trained.replay, split, sliced.model, undefined))
    expect(gate).toEqual(promotionGate(trained.replay, split, trained.model, undefined))
    expect(await runStepsInSlices(subjectSeedsSteps(sliced.model, trained.replay, split.to))).toEqual(
      subjectSeeds(trained.model, trained.replay, split.to),
    )
    // 30 trees over ~100,000 rows take many 4 ms slices
    expect(turns).toBeGreaterThan(0)
  }, 120_000)

  it('refuses a worse model and lets a better one through, at the live configuration budget', () => {
    const good = { model: trained.model, threshold: trained.threshold }
    const worse = inverted(trained.model)
    const refused = promotionGate(trained.replay, split, worse, good)
    expect(refused.passed).toBe(false)
    // the inverted model catches at best what the rules among its budget catch, and ranks worse
    expect(refused.candidateDetected).toBeLessThanOrEqual(refused.liveDetected)
    expect(refused.candidateAveragePrecision).toBeLessThan(refused.liveAveragePrecision)
    expect(refused.live).toBe('model')
    const accepted = promotionGate(trained.replay, split, trained.model, { model: worse, threshold: 0.5 })
    expect(accepted.candidateDetected).toBeGreaterThanOrEqual(accepted.liveDetected)
    expect(accepted.passed).toBe(true)
  }, 120_000)

  it('judges a candidate with a budget by the case queue it would build live, not its top customers (session 58)', () => {
    const r = trained.replay
    const b = trained.model.metrics.alertBudget!
    const gate = promotionGate(r, split, trained.model, undefined)
    const queue = runSteps(liveQueueSteps(trained.model, b, r, split.holdoutFrom, split.to + 1)).queued
    const positives = subjectScores(trained.model, r, split.holdoutFrom, split.to + 1).positives
    expect(gate.candidateAlerted).toBe(queue.size)
    // the queue counted up to the live configuration's size (here it holds no more than that)
    expect(queue.size).toBeLessThanOrEqual(gate.budget)
    expect(gate.candidateDetected).toBe([...queue].filter((s) => positives.has(s)).length)
    // a cut no customer reaches, trading rule alerts: its top customers by combined score are the
    // same as the trained model's, but live it would move every scored rule alert out of the queue
    // and raise none of its own; the gate sees that and refuses it
    const cutAbove: RiskModel = {
      ...trained.model,
      metrics: {
        ...trained.model.metrics,
        alertBudget: { ...b, cut: 2, cutModel: 2, keepsRuleAlerts: false },
      },
    }
    const refused = promotionGate(r, split, cutAbove, undefined)
    expect(refused.candidateDetected).toBeLessThan(gate.candidateDetected)
    expect(refused.candidateDetected).toBeLessThan(refused.liveDetected)
    expect(refused.passed).toBe(false)
  }, 120_000)

  it('chooses the threshold on customers scored by their top 3 rows, as the decision path scores them', () => {
    expect(trained.model.metrics.subjectTopRows).toBe(SUBJECT_TOP_ROWS)
    const r = trained.replay
    const { best, positives } = subjectScores(trained.model, r, split.validationFrom, split.holdoutFrom, true)
    const ruled = ruleSubjects(r, split.validationFrom, split.holdoutFrom).size
    // the rules' volume on validation, the gate's budget (the suspicious count only without rule alerts)
    const budget = ruled > 0 ? ruled : Math.max(1, positives.size)
    expect(ruled).toBeGreaterThan(0)
    expect(budget).toBeLessThan(positives.size) // this history has more suspicious customers than rule alerts
    // the model alone alerts on the budget's worth of customers in the decision path (peak scores)
    const alerted = [...best.values()].filter((p) => p >= trained.threshold).length
    const tied = [...best.values()].filter((p) => p === trained.threshold).length
    expect(alerted).toBeGreaterThanOrEqual(Math.min(budget, best.size))
    expect(alerted - tied).toBeLessThan(budget)
  }, 120_000)

  it('stores an alert budget with which rules and model together alert on the rules’ volume on validation (session 31)', () => {
    const b = trained.model.metrics.alertBudget!
    const r = trained.replay
    const { best, positives } = subjectScores(trained.model, r, split.validationFrom, split.holdoutFrom, true)
    const ruledSet = ruleSubjects(r, split.validationFrom, split.holdoutFrom)
    expect(b.customers).toBe(ruledSet.size)
    const right = [...ruledSet].filter((s) => positives.has(s)).length
    expect(b.rulesPrecision).toBe((right + 1) / (ruledSet.size + 2))
    const unscored = [...ruledSet].filter((s) => !best.has(s)).length
    const rulesOn = rulesBySubject(
      r.alerts.filter((a) => a.at >= split.validationFrom && a.at < split.holdoutFrom),
    )
    // each rule alert counts with its rule's own precision (session 35), shrunk towards the pooled one
    expect(Object.keys(b.rulePrecision ?? {}).sort()).toEqual(
      [...new Set([...rulesOn.values()].flat())].sort(),
    )
    // a rule alert's record and the model's confidence combine by noisy-or (session 36)
    expect(b.combine).toBe('noisy_or')
    const combined = (s: string, p: number) =>
      combinedScoreOf(b, confidenceOf(b, p), ruledSet.has(s) ? rulesOn.get(s)! : [])
    const within =
      [...best].filter(([s, p]) => withinBudget(b, confidenceOf(b, p), p, rulesOn.get(s) ?? [])).length +
      unscored
    const tied = [...best].filter(([s, p]) => combined(s, p) === b.cut && p === b.cutModel).length
    expect(within).toBeGreaterThanOrEqual(ruledSet.size)
    expect(within - tied).toBeLessThan(ruledSet.size)
    // the confidence is a customer-level calibration: non-decreasing in the score
    const ps = [...best.values()].sort((x, y) => x - y)
    for (let i = 1; i < ps.length; i++)
      expect(confidenceOf(b, ps[i]!)).toBeGreaterThanOrEqual(confidenceOf(b, ps[i - 1]!))
    // stored and read back with the model
    const stored = modelFromJson(JSON.parse(JSON.stringify(modelToJson(trained.model))) as ModelJson)
    expect(stored.metrics.alertBudget).toEqual(b)
  }, 120_000)

  it('judges the live configuration the same whatever the candidate: a live model without a budget keeps its own scores', () => {
    const { alertBudget: _b, ...metrics } = trained.model.metrics
    const old = { ...trained.model, metrics }
    const live = { model: old, threshold: trained.threshold }
    const withBudget = promotionGate(trained.replay, split, trained.model, live)
    const without = promotionGate(trained.replay, split, old, live)
    expect(withBudget.budget).toBe(without.budget)
    expect(withBudget.liveDetected).toBe(without.liveDetected)
    expect(withBudget.liveAveragePrecision).toBe(without.liveAveragePrecision)
  }, 120_000)

  it('keeps scoring a model stored before session 19 by its highest row alone (its threshold was chosen so)', () => {
    const { subjectTopRows: _chosen, ...before } = trained.model.metrics
    const stored = modelFromJson(
      JSON.parse(JSON.stringify(modelToJson({ ...trained.model, metrics: before }))) as ModelJson,
    )
    const r = trained.replay
    const { best } = subjectScores(stored, r, split.holdoutFrom, split.to + 1)
    const highest = new Map<string, number>()
    for (let i = 0; i < r.rows.rows; i++) {
      if (r.rows.at[i]! < split.holdoutFrom) continue
      const x = r.rows.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)
      // a customers-only model (production's since session 54) scores the customers' rows alone
      if (!scoresRow(stored, x)) continue
      const p = scoreRow(stored, x).probability
      if ((highest.get(r.subjects[i]!) ?? -1) < p) highest.set(r.subjects[i]!, p)
    }
    expect(best).toEqual(highest)
    // the new model's customer score is its top 3 rows of the window (which reaches back before the
    // holdout): never above its highest row there, and below it for some
    const windowHighest = new Map<string, number>()
    for (let i = 0; i < r.rows.rows; i++) {
      if (r.rows.at[i]! < split.holdoutFrom - SUBJECT_WINDOW_MS) continue
      const x = r.rows.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)
      if (!scoresRow(stored, x)) continue
      const p = scoreRow(stored, x).probability
      if ((windowHighest.get(r.subjects[i]!) ?? -1) < p) windowHighest.set(r.subjects[i]!, p)
    }
    const top3 = subjectScores(trained.model, r, split.holdoutFrom, split.to + 1).best
    let lower = 0
    for (const [sub, p] of top3) {
      expect(p).toBeLessThanOrEqual(windowHighest.get(sub)! + 1e-12)
      if (p < highest.get(sub)! - 1e-9) lower++
    }
    expect(lower).toBeGreaterThan(0)
  }, 120_000)

  it('discounts each customer’s score by ln(its rows), as the decision path does; a model stored before is not (session 21)', () => {
    expect(trained.model.metrics.subjectRowDiscount).toBe(SUBJECT_ROW_DISCOUNT)
    const r = trained.replay
    const { subjectRowDiscount: _chosen, ...before } = trained.model.metrics
    const stored: RiskModel = { ...trained.model, metrics: before }
    const discounted = subjectScores(trained.model, r, split.holdoutFrom, split.to + 1).best
    const plain = subjectScores(stored, r, split.holdoutFrom, split.to + 1).best
    expect([...plain.keys()].sort()).toEqual([...discounted.keys()].sort())
    let lower = 0
    for (const [sub, p] of discounted) {
      expect(p).toBeLessThanOrEqual(plain.get(sub)! + 1e-12)
      if (p < plain.get(sub)! - 1e-9) lower++
    }
    expect(lower).toBeGreaterThan(discounted.size / 2) // nearly every customer has more than one row
  }, 120_000)
})
