import { describe, expect, it } from 'vitest'
import { isAppError } from '../../shared/errors.js'
import { MonitoringEngine } from './engine.js'
import type { MonTxn, RuleDef } from './monitoring.js'
import { checkRuleSet, compileRuleSet } from './rules.js'
import { defaultRuleSet } from './typologies.js'

const LISTS = new Set(['high_risk_countries', 'watchlist'])
const rule = (when: string, extra: Partial<RuleDef> = {}): RuleDef => ({
  id: 'r1',
  when,
  outcome: 'review',
  score: 10,
  reason: 'test',
  ...extra,
})

function compileError(rules: RuleDef[]): {
  message: string
  problems: { field: string; message: string; position?: { line: number; column: number; start: number } }[]
} {
  try {
    compileRuleSet({ rules }, 1, LISTS)
  } catch (e) {
    if (isAppError(e) && e.code === 'MONITORING_RULE_INVALID') {
      return { message: e.message, problems: (e.details as { problems: never[] }).problems }
    }
    throw e
  }
  throw new Error('expected MONITORING_RULE_INVALID')
}

describe('rule compilation', () => {
  it('compiles the default pack (detection rules per segment plus 36 scoring rules)', () => {
    const rs = compileRuleSet(defaultRuleSet(), 7, LISTS)
    expect(rs.rules).toHaveLength(defaultRuleSet().rules.length)
    expect(rs.rules.length).toBeGreaterThanOrEqual(50)
    expect(rs.version).toBe(7)
    expect(rs.rules.every((r) => r.compiled)).toBe(true)
    expect(rs.rules.find((r) => r.def.id === 'velocity.spike')!.features).toContain('device.out_count_24h')
    // segment thresholds: business structuring exists, merchants' cash takings have no structuring rule
    const ids = rs.rules.map((r) => r.def.id)
    expect(ids).toContain('structuring.cash_below_threshold.business')
    expect(ids).not.toContain('structuring.cash_below_threshold.merchant')
  })

  it('rejects a syntax error with its line and column', () => {
    const e = compileError([rule('txn.amount > 100 &&\n  (src.out_count_24h > ')])
    expect(e.problems[0]!.field).toBe('when')
    expect(e.problems[0]!.position).toMatchObject({ line: 2 })
    expect(e.message).toMatch(/Rule "r1" when at line 2, column \d+/)
  })

  it('rejects an unknown feature, naming it and pointing at it', () => {
    const when = 'txn.amount > 100 && src.out_cnt_24h > 3.0'
    const e = compileError([rule(when)])
    expect(e.problems[0]!.message).toMatch(/unknown feature or field "out_cnt_24h"/)
    expect(e.problems[0]!.position!.start).toBe(when.indexOf('out_cnt_24h'))
    expect(compileError([rule('src.out_count_2d > 1.0')]).problems[0]!.message).toMatch(/out_count_2d/)
    expect(compileError([rule('merchant.out_count_24h > 1.0')]).problems[0]!.message).toMatch(/merchant/)
  })

  it('rejects unknown lists, non-boolean expressions, type errors and bad fields, all at once', () => {
    const e = compileError([
      rule('in_list("sanctions", txn.dst_country)', { id: 'a' }),
      rule('txn.amount + 1', { id: 'b' }),
      rule('txn.amount + src.out_sum_24h > 1.0', { id: 'c' }),
      rule('true', { id: 'c', outcome: 'maybe' as never, reason: '' }),
    ])
    const byRule = e.problems.map((p) => `${p.field}:${p.message.slice(0, 25)}`)
    expect(e.problems.find((p) => p.message.includes('unknown list "sanctions"'))).toBeDefined()
    expect(e.problems.find((p) => p.message.includes('must be a bool'))).toBeDefined()
    expect(e.problems.find((p) => p.message.includes('no such overload'))).toBeDefined()
    expect(byRule).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^id:duplicate/),
        expect.stringMatching(/^outcome/),
        expect.stringMatching(/^reason/),
      ]),
    )
    expect(e.message).toMatch(/and \d+ more problem/)
  })

  it('checkRuleSet reports problems without throwing', () => {
    expect(checkRuleSet({ rules: [rule('txn.amount > 1')] }, LISTS)).toEqual([])
    expect(checkRuleSet({ rules: [] }, LISTS)[0]!.field).toBe('rules')
  })
})

