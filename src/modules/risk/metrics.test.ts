import { describe, expect, it } from 'vitest'
import { DAY_MS, DEDUP_WINDOW_MS, type AlertedSubjectDay } from '../monitoring/index.js'
import { periodMetrics, raisedDays } from './metrics.js'
import type { RiskLabel } from './replay.js'
import type { SubjectDay } from './score.store.js'

const WEEK0 = Date.UTC(2026, 2, 2) // a Monday
const day = (n: number): number => WEEK0 + n * DAY_MS
const scored = (subject: string, n: number, p: number, champion = false): SubjectDay => ({
  subject,
  day: day(n),
  maxProbability: p,
  champion,
})

describe('champion/challenger metrics count alerts as the decision path raises them', () => {
  // A stays above the threshold for five weeks, B crosses it once in week 2, C never
  const scores = [
    ...Array.from({ length: 35 }, (_, n) => scored('A', n, 0.9)),
    scored('B', 9, 0.7),
    scored('B', 10, 0.2),
    ...Array.from({ length: 35 }, (_, n) => scored('C', n, 0.1)),
  ]
  const labels: RiskLabel[] = [
    {
      id: 'l1',
      typology: 'mule',
      accounts: ['B'],
      from: day(8),
      to: day(11),
      knownAt: day(12),
      positive: true,
    },
  ]

  /** Weekly metrics of model M's scores over [from, to), the stored alerts given (M's own: modelId M). */
  const weekly = (
    from: number,
    to: number,
    liveAlerts: AlertedSubjectDay[] = [],
    modelScores: SubjectDay[] = scores,
  ) =>
    periodMetrics({
      scores: modelScores,
      liveAlerts,
      modelId: 'M',
      threshold: 0.5,
      labels,
      period: 'week',
      from,
      to,
      dedupMs: DEDUP_WINDOW_MS,
    })

  it('raises a subject once per dedup window, not in every period it stays above the threshold', () => {
    expect(raisedDays(scores, 0.5, DEDUP_WINDOW_MS)).toEqual([
      { subject: 'A', day: day(0) },
      { subject: 'B', day: day(9) },
      { subject: 'A', day: day(30) },
    ])
  })

  it('per week: alerts raised, subjects above the threshold, confirmed among the raised', () => {
    const weeks = weekly(WEEK0, day(35))
    expect(weeks.map((w) => [w.alerts, w.aboveThreshold, w.confirmed])).toEqual([
      [1, 1, 0], // A raised
      [1, 2, 1], // B raised (confirmed), A still open
      [0, 1, 0],
      [0, 1, 0],
      [1, 1, 0], // A again, 30 days after its first alert
    ])
  })

  it('an alert raised before the range stays open inside it', () => {
    const weeks = weekly(day(7), day(14))
    expect(weeks).toHaveLength(1)
    expect([weeks[0]!.alerts, weeks[0]!.aboveThreshold]).toEqual([1, 2])
  })

  it("as champion, a model's alerts are those it raised, not every day it stood above the threshold", () => {
    // M is champion for two weeks with A above its cut throughout; it raised A once, in week 1. In
    // week 2 B is above the cut too, but the queue was full (or a rule had alerted): nothing raised
    const champion = [
      ...Array.from({ length: 14 }, (_, n) => scored('A', n, 0.9, true)),
      scored('B', 9, 0.7, true),
    ]
    const stored = [{ subject: 'A', day: day(1), modelId: 'M' }]
    const weeks = weekly(WEEK0, day(14), stored, champion)
    expect(weeks.map((w) => [w.role, w.alerts, w.aboveThreshold, w.budget])).toEqual([
      ['champion', 1, 1, 1],
      ['champion', 0, 2, 0],
    ])
    // another model's own alert is in the live budget, not among M's alerts
    const other = weekly(WEEK0, day(7), [{ subject: 'C', day: day(3), modelId: 'other' }], champion)
    expect([other[0]!.alerts, other[0]!.budget]).toEqual([0, 1])
  })

  it('before any promotion the budget is what the rules alerted on, and says how many of those were confirmed', () => {
    // the rules alerted on B (twice in week 2: two rules) and on C in week 1; B is confirmed
    const ruleAlerts = [
      { subject: 'C', day: day(2) },
      { subject: 'B', day: day(9) },
      { subject: 'B', day: day(10) },
    ]
    const weeks = weekly(WEEK0, day(14), ruleAlerts)
    // week 2: one subject reviewed live (B, confirmed); the model's top one is A (0.9): not confirmed
    expect(weeks.map((w) => [w.budget, w.liveConfirmed, w.confirmedAtBudget])).toEqual([
      [1, 0, 0],
      [1, 1, 0],
    ])
  })

  it("the champion's alerts and the rules' on the same subject count once", () => {
    const weeks = weekly(day(7), day(14), [
      { subject: 'B', day: day(9), modelId: 'M' },
      { subject: 'B', day: day(9) },
    ])
    expect([weeks[0]!.budget, weeks[0]!.liveConfirmed]).toEqual([1, 1])
  })
})
