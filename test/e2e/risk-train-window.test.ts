import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DAY_MS,
  generateTransactions,
  MODEL_RULE_ID,
  type MonTxn,
} from '../../src/modules/monitoring/index.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'
import { loadMonitoredHistory } from '../support/monitoring.js'

/**
 * Training's default window on history with a thin old tail (found by the issue-17 checker flow on
 * `moneta generate transactions --config tuning`: dormant accounts' last payments two years back, 66
 * of 204,000 transactions). The window runs from the first stored transaction; halving its time span
 * put the whole training half into the empty years and training refused (409, "0 positive rows").
 * The split now cuts the stored transactions by count.
 *
 * Then the same tenant's first model, never promoted, runs in shadow: before, the decision path
 * scored nothing until a model was live, so "see it run in shadow" showed an empty metrics report.
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
    // the first 30 days are history; the last 10 arrive after training, through the decision path
    const cutoff = data.start + 30 * DAY_MS
    const later = data.txns.filter((x) => x.at >= cutoff)
    const call = (method: 'GET' | 'POST', url: string, body?: unknown) =>
      t.app.server.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${t.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      })
    let modelId = ''
    beforeAll(async () => {
      t = await createTestApp(target)
      const m = t.app.services.monitoring
      await loadMonitoredHistory(m, t.tenantId, data.highRiskCountries, {
        txns: [...tail, ...data.txns.filter((x) => x.at < cutoff)],
        parties: data.parties,
        labels: data.cases.map((c) => ({ ...c })),
      })
    }, 300_000)
    afterAll(async () => t.close())

    it('trains with the default window: the split falls where the transactions are', async () => {
      const r = await call('POST', '/v1/risk/models/train', { trees: 20, depth: 3 })
      expect(r.statusCode, r.body).toBe(200)
      const { model } = r.json<{
        model: {
          id: string
          windowFrom: string
          holdoutFrom: string
          metrics: { validationFrom: number; trainPositives: number }
        }
      }>()
      // the window still starts at the first stored transaction (the tail warms the features up)
      expect(Date.parse(model.windowFrom)).toBe(tail[0]!.at)
      // validation and holdout lie in the dense 30 days, at about half and three quarters of them
      expect(model.metrics.validationFrom).toBeGreaterThan(data.start + 8 * DAY_MS)
      expect(model.metrics.validationFrom).toBeLessThan(data.start + 22 * DAY_MS)
      expect(Date.parse(model.holdoutFrom)).toBeGreaterThan(model.metrics.validationFrom)
      expect(Date.parse(model.holdoutFrom)).toBeLessThan(cutoff)
      expect(model.metrics.trainPositives).toBeGreaterThan(0)
      modelId = model.id
    }, 300_000)

    it('the first model, never promoted, is scored in shadow by the decision path and raises nothing', async () => {
      expect(modelId).not.toBe('')
      for (let i = 0; i < later.length; i += 2000) {
        // the API's shape of a transaction: ISO time, amount as a string, the rest as stored
        const batch = later.slice(i, i + 2000).map(({ at, amount, ...rest }) => ({
          ...rest,
          at: new Date(at).toISOString(),
          amount: String(amount),
        }))
        const r = await call('POST', '/v1/monitoring/events', { transactions: batch })
        expect(r.statusCode, r.body).toBe(200)
      }
      const q = `period=day&from=${new Date(cutoff).toISOString()}&to=${new Date(data.end + DAY_MS).toISOString()}`
      const r = await call('GET', `/v1/risk/models/${modelId}/metrics?${q}`)
      expect(r.statusCode, r.body).toBe(200)
      const periods = r.json<{
        periods: { role: string; subjects: number; budget: number; from: string; to: string }[]
      }>().periods
      const scored = periods.filter((p) => p.subjects > 0)
      expect(scored.length).toBeGreaterThan(5)
      // a shadow raises nothing; the rules still do
      const alerts = await t.app.services.monitoring.listAlerts(t.tenantId, { limit: 5000 })
      expect(alerts.some((a) => a.ruleId === MODEL_RULE_ID)).toBe(false)
      // no champion: the live alert budget a challenger is compared at is the rules' own, per period
      const ruled = (p: { from: string; to: string }): number =>
        new Set(
          alerts
            .filter((a) => a.at.getTime() >= Date.parse(p.from) && a.at.getTime() < Date.parse(p.to))
            .map((a) => a.subject),
        ).size
      for (const p of scored) {
        expect(p.role).toBe('challenger')
        expect(p.budget).toBe(ruled(p))
      }
      expect(scored.some((p) => p.budget > 0)).toBe(true)
      // and a what-if score still needs a live model
      const s = await call('POST', '/v1/risk/score', {
        transaction: { id: 'w1', amount: '100', currency: 'EUR', kind: 'transfer', src: 'a', dst: 'b' },
      })
      expect(s.statusCode).toBe(409)
    }, 300_000)
  })
}
