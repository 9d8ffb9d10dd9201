import { describe, expect, it } from 'vitest'
import { runSteps } from '../../shared/time-slice.js'
import {
  compileRuleSet,
  DAY_MS,
  defaultRuleSet,
  generateTransactions,
  withinBudget,
} from '../monitoring/index.js'
import { confidenceOf } from './alert-budget.js'
import { FEATURE_COUNT, FEATURE_NAMES } from './features.js'
import { caseLabels } from './case-labels.fixture.js'
import { liveQueueSteps } from './live-queue.js'
import { promotionGate, ruleSubjects, subjectScores, timeSplit, trainOnHistory } from './training.js'

describe("the live model's case queue, replayed for the promotion gate (session 56)", () => {
  const data = generateTransactions({ customers: 1000, days: 60, seed: 21, caseRate: 0.04 })
  const history = {
    txns: data.txns,
    parties: data.parties,
    highRisk: data.highRiskCountries,
    labels: caseLabels(data.cases),
    ruleSet: compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist'])),
  }
  const split = timeSplit(data.start, data.end + DAY_MS)
  const trained = trainOnHistory(history, split, { trees: 30, depth: 4 })
  const budget = trained.model.metrics.alertBudget!
  const r = trained.replay
  const [lo, hi] = [split.holdoutFrom, split.to + 1]
  const queue = () => runSteps(liveQueueSteps(trained.model, budget, r, lo, hi))

  // on this small history the trained budget admits no customer without a rule alert, and every rule
  // alert is within it: no room and nothing of the model's own. A lower cut (about 20 customers
  // without a rule alert above it at their peak) and rules read without their record (the model's
  // confidence alone decides a rule alert's place), so that some rule alerts fall outside and free
  // places for the model's own
  const peaks = subjectScores(trained.model, r, lo, hi, true).best
  const ruled = ruleSubjects(r, lo, hi)
  const unruled = [...peaks].filter(([s]) => !ruled.has(s)).map(([, p]) => confidenceOf(budget, p))
  const lowered = {
    ...budget,
    cut: unruled.sort((a, b) => b - a)[20]!,
    cutModel: 0,
    rulesPrecision: 0,
    rulePrecision: {},
    keepsRuleAlerts: false,
  }
  const replayed = (alerts = r.alerts) => {
    const q = runSteps(liveQueueSteps(trained.model, lowered, { ...r, alerts }, lo, hi))
    return { q, own: [...q.queued].filter((s) => !ruled.has(s)) }
  }
  const within = (p: number) => withinBudget(lowered, confidenceOf(lowered, p), p, [])

  it('scores each customer as the gate always has, and queues rule alerts and the model’s own within the budget', () => {
    const { q, own } = replayed()
    expect(q.best).toEqual(peaks)
    expect(own.length).toBeGreaterThan(0)
    // within the budget when raised, so at its peak too (the budget only rises with the score)
    for (const s of own) expect(within(q.best.get(s)!)).toBe(true)
    // some rule alerts fell outside: the places the model's own took
    expect([...ruled].some((s) => !q.queued.has(s))).toBe(true)
  }, 120_000)

  it('raises none of its own on a customer already confirmed, and ranks it nowhere (session 59)', () => {
    const { own } = replayed()
    const confirmed = own[0]!
    // the same history with the customer named in a case confirmed before the holdout: every row
    // of it reads distance 0 to known-bad, as the graph would write it
    const x = Float64Array.from(r.rows.x)
    const col = FEATURE_NAMES.indexOf('graph.self_bad_distance')
    r.subjects.forEach((s, i) => {
      if (s === confirmed) x[i * FEATURE_COUNT + col] = 0
    })
    const q = runSteps(liveQueueSteps(trained.model, lowered, { ...r, rows: { ...r.rows, x } }, lo, hi))
    expect(q.queued.has(confirmed)).toBe(false)
    expect(q.best.has(confirmed)).toBe(false)
    expect(
      subjectScores(trained.model, { ...r, rows: { ...r.rows, x } }, lo, hi, true).best.has(confirmed),
    ).toBe(false)
    // the others keep their places as before (the queue's room is counted as before)
    expect([...q.queued].filter((s) => !ruled.has(s)).length).toBeGreaterThan(0)
  }, 120_000)

  it('finds the replay row of every rule alert it counts (one without a row would be skipped)', () => {
    // the replay matches a rule alert to the row of its transaction and subject; the replay writes a
    // row for every account side, and the rules alert on accounts
    const rows = new Set(r.txnIds.map((t, i) => `${t}|${r.subjects[i]!}`))
    expect(r.alerts.length).toBeGreaterThan(0)
    expect(r.alerts.filter((a) => !rows.has(`${a.txnId}|${a.subject}`))).toEqual([])
  }, 120_000)

  it('raises none of its own while the rules alert on nobody: the queue has no room', () => {
    expect([...peaks].filter(([s, p]) => !ruled.has(s) && within(p)).length).toBeGreaterThanOrEqual(20)
    expect(replayed([]).q.queued.size).toBe(0)
  }, 120_000)

  it('gives the candidate as many places as the live queue holds', () => {
    const gate = promotionGate(r, split, trained.model, {
      model: trained.model,
      threshold: trained.threshold,
    })
    const q = queue()
    expect(gate.live).toBe('model')
    expect(gate.budget).toBe(q.queued.size)
    const { positives } = subjectScores(trained.model, r, lo, hi)
    expect(positives.size).toBeGreaterThan(0)
    expect(gate.liveDetected).toBe([...q.queued].filter((s) => positives.has(s)).length)
  }, 120_000)
})
