import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

/** The whole chain: ledger posting → outbox (same transaction) → relay → bus → monitoring → alert. */
for (const target of testDbTargets()) {
  describe(`ledger postings reach monitoring through the event backbone [${target.name}]`, () => {
    let t: TestApp
    beforeAll(async () => {
      t = await createTestApp(target, { ownDatabase: true })
      t.app.startWorkers()
    })
    afterAll(async () => t.close())

    it(
      'raises an alert for a large transfer posted through the ledger API',
      { timeout: 60_000 },
      async () => {
        const { ledger, monitoring } = t.app.services
        const saved = await monitoring.saveRuleSet(t.tenantId, {
          rules: [
            {
              id: 'large',
              when: 'txn.amount >= 1000000',
              outcome: 'review',
              score: 40,
              reason: 'Large transfer',
            },
          ],
        })
        await monitoring.transition(t.tenantId, saved.version, 'active')
        await ledger.createAccount(t.tenantId, { id: 'acc_ops', currency: 'USD', normalSide: 'debit' })
        await ledger.createAccount(t.tenantId, { id: 'acc_cust', currency: 'USD', normalSide: 'credit' })
        const [small, large] = await ledger.execute(t.tenantId, [
          {
            op: 'create',
            legs: [{ source: 'acc_ops', destination: 'acc_cust', amount: 500n, currency: 'USD' }],
          },
          {
            op: 'create',
            legs: [{ source: 'acc_ops', destination: 'acc_cust', amount: 2_000_000n, currency: 'USD' }],
          },
        ])
        expect(small?.ok && large?.ok).toBe(true)
        const largeId = large?.ok ? large.transactionId : ''
        let alerts: Awaited<ReturnType<typeof monitoring.listAlerts>> = []
        for (let i = 0; i < 200 && alerts.length === 0; i++) {
          alerts = await monitoring.listAlerts(t.tenantId)
          if (alerts.length === 0) await new Promise((r) => setTimeout(r, 100))
        }
        expect(alerts).toHaveLength(1)
        expect(JSON.stringify(alerts[0])).toContain(largeId)
        expect(JSON.stringify(alerts[0])).toContain('large')
      },
    )
  })
}
