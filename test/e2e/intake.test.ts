/**
 * `moneta intake --processes 2` as deployed (bin/moneta.js, node:cluster, PostgreSQL): signed gateway
 * webhooks sent over separate connections are spread over both processes; every delivery is answered,
 * each event is stored once whichever process received its copies, a bad signature is refused with its
 * code, the API's routes are not served there, `/metrics` keeps its permission, and a killed process is
 * replaced. Runs on a database it creates and drops. Needs MONETA_TEST_DATABASE_URL.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandboxGateway, type GatewayEvent } from '../../src/modules/payments/index.js'
import { newId } from '../../src/shared/ids.js'
import { monetaCli } from '../support/cli.js'
import { scratchDatabase } from '../support/scratch-db.js'
import { monetaServer, type MonetaServer } from '../support/moneta-server.js'

const baseUrl = process.env.MONETA_TEST_DATABASE_URL
const SECRET = `whsec_${Buffer.from('e2e-intake-webhook-secret-32-byt').toString('base64')}`

/** The pids of the Node processes the intake's primary forked (not esbuild's, which bundles the CLI). */
const childPids = (parent: number): number[] =>
  execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(parent)])
    .toString()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, comm]) => Number(pid) > 0 && comm === 'node')
    .map(([pid]) => Number(pid))

describe.skipIf(!baseUrl)('moneta intake: gateway webhooks over several processes [postgres]', () => {
  const database = scratchDatabase(baseUrl, 'moneta_intake')
  const dataDir = mkdtempSync(join(tmpdir(), 'moneta-intake-'))
  const signer = createSandboxGateway({ webhookSecret: SECRET })
  let server: MonetaServer

  beforeAll(async () => {
    await database.create()
    server = await monetaServer(
      { DATABASE_URL: database.url, MONETA_DATA_DIR: dataDir, MONETA_SANDBOX_WEBHOOK_SECRET: SECRET },
      ['intake', '--processes', '2'],
    )
    await server.start()
  }, 180_000)

  afterAll(async () => {
    await server?.kill('SIGTERM')
    await database.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const event = (): GatewayEvent => ({
    id: newId('evt'),
    type: 'payment.captured',
    vendorType: 'sandbox.payment.captured',
    paymentId: newId('pay'),
    paymentRef: `sbx_pi_${randomBytes(6).toString('hex')}`,
    amount: 2500n,
    currency: 'USD',
    occurredAt: new Date(),
  })
  /** One delivery on its own connection, so the cluster may hand it to either process. */
  const deliver = async (body: string, headers: Record<string, string>) => {
    const r = await fetch(`${server.url}/v1/webhooks/sandbox`, {
      method: 'POST',
      headers: { ...headers, connection: 'close' },
      body,
    })
    return { status: r.status, body: (await r.json()) as { duplicate?: boolean; error?: { code: string } } }
  }

  it('stores each event once from copies received by either process, and refuses a bad signature', async () => {
    const events = Array.from({ length: 12 }, event)
    const answers = await Promise.all(
      events.flatMap((e) => {
        const w = signer.webhookFor(e)
        return [deliver(w.body, w.headers), deliver(w.body, w.headers), deliver(w.body, w.headers)]
      }),
    )
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
    // Per event, one copy stored it and the two others were told it was a duplicate.
    for (let i = 0; i < events.length; i++) {
      const copies = answers.slice(i * 3, i * 3 + 3).map((a) => a.body.duplicate)
      expect(copies.filter((d) => d === false)).toHaveLength(1)
    }
    const db = new pg.Client({ connectionString: database.url })
    await db.connect()
    try {
      const rows = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM payment_webhook_inbox WHERE event_id = ANY($1)',
        [events.map((e) => e.id)],
      )
      expect(Number(rows.rows[0]!.n)).toBe(12)
    } finally {
      await db.end()
    }

    const w = signer.webhookFor(event())
    const forged = await deliver(w.body.replace('2500', '9999'), w.headers)
    expect(forged.status).toBe(400)
    expect(forged.body.error?.code).toBe('WEBHOOK_SIGNATURE_INVALID')
  })

  it('serves only the intake: API routes are not there, /metrics still needs its permission', async () => {
    const api = await fetch(`${server.url}/v1/payments`)
    expect(api.status).toBe(404)
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND')
    const metrics = await fetch(`${server.url}/metrics`)
    expect(metrics.status).toBe(401)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })

  it('replaces a process that dies', async () => {
    const primary = server.pid()
    const before = childPids(primary)
    expect(before).toHaveLength(2)
    process.kill(before[0]!, 'SIGKILL')
    let after: number[] = []
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      after = childPids(primary)
      if (after.length === 2 && !after.includes(before[0]!)) break
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(after).toHaveLength(2)
    expect(after).not.toContain(before[0])
    // And the replaced cluster still receives.
    const w = signer.webhookFor(event())
    let status = 0
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && status !== 200;) {
      status = await deliver(w.body, w.headers).then(
        (a) => a.status,
        () => 0,
      )
      if (status !== 200) await new Promise((r) => setTimeout(r, 250))
    }
    expect(status).toBe(200)
  }, 120_000)
})

describe('moneta intake: refused where it cannot work', () => {
  it('needs PostgreSQL (an embedded PGlite is one process’s database) and checks its flags', async () => {
    const cli = monetaCli({ MONETA_DATA_DIR: mkdtempSync(join(tmpdir(), 'moneta-intake-pglite-')) })
    const pglite = await cli('intake', '--processes', '2')
    expect(pglite.code).toBe(2)
    expect(pglite.err).toContain('moneta intake needs PostgreSQL (DATABASE_URL)')
    const bad = await cli('intake', '--processes', '0')
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('--processes must be a whole number from 1 to 64')
  })
})
