import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

for (const target of testDbTargets()) {
  describe(`monitoring over HTTP [${target.name}]`, () => {
    let t: TestApp
    beforeAll(async () => {
      t = await createTestApp(target)
    })
    afterAll(async () => t.close())

    const call = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, key?: string) =>
      t.app.server.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${key ?? t.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      })

    const rules = {
      rules: [
        { id: 'velocity', when: 'src.out_count_1h >= 2.0', outcome: 'review', score: 20, reason: 'Velocity' },
        {
          id: 'hr',
          when: 'in_list("high_risk_countries", txn.dst_country) && txn.amount >= 500000',
          outcome: 'block',
          score: 50,
          reason: 'High-risk country',
          subject: 'src',
          typology: 'high_risk_jurisdiction',
        },
      ],
      note: 'e2e',
    }
    const txn = (id: string, at: string, extra: Record<string, unknown> = {}) => ({
      id,
      at,
      amount: '25000',
      currency: 'EUR',
      kind: 'transfer',
      src: 'acc_1',
      dst: `acc_${id}`,
      ...extra,
    })

    it('rejects bad rules with the position of the error, and unknown features by name', async () => {
      expect(
        (await call('PUT', '/v1/monitoring/lists/high_risk_countries', { items: ['IR', 'KP'] })).json(),
      ).toEqual({
        name: 'high_risk_countries',
        version: 1,
        size: 2,
      })
      const bad = await call('POST', '/v1/monitoring/rule-sets', {
        rules: [
          {
            id: 'x',
            when: 'src.out_count_1h >= 2.0 &&\n src.out_volume_1h > 1.0',
            outcome: 'review',
            score: 1,
            reason: 'x',
          },
        ],
      })
      expect(bad.statusCode).toBe(400)
      const body = bad.json<{
        error: { code: string; message: string; details: { problems: { position: { line: number } }[] } }
      }>()
      expect(body.error.code).toBe('MONITORING_RULE_INVALID')
      expect(body.error.message).toMatch(/line 2, column \d+: unknown feature or field "out_volume_1h"/)
      expect(body.error.details.problems[0]!.position.line).toBe(2)
      const syntax = await call('POST', '/v1/monitoring/rule-sets/validate', {
        rules: [{ id: 'x', when: '(txn.amount > 1', outcome: 'review', score: 1, reason: 'x' }],
      })
      expect(syntax.json()).toMatchObject({ valid: false, problems: [{ ruleId: 'x', field: 'when' }] })
      const schema = await call('POST', '/v1/monitoring/rule-sets', {
        rules: [{ id: 'x', when: 'true', outcome: 'maybe', score: 1, reason: 'x' }],
      })
      expect(schema.statusCode).toBe(400)
      expect(schema.json()).toMatchObject({ error: { code: 'VALIDATION_ERROR' } })
    })

    it('manages versions, decides, explains, lists alerts and backtests', async () => {
      const saved = await call('POST', '/v1/monitoring/rule-sets', rules)
      expect(saved.statusCode).toBe(201)
      const version = saved.json<{ version: number }>().version
      expect((await call('POST', `/v1/monitoring/rule-sets/${version}/activate`)).json()).toMatchObject({
        status: 'active',
      })
      expect((await call('POST', `/v1/monitoring/rule-sets/${version}/shadow`)).statusCode).toBe(409)
      expect((await call('GET', '/v1/monitoring/rule-sets/999')).statusCode).toBe(404)
      expect((await call('GET', '/v1/monitoring/rule-sets')).json<{ data: unknown[] }>().data).toHaveLength(1)

      await call('POST', '/v1/monitoring/evaluate', txn('t1', '2026-05-01T10:00:00Z'))
      await call('POST', '/v1/monitoring/evaluate', txn('t2', '2026-05-01T10:01:00Z'))
      const third = await call('POST', '/v1/monitoring/evaluate', {
        ...txn('t3', '2026-05-01T10:02:00Z'),
        explain: true,
      })
      expect(third.statusCode).toBe(200)
      const r = third.json<{
        decision: { outcome: string; fired: { ruleId: string }[] }
        alerts: { alertId: string; ruleId: string }[]
        explain: { ruleId: string; features: Record<string, unknown> }[]
      }>()
      expect(r.decision.outcome).toBe('review')
      expect(r.alerts.map((a) => a.ruleId)).toEqual(['velocity'])
      expect(r.explain.find((e) => e.ruleId === 'velocity')!.features).toEqual({ 'src.out_count_1h': 2 })
      const blocked = await call(
        'POST',
        '/v1/monitoring/evaluate',
        txn('t4', '2026-05-02T10:00:00Z', { src: 'acc_9', amount: '900000', dstCountry: 'IR' }),
      )
      expect(blocked.json()).toMatchObject({ decision: { outcome: 'block' } })

      const list = await call('GET', '/v1/monitoring/alerts?limit=10')
      const alerts = list.json<{ data: { alertId: string; ruleId: string; context: unknown }[] }>().data
      expect(alerts.map((a) => a.ruleId).sort()).toEqual(['hr', 'velocity'])
      const one = await call('GET', `/v1/monitoring/alerts/${r.alerts[0]!.alertId}`)
      expect(one.json()).toMatchObject({
        ruleId: 'velocity',
        subject: 'acc_1',
        context: { txn: { id: 't3' } },
      })
      expect((await call('GET', '/v1/monitoring/alerts/alt_missing')).statusCode).toBe(404)

      const events = await call('POST', '/v1/monitoring/events', {
        transactions: [
          txn('t5', '2026-05-03T10:00:00Z'),
          txn('t6', '2026-05-03T10:00:01Z'),
          txn('t7', '2026-05-03T10:00:02Z'),
        ],
      })
      // the third payment fires again, within the open alert's dedup window: no new alert, one more hit
      expect(events.json()).toMatchObject({ evaluated: 3, replayed: 0, alerts: 0 })
      expect((await call('GET', `/v1/monitoring/alerts/${r.alerts[0]!.alertId}`)).json()).toMatchObject({
        hits: 2,
      })

      const bt = await call('POST', '/v1/monitoring/backtests', {
        version,
        from: '2026-05-01T00:00:00Z',
        to: '2026-05-04T00:00:00Z',
      })
      expect(bt.statusCode).toBe(200)
      expect(bt.json()).toMatchObject({
        transactions: 7,
        draft: { version, alerts: 2, hitsByRule: { velocity: 2, hr: 1 } },
      })
      const badRange = await call('POST', '/v1/monitoring/backtests', {
        version,
        from: '2026-05-04T00:00:00Z',
        to: '2026-05-01T00:00:00Z',
      })
      expect(badRange.json()).toMatchObject({ error: { code: 'MONITORING_RANGE_INVALID' } })
    })

    it('loads labelled history without raising alerts; a full batch fits the body limit; backtests list who was alerted', async () => {
      const before = (await call('GET', '/v1/monitoring/alerts?limit=1000')).json<{ data: unknown[] }>().data
        .length
      // a full batch of ordinary transactions: acc_h pays many times an hour (the active velocity rule would fire)
      const transactions = Array.from({ length: 2000 }, (_, i) =>
        txn(`h${i}`, new Date(Date.UTC(2026, 5, 1, 8) + i * 60_000).toISOString(), {
          src: 'acc_h',
          dst: `acc_payee_${i % 50}`,
          srcCustomer: 'cust_h',
          srcCountry: 'DE',
          dstCountry: 'DE',
        }),
      )
      const labels = [
        {
          id: 'case_h',
          typology: 'velocity_spike',
          members: ['acc_h'],
          primary: ['acc_h'],
          start: '2026-06-01T08:00:00Z',
          end: '2026-06-02T18:00:00Z',
        },
      ]
      const body = { transactions, labels }
      expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(1_048_576)
      const loaded = await call('POST', '/v1/monitoring/history', body)
      expect(loaded.statusCode).toBe(200)
      expect(loaded.json()).toEqual({ transactions: 2000, parties: 0, labels: 1 })
      expect(
        (await call('GET', '/v1/monitoring/alerts?limit=1000')).json<{ data: unknown[] }>().data,
      ).toHaveLength(before)
      expect((await call('GET', '/v1/monitoring/labels')).json()).toEqual({
        data: [{ ...labels[0], start: '2026-06-01T08:00:00.000Z', end: '2026-06-02T18:00:00.000Z' }],
      })
      const other = await t.newTenant()
      expect((await call('GET', '/v1/monitoring/labels', undefined, other.apiKey)).json()).toEqual({
        data: [],
      })
      // over the item limit, a bad label, an empty body
      const tooMany = await call('POST', '/v1/monitoring/history', {
        transactions: [...transactions, txn('h_extra', '2026-06-03T00:00:00Z')],
      })
      expect(tooMany.statusCode).toBe(400)
      expect(tooMany.json()).toMatchObject({ error: { code: 'VALIDATION_ERROR' } })
      const badLabel = await call('POST', '/v1/monitoring/history', {
        labels: [{ ...labels[0], id: 'case_bad', primary: ['acc_elsewhere'] }],
      })
      expect(badLabel.json()).toMatchObject({ error: { code: 'MONITORING_LABEL_INVALID' } })
      expect((await call('POST', '/v1/monitoring/history', {})).statusCode).toBe(400)

      const version = (await call('GET', '/v1/monitoring/rule-sets')).json<{ data: { version: number }[] }>()
        .data[0]!.version
      const bt = await call('POST', '/v1/monitoring/backtests', {
        version,
        from: '2026-06-01T00:00:00Z',
        to: '2026-06-03T00:00:00Z',
        compare: false,
      })
      const draft = bt.json<{
        draft: {
          alerted: { subject: string; ruleId: string; cases: string[] }[]
          customers: { precision: number; recallByTypology: Record<string, { recall: number }> }
        }
      }>().draft
      expect(draft.alerted).toContainEqual(
        expect.objectContaining({ subject: 'acc_h', ruleId: 'velocity', cases: ['case_h'] }),
      )
      expect(draft.customers.recallByTypology.velocity_spike!.recall).toBe(1)
      expect(draft.customers.precision).toBe(1)
    })

    it('rejects malformed transactions with a 400 and keeps tenants apart', async () => {
      for (const body of [
        txn('bad1', '2026-05-01T10:00:00Z', { amount: '-5' }),
        txn('bad2', '2026-05-01T10:00:00Z', { amount: 100 }),
        txn('bad3', '2026-05-01T10:00:00Z', { kind: 'crypto' }),
        txn('bad4', 'yesterday'),
        { ...txn('bad5', '2026-05-01T10:00:00Z'), extra: 1 },
      ]) {
        const res = await call('POST', '/v1/monitoring/evaluate', body)
        expect(res.statusCode).toBe(400)
      }
      const other = await t.newTenant()
      const res = await call('GET', '/v1/monitoring/alerts', undefined, other.apiKey)
      expect(res.json()).toEqual({ data: [] })
      const features = await call('GET', '/v1/monitoring/features')
      expect(features.json<{ entityFeatures: string[] }>().entityFeatures).toContain('out_distinct_7d')
    })
  })
}
