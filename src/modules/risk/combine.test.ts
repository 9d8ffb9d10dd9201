import { describe, expect, it } from 'vitest'
import { DAY_MS, type CaseLabel } from '../monitoring/index.js'
import {
  alertedCustomers,
  alertsAtBudget,
  fitSubjectCalibration,
  rankSubjects,
  rulePrecisions,
  subjectBest,
  type RowScores,
  type RuleAlert,
} from './combine.js'

const T = 100 * DAY_MS
const kase = (id: string, member: string): CaseLabel => ({
  id,
  typology: 't',
  members: [member],
  primary: [member],
  start: T,
  end: T + DAY_MS,
})
const rule = (subject: string, ruleId: string): RuleAlert => ({
  subject,
  txnId: `x${subject}`,
  at: T,
  ruleId,
})

describe('rules and model at the rules’ alert budget', () => {
  it('measures each rule’s precision, smoothed towards the overall one, ignoring unreviewed subjects', () => {
    const labels = [kase('c1', 'a'), kase('c2', 'b')]
    const alerts = [
      rule('a', 'good'),
      rule('b', 'good'),
      rule('c', 'bad'),
      rule('d', 'bad'),
      rule('m', 'bad'),
    ]
    const p = rulePrecisions(alerts, labels, new Set(['m']), 2)
    expect(p.overall).toBe(0.5)
    expect(p.byRule.get('good')).toBeCloseTo((2 + 1) / 4)
    expect(p.byRule.get('bad')).toBeCloseTo((0 + 1) / 4)
  })

  it('lets a customer the model rates high replace a low-precision rule alert, at the same budget', () => {
    const rows: RowScores = {
      subjects: ['a', 'c', 'z', 'z', 'q'],
      txnIds: ['1', '2', '3', '4', '5'],
      at: [T, T, T - 50 * DAY_MS, T + DAY_MS / 2, T],
      prob: Float64Array.from([0.2, 0.01, 0.3, 0.9, 0.05]),
    }
    const best = subjectBest(rows)
    expect(best.get('z')).toEqual({ probability: 0.9, at: T + DAY_MS / 2 })
    // subject-level calibration: the model's high scores were right, its low ones wrong
    const calibration = fitSubjectCalibration(
      new Map([
        ['p1', { probability: 0.95, at: T }],
        ['p2', { probability: 0.8, at: T }],
        ['n1', { probability: 0.1, at: T }],
        ['n2', { probability: 0.02, at: T }],
      ]),
      [kase('k1', 'p1'), kase('k2', 'p2')],
    )
    const rules = [rule('a', 'good'), rule('c', 'bad')]
    const precision = {
      byRule: new Map([
        ['good', 0.7],
        ['bad', 0.1],
      ]),
      overall: 0.4,
    }
    const ranked = rankSubjects(best, rules, precision, calibration)
    expect(ranked.map((r) => r.subject).slice(0, 2)).toEqual(['z', 'a'])
    expect(ranked[0]!.source).toBe('model')
    const alerts = alertsAtBudget(ranked, best, rules, alertedCustomers(rules))
    expect(alertedCustomers(alerts)).toBe(2)
    // the model's alert is dated at the subject's highest score, the rule's alert kept as raised
    expect(alerts.find((a) => a.subject === 'z')).toMatchObject({ ruleId: 'risk.model', at: T + DAY_MS / 2 })
    expect(alerts.some((a) => a.subject === 'a' && a.ruleId === 'good')).toBe(true)
    expect(alerts.some((a) => a.subject === 'c')).toBe(false)
    // noisy-or: a rule alert the model also rates high outranks the same rule alone
    const both = rankSubjects(best, [rule('a', 'bad'), rule('q', 'bad')], precision, calibration, 'noisy_or')
    const pa = both.find((r) => r.subject === 'a')!.probability
    const pq = both.find((r) => r.subject === 'q')!.probability
    expect(pa).toBeGreaterThan(pq)
    expect(pq).toBeCloseTo(0.1) // the model rates q at 0: the rule alone
  })
})