describe('rule evaluation', () => {
  const t = (over: Partial<MonTxn> = {}): MonTxn => ({
    id: 't1',
    at: Date.UTC(2026, 0, 1, 12),
    amount: 600_000n,
    currency: 'EUR',
    kind: 'transfer',
    src: 'a',
    dst: 'b',
    dstCountry: 'IR',
    ...over,
  })

  it('reads lists, parties and features; explain shows the values each rule saw', () => {
    const rs = compileRuleSet(
      {
        rules: [
          rule('in_list("high_risk_countries", txn.dst_country) && txn.amount >= 500000', { id: 'hr' }),
          rule('src_party.segment == "business"', { id: 'biz' }),
          rule('src.out_count_24h >= 1.0', { id: 'velocity', outcome: 'block' }),
        ],
      },
      1,
      LISTS,
    )
    const engine = new MonitoringEngine({
      lists: new Map([['high_risk_countries', new Set(['IR'])]]),
      parties: new Map([['a', { id: 'a', segment: 'individual', country: 'DE', risk: 'low', openedAt: 0 }]]),
    })
    engine.active = rs
    const first = engine.process(t(), { explain: true })
    expect(first.decision.outcome).toBe('review')
    expect(first.decision.fired.map((f) => f.ruleId)).toEqual(['hr'])
    expect(first.explain!.map((x) => [x.ruleId, x.fired])).toEqual([
      ['hr', true],
      ['biz', false],
      ['velocity', false],
    ])
    expect(first.explain![0]!.features).toEqual({ 'txn.amount': '600000', 'txn.dst_country': 'IR' })
    expect(first.explain![2]!.features).toEqual({ 'src.out_count_24h': 0 })
    const second = engine.process(t({ id: 't2', at: Date.UTC(2026, 0, 1, 13), dstCountry: 'FR' }))
    expect(second.decision.outcome).toBe('block')
    expect(second.decision.fired.map((f) => f.ruleId)).toEqual(['velocity'])
  })

  it('tracks customers, devices, cards and addresses as entities of their own', () => {
    const rs = compileRuleSet(
      {
        rules: [
          rule('device.out_count_24h >= 1.0', { id: 'dev' }),
          rule('card.out_sum_24h >= 1000.0', { id: 'card' }),
          rule('address.out_distinct_24h >= 2.0', { id: 'addr' }),
          rule('src_customer.out_count_24h >= 2.0', { id: 'cust' }),
        ],
      },
      1,
      LISTS,
    )
    const engine = new MonitoringEngine()
    engine.active = rs
    const base = { device: 'd1', card: 'k1', address: 'addr1', srcCustomer: 'c1', dstCountry: 'DE' }
    engine.process(t({ id: 'x1', src: 'acc1', dst: 'p1', ...base }))
    engine.process(t({ id: 'x2', at: Date.UTC(2026, 0, 1, 13), src: 'acc2', dst: 'p2', ...base }))
    const third = engine.process(
      t({ id: 'x3', at: Date.UTC(2026, 0, 1, 14), src: 'acc3', dst: 'p3', ...base }),
    )
    // three different accounts: only the shared device, card, address and customer link them
    expect(third.decision.fired.map((f) => f.ruleId).sort()).toEqual(['addr', 'card', 'cust', 'dev'])
    const other = engine.process(t({ id: 'x4', at: Date.UTC(2026, 0, 1, 15), src: 'acc4', dst: 'p4' }))
    expect(other.decision.fired).toEqual([])
  })

  it('treats a runtime error as not fired and counts it', () => {
    const rs = compileRuleSet(
      { rules: [rule('txn.amount / (txn.amount - txn.amount) > 1', { id: 'div' })] },
      1,
      LISTS,
    )
    const engine = new MonitoringEngine()
    engine.active = rs
    const r = engine.process(t(), { explain: true })
    expect(r.decision.outcome).toBe('allow')
    expect(r.explain![0]!.error).toMatch(/division by zero/i)
    expect(engine.ruleErrors.get('div')).toBe(1)
  })
})
