import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'
import { createMarket, type AlertPayload } from '../../src/modules/market/index.js'

for (const target of testDbTargets()) {
  describe(`market API [${target.name}]`, () => {
    let t: TestApp
    let base = ''
    beforeAll(async () => {
      t = await createTestApp(target)
      await t.app.server.listen({ port: 0, host: '127.0.0.1' })
      const addr = t.app.server.server.address() as { port: number }
      base = `http://127.0.0.1:${addr.port}`
      await t.app.services.market.startAlertWorker()
    })
    afterAll(async () => {
      await t.close()
    })
    const call = async (method: string, path: string, body?: unknown, apiKey = t.apiKey) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.text()
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
    }

    /** Opens the SSE stream and collects the alert events it pushes. */
    const openStream = (apiKey: string) => {
      const received: AlertPayload[] = []
      const state = { connected: false }
      let buffer = ''
      const req = httpRequest(
        `${base}/v1/market/alerts/stream`,
        { headers: { authorization: `Bearer ${apiKey}` } },
        (res) => {
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            buffer += chunk
            let i
            while ((i = buffer.indexOf('\n\n')) >= 0) {
              const frame = buffer.slice(0, i)
              buffer = buffer.slice(i + 2)
              if (frame.startsWith(': connected')) state.connected = true
              const data = frame.split('\n').find((l) => l.startsWith('data: '))
              if (frame.includes('event: alert') && data)
                received.push(JSON.parse(data.slice(6)) as AlertPayload)
            }
          })
        },
      )
      req.end()
      return { received, state, close: () => req.destroy() }
    }

    it('rules + bulk ticks → alerts listed, pushed over SSE, tenant-isolated', async () => {
      const other = await t.newTenant()
      const stream = openStream(t.apiKey)
      const otherStream = openStream(other.apiKey)
      const rule = await call('POST', '/v1/market/rules', {
        instrument: 'AAPL',
        kind: 'price_cross',
        level: '101',
        direction: 'up',
      })
      expect(rule.status).toBe(201)
      expect(rule.body.id).toMatch(/^mrl_/)
      expect((await call('GET', '/v1/market/rules')).body.rules).toHaveLength(1)
      // The streams subscribe asynchronously: wait until both listen before the ticks go out.
      await vi.waitFor(() => expect(stream.state.connected && otherStream.state.connected).toBe(true))
      const t0 = Date.parse('2026-01-05T14:30:00Z')
      const ticks = [100, 100.5, 101.5, 100.8, 102].map((p, i) => ({
        instrument: 'AAPL',
        price: String(p),
        volume: 10,
        ts: t0 + i * 1000,
      }))
      const ingest = await call('POST', '/v1/market/ticks', { ticks })
      expect(ingest).toEqual({ status: 202, body: { accepted: 5 } })
      await vi.waitFor(async () => {
        const r = await call('GET', '/v1/market/alerts?instrument=AAPL')
        expect(r.body.alerts).toHaveLength(2)
      })
      const alerts = (await call('GET', '/v1/market/alerts')).body.alerts as {
        price: string
        tickAt: string
        message: string
      }[]
      expect(alerts.map((a) => a.price)).toEqual(['102', '101.5'])
      expect(alerts[1]!.tickAt).toBe(new Date(t0 + 2000).toISOString())
      expect(alerts[1]!.message).toBe('AAPL crossed 101 upwards at 101.5')
      await vi.waitFor(() => expect(stream.received.map((a) => a.price)).toEqual(['101.5', '102']))
      // Rolling state over the default 60 s window: VWAP of the five ticks, +2% from the first.
      const state = await call('GET', '/v1/market/instruments/AAPL')
      expect(state.status).toBe(200)
      expect(state.body).toMatchObject({ instrument: 'AAPL', last: '102', volume: 50, ticks: 5, movePct: 2 })
      expect(Number(state.body.vwap)).toBeCloseTo((100 + 100.5 + 101.5 + 100.8 + 102) / 5, 6)
      expect((await call('GET', '/v1/market/instruments/NOPE')).status).toBe(404)
      // The other tenant has no rules and sees nothing, over HTTP or SSE.
      expect((await call('GET', '/v1/market/alerts', undefined, other.apiKey)).body.alerts).toEqual([])
      expect(otherStream.received).toEqual([])
      stream.close()
      otherStream.close()
    })

    it('rejects bad ticks and rules with a 4xx and a code', async () => {
      const bad = await call('POST', '/v1/market/ticks', {
        ticks: [{ instrument: 'aapl', price: '1', volume: 1 }],
      })
      expect(bad.status).toBe(400)
      expect((bad.body.error as { code: string }).code).toBe('VALIDATION_ERROR')
      const price = await call('POST', '/v1/market/ticks', {
        ticks: [{ instrument: 'AAPL', price: '0', volume: 1 }],
      })
      expect(price.status).toBe(400)
      expect((price.body.error as { code: string }).code).toBe('MARKET_INVALID_TICK')
      expect((await call('POST', '/v1/market/ticks', { ticks: [] })).status).toBe(400)
      const rule = await call('POST', '/v1/market/rules', { instrument: 'AAPL', kind: 'pct_move' })
      expect(rule.status).toBe(400)
      expect((rule.body.error as { code: string }).code).toBe('MARKET_INVALID_RULE')
      const missing = await call('DELETE', `/v1/market/rules/mrl_${'0'.repeat(32)}`)
      expect(missing.status).toBe(404)
      expect((await call('GET', '/v1/market/alerts', undefined, 'wrong-key')).status).toBe(401)
    })

    it('a tick evaluated twice (redelivery, or by a second worker) stores and publishes one alert', async () => {
      const { tenantId } = await t.newTenant()
      const s = t.app.services
      const second = createMarket({ db: s.db.db, events: s.events, clock: s.clock })
      await s.market.createRule(tenantId, { instrument: 'MSFT', kind: 'price_cross', level: '400' })
      const ticks = [
        { id: 'evt_a', instrument: 'MSFT', price: 399, volume: 1, ts: 1_000 },
        { id: 'evt_b', instrument: 'MSFT', price: 401, volume: 1, ts: 2_000 },
      ]
      const first = await s.market.evaluate(tenantId, ticks)
      const again = await s.market.evaluate(tenantId, ticks)
      const other = await second.evaluate(tenantId, ticks)
      expect(first).toHaveLength(1)
      expect(again.map((a) => a.alertId)).toEqual(first.map((a) => a.alertId))
      expect(other.map((a) => a.alertId)).toEqual(first.map((a) => a.alertId))
      expect(await s.market.listAlerts(tenantId)).toHaveLength(1)
      await second.close()
    })
  })
}
