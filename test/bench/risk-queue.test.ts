import { describe, expect, it } from 'vitest'
import { queueOverTime } from '../../bench/risk-queue.js'
import type { RowScores, RuleAlert, TrainedAlertBudget } from '../../src/modules/risk/index.js'

const H = 3_600_000
const T0 = Date.UTC(2026, 0, 10)

// the confidence map is the identity: a customer's confidence is its probability
const BUDGET: TrainedAlertBudget = {
  rulesPrecision: 0.5,
  cut: 0.8,
  cutModel: 0.5,
  customers: 3,
  confidence: { kind: 'isotonic', x: [0, 1], p: [0, 1] },
  ownAlertFrom: 0.8,
}

/** Rows of one side each: subject, hours after T0, margin (log-odds; top 1 row: probability = logistic). */
function rowsOf(rows: [string, number, number][]): RowScores {
  return {
    subjects: rows.map((r) => r[0]),
    txnIds: rows.map((_, i) => `t${i}`),
    at: rows.map((r) => T0 + r[1] * H),
    prob: Float64Array.from(rows.map((r) => 1 / (1 + Math.exp(-r[2])))),
    margin: Float64Array.from(rows.map((r) => r[2])),
  }
}

const rule = (subject: string, txnId: string, hours: number): RuleAlert => ({
  subject,
  txnId,
  at: T0 + hours * H,
  ruleId: 'r',
})

describe('the risk bench replays the case queue transaction by transaction', () => {
  const rows = rowsOf([
    ['D', 0, -2], // t0: D's rule alert, scored low: outside the budget
    ['A', 1, 3], // t1: rule alert, confident model: within
    ['B', 2, -1], // t2: rule alert, the rules' precision 0.5 < cut 0.8: outside, still raised
    ['C', 3, 2], // t3: no rule, 0.88 ≥ 0.8: the model's own alert
    ['D', 4, 2], // t4: confident now, but a rule alert on D is recent: no alert of the model's
    ['F', 5, 1], // t5: no rule, 0.73 < 0.8: nothing
  ])
  const rules = [rule('D', 't0', 0), rule('A', 't1', 1), rule('B', 't2', 2), rule('E', 'tx', 3)]

  it('queues rule alerts within the trained budget and the model’s own, and raises every rule alert', () => {
    const { queue, raised } = queueOverTime(rows, rules, BUDGET, { top: 1, discount: 0 }, false)
    // E: a rule alert on an account the model does not score keeps its place
    expect(queue.map((a) => a.subject).sort()).toEqual(['A', 'C', 'E'])
    expect(queue.find((a) => a.subject === 'C')!.ruleId).toBe('risk.model')
    expect(raised.map((a) => a.subject).sort()).toEqual(['A', 'B', 'C', 'D', 'E'])
  })

  it('raises the model’s own alert on a customer once its last rule alert is older than the dedup window', () => {
    const later = rowsOf([
      ['D', 0, -2],
      ['D', 31 * 24, 2],
    ])
    const { queue } = queueOverTime(later, [rule('D', 't0', 0)], BUDGET, { top: 1, discount: 0 }, false)
    expect(queue.map((a) => a.ruleId)).toEqual(['risk.model'])
  })

  it('with the cap, queues the model’s own alerts only while the rules’ volume of the month leaves room', () => {
    const more = rowsOf([
      ['D', 0, -2],
      ['A', 1, 3],
      ['B', 2, -1],
      ['C', 3, 2], // room: queued {A} against ruled {D, A, B} (E's alert, at the same hour, comes after)
      ['G', 6, 2], // room: queued {A, E, C}
      ['H', 7, 2], // full: queued {A, E, C, G} against the rules' four
    ])
    const uncapped = queueOverTime(more, rules, BUDGET, { top: 1, discount: 0 }, false)
    expect(uncapped.queue.map((a) => a.subject).sort()).toEqual(['A', 'C', 'E', 'G', 'H'])
    const capped = queueOverTime(more, rules, BUDGET, { top: 1, discount: 0 }, false, true)
    expect(capped.queue.map((a) => a.subject).sort()).toEqual(['A', 'C', 'E', 'G'])
    // every rule alert is still raised
    expect(capped.raised.filter((a) => a.ruleId === 'r')).toHaveLength(4)
  })
})
