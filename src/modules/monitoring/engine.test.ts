import { describe, expect, it } from 'vitest'
import { backtest } from './backtest.js'
import { MonitoringEngine } from './engine.js'
import { generateTransactions, NETWORK_TYPOLOGIES, TYPOLOGIES } from './generator.js'
import { GENERATOR_CONFIGS } from './generator-configs.js'
import { DAY_MS, type MonTxn } from './monitoring.js'
import { compileRuleSet } from './rules.js'
import { defaultRuleSet } from './typologies.js'

const LISTS = new Set(['high_risk_countries', 'watchlist'])
const T0 = Date.UTC(2026, 2, 1)
const pay = (i: number, at: number, amount = 100_000n, src = 'a', dst = `d${i}`): MonTxn => ({
  id: `p${i}`,
  at,
  amount,
  currency: 'EUR',
  kind: 'transfer',
  src,
  dst,
})

const velocity = compileRuleSet(
  {
    rules: [
      { id: 'v', when: 'src.out_count_1h >= 2.0', outcome: 'review', score: 20, reason: 'velocity' },
      { id: 'big', when: 'txn.amount >= 1000000', outcome: 'allow', score: 5, reason: 'big' },
    ],
    fallback: 'block',
    reviewScore: 5,
  },
  3,
  LISTS,
)

