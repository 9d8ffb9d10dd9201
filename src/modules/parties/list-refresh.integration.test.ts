import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.js'
import { testDbTargets } from '../../../test/support/db.js'

/** Real published files from ../shared/data/sanctions, served by a local server (never the internet). */
const DATA = join(import.meta.dirname, '../../../../shared/data/sanctions')
const UN = readFileSync(join(DATA, 'un/consolidated-2026-02-27.xml'))
const SDN_DIR = join(DATA, 'ofac/sdn-full-2021-07-07')

/** The UN list cut to its first two individuals: a valid file, far smaller than the active snapshot. */
function unCutToTwo(): Buffer {
  const text = UN.toString('utf8')
  let end = 0
  for (let i = 0; i < 2; i++) end = text.indexOf('</INDIVIDUAL>', end) + '</INDIVIDUAL>'.length
  return Buffer.from(`${text.slice(0, end)}\n  </INDIVIDUALS>\n  <ENTITIES/>\n</CONSOLIDATED_LIST>\n`)
}

for (const target of testDbTargets()) {
  describe(`sanctions list sources [${target.name}]`, () => {
    const served = new Map<string, Buffer | number>()
    let server: Server
    let t: TestApp
    let base = ''
    beforeAll(async () => {
      server = createServer((req, res) => {
        const body = served.get(req.url ?? '')
        if (body === undefined || typeof body === 'number') {
          res.writeHead(typeof body === 'number' ? body : 404).end()
          return
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body)
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      // The OFAC set as published (four files), its primary file cut to 300 entries to keep the test fast.
      for (const f of ['add.csv', 'alt.csv', 'sdn_comments.csv'])
        served.set(`/sdn/${f}`, readFileSync(join(SDN_DIR, f)))
      const sdn = readFileSync(join(SDN_DIR, 'sdn.csv'), 'latin1').split(/\r?\n/).slice(0, 300).join('\r\n')
      served.set('/sdn/sdn.csv', Buffer.from(sdn, 'latin1'))
      served.set('/un.xml', UN)
      t = await createTestApp(target, {
        env: {
          MONETA_LISTS_SOURCES: 'un,ofac_sdn',
          MONETA_LISTS_URL_UN: `${base}/un.xml`,
          MONETA_LISTS_URL_OFAC_SDN: `${base}/sdn/`,
        },
      })
    })
    afterAll(async () => {
      await t.close()
      await new Promise<void>((r) => server.close(() => r()))
    })

    const refresh = (sourceId?: string) => t.app.services.lists.refresh({ sourceId, tenants: [t.tenantId] })
    const failures = async () =>
      (
        await sql<{ payload: unknown }>`SELECT payload FROM event_outbox
          WHERE tenant_id = ${t.tenantId} AND topic = 'parties.list_source.failed.v1' ORDER BY seq`.execute(
          t.app.services.db.db,
        )
      ).rows.map((r) => (typeof r.payload === 'string' ? (JSON.parse(r.payload) as unknown) : r.payload))

    it('says so everywhere while no list is loaded', async () => {
      const cust = { actor: 'test', origin: 'test' }
      const r = await t.app.services.parties.create(
        t.tenantId,
        {
          kind: 'person',
          roles: ['customer'],
          details: {
            names: [{ value: 'Eric Badege', kind: 'legal' }],
            nationalities: [],
            addresses: [],
            identifiers: [],
          },
        },
        cust,
      )
      expect(r.screening?.listsLoaded).toBe(0)
      expect(r.screening?.warning).toMatch(/No sanctions list is loaded/)
      const check = await t.app.server.inject({
        method: 'POST',
        url: '/v1/screening/check',
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'Eric Badege' }),
      })
      expect(check.json()).toMatchObject({
        hits: [],
        listsLoaded: 0,
        warning: expect.stringMatching(/No sanctions list/) as unknown,
      })
    })

    it('fetches the configured sources, imports them and rescreens the parties on them', async () => {
      const out = await refresh()
      expect(out.map((o) => [o.sourceId, o.status])).toEqual([
        ['ofac_sdn', 'imported'],
        ['un', 'imported'],
      ])
      const un = out[1]!
      expect(un.entryCount).toBeGreaterThan(900)
      // Eric Badege (onboarded while no list was loaded) is on the UN list: the rescreen alerted, naming the party.
      expect(un.rescreen?.alertsCreated).toBeGreaterThanOrEqual(1)
      const alerts = await sql<{ payload: unknown }>`SELECT payload FROM event_outbox
        WHERE tenant_id = ${t.tenantId} AND topic = 'screening.alert.created.v1'`.execute(
        t.app.services.db.db,
      )
      const payloads = alerts.rows.map((r) =>
        typeof r.payload === 'string'
          ? (JSON.parse(r.payload) as Record<string, unknown>)
          : (r.payload as Record<string, unknown>),
      )
      expect(payloads).toContainEqual(
        expect.objectContaining({
          listId: 'un',
          source: 'rescreen',
          partyId: expect.stringMatching(/^pty_/) as unknown,
        }),
      )
      const again = await refresh('un')
      expect(again.map((o) => o.status)).toEqual(['unchanged'])
      const last = await t.app.services.lists.lastFetches(t.tenantId)
      expect(last.get('ofac_sdn')).toMatchObject({ status: 'imported' })
    })

    it('refuses an error, an unparseable, an empty or a halved file, keeps the snapshot and raises an alert', async () => {
      const before = (await t.app.services.screening.listStatus(t.tenantId)).find((l) => l.listId === 'un')!
      const cases: [Buffer | number, string][] = [
        [503, 'fetch_error'],
        [Buffer.from('<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>'), 'unparseable'],
        [
          Buffer.from(
            '<?xml version="1.0"?><CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>',
          ),
          'empty',
        ],
        [unCutToTwo(), 'shrunk'],
      ]
      for (const [body, reason] of cases) {
        served.set('/un.xml', body)
        const [o] = await refresh('un')
        expect({ reason, got: o?.status, why: o?.reason }).toEqual({ reason, got: 'refused', why: reason })
        const now = (await t.app.services.screening.listStatus(t.tenantId)).find((l) => l.listId === 'un')!
        expect(now.snapshotId).toBe(before.snapshotId)
      }
      expect((await failures()).map((f) => (f as { reason: string }).reason)).toEqual([
        'fetch_error',
        'unparseable',
        'empty',
        'shrunk',
      ])
      const health = await t.app.server.inject({ url: '/health' })
      expect(health.json()).toMatchObject({ status: 'ok' })
      await expect(t.app.services.lists.refresh({ sourceId: 'mars' })).rejects.toMatchObject({
        code: 'LIST_SOURCE_UNKNOWN',
      })
    })
  })
}
