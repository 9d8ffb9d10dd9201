import { describe, expect, it } from 'vitest'
import { alertFromEvent } from '../cases/index.js'
import {
  DAY_MS,
  MODEL_RULE_ID,
  MonitoringEngine,
  QueueVolume,
  combinedScoreOf,
  withinBudget,
  withModel,
  type AlertBudget,
  type AlertDraft,
  type MonTxn,
  type WitnessCombination,
} from '../monitoring/index.js'
import {
  alertBudgetOf,
  confidenceOf,
  MIN_RULED_TO_TRADE,
  rulePrecisionsOf,
  type TrainedAlertBudget,
} from './alert-budget.js'

/**
 * alertBudgetOf with the evidence floor at 0: these tests' validation periods hold a handful of
 * rule-alerted customers (MIN_RULED_TO_TRADE is tested on its own). The other guard, no customer
 * without a rule alert among the budget's places, still applies.
 */
const trading = (
  best: ReadonlyMap<string, number>,
  ruled: ReadonlyMap<string, readonly string[]>,
  positives: ReadonlySet<string>,
  perRule = true,
  combine: WitnessCombination = 'max',
): TrainedAlertBudget | undefined => alertBudgetOf(best, ruled, positives, perRule, combine, 0)

/** Customers alerted by one rule (`rule`), as alertBudgetOf takes them. */
const byOneRule = (subjects: Iterable<string>): Map<string, string[]> =>
  new Map([...subjects].map((s) => [s, ['rule']] as const))

