import { describe, expect, it } from 'vitest'
import { MonitoringEngine } from './engine.js'
import { DAY_MS, type MonTxn, type Party } from './monitoring.js'
import { compileRuleSet } from './rules.js'
import { defaultRuleSet } from './typologies.js'

/**
 * Issue 17 part A: funds traced through every rail and over several payments, a customer's own
 * accounts not treated as counterparties, thresholds per currency and segment, and lifetime
 * activity beyond the replayed window.
 */

const T0 = Date.UTC(2026, 4, 4, 9)
const H = 3_600_000
const LISTS = new Set(['high_risk_countries', 'watchlist'])
let seq = 0
const t = (at: number, src: string, dst: string, amount: bigint, over: Partial<MonTxn> = {}): MonTxn => ({
  id: `x${seq++}`,
  at,
  amount,
  currency: 'EUR',
  kind: 'transfer',
  src,
  dst,
  ...over,
})
const person = (id: string, segment: Party['segment'] = 'individual'): Party => ({
  id,
  segment,
  country: 'DE',
  risk: 'low',
  openedAt: T0 - 900 * DAY_MS,
})

function engine(parties: Party[] = []): MonitoringEngine {
  const e = new MonitoringEngine({
    lists: new Map([
      ['high_risk_countries', new Set(['IR'])],
      ['watchlist', new Set<string>()],
    ]),
    parties: new Map(parties.map((p) => [p.id, p])),
  })
  e.active = compileRuleSet(defaultRuleSet(), 1, LISTS)
  return e
}

/** A budget no loaded test machine runs out of: a degraded decision would skip rules. */
const SLOW = { budgetMs: 60_000 }
const fired = (e: MonitoringEngine, x: MonTxn): string[] =>
  e.process(x, SLOW).decision.fired.map((f) => f.ruleId)
/** Detection rules only (scoring rules, outcome allow, raise no alert). */
const alerting = (e: MonitoringEngine, x: MonTxn): string[] =>
  e
    .process(x, SLOW)
    .decision.fired.filter((f) => f.outcome !== 'allow')
    .map((f) => f.ruleId)
/** Reads txn / entity fields the rules see, without changing anything. */
function explain(e: MonitoringEngine, x: MonTxn, ruleId: string): Record<string, unknown> {
  const r = e.process(x, { ...SLOW, apply: false, explain: true })
  return r.explain!.find((y) => y.ruleId === ruleId)!.features
}

