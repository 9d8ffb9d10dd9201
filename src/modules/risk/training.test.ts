import { describe, expect, it } from 'vitest'
import { compileRuleSet, DAY_MS, defaultRuleSet, generateTransactions } from '../monitoring/index.js'
import type { RiskModel } from './model.js'
import type { RiskLabel } from './replay.js'
import { promotionGate, timeSplit, trainOnHistory } from './training.js'

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

describe('training on history and the promotion gate', () => {
  const data = generateTransactions({ customers: 1000, days: 60, seed: 21, caseRate: 0.04 })
  const labels: RiskLabel[] = data.cases.map((c) => ({
    id: c.id,
    typology: c.typology,
    accounts: c.members,
    from: c.start,
    to: c.end,
    knownAt: c.end + 7 * DAY_MS,
    positive: true,
  }))
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

  it('refuses a worse model and lets a better one through, at the live configuration budget', () => {
    const good = { model: trained.model, threshold: trained.threshold }
    const worse = inverted(trained.model)
    const refused = promotionGate(trained.replay, split, worse, good)
    expect(refused.passed).toBe(false)
    expect(refused.candidateDetected).toBeLessThan(refused.liveDetected)
    expect(refused.live).toBe('model')
    const accepted = promotionGate(trained.replay, split, trained.model, { model: worse, threshold: 0.5 })
    expect(accepted.candidateDetected).toBeGreaterThanOrEqual(accepted.liveDetected)
    expect(accepted.passed).toBe(true)
  }, 120_000)
})
