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
  type DecisionScores,
  type ModelFacts,
} from '../monitoring/index.js'
import { confidenceOf } from './alert-budget.js'
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

  it('asks each model only about the sides it knows: a customers-only champion never about outside accounts, an all-rows challenger about both', () => {
    const { model, threshold } = train()
    // production trains customers-only (training.ts PRODUCTION_TARGET); a model stored before
    // session 54 learned from every row and is still asked about every side
    expect(model.metrics.customersOnly).toBe(true)
    expect(model.metrics.perCase).toBe(true)
    const { customersOnly: _only, ...allRows } = model.metrics
    const engine = newEngine()
    const scorer = createDecisionScorer(
      { highRisk: new Set(data.highRiskCountries), graph: new RiskGraph() },
      { id: 'champion', version: 1, threshold, model, subjects: new SubjectScores(3, model.calibration) },
      [
        {
          id: 'challenger',
          version: 1,
          threshold,
          model: { ...model, metrics: allRows },
          subjects: new SubjectScores(3, model.calibration),
        },
      ],
      {} as ScoreStore,
    )
    // the generator's customers hold the accounts named A…; the others are outside the institution
    const isCustomer = (account: string): boolean => account.startsWith('A')
    let outsideAsked = 0
    for (const t of data.txns.slice(0, 20_000)) {
      let s: DecisionScores | undefined
      engine.process(t, { observe: (ctx, x) => (s = scorer.score(ctx, x)) })
      for (const side of s!.champion!.sides) expect(isCustomer(side.subject)).toBe(true)
      outsideAsked += s!.challengers[0]!.sides.filter((side) => !isCustomer(side.subject)).length
      // the champion's sides are the challenger's customers
      expect(s!.champion!.sides.map((x) => x.subject)).toEqual(
        s!.challengers[0]!.sides.filter((x) => isCustomer(x.subject)).map((x) => x.subject),
      )
    }
    expect(outsideAsked).toBeGreaterThan(100)
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
    for (const t of data.txns) {
      let s: DecisionScores | undefined
      const res = engine.process(t, { observe: (ctx, x) => (s = scorer.score(ctx, x)) })
      const out = withModel(t, res.alerts, res.duplicates, s!, scorer, {
        ruleSetVersion: 1,
        parties: new Map(),
        claim: (ruleId, subject, at) => engine.claimAlert(ruleId, subject, at),
      })
      for (const a of out.alerts) (a.ruleId === MODEL_RULE_ID ? own : ruled).push(a)
    }
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
    // a rule alert is judged with the best record among the rules alerting on its subject in that
    // transaction (the budget stores each rule's precision since session 35)
    expect(Object.keys(alertBudget.rulePrecision ?? {}).length).toBeGreaterThan(0)
    const rulesOn = (a: AlertDraft): string[] =>
      ruled.filter((x) => x.txnId === a.txnId && x.subject === a.subject).map((x) => x.ruleId)
    const judged = ruled.filter((a) => a.context.model !== undefined)
    expect(judged.length).toBeGreaterThan(0)
    for (const a of judged) {
      const m = a.context.model as ModelFacts
      expect(m.withinBudget).toBe(withinBudget(alertBudget, m.confidence!, m.probability, rulesOn(a)))
    }
  }, 120_000)
})
