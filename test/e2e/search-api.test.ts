import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

interface Hit {
  type: string
  id: string
  title: string
  highlight: { text: string; match: boolean }[]
}
interface Page {
  hits: Hit[]
  total: number
}

/**
 * Search over HTTP, fed only by the outbox: objects made through the API become searchable once the
 * indexer (started with the workers) has consumed their events; misspelt, transliterated, exact and
 * prefix queries find them; another tenant never does.
 */
for (const target of testDbTargets()) {
  describe(`search over HTTP [${target.name}]`, () => {
    let t: TestApp
    let other: { tenantId: string; apiKey: string }
    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'moneta-search-'))
      const instruments = join(dir, 'instruments.csv')
      writeFileSync(
        instruments,
        'symbol,name,isin,cusip,figi\nAAPL,Apple Inc.,US0378331005,037833100,BBG000B9XRY4\n',
      )
      // A database of its own, like every suite that starts workers. Here the first party's event was
      // once never relayed: the relay's first cursor on an empty database gave up that event's seq while
      // its transaction was still open (fixed in the relay; relay-xid-order.integration.test.ts).
      t = await createTestApp(target, { env: { MONETA_SEARCH_INSTRUMENTS: instruments }, ownDatabase: true })
      other = await t.newTenant()
      t.app.startWorkers()
    }, 180_000) // migrating a fresh PGlite took more than the default minute on a loaded machine
    afterAll(async () => t.close())

    let seq = 0
    const call = (method: string, url: string, body?: unknown, key = t.apiKey) =>
      t.app.server.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(method === 'POST' ? { 'idempotency-key': `search-${++seq}` } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      })
    const search = async (q: string, extra = '', key = t.apiKey): Promise<Page> => {
      const r = await call('GET', `/v1/search?q=${encodeURIComponent(q)}${extra}`, undefined, key)
      expect(r.statusCode, r.body).toBe(200)
      return r.json<Page>()
    }
    /**
     * Polls until the indexer has applied the events (consumers are asynchronous by design), for up to
     * 90 s: a loaded CI machine once needed more than the 30 s this allowed before.
     */
    const until = async (q: string, id: string, extra = ''): Promise<Page> => {
      let page: Page = { hits: [], total: 0 }
      for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
        page = await search(q, extra)
        if (page.hits.some((h) => h.id === id)) return page
        await new Promise((r) => setTimeout(r, 100))
      }
      return page
    }

    it(
      'finds parties, payments and instruments made through the API, misspelt and in other scripts',
      { timeout: 240_000 },
      async () => {
        const smith = await call('POST', '/v1/parties', {
          kind: 'person',
          roles: ['customer'],
          names: [{ value: 'John Smith' }],
          identifiers: [{ type: 'passport', value: 'X1234567' }],
        })
        expect(smith.statusCode, smith.body).toBe(201)
        const smithId = smith.json<{ party: { id: string } }>().party.id
        const petrov = await call('POST', '/v1/parties', {
          kind: 'person',
          roles: ['counterparty'],
          names: [{ value: 'Иван Петров' }],
        })
        const petrovId = petrov.json<{ party: { id: string } }>().party.id
        const pay = await call('POST', '/v1/payments', {
          amount: '1250',
          currency: 'EUR',
          paymentMethod: 'pm_card_visa',
        })
        expect(pay.statusCode, pay.body).toBe(201)
        const payId = pay.json<{ id: string }>().id
        const tick = await call('POST', '/v1/market/ticks', {
          ticks: [{ instrument: 'AAPL', price: '190.10', volume: 10 }],
        })
        expect(tick.statusCode, tick.body).toBeLessThan(300)

        const found = await until('Jon Smyth', smithId)
        expect(found.hits[0]?.id).toBe(smithId)
        expect(found.hits[0]?.title).toBe('John Smith')
        expect(found.hits[0]?.highlight.filter((h) => h.match).map((h) => h.text)).toEqual(['John', 'Smith'])
        expect((await until('Ivan Petrov', petrovId)).hits[0]?.id).toBe(petrovId)
        // Identifiers only through blind indexes: the passport number finds the party exactly.
        expect((await search('X1234567')).hits[0]?.id).toBe(smithId)
        expect((await until('4242', payId, '&type=payment')).hits.map((h) => h.id)).toContain(payId)
        // The amount as shown (12.50 EUR), and a name from an initial.
        expect((await search('12.50', '&type=payment')).hits.map((h) => h.id)).toContain(payId)
        expect((await search('J Smith')).hits[0]?.id).toBe(smithId)
        expect((await until('APPL', 'AAPL')).hits[0]?.title).toContain('Apple Inc.')
        expect((await search('US0378331005')).hits[0]?.id).toBe('AAPL')

        // No plaintext of an encrypted field in the index: neither the name nor the passport number.
        const rows = await sql<{ row: string }>`SELECT row_to_json(d)::text AS row FROM search_documents d
        WHERE tenant_id = ${t.tenantId}`.execute(t.app.services.db.db)
        const dump = rows.rows
          .map((r) => r.row)
          .join('\n')
          .toLowerCase()
        for (const secret of ['smith', 'john', 'x1234567', 'петров', 'petrov'])
          expect(dump).not.toContain(secret)

        // Another tenant finds none of it.
        for (const q of ['John Smith', 'Jon Smyth', 'X1234567', payId, '4242'])
          expect((await search(q, '', other.apiKey)).hits).toEqual([])
      },
    )

    it('answers 400 with SEARCH_INVALID_QUERY for a bad filter, and hides types the key may not read', async () => {
      const bad = await call('GET', '/v1/search?q=smith&type=nonsense')
      expect(bad.statusCode).toBe(400)
      expect(bad.json<{ error: { code: string } }>().error.code).toBe('SEARCH_INVALID_QUERY')
      const k = await call('POST', '/v1/api-keys', {
        name: 'market only',
        scopes: ['search:read', 'market:read'],
      })
      expect(k.statusCode, k.body).toBe(201)
      const marketKey = k.json<{ key: string }>().key
      const page = await search('John Smith', '', marketKey)
      expect(page.hits.filter((h) => h.type !== 'instrument')).toEqual([])
      const none = await call('GET', '/v1/search?q=smith', undefined, (await t.newTenant()).apiKey)
      expect(none.statusCode).toBe(200)
    })
  })
}
