import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

const SDN = (dob: string) =>
  [
    `7157,"ABU SAYYAF, Khalid","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB ${dob} 1962."`,
    '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
  ].join('\r\n')

/**
 * The console's read views over HTTP on each database (ADR 1702): a payment's timeline with its ledger
 * postings, the balance series, ledger totals and verify, payment stats, open work, pipeline lag, list
 * snapshots with their diff and the decisions — each scoped to the caller's tenant, bad input a 4xx.
 */
for (const target of testDbTargets()) {
  describe(`console read views [${target.name}]`, () => {
    let t: TestApp
    beforeAll(async () => {
      // An endpoint on loopback over plain http (never called here: deliveries are only queued).
      t = await createTestApp(target, {
        env: { MONETA_WEBHOOKS_ALLOW_PRIVATE: 'true', MONETA_WEBHOOKS_ALLOW_HTTP: 'true' },
      })
    })
    afterAll(async () => t.close())

    const req = async (method: 'GET' | 'POST', url: string, body?: unknown, key = t.apiKey) => {
      const res = await t.app.server.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'idempotency-key': `k-${Math.random()}` }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      })
      return { status: res.statusCode, body: res.json<Record<string, unknown>>() }
    }

    it('a refunded payment: timeline with postings, series, totals, verify, stats; another tenant sees none', async () => {
      const p = await req('POST', '/v1/payments', {
        amount: '2500',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
      })
      expect(p.status).toBe(201)
      const id = String(p.body.id)
      expect((await req('POST', `/v1/payments/${id}/refunds`, { amount: '500' })).status).toBe(201)

      const tl = await req('GET', `/v1/payments/${id}/timeline`)
      expect(tl.status).toBe(200)
      const items = tl.body.items as {
        kind: string
        title: string
        entries?: { account: string; side: string; amount: string }[]
      }[]
      expect(items.filter((i) => i.kind === 'state').map((i) => i.title)).toContain('refund.succeeded')
      expect(items.some((i) => i.kind === 'gateway_call')).toBe(true)
      const refund = items.find((i) => i.kind === 'ledger_posting' && i.title.startsWith('refund'))!
      expect(refund.entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ account: 'pay.merchant.USD', side: 'debit', amount: '500' }),
          expect.objectContaining({ account: 'pay.gateway.sandbox.USD', side: 'credit', amount: '500' }),
        ]),
      )

      const series = await req('GET', '/v1/accounts/pay.merchant.USD/series')
      expect(series.status).toBe(200)
      const points = series.body.points as { posted: string }[]
      expect(points.at(-1)!.posted).toBe('2000')
      const totals = await req('GET', '/v1/ledger/totals')
      const usd = (
        totals.body.currencies as { currency: string; debitsPosted: string; creditsPosted: string }[]
      ).find((c) => c.currency === 'USD')!
      expect(usd.debitsPosted).toBe(usd.creditsPosted)
      expect((await req('GET', '/v1/ledger/verify')).body).toEqual({ ok: true, violations: [] })
      const stats = await req('GET', '/v1/payments/stats?days=7')
      const day = (stats.body.days as { payments: number; refunds: number; refunded: string }[])[0]!
      expect(day).toMatchObject({ payments: 1, refunds: 1, refunded: '500' })
      expect((await req('GET', '/v1/cases/stats')).body).toEqual({ cases: [], alerts: [] })
      expect((await req('GET', '/v1/events/lag')).status).toBe(200)

      const other = await t.newTenant()
      expect((await req('GET', `/v1/payments/${id}/timeline`, undefined, other.apiKey)).status).toBe(404)
      expect((await req('GET', '/v1/accounts/pay.merchant.USD/series', undefined, other.apiKey)).status).toBe(
        404,
      )
      expect((await req('GET', '/v1/payments/stats', undefined, other.apiKey)).body).toEqual({ days: [] })
      expect((await req('GET', '/v1/payments/stats?days=0')).body).toMatchObject({
        error: { code: 'VALIDATION_ERROR' },
      })
      expect((await req('GET', '/v1/payments?order=sideways')).status).toBe(400)
      const newest = await req('GET', '/v1/payments?order=desc&limit=1')
      expect((newest.body.items as { id: string }[])[0]!.id).toBe(id)
    })

    it("a payment's timeline outlives the outbox: state changes and deliveries out without its events", async () => {
      const { endpoint } = await t.app.services.webhooks.createEndpoint(t.tenantId, {
        url: 'http://127.0.0.1:9/hook',
        eventTypes: ['payments.*'],
      })
      const p = await req('POST', '/v1/payments', {
        amount: '4000',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
      })
      const id = String(p.body.id)
      expect((await req('POST', `/v1/payments/${id}/refunds`, { amount: '1500' })).status).toBe(201)
      // The webhook fan-out as its consumer runs it, on the payment's events read from the outbox.
      const db = t.app.services.db.db
      const events = (
        await sql<{ event_id: string; topic: string; payload: unknown; created_at: Date }>`
          SELECT event_id, topic, payload, created_at FROM event_outbox
          WHERE tenant_id = ${t.tenantId} AND partition_key = ${id} ORDER BY seq`.execute(db)
      ).rows
      expect(events.length).toBeGreaterThanOrEqual(3) // created, captured (or authorized), refund
      await db.transaction().execute((tx) =>
        t.app.services.webhooks.fanOut(
          tx,
          events.map((e, i) => ({
            id: e.event_id,
            topic: e.topic,
            key: id,
            tenantId: t.tenantId,
            payload: e.payload,
            occurredAt: new Date(e.created_at),
            headers: {},
            position: String(i),
          })),
        ),
      )
      const before = await req('GET', `/v1/payments/${id}/timeline`)
      // Past the outbox's retention its rows are gone (the relay's purge deletes them): here, at once.
      await sql`DELETE FROM event_outbox WHERE tenant_id = ${t.tenantId} AND partition_key = ${id}`.execute(
        db,
      )
      const after = await req('GET', `/v1/payments/${id}/timeline`)
      expect(after.status).toBe(200)
      type Item = { kind: string; title: string; details: Record<string, string> }
      const items = after.body.items as Item[]
      const states = items.filter((i) => i.kind === 'state').map((i) => i.title)
      expect(states).toEqual(expect.arrayContaining(['payment.created', 'refund.succeeded']))
      expect(states.length).toBe(events.length)
      const sent = items.filter((i) => i.kind === 'webhook_sent')
      expect(sent).toHaveLength(events.length)
      expect(sent.every((i) => i.title.endsWith(`→ ${endpoint.id}`))).toBe(true)
      expect(items.some((i) => i.kind === 'gateway_call')).toBe(true)
      expect(items.filter((i) => i.kind === 'ledger_posting').length).toBeGreaterThanOrEqual(2)
      // Nothing was lost with the outbox rows: the same story before and after.
      expect(after.body).toEqual(before.body)
    })

    it('list snapshots with their diff and the false-positive memory', async () => {
      const s = t.app.services.screening
      const load = (dob: string) =>
        s.importList(t.tenantId, { name: 'sdn', files: new Map([['sdn.csv', Buffer.from(SDN(dob))]]) })
      await load('04 Apr')
      await load('05 Apr')
      const snaps = (await req('GET', '/v1/screening/snapshots')).body.snapshots as {
        snapshotId: string
        changed: number
        active: boolean
      }[]
      expect(snaps[0]).toMatchObject({ changed: 1, active: true })
      const diff = await req('GET', `/v1/screening/snapshots/${snaps[0]!.snapshotId}/changes?change=changed`)
      const changes = diff.body.items as {
        entryKey: string
        data: { dobs: string[] }
        before: { dobs: string[] }
      }[]
      expect(changes).toHaveLength(1)
      expect([changes[0]!.before.dobs, changes[0]!.data.dobs]).toEqual([['1962-04-04'], ['1962-04-05']])
      expect((await req('GET', '/v1/screening/snapshots/scs_nope/changes')).status).toBe(404)

      await req('POST', '/v1/screening/check', { name: 'Khalid Abu Sayyaf', subjectId: 'cus_k' })
      const decided = await req('POST', '/v1/screening/decisions', {
        subjectId: 'cus_k',
        listId: 'ofac_sdn',
        entryKey: '7157',
        decision: 'not_a_match',
        reason: 'born 1990',
      })
      expect(decided.status).toBeLessThan(300)
      const memory = (await req('GET', '/v1/screening/decisions?decision=not_a_match')).body.items as {
        subjectId: string
      }[]
      expect(memory.map((d) => d.subjectId)).toEqual(['cus_k'])
      const other = await t.newTenant()
      expect((await req('GET', '/v1/screening/decisions', undefined, other.apiKey)).body.items).toEqual([])
    })
  })
}