describe('alertBudgetOf: rules and model together keep to the rules’ volume on validation', () => {
  // validation: the rules alerted on r1–r4 (r1, r2 suspicious: precision (2 + 1) / (4 + 2) = 0.5,
  // smoothed); the model scored them, m1–m3 whom the rules missed (m1, m2 suspicious), and forty
  // ordinary customers low
  const best = new Map<string, number>([
    ['r1', 0.9],
    ['r2', 0.15],
    ['r3', 0.1],
    ['r4', 0.05],
    ['m1', 0.95],
    ['m2', 0.92],
    ['m3', 0.4],
    ...Array.from({ length: 40 }, (_, i) => [`n${i}`, 0.001 * i] as [string, number]),
  ])
  const ruled = byOneRule(['r1', 'r2', 'r3', 'r4'])
  const positives = new Set(['r1', 'r2', 'm1', 'm2'])
  const within = (b: TrainedAlertBudget, rules = ruled) =>
    [...best]
      .filter(([s, m]) => withinBudget(b, confidenceOf(b, m), m, rules.get(s) ?? []))
      .map(([s]) => s)
      .sort()

  it('maps model scores to the confidence the model earned: precision at that score, shrunk, never falling', () => {
    const b = trading(best, ruled, positives)!
    const grid = Array.from({ length: 101 }, (_, i) => confidenceOf(b, i / 100))
    expect(grid).toEqual([...grid].sort((x, y) => x - y))
    // ordinary customers earn about the overall rate (4 of 47), the top well above it, but not
    // certainty: three of its top five were right
    expect(confidenceOf(b, 0)).toBeLessThan(0.1)
    expect(confidenceOf(b, 0.95)).toBeGreaterThan(0.5)
    expect(confidenceOf(b, 0.95)).toBeLessThan(1)
  })

  it('ranks by the larger of the confidence and the rules’ precision, and keeps as many customers as the rules alerted on', () => {
    const b = trading(best, ruled, positives)!
    expect(b.rulesPrecision).toBe(0.5)
    expect(b.customers).toBe(4)
    const inside = within(b)
    expect(inside).toHaveLength(4)
    // the customer the rules missed at the model's top is in; the rules' customer the model rates
    // lowest is out (its rule alert is kept, worked last); the ordinary customers are out
    expect(inside).toContain('m1')
    expect(inside).not.toContain('r4')
    expect(inside.some((s) => s.startsWith('n'))).toBe(false)
    const combined = (s: string) =>
      ruled.has(s) ? Math.max(confidenceOf(b, best.get(s)!), 0.5) : confidenceOf(b, best.get(s)!)
    const outside = [...best.keys()].filter((s) => !inside.includes(s))
    for (const o of outside) for (const i of inside) expect(combined(o)).toBeLessThanOrEqual(combined(i))
  })

  it('says from which probability the model raises its own alerts (the cut on the probability scale)', () => {
    const b = trading(best, ruled, positives)!
    const from = b.ownAlertFrom
    expect(from).toBeGreaterThan(0)
    expect(from).toBeLessThanOrEqual(1)
    for (let i = 0; i <= 100; i++) {
      const p = i / 100
      expect(withinBudget(b, confidenceOf(b, p), p, false)).toBe(p >= from)
    }
    // the customers the rules missed that the budget admits are exactly those scoring from it
    for (const s of ['m1', 'm2', 'm3']) expect(within(b).includes(s)).toBe(best.get(s)! >= from)
  })

  it('keeps a place for each rule-alerted customer the model does not score (its alert is never marked)', () => {
    const withOutside = byOneRule([...ruled.keys(), 'outside'])
    const b = trading(best, withOutside, positives)!
    expect(b.customers).toBe(5)
    expect(within(b, withOutside)).toHaveLength(4) // 5 places, one taken by the unscored account
  })

  it('stores at most 256 points of the confidence curve, however many customers were scored', () => {
    const many = new Map(Array.from({ length: 5000 }, (_, i) => [`c${i}`, i / 5000] as [string, number]))
    const pos = new Set(Array.from({ length: 500 }, (_, i) => `c${4500 + i}`))
    const b = trading(many, byOneRule(['c4999', 'c10']), pos)!
    expect(b.confidence.x.length).toBeLessThanOrEqual(256)
    expect(b.confidence.x[0]).toBe(0)
    expect(b.confidence.x.at(-1)).toBe(4999 / 5000)
    expect([...b.confidence.p]).toEqual([...b.confidence.p].sort((x, y) => x - y))
  })

  it('smooths the rules’ precision: always right on a few alerts is not certainty', () => {
    const b = trading(best, byOneRule(['r1', 'r2']), positives)!
    expect(b.rulesPrecision).toBe(0.75) // 2 of 2 → (2 + 1) / (2 + 2)
  })

  it('judges a rule alert by its own rule’s record: a precise rule’s alert stays, a noisy one’s needs the model (session 35)', () => {
    // validation: rule "exact" alerted on p1–p4, all suspicious; rule "noisy" on q1–q6, one of them
    // suspicious; the model rates them all alike, low, and a customer the rules missed (m1) high
    const scores = new Map<string, number>([
      ...['p1', 'p2', 'p3', 'p4', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6'].map(
        (s) => [s, 0.1] as [string, number],
      ),
      ['m1', 0.95],
      ...Array.from({ length: 40 }, (_, i) => [`n${i}`, 0.001 * i] as [string, number]),
    ])
    const rules = new Map<string, string[]>([
      ...['p1', 'p2', 'p3', 'p4'].map((s) => [s, ['exact']] as [string, string[]]),
      ...['q1', 'q2', 'q3', 'q4', 'q5', 'q6'].map((s) => [s, ['noisy']] as [string, string[]]),
    ])
    const pos = new Set(['p1', 'p2', 'p3', 'p4', 'q1', 'm1'])
    const b = trading(scores, rules, pos)!
    // pooled (5 + 1) / (10 + 2) = 0.5; each rule shrunk towards it with 2 pseudo-customers
    expect(b.rulesPrecision).toBe(0.5)
    expect(b.rulePrecision).toEqual({ exact: (4 + 1) / 6, noisy: (1 + 1) / 8 })
    expect(rulePrecisionsOf(rules, pos, 0.5)).toEqual(b.rulePrecision)
    // ten places: the precise rule's four and the model's m1 before any of the noisy rule's
    const inside = (budget: TrainedAlertBudget) =>
      [...scores].filter(([s, m]) => withinBudget(budget, confidenceOf(budget, m), m, rules.get(s) ?? []))
    for (const p of ['p1', 'p2', 'p3', 'p4', 'm1']) expect(inside(b).map(([s]) => s)).toContain(p)
    expect(withinBudget(b, 0, 0, ['exact'])).toBe(true)
    expect(withinBudget(b, 0, 0, ['noisy'])).toBe(b.cut <= b.rulePrecision!.noisy!)
    // an alert by both rules counts with the better record; a rule unknown to the budget with the pooled one
    expect(withinBudget(b, 0, 0, ['noisy', 'exact'])).toBe(true)
    expect(withinBudget(b, 0, 0, ['new_rule'])).toBe(withinBudget(b, 0, 0, true))
    // pooled (sessions 31–34): one precision for every rule, no per-rule record stored
    const pooled = trading(scores, rules, pos, false)!
    expect(pooled.rulePrecision).toBeUndefined()
    expect(withinBudget(pooled, 0, 0, ['exact'])).toBe(withinBudget(pooled, 0, 0, ['noisy']))
  })

  it('with noisy-or, reads a rule’s record and the model’s confidence as two witnesses (session 36)', () => {
    const b: AlertBudget = {
      rulesPrecision: 0.5,
      rulePrecision: { noisy: 0.5 },
      combine: 'noisy_or',
      cut: 0.7,
      cutModel: 0.5,
      customers: 10,
    }
    const max: AlertBudget = { ...b, combine: 'max' }
    expect(combinedScoreOf(b, 0.5, ['noisy'])).toBe(0.75)
    expect(combinedScoreOf(max, 0.5, ['noisy'])).toBe(0.5)
    // a noisy rule's alert the model leans towards is within; either alone is not
    expect(withinBudget(b, 0.5, 0.5, ['noisy'])).toBe(true)
    expect(withinBudget(max, 0.5, 0.5, ['noisy'])).toBe(false)
    expect(withinBudget(b, 0, 0, ['noisy'])).toBe(false)
    expect(withinBudget(b, 0.5, 0.5, [])).toBe(false)
    // without a rule alert the confidence alone counts, whatever the combination
    expect(combinedScoreOf(b, 0.8, false)).toBe(combinedScoreOf(max, 0.8, false))
    // fitted with it: stored, and the same customers fill the rules' places
    const scores = new Map<string, number>([
      ...['a1', 'a2', 'a3', 'a4'].map((s, i) => [s, 0.2 + 0.2 * i] as [string, number]),
      ['m1', 0.95],
      ...Array.from({ length: 40 }, (_, i) => [`n${i}`, 0.001 * i] as [string, number]),
    ])
    const rules = byOneRule(['a1', 'a2', 'a3', 'a4'])
    const pos = new Set(['a3', 'a4', 'm1'])
    const fitted = trading(scores, rules, pos, true, 'noisy_or')!
    expect(fitted.combine).toBe('noisy_or')
    expect(trading(scores, rules, pos)!.combine).toBeUndefined() // as every budget stored before
    const inside = [...scores].filter(([s, m]) =>
      withinBudget(fitted, confidenceOf(fitted, m), m, rules.get(s) ?? []),
    )
    expect(inside.length).toBeGreaterThanOrEqual(4)
    expect(JSON.parse(JSON.stringify(fitted))).toEqual(fitted)
  })

  it('has no budget when the rules alerted on nobody (the model keeps its own threshold)', () => {
    expect(trading(best, new Map(), positives)).toBeUndefined()
  })

  it('keeps every rule alert when the rules alerted on too few customers to measure a trade (session 57)', () => {
    // the first test's validation: four rule-alerted customers, the lowest-rated (r4) traded out
    // when allowed; by default four are too few, and every rule alert stays
    expect(MIN_RULED_TO_TRADE).toBeGreaterThan(ruled.size)
    const b = alertBudgetOf(best, ruled, positives)!
    expect(b.keepsRuleAlerts).toBe(true)
    expect(within(trading(best, ruled, positives)!)).not.toContain('r4')
    for (const s of ruled.keys()) expect(withinBudget(b, 0, 0, ruled.get(s)!)).toBe(true)
    // the model's own alerts are still judged by the cut (the queue's cap then leaves them no room)
    expect(b.cut).toBe(trading(best, ruled, positives)!.cut)
    expect(b.ownAlertFrom).toBe(trading(best, ruled, positives)!.ownAlertFrom)
    expect(b.ownAlertFrom).toBeGreaterThan(0)
    for (let i = 0; i <= 100; i++)
      expect(withinBudget(b, confidenceOf(b, i / 100), i / 100, false)).toBe(i / 100 >= b.ownAlertFrom)
    // from MIN_RULED_TO_TRADE rule-alerted customers on, the budget trades as before
    const many = byOneRule(Array.from({ length: MIN_RULED_TO_TRADE }, (_, i) => `n${i}`))
    expect(alertBudgetOf(best, many, positives)!.keepsRuleAlerts).toBeUndefined()
    const fewer = byOneRule(Array.from({ length: MIN_RULED_TO_TRADE - 1 }, (_, i) => `n${i}`))
    expect(alertBudgetOf(best, fewer, positives)!.keepsRuleAlerts).toBe(true)
    expect(JSON.parse(JSON.stringify(b))).toEqual(b)
  })

  it('keeps every rule alert when no customer without one made it into the budget: no trade was measured (session 57)', () => {
    // twenty rule-alerted customers, all right, the model rating them above everyone else: the
    // budget's places are exactly theirs, and its cut only the lowest of their scores
    const ruledHigh = byOneRule(Array.from({ length: 20 }, (_, i) => `r${i}`))
    const scores = new Map<string, number>([
      ...Array.from({ length: 20 }, (_, i) => [`r${i}`, 0.5 + i * 0.02] as [string, number]),
      ...Array.from({ length: 200 }, (_, i) => [`n${i}`, 0.001 * i] as [string, number]),
    ])
    const pos = new Set(ruledHigh.keys())
    const b = alertBudgetOf(scores, ruledHigh, pos, true, 'noisy_or')!
    expect(b.keepsRuleAlerts).toBe(true)
    // a later rule alert the model rates below all twenty stays in the queue (with the cut alone, out)
    expect(withinBudget(b, confidenceOf(b, 0.1), 0.1, ['rule'])).toBe(true)
    expect(withinBudget({ ...b, keepsRuleAlerts: false }, confidenceOf(b, 0.1), 0.1, ['rule'])).toBe(false)
    // most rule alerts wrong (4 of 20 right), and five customers the rules missed, all right, rated above them:
    // they take places on validation, a measured trade
    const withMissed = new Map([
      ...scores,
      ...Array.from({ length: 5 }, (_, i) => [`m${i}`, 0.99] as [string, number]),
    ])
    const right = new Set([
      ...Array.from({ length: 4 }, (_, i) => `r${i}`),
      ...Array.from({ length: 5 }, (_, i) => `m${i}`),
    ])
    const traded = alertBudgetOf(withMissed, ruledHigh, right, true, 'noisy_or')!
    expect(traded.keepsRuleAlerts).toBeUndefined()
    expect(withinBudget(traded, confidenceOf(traded, 0.99), 0.99, false)).toBe(true)
  })

  it('leaves no room for the model when unscored rule alerts take every place', () => {
    const b = trading(new Map([['m1', 0.99]]), byOneRule(['x', 'y']), new Set())!
    expect(withinBudget(b, 1, 0.99, false)).toBe(false)
    expect(b.ownAlertFrom).toBe(2)
    expect(JSON.parse(JSON.stringify(b))).toEqual(b) // stored with the model as JSON
  })
})

