import { Writable } from 'node:stream'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { loggerRedaction } from '../../src/modules/crypto/index.js'
import { verifyConsistency, verifyInclusion } from '../../src/modules/audit/index.js'
import { newId } from '../../src/shared/ids.js'
import { testDbTargets } from '../support/db.js'

// Published gateway test card numbers.
const PANS = [
  '4111111111111111',
  '5555555555554444',
  '378282246310005',
  '6011111111111117',
  '4000056655665556',
]
const spaced = (p: string): string => p.replace(/(\d{4})(?=\d)/g, '$1 ')

for (const target of testDbTargets()) {
  describe(`vault and audit over HTTP [${target.name}]`, () => {
    let app: App
    let tenant: string
    let key: string
    let detokKey: string
    const logLines: string[] = []
    const responses: { url: string; body: string }[] = []

    beforeAll(async () => {
      const config = loadConfig({
        ...(target.url ? { DATABASE_URL: target.url } : { MONETA_DATA_DIR: 'memory://' }),
        MONETA_API_KEY: `test-key-${newId('k')}`,
        LOG_LEVEL: 'trace',
        MONETA_CONFIG_FILE: '',
      })
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          logLines.push(chunk.toString())
          cb()
        },
      })
      // The same redaction the app installs on its own logger.
      const logger = pino(
        { level: 'trace', ...loggerRedaction(['*.apiKey', '*.password', '*.secret']) },
        sink,
      )
      app = await createApp(config, { logger })
      // A careless debug log of every request body and error: redaction must still keep PANs out.
      app.server.addHook('preHandler', (req, _reply, done) => {
        req.log.debug({ body: req.body, url: req.url }, `request ${JSON.stringify(req.body ?? null)}`)
        done()
      })
      app.server.addHook('onError', (req, _reply, err, done) => {
        req.log.info({ err }, 'request failed')
        done()
      })
      await app.server.ready()
      tenant = newId('ten')
      await app.services.platform.ensureTenant(tenant, tenant)
      key = await app.services.platform.createApiKey(tenant)
      detokKey = await app.services.platform.createApiKey(tenant, { scopes: ['vault:detokenize'] })
    })
    afterAll(async () => app.close())

    const call = async (method: 'GET' | 'POST', url: string, body?: unknown, k = key) => {
      const res = await app.server.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${k}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      })
      return res
    }

    it('tokenizes, refuses bad input with 4xx, detokenizes only with the scope, and never leaks a PAN', async () => {
      const tokens: string[] = []
      for (const pan of PANS) {
        const r = await call('POST', '/v1/vault/cards', { pan: spaced(pan), expMonth: 12, expYear: 2030 })
        expect(r.statusCode).toBe(201)
        const card = r.json<{ token: string; bin: string; last4: string }>()
        expect(card).toMatchObject({ bin: pan.slice(0, 6), last4: pan.slice(-4) })
        tokens.push(card.token)
        responses.push({ url: 'tokenize', body: r.body })
      }
      const again = await call('POST', '/v1/vault/cards', { pan: PANS[0] })
      expect(again.statusCode).toBe(200)
      expect(again.json<{ token: string }>().token).toBe(tokens[0])
      responses.push({ url: 'again', body: again.body })

      const bad = [
        await call('POST', '/v1/vault/cards', { pan: '4111111111111112' }), // Luhn fails
        await call('POST', '/v1/vault/cards', { pan: PANS[1], cvv: '123' }), // unknown field
        await call('POST', '/v1/vault/cards', { pan: Number(PANS[2]) }), // wrong type
        await call('POST', '/v1/vault/cards', `{"pan": "${PANS[3]}"`), // broken JSON
        await call('POST', '/v1/vault/cards', { pan: `${PANS[4]}9999` }), // too long
        await call('POST', `/v1/vault/cards/${tokens[0]}/detokenize`), // default key lacks the scope
        await call('GET', '/v1/vault/cards/tok_00000000000000000000000000000000'),
      ]
      expect(bad.map((r) => r.statusCode)).toEqual([400, 400, 400, 400, 400, 403, 404])
      expect(bad[0]!.json()).toMatchObject({ error: { code: 'VAULT_INVALID_PAN' } })
      // The edge refuses first: no wildcard implies vault:detokenize (the vault's own check stays as defence in depth).
      expect(bad[5]!.json()).toMatchObject({ error: { code: 'FORBIDDEN' } })
      for (const r of bad) responses.push({ url: 'bad', body: r.body })

      const meta = await call('GET', `/v1/vault/cards/${tokens[1]}`)
      expect(meta.json()).toMatchObject({ bin: '555555', last4: '4444', brand: 'mastercard' })
      responses.push({ url: 'meta', body: meta.body })

      const revealed = await call('POST', `/v1/vault/cards/${tokens[2]}/detokenize`, undefined, detokKey)
      expect(revealed.statusCode).toBe(200)
      expect(revealed.json()).toEqual({ token: tokens[2], pan: PANS[2] }) // the one response allowed to hold a PAN

      await app.services.audit.flush()
      const entries = await call('GET', '/v1/audit/entries?limit=100')
      expect(entries.statusCode).toBe(200)
      const actions = entries
        .json<{ entries: { entry: { action: string; outcome: string } }[] }>()
        .entries.map((e) => `${e.entry.action}:${e.entry.outcome}`)
      expect(actions).toEqual(
        expect.arrayContaining([
          'vault.card.tokenize:success',
          'vault.card.tokenize:failure',
          // refused at the edge (no wildcard implies vault:detokenize), so the denial is the edge's entry
          'api.vault.cards.detokenize:denied',
          'vault.card.detokenize:success',
        ]),
      )
      responses.push({ url: 'audit', body: entries.body })

      // The scan: no PAN (plain, spaced, or as hex bytes) in any response, log line or audit entry.
      const needles = PANS.flatMap((p) => [p, spaced(p), Buffer.from(p).toString('hex')])
      needles.push('4111111111111112')
      const haystacks = [...responses.map((r) => r.body), ...logLines]
      expect(logLines.length).toBeGreaterThan(10)
      for (const h of haystacks) for (const n of needles) expect(h, `leaked ${n}`).not.toContain(n)

      // …nor in any table (the in-memory database holds only this test's data; a shared server may hold others').
      if (target.name === 'pglite') {
        const tables = await sql<{ table_name: string }>`
          SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(
          app.services.db.db,
        )
        expect(tables.rows.map((t) => t.table_name)).toEqual(
          expect.arrayContaining(['vault_cards', 'audit_entries']),
        )
        for (const { table_name } of tables.rows) {
          const rows = await sql<{
            j: string
          }>`SELECT row_to_json(t)::text AS j FROM ${sql.id(table_name)} t`.execute(app.services.db.db)
          for (const r of rows.rows)
            for (const n of needles) expect(r.j, `${table_name} holds ${n}`).not.toContain(n)
        }
      }
    })

    it('serves checkpoints and proofs that verify, and records who did what', async () => {
      for (let i = 0; i < 3; i++) await call('POST', '/v1/vault/cards', { pan: PANS[i % PANS.length] })
      const cpRes = await call('GET', '/v1/audit/checkpoint')
      expect(cpRes.statusCode).toBe(200)
      const cp = cpRes.json<{ treeSize: number; root: string }>()
      expect(cp.treeSize).toBeGreaterThan(5)
      const inc = (await call('GET', `/v1/audit/proofs/inclusion?seq=2&treeSize=${cp.treeSize}`)).json<{
        leafHash: string
        proof: string[]
      }>()
      expect(
        verifyInclusion(
          2,
          cp.treeSize,
          Buffer.from(inc.leafHash, 'hex'),
          inc.proof.map((p) => Buffer.from(p, 'hex')),
          Buffer.from(cp.root, 'hex'),
        ),
      ).toBe(true)
      const cps = await app.services.audit.checkpoints(tenant)
      const older = cps[0]!
      const cons = (await call('GET', `/v1/audit/proofs/consistency?from=${older.treeSize}`)).json<{
        to: number
        proof: string[]
        checkpoint: { root: string }
      }>()
      expect(
        verifyConsistency(
          older.treeSize,
          cons.to,
          older.root,
          Buffer.from(cons.checkpoint.root, 'hex'),
          cons.proof.map((p) => Buffer.from(p, 'hex')),
        ),
      ).toBe(true)
      expect((await call('GET', '/v1/audit/proofs/inclusion?seq=abc')).statusCode).toBe(400)
      expect((await call('GET', `/v1/audit/proofs/inclusion?seq=99999`)).json()).toMatchObject({
        error: { code: 'AUDIT_BAD_RANGE' },
      })
      expect((await call('GET', '/v1/audit/checkpoint', undefined, detokKey)).statusCode).toBe(403)
      const report = await app.services.audit.verify(tenant)
      expect(report.ok).toBe(true)
    })
  })
}
