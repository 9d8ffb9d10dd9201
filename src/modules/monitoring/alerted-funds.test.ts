import { describe, expect, it } from 'vitest'
import { ALERTED_LOOKBACK_MS, AlertedAccounts } from './alerted-funds.js'
import { MonitoringEngine } from './engine.js'
import { DAY_MS, type MonTxn, type RuleSetDef } from './monitoring.js'
import { compileRuleSet } from './rules.js'
import { defaultRuleSet } from './typologies.js'

const T0 = Date.UTC(2026, 2, 1)
const H = 3_600_000
let seq = 0
const pay = (
  at: number,
  src: string,
  dst: string,
  major: number,
  kind: MonTxn['kind'] = 'transfer',
): MonTxn => ({
  id: `t${seq++}`,
  at,
  amount: BigInt(major * 100),
  currency: 'EUR',
  kind,
  src,
  dst,
  srcCustomer: `C${src}`,
  dstCustomer: `C${dst}`,
})

/** The pack's network rule, and a stand-in for "the rules alerted on this account": any payment to "shell". */
function engineWithNetworkRule(): MonitoringEngine {
  const network = defaultRuleSet().rules.find((r) => r.id === 'network.passes_on_alerted_funds')!
  const def: RuleSetDef = {
    rules: [
      network,
      {
        id: 'stand_in',
        typology: 'test',
        subject: 'src',
        when: 'txn.dst == "shell"',
        outcome: 'review',
        score: 1,
        reason: 'x',
      },
    ],
  }
  const e = new MonitoringEngine()
  e.active = compileRuleSet(def, 1, new Set())
  return e
}
const fired = (e: MonitoringEngine, t: MonTxn) => e.process(t).alerts.map((a) => `${a.ruleId}:${a.subject}`)

describe('money from alerted accounts (network.passes_on_alerted_funds)', () => {
  it('alerts on the account that passes on most of what an alerted account paid it, and on the next layer', () => {
    const e = engineWithNetworkRule()
    expect(fired(e, pay(T0, 'A', 'shell', 10))).toEqual(['stand_in:A'])
    e.process(pay(T0 + H, 'A', 'B', 3000))
    // 1,000 of 3,000 passed on is not most of it
    expect(fired(e, pay(T0 + 5 * H, 'B', 'C', 1000))).toEqual([])
    // 1,000 + 1,500 is: B is alerted on the payment that takes it past the share
    expect(fired(e, pay(T0 + 6 * H, 'B', 'D', 1500))).toEqual(['network.passes_on_alerted_funds:B'])
    // the next layer: D got that payment from B as B was alerted on it, and passes it on in cash
    expect(fired(e, pay(T0 + 30 * H, 'D', 'cash', 1300, 'cash_withdrawal'))).toEqual([
      'network.passes_on_alerted_funds:D',
    ])
    // C was paid before B's alert: its money is not counted
    expect(fired(e, pay(T0 + 31 * H, 'C', 'E', 1000))).toEqual([])
  })

  it('does not count money received before the sender was alerted, long after, or spent by card', () => {
    const e = engineWithNetworkRule()
    e.process(pay(T0, 'A', 'B', 3000))
    e.process(pay(T0 + H, 'A', 'shell', 10)) // alerted after paying B
    expect(fired(e, pay(T0 + 2 * H, 'B', 'C', 2900))).toEqual([])
    // paid 15 days after its alert: outside the lookback
    e.process(pay(T0 + H + ALERTED_LOOKBACK_MS + DAY_MS, 'A', 'E', 3000))
    expect(fired(e, pay(T0 + H + ALERTED_LOOKBACK_MS + DAY_MS + H, 'E', 'F', 2900))).toEqual([])
    // a fresh alert, then money to G: spent by card it is not passed on; a transfer after 4 days is outside 72 h
    const t1 = T0 + 40 * DAY_MS
    e.process(pay(t1, 'A', 'shell', 10))
    e.process(pay(t1 + H, 'A', 'G', 3000))
    expect(fired(e, pay(t1 + 2 * H, 'G', 'shop', 2900, 'card'))).toEqual([])
    expect(fired(e, pay(t1 + 4 * DAY_MS, 'G', 'H', 2900))).toEqual([])
  })

  it('a restarted engine that remembers the alerts before replaying the history decides the same', () => {
    const live = engineWithNetworkRule()
    const history = [pay(T0, 'A', 'shell', 10), pay(T0 + H, 'A', 'B', 3000)]
    const alerts = history.flatMap((t) => live.process(t).alerts)
    const restarted = engineWithNetworkRule()
    restarted.rememberAlerts(alerts.map((a) => ({ key: a.dedupKey, at: a.at })))
    for (const t of history) restarted.learn(t)
    const next = pay(T0 + 3 * H, 'B', 'C', 2800)
    expect(fired(restarted, next)).toEqual(['network.passes_on_alerted_funds:B'])
    expect(fired(live, next)).toEqual(['network.passes_on_alerted_funds:B'])
  })
})

describe('AlertedAccounts', () => {
  it('answers for the time asked, whatever order the alerts were noted in', () => {
    const a = new AlertedAccounts()
    a.note('x', T0 + 20 * DAY_MS)
    a.note('x', T0)
    expect(a.alertedBefore('x', T0 + DAY_MS)).toBe(true)
    expect(a.alertedBefore('x', T0 + 16 * DAY_MS)).toBe(false) // 16 days after the first, before the second
    expect(a.alertedBefore('x', T0 - 1)).toBe(false)
    a.forgetBefore(T0 + 21 * DAY_MS)
    expect(a.size).toBe(0)
  })
})
