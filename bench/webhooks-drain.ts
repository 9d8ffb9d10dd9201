import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import pg from 'pg'
import { createSandboxGateway } from '../src/modules/payments/index.js'
import { newId } from '../src/shared/ids.js'
import { arg, benchDatabase, ensureDatabase, log, str } from './args.js'
import { benchServices, captureEventOf, cpuSeconds } from './webhooks.js'

/**
 * npm run bench -- webhooks-drain [--distinct N] [--loops N] [--batch N] [--template NAME] [--postgres URL] [--keep]
 * The applier alone (issue #18 item 3, session 16): N manual-capture payments are authorised and
 * their `payment.captured` events stored in the inbox (through `receive`, as the API does), then
 * `loops` processing loops (the worker's default: 2) apply them, in this process, with nothing else
 * running: no intake, no relay, no consumers. Figures: events applied per second, this process's CPU
 * and PostgreSQL's per event (the backends of this database), rounds and statements (xact counts).
 * What the applier can do when it has the machine; the webhooks bench measures it sharing it.
 */
export async function main(args: string[]): Promise<void> {
  const distinct = arg(args, 'distinct', 10_000)
  const loops = arg(args, 'loops', 2)
  const batch = arg(args, 'batch', 500)
  const template = str(args, 'template')
  const database = await benchDatabase(args, 'webhooks_drain')
  const url = database.url
  if (template) await fromTemplate(url, template, distinct)
  // Receive only: this process applies the inbox itself, below.
  const { services, secret } = await benchServices(url, { MONETA_GATEWAY_WEBHOOK_WORKERS: '0' })
  const tenant = template ? await tenantOf(services.db.db) : await fill(services, secret, distinct)
  const db = services.db.db
  const backends = async () =>
    (
      await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(
        db,
      )
    ).rows.map((r) => r.pid)
  const xacts = async () =>
    Number(
      (
        await sql<{
          n: string
        }>`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`.execute(
          db,
        )
      ).rows[0]!.n,
    )
  // Warm the pool's connections so the backends measured are those that serve the rounds.
  await Promise.all(Array.from({ length: loops + 2 }, () => sql`SELECT pg_sleep(0.05)`.execute(db)))
  const pids = await backends()
  const pg0 = pids.map(cpuSeconds)
  const own0 = process.cpuUsage()
  const x0 = await xacts()
  const load0 = loadavg()[0]!
  // WEBHOOKS_DRAIN_CPU_PROF=<file>: a CPU profile of this process during the drain only.
  const profFile = process.env.WEBHOOKS_DRAIN_CPU_PROF
  const inspector = profFile ? new Session() : undefined
  if (inspector) {
    inspector.connect()
    await inspector.post('Profiler.enable')
    await inspector.post('Profiler.start')
  }
  let rounds = 0
  let applied = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: loops }, async () => {
      for (;;) {
        const r = await services.gatewayWebhooks.processDue({ limit: batch })
        if (r.claimed === 0) return
        rounds++
        applied += r.processed
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  if (inspector && profFile) {
    const { profile } = await inspector.post('Profiler.stop')
    writeFileSync(profFile, JSON.stringify(profile))
    inspector.disconnect()
  }
  const own = process.cpuUsage(own0)
  const pg = pids.reduce((s, p, i) => {
    const d = cpuSeconds(p) - pg0[i]!
    return Number.isNaN(d) ? s : s + d
  }, 0)
  const x = (await xacts()) - x0
  const counts = await services.gatewayWebhooks.counts(tenant)
  const verify = await services.ledger.verify(tenant)
  const out = {
    bench: 'webhooks-drain',
    distinct,
    loops,
    batch,
    applied,
    rounds,
    seconds: Math.round(seconds * 100) / 100,
    applied_eps: Math.round(applied / seconds),
    node_cpu_us: Math.round((own.user + own.system) / applied),
    pg_cpu_us: Math.round((pg * 1e6) / applied),
    xacts_per_round: Math.round((x / Math.max(1, rounds)) * 10) / 10,
    processed: counts.processed,
    verify: verify.ok ? 'ok' : 'FAILED',
    load: Math.round(((load0 + loadavg()[0]!) / 2) * 10) / 10,
    cores: cpus().length,
  }
  log(JSON.stringify({ ...out, ...(template ? { template } : {}) }))
  await services.gatewayWebhooks.close()
  await services.db.close()
  await database.release()
}

type Services = Awaited<ReturnType<typeof benchServices>>['services']

/** Authorises `distinct` manual-capture payments and stores their capture events; returns the tenant. */
async function fill(services: Services, secret: string, distinct: number): Promise<string> {
  const tenant = newId('ten_bench')
  await services.platform.ensureTenant(tenant, 'webhooks drain bench')
  const payments: { id: string; ref: string; amount: bigint }[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < distinct) {
        const i = next++
        const amount = BigInt(100 + (i % 900))
        const p = await services.payments.commands.create(
          tenant,
          { amount, currency: 'USD', paymentMethod: 'pm_card_visa', capture: 'manual' },
          { idempotencyKey: `bench-${tenant}-${i}` },
        )
        payments.push({ id: p.id, ref: p.gatewayRef!, amount })
      }
    }),
  )
  const signer = createSandboxGateway({ webhookSecret: secret })
  let stored = 0
  for (let i = 0; i < payments.length; i += 200) {
    await Promise.all(
      payments.slice(i, i + 200).map(async (p) => {
        const w = signer.webhookFor(captureEventOf(p), new Date())
        const r = await services.gatewayWebhooks.receive('sandbox', Buffer.from(w.body), w.headers)
        if (!r.duplicate) stored++
      }),
    )
  }
  await services.audit.flush()
  log(`${payments.length} payments authorised, ${stored} capture events stored`)
  return tenant
}

/** The one tenant of a database `fill` made. */
async function tenantOf(db: Services['db']['db']): Promise<string> {
  const r = await sql<{ tenant_id: string }>`SELECT DISTINCT tenant_id FROM payment_webhook_inbox`.execute(db)
  if (r.rows.length !== 1) throw new Error(`expected one tenant in the inbox, found ${r.rows.length}`)
  return r.rows[0]!.tenant_id
}

/**
 * --template NAME: the run's database is a copy of NAME (CREATE DATABASE … TEMPLATE, a file copy of
 * a few seconds), which is made once with `fill` when missing. A/B runs then drain the same inbox
 * without a minute of authorising payments before each (session 17). The template is kept; drop it
 * by hand. Both sides of an A/B need the same master key (.moneta/master.key) to read it.
 */
export async function fromTemplate(url: string, template: string, distinct: number): Promise<void> {
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const c = new pg.Client({ connectionString: admin.toString() })
  await c.connect()
  try {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [template])
    const name = new URL(url).pathname.slice(1)
    if (exists.rowCount === 0) {
      const t = new URL(url)
      t.pathname = `/${template}`
      await ensureDatabase(t.toString())
      const { services, secret } = await benchServices(t.toString(), { MONETA_GATEWAY_WEBHOOK_WORKERS: '0' })
      await fill(services, secret, distinct)
      await services.gatewayWebhooks.close()
      await services.db.close()
    }
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`)
  } finally {
    await c.end()
  }
}
