import { describe, expect, it } from 'vitest'
import {
  compileRuleSet,
  DAY_MS,
  defaultRuleSet,
  generateTransactions,
  MonitoringEngine,
  type DecisionScores,
} from '../monitoring/index.js'
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

  it('reports each side as its subject’s score after this row, with the row’s margin beside it', () => {
    const { model, threshold } = trainOnHistory(history, timeSplit(data.start, data.end + DAY_MS), {
      trees: 12,
      depth: 3,
    })
    const engine = new MonitoringEngine({
      lists: new Map([
        ['high_risk_countries', new Set(data.highRiskCountries)],
        ['watchlist', new Set()],
      ]),
      parties: new Map(data.parties.map((p) => [p.id, p])),
    })
    engine.active = ruleSet
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
})
