import { describe, expect, it } from 'vitest'
import { DAY_MS, type CaseLabel } from '../monitoring/index.js'
import {
  alertedCustomers,
  alertsAtBudget,
  fitSubjectCalibration,
  paymentNeighbours,
  rankSubjects,
  reserveForRules,
  rulePrecisions,
  subjectBest,
  SUBJECT_ROW_DISCOUNT,
  SUBJECT_TOP_ROWS,
  topShareRecall,
  unprovenRules,
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
  it('measures each rule’s precision, smoothed towards the overall one; unreviewed subjects are neither right nor wrong', () => {
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
    // m is unreviewed: not in the overall figure, one more pseudo-alert at it for 'bad'
    expect(p.byRule.get('bad')).toBeCloseTo((0 + 3 * 0.5) / (2 + 3))
  })

  it('holds a rule measured mostly on unreviewed alerts near the overall precision, so the model does not take its places', () => {
    // a, b: confirmed cases; c, d, x: reviewed, wrong; m1..m6: a typology nobody has reviewed yet
    const labels = [kase('c1', 'a'), kase('c2', 'b')]
    const fresh = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']
    const alerts = [
      rule('a', 'good'),
      rule('b', 'good'),
      rule('c', 'bad'),
      rule('d', 'bad'),
      rule('x', 'new'),
      ...fresh.map((m) => rule(m, 'new')),
      rule('m1', 'new'), // the same subject twice counts once
    ]
    const p = rulePrecisions(alerts, labels, new Set(fresh), 2)
    expect(p.overall).toBeCloseTo(2 / 5)
    // fully reviewed rules keep the plain smoothing
    expect(p.byRule.get('good')).toBeCloseTo((2 + 2 * 0.4) / (2 + 2))
    expect(p.byRule.get('bad')).toBeCloseTo((0 + 2 * 0.4) / (2 + 2))
    // 'new': one reviewed misfire, six unreviewed subjects — the prior weighs 2 + 6, the misfire 1
    // (measured on the misfire alone, as before, it would be (0 + 0.8) / 3 = 0.27)
    expect(p.byRule.get('new')).toBeCloseTo((0 + 8 * 0.4) / (1 + 8))
    // a rule whose every alert is unreviewed has the overall precision exactly
    const only = rulePrecisions([rule('m1', 'unseen'), rule('m2', 'unseen')], labels, new Set(fresh), 2)
    expect(only.byRule.get('unseen')).toBe(only.overall)
    // at a budget of one: a new-typology alert on held-out data against a model-only customer the
    // model rates at 0.3 (between the misfire-only figure and the shrunk one) — the rule keeps it
    const best = new Map([['z', { probability: 0.5, at: T }]])
    const calibration = { kind: 'isotonic' as const, x: [0, 1], p: [0, 0.6] }
    const held = [rule('h', 'new')]
    const ranked = rankSubjects(best, held, p, calibration, 'max')
    expect(alertsAtBudget(ranked, best, held, 1).map((a) => a.subject)).toEqual(['h'])
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

  it('caps the model’s confidence by what it earned, so a rule alert more precise than that is never dropped', () => {
    // calibration period: the model's 10 top customers were all in cases, 990 others were not
    const calBest = new Map<string, { probability: number; at: number }>()
    const labels: CaseLabel[] = []
    for (let i = 0; i < 1000; i++) {
      calBest.set(`s${i}`, { probability: i < 10 ? 0.9 + i / 1000 : i / 2000, at: T })
      if (i < 10) labels.push(kase(`k${i}`, `s${i}`))
    }
    const isotonic = fitSubjectCalibration(calBest, labels)
    const earned = fitSubjectCalibration(calBest, labels, new Set(), 2)
    // isotonic blocks say certain; the earned figure is 10 right of 10, shrunk by 2 pseudo-subjects
    expect(isotonic.p[isotonic.p.length - 1]).toBe(1)
    const top = earned.p[earned.p.length - 1]!
    expect(top).toBeCloseTo((10 + 2 * 0.01) / 12, 6)
    for (let j = 1; j < earned.p.length; j++) expect(earned.p[j]!).toBeGreaterThanOrEqual(earned.p[j - 1]!)
    // held-out period: 30 customers the model rates at its top, 3 rule alerts of an 0.9-precise rule,
    // a budget of 3 (the rules' own): the rule's alerts keep every place
    const best = new Map<string, { probability: number; at: number }>()
    for (let i = 0; i < 30; i++) best.set(`m${i}`, { probability: 0.99, at: T })
    const rules = ['r1', 'r2', 'r3'].map((s) => rule(s, 'precise'))
    const precision = { byRule: new Map([['precise', 0.9]]), overall: 0.5 }
    for (const how of ['max', 'noisy_or'] as const) {
      const kept = alertsAtBudget(rankSubjects(best, rules, precision, earned, how), best, rules, 3)
      expect(new Set(kept.map((a) => a.subject))).toEqual(new Set(['r1', 'r2', 'r3']))
    }
    // with session 10's isotonic calibration the model took all three places
    const crowded = alertsAtBudget(rankSubjects(best, rules, precision, isotonic, 'max'), best, rules, 3)
    expect(crowded.some((a) => a.subject.startsWith('r'))).toBe(false)
  })

  it('gives a scheme one model place: linked model-only subjects move down, rule alerts stay', () => {
    // p is a fan-in's primary, s1..s3 its senders; the model rates a sender highest; x stands alone
    const best = new Map([
      ['s1', { probability: 0.95, at: T }],
      ['p', { probability: 0.9, at: T }],
      ['s2', { probability: 0.85, at: T }],
      ['s3', { probability: 0.8, at: T }],
      ['x', { probability: 0.5, at: T }],
      ['r', { probability: 0.01, at: T }],
    ])
    const links = paymentNeighbours([
      ['s1', 'p'],
      ['s2', 'p'],
      ['p', 's3'],
      ['s3', 's3'],
    ])
    expect(links.get('p')).toEqual(new Set(['s1', 's2', 's3']))
    expect(links.get('s3')).toEqual(new Set(['p']))
    const calibration = { kind: 'isotonic' as const, x: [0, 1], p: [0, 1] }
    // r: a rule alert linked to x; it keeps its place whatever the links
    const rules = [rule('r', 'weak')]
    const withR = paymentNeighbours([
      ...[...links].flatMap(([a, s]) => [...s].map((b) => [a, b] as const)),
      ['r', 'x'],
    ])
    const precision = { byRule: new Map([['weak', 0.6]]), overall: 0.5 }
    const plain = rankSubjects(best, rules, precision, calibration, 'max').map((r) => r.subject)
    expect(plain.slice(0, 3)).toEqual(['s1', 'p', 's2'])
    const onePer = rankSubjects(best, rules, precision, calibration, 'max', withR).map((r) => r.subject)
    // s1 is placed; p, s2 and s3 are linked to s1 or p... p is linked to s1, so it moves too: the
    // scheme keeps its highest-scoring account only; r (a rule alert) is placed, x is linked to r
    expect(onePer.slice(0, 2)).toEqual(['s1', 'r'])
    expect(onePer.slice(2)).toEqual(['p', 's2', 's3', 'x'])
  })

  it('reserves a share of the budget for rules nobody has reviewed, moving the lowest other places down', () => {
    // "new" alerted u1..u3, all unreviewed; "old" alerted o1, o2, reviewed; "half" one of each
    const tuning = [
      rule('u1', 'new'),
      rule('u2', 'new'),
      rule('u3', 'new'),
      rule('o1', 'old'),
      rule('o2', 'old'),
      rule('u4', 'half'),
      rule('o3', 'half'),
    ]
    const unlabelled = new Set(['u1', 'u2', 'u3', 'u4'])
    expect(unprovenRules(tuning, unlabelled)).toEqual(new Set(['new', 'half']))
    expect(unprovenRules(tuning, unlabelled, 0.75)).toEqual(new Set(['new']))
    // held-out ranking: four model-only subjects above the new rule's two alerts, budget 4
    const ranked = ['m1', 'm2', 'm3', 'm4', 'n1', 'n2', 'm5'].map((subject, i) => ({
      subject,
      probability: 1 - i / 10,
      source: subject.startsWith('m') ? ('model' as const) : ('rules' as const),
    }))
    const rules = [rule('n1', 'new'), rule('n2', 'new')]
    const order = (share: number): string[] =>
      reserveForRules(ranked, rules, new Set(['new']), 4, share).map((r) => r.subject)
    // no reserve: unchanged; a quarter (1 place): n1 replaces m4, which moves just below the cut
    expect(order(0)).toEqual(['m1', 'm2', 'm3', 'm4', 'n1', 'n2', 'm5'])
    expect(order(0.25)).toEqual(['m1', 'm2', 'm3', 'n1', 'm4', 'n2', 'm5'])
    // half (2 places): both; a reserve larger than the rule's alerts takes only what there is
    expect(order(0.5)).toEqual(['m1', 'm2', 'n1', 'n2', 'm3', 'm4', 'm5'])
    expect(order(1).slice(0, 4)).toEqual(['m1', 'm2', 'n1', 'n2'])
    // already inside the budget: nothing moves
    expect(reserveForRules(ranked, rules, new Set(['new']), 6, 0.3).map((r) => r.subject)).toEqual(
      ranked.map((r) => r.subject),
    )
  })

  it('scores a customer by the mean log-odds of its top rows: a repeated pattern outranks one odd payment', () => {
    expect(SUBJECT_TOP_ROWS).toBe(3)
    // 'once': one payment at log-odds 2, the rest ordinary; 'hub': four payments at 1.5, 1.4, 1.3, -3;
    // 'few': two rows only (its lowest repeats); 'x': an ordinary customer
    const m = [2, -4, -4, -4, 1.5, -3, 1.4, 1.3, 1, 0.5, -2]
    const subjects = ['once', 'once', 'once', 'once', 'hub', 'hub', 'hub', 'hub', 'few', 'few', 'x']
    const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v))
    const rows: RowScores = {
      subjects,
      txnIds: subjects.map((_, i) => String(i)),
      at: subjects.map((_, i) => T + i * DAY_MS),
      prob: Float64Array.from(m, sigmoid),
      margin: Float64Array.from(m),
    }
    const byTop = subjectBest(rows)
    expect(byTop.get('once')!.probability).toBeCloseTo(sigmoid((2 - 4 - 4) / 3), 12)
    expect(byTop.get('hub')!.probability).toBeCloseTo(sigmoid((1.5 + 1.4 + 1.3) / 3), 12)
    expect(byTop.get('few')!.probability).toBeCloseTo(sigmoid((1 + 0.5 + 0.5) / 3), 12)
    // `at` stays the time of the subject's highest row
    expect(byTop.get('hub')!.at).toBe(T + 4 * DAY_MS)
    expect(byTop.get('once')!.at).toBe(T)
    // the highest row alone (sessions 10–17, and any RowScores without margins) puts 'once' first
    const byMax = subjectBest(rows, 1)
    expect(byMax.get('once')!.probability).toBeCloseTo(sigmoid(2), 12)
    const { margin: _unused, ...withoutMargins } = rows
    expect(subjectBest(withoutMargins).get('once')!.probability).toBeCloseTo(sigmoid(2), 12)
    // a top 2 % of 50 customers is one place: the hub's case is found only by the top-rows score
    const labels = [{ ...kase('k', 'hub'), typology: 'fan_in' }]
    expect(topShareRecall(rows, labels, 50).recall).toBe(1)
    expect(topShareRecall(rows, labels, 50, 0.02, 1).recall).toBe(0)
  })

  it('discounts a customer’s score by ln(its rows): a dormant account waking up outranks a busy business’s best rows (session 21)', () => {
    expect(SUBJECT_ROW_DISCOUNT).toBe(1)
    // 'busy': 400 ordinary payments and three at log-odds 1.6; 'woke': three rows in all at 0.8
    const m: number[] = []
    const subjects: string[] = []
    for (let i = 0; i < 400; i++) {
      m.push(-5)
      subjects.push('busy')
    }
    m.push(1.6, 1.6, 1.6, 0.8, 0.8, 0.8)
    subjects.push('busy', 'busy', 'busy', 'woke', 'woke', 'woke')
    const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v))
    const rows: RowScores = {
      subjects,
      txnIds: subjects.map((_, i) => String(i)),
      at: subjects.map((_, i) => T + i * 3600_000),
      prob: Float64Array.from(m, sigmoid),
      margin: Float64Array.from(m),
    }
    const plain = subjectBest(rows)
    expect(plain.get('busy')!.probability).toBeGreaterThan(plain.get('woke')!.probability)
    const discounted = subjectBest(rows, SUBJECT_TOP_ROWS, SUBJECT_ROW_DISCOUNT)
    expect(discounted.get('busy')!.probability).toBeCloseTo(sigmoid(1.6 - Math.log(403)), 12)
    expect(discounted.get('woke')!.probability).toBeCloseTo(sigmoid(0.8 - Math.log(3)), 12)
    // a top 2 % of 50 customers is one place: the reactivation is found only with the discount
    const labels = [{ ...kase('k', 'woke'), typology: 'dormant_reactivation' }]
    expect(topShareRecall(rows, labels, 50).recall).toBe(0)
    expect(topShareRecall(rows, labels, 50, 0.02, SUBJECT_TOP_ROWS, SUBJECT_ROW_DISCOUNT).recall).toBe(1)
    // the highest row alone (top 1) is never discounted: sessions 10–17's score exactly
    expect(subjectBest(rows, 1, SUBJECT_ROW_DISCOUNT).get('busy')!.probability).toBeCloseTo(sigmoid(1.6), 12)
  })
})
