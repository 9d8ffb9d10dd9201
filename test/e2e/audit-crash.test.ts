/**
 * No audit entry lost to a crash (issue 14 item 5, issue 15 faults item 6): `moneta start` as
 * deployed (a child process on PostgreSQL) takes a load of mutating requests from several clients,
 * is killed with SIGKILL in the middle of it, and is started again. Every request that was answered
 * 2xx before the kill must have its audit entry in the Merkle log, and `moneta audit verify` passes.
 * Runs on a database it creates and drops. Needs MONETA_TEST_DATABASE_URL.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { monetaCli } from '../support/cli.js'
import { monetaServer, type MonetaServer } from '../support/moneta-server.js'
import { scratchDatabase } from '../support/scratch-db.js'

const baseUrl = process.env.MONETA_TEST_DATABASE_URL

describe.skipIf(!baseUrl)('audit entries survive SIGKILL of moneta start [postgres]', () => {
  const database = scratchDatabase(baseUrl, 'moneta_auditcrash')
  const dbUrl = database.url
  const dataDir = mkdtempSync(join(tmpdir(), 'moneta-auditcrash-'))
  const apiKey = `auditcrash-${randomBytes(24).toString('hex')}`
  let server: MonetaServer

  beforeAll(async () => {
    await database.create()
    server = await monetaServer({ DATABASE_URL: dbUrl, MONETA_DATA_DIR: dataDir, MONETA_API_KEY: apiKey })
    await server.start()
  }, 120_000)

  afterAll(async () => {
    await server?.kill('SIGKILL')
    await database.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('has an entry for every acknowledged request after a SIGKILL mid-load, and the log verifies', async () => {
    const acknowledged: string[] = []
    let stop = false
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const id = `ac_${c}_${i}_${randomBytes(3).toString('hex')}`
        const res = await fetch(`${server.url}/v1/accounts`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': id,
          },
          body: JSON.stringify({ id, currency: 'USD', normalSide: 'debit' }),
        }).catch(() => undefined) // cut off by the kill: never acknowledged
        if (!res) return
        if (res.status === 201) acknowledged.push(id)
        else if (res.status !== 429) throw new Error(`POST /v1/accounts → ${res.status} ${await res.text()}`)
      }
    }
    const clients = Array.from({ length: 8 }, (_, c) => client(c))
    // Kill once the load is well under way (entries in the intake and in the appender's hands).
    while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 20))
    await server.kill('SIGKILL')
    stop = true
    await Promise.all(clients)
    expect(acknowledged.length).toBeGreaterThanOrEqual(300)

    await server.start() // the appender resumes what the killed process left in the intake
    const cli = monetaCli({ DATABASE_URL: dbUrl, MONETA_DATA_DIR: dataDir })
    const verify = await cli('audit', 'verify', '--json') // flushes the intake first
    expect(verify.code, verify.err + verify.out).toBe(0)
    for (const line of verify.out.trim().split('\n')) expect(JSON.parse(line)).toMatchObject({ ok: true })

    const db = new pg.Client({ connectionString: dbUrl })
    await db.connect()
    try {
      const r = await db.query<{ resource: string; n: string }>(
        `SELECT entry::json->>'resource' AS resource, count(*) AS n FROM audit_entries
         WHERE entry::json->>'action' = 'api.accounts.create' GROUP BY 1`,
      )
      const written = new Map(r.rows.map((x) => [x.resource, Number(x.n)]))
      const lost = acknowledged.filter((id) => !written.has(`accounts:${id}`))
      expect(lost, `${lost.length} of ${acknowledged.length} acknowledged requests have no entry`).toEqual([])
      // Exactly once: no entry appended twice by the appender across the crash.
      expect([...written.values()].filter((n) => n > 1)).toEqual([])
      const left = await db.query<{ n: string }>('SELECT count(*) AS n FROM audit_intake')
      expect(Number(left.rows[0]!.n)).toBe(0)
    } finally {
      await db.end()
    }
  }, 180_000)
})