describe('withModel with an alert budget', () => {
  const budget: AlertBudget = { rulesPrecision: 0.5, cut: 0.6, cutModel: 0.6, customers: 10 }
  const txn = (id: string, src: string): MonTxn => ({
    id,
    at: 10 * DAY_MS,
    amount: 1000n,
    currency: 'EUR',
    kind: 'transfer',
    src,
    dst: 'shop',
  })
  const ruleAlert = (t: MonTxn): AlertDraft => ({
    dedupKey: `fan_out|${t.src}`,
    ruleSetVersion: 1,
    ruleId: 'fan_out',
    typology: 'fan_out',
    subject: t.src,
    outcome: 'review',
    score: 60,
    reason: 'r',
    txnId: t.id,
    at: t.at,
    context: { txn: { src: t.src, dst: t.dst } },
  })
  const decide = (
    t: MonTxn,
    probability: number,
    rules: AlertDraft[],
    withBudget = true,
    queue?: QueueVolume,
  ) =>
    withModel(
      t,
      rules,
      [],
      {
        txnId: t.id,
        at: t.at,
        champion: {
          modelId: 'm',
          version: 2,
          threshold: 0.3,
          ...(withBudget ? { budget } : {}),
          sides: [{ side: 'out', subject: t.src, probability }],
        },
        challengers: [],
      },
      { explain: () => undefined },
      {
        ruleSetVersion: 1,
        parties: new Map(),
        claim: (ruleId, s, at) => new MonitoringEngine().claimAlert(ruleId, s, at),
        ...(queue ? { queue } : {}),
      },
    ).alerts

  const priorityOf = (a: AlertDraft): number | undefined =>
    alertFromEvent(
      'monitoring.alert.raised.v1',
      { ...a, alertId: 'x', at: new Date(a.at).toISOString() },
      new Date(),
    )?.priority

  it('raises a model alert within the budget only, not at the model’s own lower threshold', () => {
    expect(decide(txn('t1', 'a'), 0.4, []).filter((a) => a.ruleId === MODEL_RULE_ID)).toHaveLength(0)
    expect(decide(txn('t2', 'b'), 0.7, []).filter((a) => a.ruleId === MODEL_RULE_ID)).toHaveLength(1)
    // a model trained before session 31 (no budget) alerts at its threshold, as before
    expect(decide(txn('t3', 'c'), 0.4, [], false).filter((a) => a.ruleId === MODEL_RULE_ID)).toHaveLength(1)
  })

  it('raises a model alert only while the queue holds fewer customers than the rules alerted on', () => {
    const queue = new QueueVolume()
    const own = (t: MonTxn, rules: AlertDraft[] = []) =>
      decide(t, rules.length ? 0.1 : 0.7, rules, true, queue).filter((a) => a.ruleId === MODEL_RULE_ID)
    expect(own(txn('q1', 'a'))).toHaveLength(0) // the rules alerted on nobody yet: no room
    // a rule alert the model rates low is raised but kept out of the queue: one place for the model
    const t = txn('q2', 'r')
    expect(decide(t, 0.1, [ruleAlert(t)], true, queue)).toHaveLength(1)
    expect(own(txn('q3', 'b'))).toHaveLength(1)
    expect(own(txn('q4', 'c'))).toHaveLength(0) // the place is taken
    // a model trained before session 31 (no budget) alerts at its threshold, volume or not
    expect(
      decide(txn('q5', 'd'), 0.4, [], false, queue).filter((a) => a.ruleId === MODEL_RULE_ID),
    ).toHaveLength(1)
  })

  it('keeps every rule alert, marking those outside the budget, which the case queue works last', () => {
    const t = txn('t4', 'd')
    const [low] = decide(t, 0.1, [ruleAlert(t)]) // combined 0.5 < cut 0.6
    expect(low!.ruleId).toBe('fan_out')
    expect((low!.context.model as { withinBudget: boolean }).withinBudget).toBe(false)
    expect(priorityOf(low!)).toBe(4)
    const [high] = decide(txn('t5', 'e'), 0.65, [ruleAlert(txn('t5', 'e'))])
    expect((high!.context.model as { withinBudget: boolean }).withinBudget).toBe(true)
    expect(priorityOf(high!)).toBe(2) // above the model's threshold, as before
    const [old] = decide(t, 0.1, [ruleAlert(t)], false)
    expect((old!.context.model as { withinBudget?: boolean }).withinBudget).toBeUndefined()
    expect(priorityOf(old!)).toBe(3)
  })
})
