import { describe, expect, it } from 'vitest'
import {
  compileRuleSet,
  DAY_MS,
  defaultRuleSet,
  generateTransactions,
  MODEL_RULE_ID,
  MonitoringEngine,
  withinBudget,
  withModel,
  type AlertDraft,
  type DecisionScorer,
  type DecisionScores,
  type MonTxn,
  type ModelFacts,
} from '../monitoring/index.js'
import { confidenceOf } from './alert-budget.js'
import { AlertVolume } from './alert-volume.js'
import { calibrate } from './calibration.js'
import { createDecisionScorer } from './decision.js'
import { RiskGraph } from './graph.js'
import type { ScoreStore } from './score.store.js'
import { SubjectScores } from './subject-score.js'
import { timeSplit, trainOnHistory } from './training.js'
import { caseLabels } from './case-labels.fixture.js'

describe('the decision path scores a customer by its recent top rows', () => {
  const data = generateTransactions({ customers: 400, days: 50, seed: 33, caseRate: 0.05 })
  const labels = caseLabels(data.cases)
  const ruleSet = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  const history = {
    txns: data.txns,
    parties: data.parties,
    highRisk: data.highRiskCountries,
    labels,
    ruleSet,
  }

  let trained: ReturnType<typeof trainOnHistory> | undefined
  const train = () =>
    (trained ??= trainOnHistory(history, timeSplit(data.start, data.end + DAY_MS), { trees: 12, depth: 3 }))
  const newEngine = () => {
    const engine = new MonitoringEngine({
      lists: new Map([
        ['high_risk_countries', new Set(data.highRiskCountries)],
        ['watchlist', new Set()],
      ]),
      parties: new Map(data.parties.map((p) => [p.id, p])),
    })
    engine.active = ruleSet
    return engine
  }

  /** Decides `t` as monitoring does: the rules with the scorer observing, then the model merged in. */
  const decide = (engine: MonitoringEngine, scorer: DecisionScorer, t: MonTxn): AlertDraft[] => {
    let s: DecisionScores | undefined
    const res = engine.process(t, { observe: (ctx, x) => (s = scorer.score(ctx, x)) })
    return withModel(t, res.alerts, res.duplicates, s!, scorer, {
      ruleSetVersion: 1,
      parties: new Map(),
      claim: (ruleId, subject, at) => engine.claimAlert(ruleId, subject, at),
    }).alerts
  }

  it('reports each side as its subject’s score after this row, with the row’s margin beside it', () => {
    const { model, threshold } = train()
    const engine = newEngine()
    const subjects = new SubjectScores(3, model.calibration)
    const scorer = createDecisionScorer(
      { highRisk: new Set(data.highRiskCountries), graph: new RiskGraph() },
      { id: 'm', version: 1, threshold, model, subjects },
      [],
      {} as ScoreStore,
    )
    // an independent tally of the same rows: the scorer's probability is the subject's, not the row's
    const reference = new SubjectScores(3, model.calibration)
    let notTheRow = 0
    let sides = 0
    for (const t of data.txns) {
      let s: DecisionScores | undefined
      engine.process(t, { observe: (ctx, x) => (s = scorer.score(ctx, x)) })
      for (const side of s!.champion!.sides) {
        sides++
        expect(side.margin).toBeDefined()
        expect(side.probability).toBeCloseTo(reference.add(side.subject, t.at, side.margin!), 12)
        if (Math.abs(side.probability - calibrate(model.calibration, side.margin!)) > 1e-9) notTheRow++
      }
    }
    expect(sides).toBeGreaterThan(1000)
    expect(notTheRow).toBeGreaterThan(sides / 10)
  }, 120_000)

  it('raises its own alerts within its alert budget, each explained up and down; the rules’ marked by the same test', () => {
    const { model, threshold } = train()
    const trainedBudget = model.metrics.alertBudget!
    // a budget whose cut admits about the customers the model alone would alert on (the trained
    // one, on this small history, leaves the model no room above the rules' precision)
    const alertBudget = { ...trainedBudget, cut: confidenceOf(trainedBudget, threshold), cutModel: threshold }
    const budgeted = { ...model, metrics: { ...model.metrics, alertBudget } }
    const engine = newEngine()
    const scorer = createDecisionScorer(
      { highRisk: new Set(data.highRiskCountries), graph: new RiskGraph() },
      { id: 'm', version: 3, threshold, model: budgeted, subjects: new SubjectScores(3, model.calibration) },
      [],
      {} as ScoreStore,
    )
    const own: AlertDraft[] = []
    const ruled: AlertDraft[] = []
    for (const t of data.txns)
      for (const a of decide(engine, scorer, t)) (a.ruleId === MODEL_RULE_ID ? own : ruled).push(a)
    expect(own.length).toBeGreaterThan(0)
    for (const a of own) {
      const m = a.context.model as ModelFacts
      expect(m.withinBudget).toBe(true)
      expect(m.confidence).toBeGreaterThanOrEqual(alertBudget.cut)
      expect(m.explanation!.up.length).toBeGreaterThan(0)
      expect(m.explanation!.up.every((c) => c.shap > 0)).toBe(true)
      expect(m.explanation!.down.every((c) => c.shap < 0)).toBe(true)
      expect(a.reason).toMatch(/^Risk model v3 scored [\d.]+ \(confidence [\d.]+, within the alert budget/)
    }
    const facts = ruled.map((a) => a.context.model as ModelFacts | undefined).filter((m) => m !== undefined)
    expect(facts.length).toBeGreaterThan(0)
    expect(
      facts.every((m) => m.withinBudget === withinBudget(alertBudget, m.confidence!, m.probability, true)),
    ).toBe(true)
  }, 120_000)

  it('keeps the queue near the rules’ volume of its own traffic where the trained cut admits no one', () => {
    const { model, threshold } = train()
    // a cut fitted on a validation period unlike this traffic, at its extreme: nobody is within
    const alertBudget = { ...model.metrics.alertBudget!, cut: 2, cutModel: 2 }
    const budgeted = { ...model, metrics: { ...model.metrics, alertBudget } }
    const run = (volume: AlertVolume | undefined) => {
      const engine = newEngine()
      const scorer = createDecisionScorer(
        { highRisk: new Set(data.highRiskCountries), graph: new RiskGraph() },
        {
          id: 'm',
          version: 4,
          threshold,
          model: budgeted,
          subjects: new SubjectScores(3, model.calibration),
        },
        [],
        {} as ScoreStore,
        undefined,
        volume,
      )
      const from = data.end - 30 * DAY_MS
      const queue = new Set<string>()
      const ruled = new Set<string>()
      for (const t of data.txns) {
        const alerts = decide(engine, scorer, t)
        if (t.at < from) continue
        for (const a of alerts) {
          const m = a.context.model as ModelFacts | undefined
          if (a.ruleId !== MODEL_RULE_ID) ruled.add(a.subject)
          if (a.ruleId === MODEL_RULE_ID || m?.withinBudget !== false) queue.add(a.subject)
        }
      }
      return { queue: queue.size, ruled: ruled.size }
    }
    const fixed = run(undefined)
    const adapted = run(new AlertVolume(alertBudget, 30 * DAY_MS, 3))
    expect(fixed.ruled).toBeGreaterThan(5)
    // only rule alerts on subjects the model does not score stay in a queue that admits no one
    expect(fixed.queue).toBeLessThan(fixed.ruled / 2)
    expect(adapted.ruled).toBe(fixed.ruled)
    expect(adapted.queue).toBeGreaterThanOrEqual(adapted.ruled * 0.5)
    expect(adapted.queue).toBeLessThanOrEqual(adapted.ruled * 1.5)
  }, 120_000)
})
