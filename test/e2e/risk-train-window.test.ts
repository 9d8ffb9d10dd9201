import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS, generateTransactions, type MonTxn } from '../../src/modules/monitoring/index.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

/**
 * Training's default window on history with a thin old tail (found by the issue-17 checker flow on
 * `moneta generate transactions --config tuning`: dormant accounts' last payments two years back, 66
 * of 204,000 transactions). The window runs from the first stored transaction; halving its time span
 * put the whole training half into the empty years and training refused (409, "0 positive rows").
 * The split now cuts the stored transactions by count.
 */
for (const target of testDbTargets()) {
  describe(`risk training window over HTTP [${target.name}]`, () => {
    let t: TestApp
    const data = generateTransactions({ customers: 300, days: 40, seed: 78, caseRate: 0.05 })
    // a handful of old card payments by ordinary accounts, 700 to 400 days before the history
    const accounts = [...new Set(data.txns.filter((x) => x.kind === 'card').map((x) => x.src))].slice(0, 12)
    const tail: MonTxn[] = accounts.map((src, i) => ({
      id: `old_${i}`,
      at: data.start - (700 - i * 25) * DAY_MS,
      amount: 2_500n,
      currency: 'EUR',
      kind: 'card',
      src,
      dst: 'M_old_shop',
    }))
    beforeAll(async () => {
      t = await createTestApp(target)
      const m = t.app.services.monitoring
      await m.saveList(t.tenantId, 'high_risk_countries', [...data.highRiskCountries])
      await m.importHistory(t.tenantId, {
        txns: [...tail, ...data.txns],
        parties: data.parties,
        labels: data.cases.map((c) => ({ ...c })),
      })
    }, 300_000)
    afterAll(async () => t.close())

    it('trains with the default window: the split falls where the transactions are', async () => {
      const r = await t.app.server.inject({
        method: 'POST',
        url: '/v1/risk/models/train',
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ trees: 20, depth: 3 }),
      })
      expect(r.statusCode, r.body).toBe(200)
      const { model } = r.json<{
        model: {
          windowFrom: string
          holdoutFrom: string
          metrics: { validationFrom: number; trainPositives: number }
        }
      }>()
      // the window still starts at the first stored transaction (the tail warms the features up)
      expect(Date.parse(model.windowFrom)).toBe(tail[0]!.at)
      // validation and holdout lie in the dense 40 days, at about half and three quarters of them
      expect(model.metrics.validationFrom).toBeGreaterThan(data.start + 10 * DAY_MS)
      expect(model.metrics.validationFrom).toBeLessThan(data.start + 30 * DAY_MS)
      expect(Date.parse(model.holdoutFrom)).toBeGreaterThan(model.metrics.validationFrom)
      expect(Date.parse(model.holdoutFrom)).toBeLessThan(data.end)
      expect(model.metrics.trainPositives).toBeGreaterThan(0)
    }, 300_000)
  })
}