describe('funds tracing through every rail', () => {
  it('closes a cycle whose hops go by wire and ACH', () => {
    const e = engine(['A', 'B', 'C'].map((id) => person(id)))
    e.process(t(T0, 'A', 'B', 1_000_000n, { kind: 'wire' }))
    e.process(t(T0 + 30 * H, 'B', 'C', 980_000n, { kind: 'ach' }))
    expect(fired(e, t(T0 + 80 * H, 'C', 'A', 960_000n, { kind: 'wire' }))).toContain('cycle.closed_loop')
  })

  it('closes a cycle whose accounts each held the money about two weeks, by wire, ACH and transfer (session 22)', () => {
    const e = engine(['A', 'B', 'C', 'D'].map((id) => person(id)))
    e.process(t(T0, 'A', 'B', 3_000_000n, { kind: 'wire' }))
    e.process(t(T0 + 14 * DAY_MS, 'B', 'C', 2_950_000n, { kind: 'ach' }))
    e.process(t(T0 + 27 * DAY_MS, 'C', 'D', 2_900_000n, { kind: 'wire' }))
    // back to A 41 days after it left, every hop held 13-14 days (10 and 30 days until session 22)
    const back = t(T0 + 41 * DAY_MS, 'D', 'A', 2_860_000n, { kind: 'ach' })
    expect(explain(e, back, 'cycle.closed_loop')['txn.cycle_len']).toBe(4)
    expect(fired(e, back)).toContain('cycle.closed_loop')
  })

  it('long holds are not cycles by themselves: a loan repaid after three weeks, money kept five weeks on the way, or a chain that never returns', () => {
    const people = ['A', 'B', 'C', 'D', 'L', 'T', 'S'].map((id) => person(id))
    // a friend's loan repaid three weeks later: two accounts, no cycle
    let e = engine(people)
    e.process(t(T0, 'A', 'B', 500_000n))
    expect(fired(e, t(T0 + 21 * DAY_MS, 'B', 'A', 500_000n))).not.toContain('cycle.closed_loop')
    // C kept the money five weeks (savings) before paying D, who pays A: not the same money
    e = engine(people)
    e.process(t(T0, 'A', 'C', 800_000n, { kind: 'wire' }))
    e.process(t(T0 + 35 * DAY_MS, 'C', 'D', 790_000n, { kind: 'ach' }))
    expect(fired(e, t(T0 + 37 * DAY_MS, 'D', 'A', 780_000n))).not.toContain('cycle.closed_loop')
    // payroll and rent: an employer pays a salary, the employee pays a landlord, the landlord a
    // tradesman — money moving on over weeks that never comes back to where it started
    e = engine(people)
    e.process(t(T0, 'S', 'T', 400_000n))
    e.process(t(T0 + 15 * DAY_MS, 'T', 'L', 380_000n))
    expect(fired(e, t(T0 + 30 * DAY_MS, 'L', 'D', 370_000n))).not.toContain('cycle.closed_loop')
  })

  it('follows one inflow leaving as several outflows, over days, into a cycle', () => {
    const e = engine(['A', 'B', 'C'].map((id) => person(id)))
    e.process(t(T0, 'A', 'B', 1_000_000n))
    // B splits what it received: 45 % goes on to C, who returns it to A two days later
    e.process(t(T0 + 20 * H, 'B', 'C', 450_000n, { kind: 'ach' }))
    e.process(t(T0 + 22 * H, 'B', 'Z1', 500_000n))
    expect(fired(e, t(T0 + 70 * H, 'C', 'A', 440_000n))).toContain('cycle.closed_loop')
  })

  it('measures how much of a large inflow left again, across split payments and days', () => {
    const e = engine([person('P')])
    // from abroad: a personal pass-through needs a border crossed (session 15)
    e.process(t(T0, 'EXT', 'P', 2_000_000n, { kind: 'wire', srcCountry: 'PL', dstCountry: 'DE' }))
    e.process(t(T0 + 30 * H, 'P', 'Y1', 700_000n, { kind: 'ach' }))
    const second = t(T0 + 50 * H, 'P', 'Y2', 600_000n)
    const f = explain(e, second, 'pass_through.rapid')
    expect(f['src.flow_in_amount']).toBe(2_000_000)
    expect(f['src.flow_out_share']).toBeCloseTo(0.65, 5)
    expect(f['src.flow_hours']).toBeCloseTo(50, 5)
    expect(fired(e, second)).not.toContain('pass_through.rapid') // 65 % < 80 %
    expect(fired(e, t(T0 + 60 * H, 'P', 'Y3', 500_000n, { kind: 'wire' }))).toContain('pass_through.rapid')
  })

  it('follows the inflow a payment is about the size of, and counts what new payees were paid since it arrived whatever money paid them (session 52)', () => {
    const e = engine([person('B', 'business')])
    e.process(t(T0, 'K1', 'B', 4_000_000n)) // a client's wire: the largest traced inflow
    e.process(t(T0 + 2 * DAY_MS, 'B', 'Known', 100n))
    e.process(t(T0 + 5 * DAY_MS, 'E1', 'B', 1_100_000n, { kind: 'wire', srcCountry: 'IT', dstCountry: 'DE' }))
    e.process(t(T0 + 5 * DAY_MS + H, 'C1', 'B', 50_000n)) // a small takings payment after it
    e.process(t(T0 + 5 * DAY_MS + 6 * H, 'B', 'Y1', 600_000n))
    const second = t(T0 + 5 * DAY_MS + 9 * H, 'B', 'Y2', 450_000n)
    const f = explain(e, second, 'pass_through.matched.business')
    // the latest inflow of at least 90 % of 4,500 is the stranger's 11,000, not the takings after it
    expect(f['src.fresh_in_amount']).toBe(1_100_000)
    expect(f['src.fresh_hours']).toBeCloseTo(9, 5)
    expect(f['src.fresh_in_new_sender']).toBe(true)
    expect(f['src.fresh_in_after']).toBe(0)
    // 6,000 + 4,500 to new payees since it arrived, though first in first out charges them to K1's wire
    expect(f['src.fresh_out_new_share']).toBeCloseTo(10_500 / 11_000, 8)
    expect(explain(e, second, 'pass_through.rapid.business')['src.flow_in_amount']).toBe(4_000_000)
    // a payment larger than every recent inflow follows none of them
    const big = explain(
      e,
      t(T0 + 5 * DAY_MS + 10 * H, 'B', 'Y3', 5_000_000n),
      'pass_through.matched.business',
    )
    expect(big['src.fresh_in_amount']).toBe(0)
    expect(big['src.fresh_hours']).toBe(-1)
  })

  it('does not call it a pass-through when the money left long after it came', () => {
    const e = engine([person('P')])
    e.process(t(T0, 'EXT', 'P', 2_000_000n, { kind: 'wire' }))
    expect(fired(e, t(T0 + 8 * DAY_MS, 'P', 'Y1', 1_900_000n))).not.toContain('pass_through.rapid')
  })
})

