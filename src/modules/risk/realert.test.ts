import { describe, expect, it } from 'vitest'
import { DAY_MS, MODEL_RULE_ID, MonitoringEngine, withModel, type MonTxn } from '../monitoring/index.js'
import type { Calibration } from './calibration.js'
import { SubjectScores } from './subject-score.js'

/** No calibration blocks: a score is the logistic of the subject's mean top margin. */
const logistic: Calibration = { kind: 'isotonic', x: [], p: [] }
const THRESHOLD = 0.5

/**
 * The champion's decision on one payment of `subject` whose row has `margin`, through the real
 * subject scores, the engine's real dedup memory and monitoring's withModel: the model alerts it raises.
 */
function decide(
  engine: MonitoringEngine,
  subjects: SubjectScores,
  subject: string,
  day: number,
  margin: number,
  confirmed = false,
) {
  const t: MonTxn = {
    id: `t${day}`,
    at: day * DAY_MS,
    amount: 1000n,
    currency: 'EUR',
    kind: 'transfer',
    src: subject,
    dst: 'shop',
  }
  const probability = subjects.add(subject, t.at, margin)
  const scores = {
    txnId: t.id,
    at: t.at,
    champion: {
      modelId: 'm',
      version: 1,
      threshold: THRESHOLD,
      sides: [
        {
          side: 'out' as const,
          subject,
          probability,
          margin,
          raised: subjects.lastRaised,
          ...(confirmed ? { confirmed } : {}),
        },
      ],
    },
    challengers: [],
  }
  const r = withModel(
    t,
    [],
    [],
    scores,
    { explain: () => undefined },
    {
      ruleSetVersion: 1,
      parties: new Map(),
      claim: (ruleId, s, at) => engine.claimAlert(ruleId, s, at),
    },
  )
  return { probability, alerts: r.alerts.filter((a) => a.ruleId === MODEL_RULE_ID), duplicates: r.duplicates }
}

describe('a model alert is raised on new evidence, not again on the score older rows made', () => {
  it('does not re-alert a customer above the threshold on a later ordinary payment once the dedup window has passed', () => {
    const engine = new MonitoringEngine() // dedup window 30 days
    const subjects = new SubjectScores(3, logistic)
    // three suspicious payments in the first days: the third brings the score over the threshold
    expect(decide(engine, subjects, 'acc', 0, 3).alerts).toHaveLength(1)
    expect(decide(engine, subjects, 'acc', 1, 3).duplicates).toHaveLength(1)
    // (the analyst closes that alert as a false positive; closing does not touch the dedup memory)
    // day 35: past the 30-day dedup window, an ordinary payment; the top rows of the last 60 days
    // still hold the score over the threshold, but this payment did not raise it
    const ordinary = decide(engine, subjects, 'acc', 35, -4)
    expect(ordinary.probability).toBeGreaterThan(THRESHOLD)
    expect(ordinary.alerts).toHaveLength(0)
    expect(ordinary.duplicates).toHaveLength(0)
    // new evidence: a payment scoring higher than the old ones raises the score and a new alert
    const fresh = decide(engine, subjects, 'acc', 36, 5)
    expect(fresh.probability).toBeGreaterThan(ordinary.probability)
    expect(fresh.alerts).toHaveLength(1)
    expect(fresh.alerts[0]!.txnId).toBe('t36')
  })

  it('still alerts the first time the score crosses the threshold, whichever row brings it there', () => {
    const engine = new MonitoringEngine()
    const subjects = new SubjectScores(3, logistic)
    // (3 − 2 − 2) / 3 < 0, then (3 + 1 − 2) / 3 > 0: the crossing row (1) is below the first one
    expect(decide(engine, subjects, 'b', 0, -2).alerts).toHaveLength(0)
    expect(decide(engine, subjects, 'b', 1, -2).alerts).toHaveLength(0)
    expect(decide(engine, subjects, 'b', 2, 3).alerts).toHaveLength(0)
    const crossing = decide(engine, subjects, 'b', 3, 1)
    expect(crossing.probability).toBeGreaterThan(THRESHOLD)
    expect(crossing.alerts).toHaveLength(1)
  })

  it('raises no alert of its own on a customer whose case is already confirmed (session 59)', () => {
    const engine = new MonitoringEngine()
    const subjects = new SubjectScores(3, logistic)
    // the same new evidence as above, on a customer the graph holds as known bad
    const known = decide(engine, subjects, 'c', 0, 3, true)
    expect(known.probability).toBeGreaterThan(THRESHOLD)
    expect(known.alerts).toHaveLength(0)
    expect(known.duplicates).toHaveLength(0)
    // and the customer beside it, not confirmed, is alerted on the same evidence
    expect(decide(engine, new SubjectScores(3, logistic), 'd', 0, 3).alerts).toHaveLength(1)
  })

  it('reports whether each row raised its subject’s score (always, for a highest-row-alone model)', () => {
    const s = new SubjectScores(3, logistic)
    s.add('x', 0, 1)
    expect(s.lastRaised).toBe(true) // a first row is new evidence
    s.add('x', DAY_MS, 0.5)
    expect(s.lastRaised).toBe(false) // [1, 0.5, 0.5] < [1, 1, 1]: the lowest repeated before
    s.add('x', 2 * DAY_MS, 2)
    expect(s.lastRaised).toBe(true)
    s.add('x', 3 * DAY_MS, 0.4)
    expect(s.lastRaised).toBe(false) // not above the third-highest row
    const one = new SubjectScores(1, logistic)
    one.add('x', 0, 2)
    one.add('x', DAY_MS, -3)
    expect(one.lastRaised).toBe(true)
  })
})
