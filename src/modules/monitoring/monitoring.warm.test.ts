import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import { DAY_MS, type MonTxn, type RuleSetDef } from './monitoring.js'
import { createMonitoring, type Monitoring } from './monitoring.service.js'

/**
 * Warming at start (`moneta start`, MONETA_MONITORING_WARM_TENANTS): a restarted service that warmed
 * a tenant decides its next transaction at once instead of by the cold fallback, and the tenants
 * warmed are those with an active rule set, latest transaction first.
 */
const T0 = Date.UTC(2026, 4, 4, 9)
const rules: RuleSetDef = {
  rules: [
    { id: 'big', when: 'txn.amount >= 100000.0', outcome: 'review', score: 10, reason: 'Large payment' },
  ],
}
let seq = 0
const pay = (at: number, amount = 10_000n): MonTxn => ({
  id: `w_${seq++}`,
  at,
  amount,
  currency: 'EUR',
  kind: 'transfer',
  src: 'acc_a',
  dst: 'acc_b',
})
const service = (h: DbHandle): Monitoring =>
  createMonitoring({ db: h.db, clock: fixedClock(new Date(T0 + 30 * DAY_MS)), ids: (p) => newId(p) })

async function monitored(
  m: Monitoring,
  tenant: string,
  txns: readonly MonTxn[],
  active = true,
): Promise<void> {
  await m.saveList(tenant, 'high_risk_countries', [])
  const rs = await m.saveRuleSet(tenant, rules)
  if (active) await m.transition(tenant, rs.version, 'active')
  await m.importHistory(tenant, { txns: [...txns] })
}

describeEachDb('monitoring warm-up', (target) => {
  let h: DbHandle
  beforeAll(async () => {
    h = await openTestDb(target)
  }, 180_000)
  afterAll(async () => h.close())

  it('decides at once after a restart when the tenant was warmed', async () => {
    const tenant = freshTenant()
    await monitored(service(h), tenant, [pay(T0), pay(T0 + DAY_MS)])
    const restarted = service(h)
    await restarted.warm(tenant)
    // a 1 ms budget: only an engine already built can answer within it. Whether the engine's own
    // rule evaluation also stayed under 1 ms of wall time is the machine's load, not the warm-up
    // (it flaked on CI's 2 busy cores): what shows the warm engine decided is its rule set's version
    // and its rule firing, where the cold fallback answers with neither
    const r = await restarted.evaluate(tenant, pay(T0 + 2 * DAY_MS, 200_000n), { budgetMs: 1 })
    expect(r.ruleSetVersion).not.toBeNull()
    expect(r.decision.fired.map((f) => f.ruleId)).toEqual(['big'])
  })
})

it('warms the tenants with an active rule set, latest transaction first, at most as many as asked', async () => {
  // a database of its own: the shared one holds every suite's tenants
  const h = await openTestDb({ name: 'pglite' })
  try {
    const m = service(h)
    const older = 'ten_older'
    const newer = 'ten_newer'
    const empty = 'ten_empty'
    await monitored(m, older, [pay(T0)])
    await monitored(m, newer, [pay(T0 + 3 * DAY_MS)])
    await monitored(m, empty, [])
    await monitored(m, 'ten_inactive', [pay(T0 + 9 * DAY_MS)], false)
    expect(await service(h).warmUp(2)).toEqual([newer, older])
    expect(await service(h).warmUp(10)).toEqual([newer, older, empty])
    expect(await service(h).warmUp(0)).toEqual([])
  } finally {
    await h.close()
  }
}, 180_000)