describe('same owner', () => {
  it('a customer moving money between their own accounts makes no counterparty, round amount or pass-through', () => {
    const e = engine([person('P1')])
    const own = { srcCustomer: 'C1', dstCustomer: 'C1' }
    e.process(t(T0, 'EXT', 'P1', 1_000_000n, { kind: 'wire', dstCustomer: 'C1' }))
    for (let i = 0; i < 3; i++) {
      const sweep = t(T0 + (i + 1) * H, 'P1', 'S1', 300_000n, own)
      const f = explain(e, sweep, 'round_amounts.repeated')
      expect(f['txn.round']).toBe(false)
      expect(alerting(e, sweep)).toEqual([])
    }
    const r = e.process(t(T0 + 5 * H, 'S1', 'P1', 100_000n, own), { ...SLOW, apply: false, explain: true })
    expect(r.explain!.find((x) => x.ruleId === 'score.new_cp_large')!.fired).toBe(false)
    // the sweeps did not drain the inflow: the traced share is still 0
    expect(
      explain(e, t(T0 + 6 * H, 'P1', 'Q', 100n), 'pass_through.rapid')['src.flow_out_share'],
    ).toBeCloseTo(100 / 1_000_000, 8)
    expect(e.store.accounts.get('P1')!.distinct(T0 + 6 * H, 7 * DAY_MS, 'out')).toBe(0)
  })

  it('the same round payments to someone else are a pattern', () => {
    const e = engine([person('P1')])
    const hits = [0, 1, 2].map((i) => fired(e, t(T0 + i * DAY_MS, 'P1', 'R1', 300_000n)))
    expect(hits[2]).toContain('round_amounts.repeated')
  })
})

describe('segments and currencies', () => {
  it('uses the currency’s reporting threshold: GBP 9,000 is above it, EUR 9,000 below', () => {
    const deposits = (currency: string): string[][] => {
      const e = engine([person('P')])
      return [0, 2].map((d) =>
        fired(e, t(T0 + d * DAY_MS, 'cash', 'P', 900_000n, { kind: 'cash_deposit', currency })),
      )
    }
    expect(deposits('EUR')[1]).toContain('structuring.cash_below_threshold')
    expect(deposits('USD')[1]).toContain('structuring.cash_below_threshold')
    expect(deposits('GBP')[1]).not.toContain('structuring.cash_below_threshold')
  })

  it('a merchant’s daily cash takings just below the threshold are not structuring; a business’s are', () => {
    for (const [segment, expected] of [
      ['merchant', false],
      ['business', true],
    ] as const) {
      const e = engine([person('S', segment)])
      const got = [0, 1, 2].flatMap((d) =>
        fired(e, t(T0 + d * DAY_MS, 'cash', 'S', 850_000n, { kind: 'cash_deposit' })),
      )
      expect(got.some((r) => r.startsWith('structuring.'))).toBe(expected)
    }
  })
})

describe('history longer than the window', () => {
  it('lifetime activity seeded from a snapshot makes a long-dormant account dormant, not new', () => {
    const fresh = engine([person('D')])
    const wake = t(T0, 'EXT', 'D', 1_500_000n, { kind: 'wire' })
    expect(fired(fresh, wake)).not.toContain('dormant.reactivation_in')
    const seeded = engine([person('D')])
    seeded.store.seedActivity({
      kind: 'account',
      id: 'D',
      firstAt: T0 - 900 * DAY_MS,
      lastAt: T0 - 300 * DAY_MS,
      lastInAt: T0 - 320 * DAY_MS,
      lastOutAt: T0 - 300 * DAY_MS,
      events: 40,
    })
    expect(explain(seeded, wake, 'dormant.reactivation_in')['dst.days_since_last']).toBeCloseTo(300, 5)
    expect(fired(seeded, wake)).toContain('dormant.reactivation_in')
  })
})
