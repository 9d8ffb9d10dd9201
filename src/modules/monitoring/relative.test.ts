import { describe, expect, it } from 'vitest'
import { MonitoringEngine } from './engine.js'
import { DAY_MS, type MonTxn, type Party } from './monitoring.js'
import { EPISODE_MS } from './relative.js'
import { compileRuleSet } from './rules.js'
import { txnBuilder } from './txn.fixture.js'

/**
 * Session 23: scale-free pass-through episodes (relative.ts) — the stranger's money leaving for
 * strangers, as shares of the inflow, on small hand-built histories, read by a rule as the model
 * reads them.
 */

const T0 = Date.UTC(2026, 4, 4, 9)
const H = 3_600_000
const t = txnBuilder('r', 'EUR')
const person = (id: string): Party => ({
  id,
  segment: 'business',
  country: 'DE',
  risk: 'low',
  openedAt: T0 - 900 * DAY_MS,
})
const FIELDS = [
  'rel_pass_out_share',
  'rel_pass_abroad_share',
  'rel_pass_hours',
  'rel_pass_payments',
  'rel_pass_vs_usual',
  'rel_pass_in_cross_border',
] as const

function engine(): MonitoringEngine {
  const e = new MonitoringEngine({
    lists: new Map([['high_risk_countries', new Set<string>()]]),
    parties: new Map(['P', 'Q'].map((id) => [id, person(id)])),
  })
  // one rule reading every field from the payer's side: rules read them like any other feature
  const when = FIELDS.map((f) => `src.${f} == src.${f}`).join(' && ') + ' && src.rel_pass_out_share >= 0.9'
  e.active = compileRuleSet(
    { rules: [{ id: 'rel.pass', when, outcome: 'review', score: 50, reason: 'passed on' }] },
    1,
    new Set(['high_risk_countries']),
  )
  return e
}
const SLOW = { budgetMs: 60_000 }
/** The payer-side fields as the rule sees them when deciding `x` (nothing applied). */
function seen(e: MonitoringEngine, x: MonTxn): Record<string, unknown> {
  const r = e.process(x, { ...SLOW, apply: false, explain: true })
  const f = r.explain!.find((y) => y.ruleId === 'rel.pass')!.features
  return Object.fromEntries(FIELDS.map((k) => [k, f[`src.${k}`]]))
}
const fired = (e: MonitoringEngine, x: MonTxn): boolean =>
  e.process(x, SLOW).decision.fired.some((f) => f.ruleId === 'rel.pass')

