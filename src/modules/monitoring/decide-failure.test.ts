import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import { createCatalogue, createOutbox, type Outbox } from '../events/index.js'
import { monitoringEvents } from './monitoring.events.js'
import type { MonTxn, RuleSetDef } from './monitoring.js'
import { createMonitoring, type Monitoring } from './monitoring.service.js'

const T0 = Date.UTC(2026, 3, 1, 9)

const velocity: RuleSetDef = {
  rules: [
    {
      id: 'velocity.out_1h',
      when: 'src.out_count_1h >= 1.0',
      outcome: 'review',
      score: 20,
      reason: 'Second payment within an hour',
    },
  ],
}

/**
 * Session 56: a decision's write failed after the engine had folded it in. The engine's dedup claim
 * for the alert stayed open, so the client's retry of the same transaction found it "already open",
 * counted a repeat of an alert that was never stored, and the alert was lost.
 */
describeEachDb('a decision whose write fails', (target) => {
  let h: DbHandle
  let m: Monitoring
  let failNext = false
  const forgotten: string[] = []
  beforeAll(async () => {
    h = await openTestDb(target)
    const outbox = createOutbox(createCatalogue(monitoringEvents))
    // the outbox insert is the last write of the decision's transaction: failing it rolls back the rest
    const flaky: Outbox = {
      ...outbox,
      enqueue: async (tx, events) => {
        if (failNext) {
          failNext = false
          throw new Error('outbox unavailable')
        }
        return outbox.enqueue(tx, events)
      },
    }
    m = createMonitoring({
      db: h.db,
      clock: fixedClock(new Date(T0)),
      ids: (p) => newId(p),
      outbox: flaky,
      decisionModel: {
        scorer: () => Promise.resolve(undefined),
        forget: (tenant) => void forgotten.push(tenant),
      },
    })
  })
  afterAll(async () => h.close())

  const pay = (id: string, at: number): MonTxn => ({
    id,
    at,
    amount: 10_000n,
    currency: 'EUR',
    kind: 'transfer',
    src: 'acc_a',
    dst: `acc_${id}`,
  })
  // a rebuilt engine may take longer than the production budget on a loaded machine
  const waitForEngine = { budgetMs: 60_000 }

  it('raises the alert on the retry, and has the model rebuild its state', async () => {
    const tenant = freshTenant()
    await m.saveRuleSet(tenant, velocity)
    await m.transition(tenant, 1, 'active')
    expect((await m.evaluate(tenant, pay('t1', T0), waitForEngine)).alerts).toHaveLength(0)
    failNext = true
    await expect(m.evaluate(tenant, pay('t2', T0 + 60_000), waitForEngine)).rejects.toThrow(
      'outbox unavailable',
    )
    expect(await m.listAlerts(tenant)).toHaveLength(0)
    const retry = await m.evaluate(tenant, pay('t2', T0 + 60_000), waitForEngine)
    expect(retry.replayed).toBe(false)
    expect(retry.alerts.map((a) => [a.ruleId, a.subject, a.hits])).toEqual([['velocity.out_1h', 'acc_a', 1]])
    // the rebuilt engine counts t2 once: its features come from what was stored
    expect(retry.alerts[0]!.context).toMatchObject({ features: { 'src.out_count_1h': 1 } })
    expect(await m.listAlerts(tenant)).toHaveLength(1)
    expect(forgotten).toContain(tenant)
  })

  it('keeps the batch path consistent too: a failed batch, retried whole, stores each alert once', async () => {
    const tenant = freshTenant()
    await m.saveRuleSet(tenant, velocity)
    await m.transition(tenant, 1, 'active')
    const batch = [pay('b1', T0), pay('b2', T0 + 60_000), pay('b3', T0 + 120_000)]
    failNext = true
    await expect(m.ingest(tenant, batch)).rejects.toThrow('outbox unavailable')
    const again = await m.ingest(tenant, batch)
    expect(again).toMatchObject({ evaluated: 3, replayed: 0, alerts: 1 })
    const stored = await m.listAlerts(tenant)
    expect(stored.map((a) => [a.ruleId, a.txnId, a.hits])).toEqual([['velocity.out_1h', 'b2', 2]])
  })
})