describe('engine decisions and alerts', () => {
  it('raises one alert per rule and subject per dedup window, counting repeats', () => {
    const e = new MonitoringEngine({ dedupWindowMs: DAY_MS })
    e.active = velocity
    // a budget a loaded machine cannot exhaust: this test is about deduplication, not the fallback
    const outcomes = [0, 1, 2, 3].map((i) => e.process(pay(i, T0 + i * 60_000), { budgetMs: 60_000 }))
    expect(outcomes.map((o) => o.decision.outcome)).toEqual(['allow', 'allow', 'review', 'review'])
    expect(outcomes[2]!.alerts).toHaveLength(1)
    expect(outcomes[2]!.alerts[0]).toMatchObject({
      ruleId: 'v',
      subject: 'a',
      ruleSetVersion: 3,
      outcome: 'review',
    })
    expect(outcomes[2]!.alerts[0]!.context).toMatchObject({ features: { 'src.out_count_1h': 2 } })
    expect(outcomes[3]!.alerts).toHaveLength(0)
    expect(outcomes[3]!.duplicates).toEqual([outcomes[2]!.alerts[0]!.dedupKey])
    // just past the bucket boundary but less than a window after the alert: still the same alert
    e.process(pay(10, T0 + DAY_MS + 1))
    e.process(pay(11, T0 + DAY_MS + 2))
    const sliding = e.process(pay(12, T0 + DAY_MS + 3))
    expect(sliding.alerts).toHaveLength(0)
    expect(sliding.duplicates).toEqual([outcomes[2]!.alerts[0]!.dedupKey])
    // a window after the alert: a new one
    e.process(pay(20, T0 + 2 * DAY_MS + 1))
    e.process(pay(21, T0 + 2 * DAY_MS + 2))
    expect(e.process(pay(22, T0 + 2 * DAY_MS + 3)).alerts).toHaveLength(1)
  })

  it('forgets the dedup keys of alerts no later hit can join, and only those', () => {
    const e = new MonitoringEngine({ dedupWindowMs: DAY_MS })
    e.active = velocity
    const burst = (day: number, src: string): number => {
      let alerts = 0
      for (let i = 0; i < 3; i++)
        alerts += e.process(pay(i, T0 + day * DAY_MS + i * 60_000, 100_000n, src), { budgetMs: 60_000 })
          .alerts.length
      return alerts
    }
    // a subject a day alerts for 10 days: the map keeps the last three buckets' keys, not all ten
    for (let day = 0; day < 10; day++) expect(burst(day, `s${day}`)).toBe(1)
    expect(e.openAlertCount).toBe(3)
    // a key two buckets back is still there for a late model alert (claimAlert) to join
    expect(e.claimAlert('v', 's7', T0 + 7 * DAY_MS + 3_600_000).open).toBe(
      `v|s7|${Math.floor(T0 / DAY_MS) + 7}`,
    )
    // a forgotten subject alerts anew, and so does a remembered one once its window has passed
    expect(burst(10, 's0')).toBe(1)
    expect(burst(10, 's9')).toBe(1)
  })

  it('turns a summed score into review and allows otherwise', () => {
    const e = new MonitoringEngine()
    e.active = velocity
    const r = e.process(pay(0, T0, 2_000_000n))
    expect(r.decision).toMatchObject({ outcome: 'review', score: 5 })
    expect(r.alerts).toHaveLength(0) // allow rules score, they do not alert
  })

  it('applies the fallback when the synchronous decision runs out of its latency budget', () => {
    const e = new MonitoringEngine()
    e.active = compileRuleSet(
      {
        rules: Array.from({ length: 20 }, (_, i) => ({
          id: `r${i}`,
          when: 'false',
          outcome: 'allow' as const,
          score: 0,
          reason: 'x',
        })),
        fallback: 'block',
        budgetMs: 5,
      },
      1,
      LISTS,
    )
    let now = 0
    const slowTimer = () => (now += 3) // every reading of the clock costs 3 ms
    const r = e.process(pay(0, T0), { timer: slowTimer, budgetMs: true })
    expect(r.decision.degraded).toBe(true)
    expect(r.decision.outcome).toBe('block')
    const fast = e.process(pay(1, T0 + 1), { timer: () => 0, budgetMs: true }) // a clock that never moves
    expect(fast.decision).toMatchObject({ degraded: false, outcome: 'allow' })
  })

  it('without a budget (events, backtests, replays) a slow clock skips no rule: the last one still alerts', () => {
    // Seen on the checker's flow: the same transactions through POST /v1/monitoring/events raised
    // different alerts from run to run, as GC pauses and a busy machine ran decisions past 50 ms.
    const e = new MonitoringEngine()
    e.active = compileRuleSet(
      {
        rules: [
          ...Array.from({ length: 20 }, (_, i) => ({
            id: `r${i}`,
            when: 'false',
            outcome: 'allow' as const,
            score: 0,
            reason: 'x',
          })),
          { id: 'last', when: 'true', outcome: 'review' as const, score: 10, reason: 'the last rule' },
        ],
        fallback: 'block',
        budgetMs: 5,
      },
      1,
      LISTS,
    )
    let now = 0
    const r = e.process(pay(0, T0), { timer: () => (now += 3) })
    expect(r.decision).toMatchObject({ degraded: false, outcome: 'review' })
    expect(r.alerts.map((a) => a.ruleId)).toEqual(['last'])
  })

  it('a dry run dated months later forgets no open alert: the next hit still joins it', () => {
    // Seen on the checker's flow: POST /v1/risk/score (a what-if, dated now) on a tenant whose stream
    // stood in April made the engine forget April's open alerts, and 3 customers were alerted again.
    const e = new MonitoringEngine()
    e.active = velocity
    const hit = (i: number, at: number) => e.process(pay(i, at, 100_000n, 'a'))
    hit(0, T0)
    hit(1, T0 + 60_000)
    expect(hit(2, T0 + 120_000).alerts).toHaveLength(1)
    e.process(pay(3, T0 + 200 * DAY_MS, 100_000n, 'b'), { apply: false })
    expect(e.openAlertCount).toBe(1)
    const later = hit(4, T0 + 180_000)
    expect(later.alerts).toHaveLength(0)
    expect(later.duplicates).toHaveLength(1)
  })

  it('dry runs do not touch features or dedup state; shadow sets are evaluated alongside', () => {
    const e = new MonitoringEngine()
    e.active = velocity
    e.shadows = [
      compileRuleSet(
        { rules: [{ id: 's', when: 'txn.amount > 0', outcome: 'review', score: 1, reason: 's' }] },
        4,
        LISTS,
      ),
    ]
    for (let i = 0; i < 5; i++) e.process(pay(i, T0 + i), { apply: false })
    expect(e.store.applied).toBe(0)
    const r = e.process(pay(9, T0 + 10))
    expect(r.decision.outcome).toBe('allow')
    expect(r.shadow).toEqual([expect.objectContaining({ version: 4, outcome: 'review' })])
    expect(r.alerts).toHaveLength(0) // shadow sets never alert
    expect(e.store.applied).toBe(1)
  })
})