describe('pass-through episodes (scale-free)', () => {
  it('a stranger’s inflow leaving for new payees: shares of the inflow, hours, payments, this payment counted in', () => {
    const e = engine()
    e.process(t(T0, 'EXT', 'P', 1_000_000n, { kind: 'wire', srcCountry: 'PL', dstCountry: 'DE' }))
    e.process(t(T0 + 2 * H, 'P', 'Y1', 400_000n, { kind: 'wire', srcCountry: 'DE', dstCountry: 'CY' }))
    const second = t(T0 + 5 * H, 'P', 'Y2', 500_000n, { kind: 'ach' })
    expect(seen(e, second)).toEqual({
      rel_pass_out_share: 0.9,
      rel_pass_abroad_share: 0.4, // before this payment: only Y1's went abroad
      rel_pass_hours: 5,
      rel_pass_payments: 2,
      rel_pass_vs_usual: 0.9, // no closed episode: its own habit is nothing passed on
      rel_pass_in_cross_border: true,
    })
    expect(fired(e, second)).toBe(true)
  })

  it('reads the same at any scale: 100 times the amounts give the same values', () => {
    const run = (k: bigint): Record<string, unknown> => {
      const e = engine()
      e.process(t(T0, 'EXT', 'P', 1_000_000n * k, { kind: 'wire' }))
      e.process(t(T0 + 2 * H, 'P', 'Y1', 300_000n * k))
      return seen(e, t(T0 + 30 * H, 'P', 'Y2', 600_000n * k))
    }
    expect(run(100n)).toEqual(run(1n))
  })

  it('no look-ahead: the inflow’s own row sees no episode, a payment does not see the later ones', () => {
    const e = engine()
    const inflow = t(T0, 'EXT', 'P', 1_000_000n, { kind: 'wire' })
    // the payee's side is read through dst: the rule reads src, so look at P's state directly
    e.process(inflow)
    expect(seen(e, t(T0 + H, 'P', 'Y1', 300_000n))).toMatchObject({
      rel_pass_out_share: 0.3,
      rel_pass_payments: 1,
    })
    // what comes after a payment does not change the values it was decided with
    const before = seen(e, t(T0 + H, 'P', 'Y1', 300_000n))
    e.process(t(T0 + H, 'P', 'Y1', 300_000n))
    e.process(t(T0 + 2 * H, 'P', 'Y2', 600_000n))
    expect(before).toMatchObject({ rel_pass_out_share: 0.3 })
    expect(seen(e, t(T0 + 3 * H, 'P', 'Y3', 50_000n))).toMatchObject({
      rel_pass_out_share: 0.95,
      rel_pass_payments: 3,
    })
    // an account that never received from a stranger has no episode (-1 hours, 0 shares)
    expect(seen(e, t(T0 + 3 * H, 'Q', 'Y4', 50_000n))).toMatchObject({
      rel_pass_hours: -1,
      rel_pass_out_share: 0,
    })
  })

  it('counts only new payees and money that left after the inflow; known payees and own accounts do not count', () => {
    const e = engine()
    e.process(t(T0 - DAY_MS, 'P', 'SUP', 10_000n)) // a supplier paid before
    e.process(t(T0, 'EXT', 'P', 1_000_000n, { kind: 'wire' }))
    e.process(t(T0 + H, 'P', 'SUP', 500_000n)) // the usual supplier: not a new payee
    e.process(t(T0 + 2 * H, 'P', 'P2', 300_000n, { srcCustomer: 'C', dstCustomer: 'C' })) // own account
    expect(seen(e, t(T0 + 3 * H, 'P', 'Y1', 100_000n))).toMatchObject({
      rel_pass_out_share: 0.1,
      rel_pass_payments: 1,
    })
    // money from the customer's own account opens no episode
    const f = engine()
    f.process(t(T0, 'P2', 'P', 1_000_000n, { srcCustomer: 'C', dstCustomer: 'C' }))
    expect(seen(f, t(T0 + H, 'P', 'Y1', 900_000n))).toMatchObject({ rel_pass_hours: -1 })
  })

  it('against its own habit: an account that always passes stranger money on reads lower than one that never did', () => {
    const e = engine()
    // two earlier episodes, each passed on whole, then closed (older than EPISODE_MS)
    for (const [i, d] of [0, 13].entries()) {
      e.process(t(T0 + d * DAY_MS, `K${i}`, 'P', 1_000_000n, { kind: 'wire' }))
      e.process(t(T0 + d * DAY_MS + H, 'P', `S${i}`, 1_000_000n))
    }
    const now = T0 + 40 * DAY_MS
    e.process(t(now, 'K9', 'P', 1_000_000n, { kind: 'wire' }))
    const f = seen(e, t(now + H, 'P', 'S9', 500_000n))
    expect(f.rel_pass_out_share).toBe(0.5)
    expect(f.rel_pass_vs_usual).toBeCloseTo(0.5 - 1, 10)
    expect(40 * DAY_MS).toBeGreaterThan(13 * DAY_MS + EPISODE_MS)
  })

  it('a marketplace’s many small new buyers do not push a large stranger’s inflow out', () => {
    const e = engine()
    e.process(t(T0, 'EXT', 'P', 1_000_000n, { kind: 'wire' }))
    for (let i = 0; i < 10; i++) e.process(t(T0 + (i + 1) * 60_000, `B${i}`, 'P', 3_000n))
    expect(seen(e, t(T0 + 2 * H, 'P', 'Y1', 950_000n))).toMatchObject({ rel_pass_out_share: 0.95 })
  })

  it('an episode ends after EPISODE_MS', () => {
    const e = engine()
    e.process(t(T0, 'EXT', 'P', 1_000_000n, { kind: 'wire' }))
    expect(seen(e, t(T0 + EPISODE_MS + H, 'P', 'Y1', 900_000n))).toMatchObject({ rel_pass_hours: -1 })
  })
})