describe('generator and typology pack', () => {
  const data = generateTransactions({ customers: 1200, days: 60, seed: 7 })

  it('is deterministic for a seed and plants every typology with labels', () => {
    const again = generateTransactions({ customers: 1200, days: 60, seed: 7 })
    expect(again.txns.length).toBe(data.txns.length)
    expect(again.txns[1000]).toEqual(data.txns[1000])
    expect(generateTransactions({ customers: 1200, days: 60, seed: 8 }).txns.length).not.toBe(
      data.txns.length,
    )
    expect(new Set(data.cases.map((c) => c.typology))).toEqual(new Set(TYPOLOGIES))
    const ids = new Set(data.txns.map((t) => t.id))
    for (const c of data.cases) {
      expect(c.primary.length).toBeGreaterThan(0)
      expect(c.txnIds.some((id) => ids.has(id))).toBe(true)
    }
    // time order, ordinary volume
    for (let i = 1; i < data.txns.length; i++)
      expect(data.txns[i]!.at).toBeGreaterThanOrEqual(data.txns[i - 1]!.at)
    expect(data.txns.length).toBeGreaterThan(1200 * 60 * 0.6)
  })

  it('compiled rules agree with the cel-js interpreter on every rule and transaction', () => {
    const rs = compileRuleSet(defaultRuleSet(), 1, LISTS)
    expect(rs.rules.filter((r) => !r.compiled).map((r) => r.def.id)).toEqual([])
    const e = new MonitoringEngine({
      verifyCompiled: true,
      lists: new Map([['high_risk_countries', new Set(data.highRiskCountries)]]),
      parties: new Map(data.parties.map((p) => [p.id, p])),
    })
    e.active = rs
    let fired = 0
    for (const t of data.txns.slice(0, 40_000)) fired += e.process(t).decision.fired.length
    expect(fired).toBeGreaterThan(1000) // the comparison covered both outcomes
    // constructs outside the compiled subset run on cel-js
    const macro = compileRuleSet(
      {
        rules: [
          {
            id: 'm',
            when: '[1, 2].exists(x, x == 2) && txn.kind.startsWith("tr")',
            outcome: 'review',
            score: 1,
            reason: 'x',
          },
        ],
      },
      1,
      LISTS,
    )
    expect(macro.rules[0]!.compiled).toBe(false)
    e.active = macro
    expect(e.process({ ...data.txns[0]!, id: 'x', kind: 'transfer' }).decision.outcome).toBe('review')
  })

  it('what-ifs between decisions, dated months later, change no decision and no alert', () => {
    // A dry run must leave the engine as it found it (docs/monitoring.md): the same stream decided
    // with a what-if before every 25th transaction raises exactly the alerts it raises without.
    const engineFor = () => {
      const e = new MonitoringEngine({
        lists: new Map([['high_risk_countries', new Set(data.highRiskCountries)]]),
        parties: new Map(data.parties.map((p) => [p.id, p])),
      })
      e.active = compileRuleSet(defaultRuleSet(), 1, LISTS)
      return e
    }
    const plain = engineFor()
    const probed = engineFor()
    const stream = data.txns
    const seen = (e: MonitoringEngine, t: MonTxn) => {
      const r = e.process(t)
      return [r.decision.outcome, r.decision.fired.map((f) => f.ruleId), r.alerts.map((a) => a.dedupKey)]
    }
    let alerts = 0
    stream.forEach((t, i) => {
      if (i % 25 === 0)
        probed.process({ ...t, id: `what-if-${i}`, at: t.at + 200 * DAY_MS }, { apply: false })
      const expected = seen(plain, t)
      alerts += (expected[2] as string[]).length
      expect(seen(probed, t), t.id).toEqual(expected)
    })
    expect(alerts).toBeGreaterThan(20) // the comparison covered alerts and their dedup
  })

  it('detects the planted cases with few false alerts, and compares a draft with the active set', () => {
    const lists = new Map([
      ['high_risk_countries', new Set(data.highRiskCountries)],
      ['watchlist', new Set<string>()],
    ])
    const draft = compileRuleSet(defaultRuleSet(), 2, LISTS)
    // the "active" set lacks the cycle rule: the comparison must show it
    const def = defaultRuleSet()
    const active = compileRuleSet(
      { ...def, rules: def.rules.filter((r) => r.id !== 'cycle.closed_loop') },
      1,
      LISTS,
    )
    const report = backtest(data.txns, {
      draft,
      active,
      from: data.start,
      to: data.end,
      parties: data.parties,
      lists,
      labels: data.cases,
    })
    const score = report.draft.labels!
    expect(score.recall).toBeGreaterThanOrEqual(0.9)
    expect(score.precision).toBeGreaterThanOrEqual(0.7)
    expect(report.draft.hitsByRule['cycle.closed_loop']).toBeGreaterThan(0)
    expect(report.active!.hitsByRule['cycle.closed_loop']).toBeUndefined()
    expect(report.diff!.onlyDraft).toBeGreaterThan(0)
    expect(Object.values(report.draft.alertsPerDay).reduce((a, b) => a + b, 0)).toBe(report.draft.alerts)
    expect(report.transactions).toBe(data.txns.length)
  })
})

describe('tuning_business configuration (session 16b)', () => {
  it('adds innocent business hubs only where asked, leaving other configurations draw for draw', () => {
    const base = GENERATOR_CONFIGS.tuning.ranges
    const opts = { customers: 1500, days: 40, seed: 5 }
    const a = generateTransactions({ ...opts, ranges: base })
    const zero = generateTransactions({ ...opts, ranges: { ...base, businessHubLookAlikes: 0 } })
    expect(zero.txns).toEqual(a.txns)
    const hubs = generateTransactions({ ...opts, ranges: { ...base, businessHubLookAlikes: 1 } })
    // marketplaces pay sellers (J…); payroll bureaus are funded by client companies (K…) and pay staff
    expect(hubs.txns.some((t) => t.dst.startsWith('J'))).toBe(true)
    expect(a.txns.some((t) => t.dst.startsWith('J'))).toBe(false)
    expect(hubs.txns.length).toBeGreaterThan(a.txns.length)
  })

  it('starts no planted scheme before caseFromDay, leaving the default draw for draw (session 36)', () => {
    const opts = { customers: 1500, days: 90, seed: 5, ranges: GENERATOR_CONFIGS.holdout24x.ranges }
    const a = generateTransactions(opts)
    expect(generateTransactions({ ...opts, caseFromDay: 14 }).txns).toEqual(a.txns)
    // the wide ranges' long schemes cannot fit after day 14 of 90: they all start on it
    expect(a.cases.filter((c) => c.start < a.start + 15 * DAY_MS).length).toBeGreaterThan(0)
    const late = generateTransactions({ ...opts, days: 150, caseFromDay: 30 })
    expect(late.cases.length).toBe(a.cases.length)
    for (const c of late.cases) expect(c.start).toBeGreaterThanOrEqual(late.start + 30 * DAY_MS)
  })

  it('puts most gathering and pass-through hubs in business accounts', () => {
    const cfg = GENERATOR_CONFIGS.tuning_business
    const d = generateTransactions({ customers: 6000, days: 90, seed: 1, ranges: cfg.ranges })
    const seg = new Map(d.parties.map((p) => [p.id, p.segment]))
    const hubs = d.cases
      .filter((c) => ['fan_in', 'gather_scatter', 'pass_through'].includes(c.typology))
      .map((c) => seg.get(c.primary[0]!))
    expect(hubs.length).toBeGreaterThan(10)
    expect(hubs.filter((s) => s === 'business').length / hubs.length).toBeGreaterThan(0.6)
  })
})

describe('hub-less networks (bipartite, layering)', () => {
  const networks = { layerSize: [2, 4], layers: [2, 3], amount: [3000, 12000], hopHours: [2, 48] } as const
  const data = generateTransactions({
    customers: 3000,
    days: 60,
    seed: 5,
    ranges: { ...GENERATOR_CONFIGS.tuning.ranges, networks },
  })

  it('are planted only where the ranges ask for them', () => {
    const typologies = new Set(data.cases.map((c) => c.typology))
    expect(typologies).toEqual(new Set([...TYPOLOGIES, ...NETWORK_TYPOLOGIES]))
    const plain = generateTransactions({
      customers: 3000,
      days: 60,
      seed: 5,
      ranges: GENERATOR_CONFIGS.tuning.ranges,
    })
    expect(new Set(plain.cases.map((c) => c.typology))).toEqual(new Set(TYPOLOGIES))
  })

  it('move money in through every account of a layer and out of it, with no hub', () => {
    const byId = new Map(data.txns.map((t) => [t.id, t]))
    const nets = data.cases.filter((c) => (NETWORK_TYPOLOGIES as readonly string[]).includes(c.typology))
    expect(nets.length).toBeGreaterThan(0)
    for (const c of nets) {
      const txns = c.txnIds.map((id) => byId.get(id)!)
      expect(c.primary.length).toBeGreaterThanOrEqual(2)
      for (const m of c.primary) {
        // every account both receives and pays within the scheme
        expect(txns.some((t) => t.dst === m)).toBe(true)
        expect(txns.some((t) => t.src === m)).toBe(true)
      }
      // members pay each other (layer to layer), not only outsiders
      const internal = txns.filter((t) => c.primary.includes(t.src) && c.primary.includes(t.dst))
      expect(internal.length).toBeGreaterThanOrEqual(1)
    }
  })
})
