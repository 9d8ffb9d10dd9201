import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { sql } from 'kysely'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createCatalogue, createOutbox } from '../src/modules/events/index.js'
import { createLedger } from '../src/modules/ledger/index.js'
import {
  createGatewayRegistry,
  createPayments,
  createSandboxGateway,
  paymentEvents,
} from '../src/modules/payments/index.js'
import { systemClock } from '../src/shared/clock.js'
import { systemIds } from '../src/shared/ids.js'
import { arg, benchDatabase, load, log, pct, str } from './args.js'
import { activitySince, pgActivity, type PgActivity } from './pg-activity.js'

/**
 * npm run bench -- payments [--seconds N] [--clients 1,16,64] [--merchants 1000] [--only capture|lifecycle]
 *                           [--postgres URL] [--keep] [--pglite]
 * Payments through the service and the sandbox gateway, against PostgreSQL (--postgres, else
 * DATABASE_URL or MONETA_TEST_DATABASE_URL, else a fresh database for this run, dropped after it
 * unless --keep: args.ts `benchDatabase`), or embedded PGlite with --pglite. A merchant is a tenant
 * with its own chart of accounts. Scenarios: automatic capture from each client count on ONE merchant
 * (every payment posts to the same hot ledger accounts) and spread over --merchants merchants
 * (--merchants 0 skips those); the full manual lifecycle (authorise → partial capture → partial
 * refund) from the largest client count, on one merchant and on many. Every write carries an
 * idempotency key; `ledger.verify` runs after each scenario. After each warm-up the tables written
 * since their last ANALYZE are analysed, as autovacuum would in a deployment (CI's server runs
 * without it). Each line also tells the SQL statements and the bench process's CPU milliseconds per
 * operation (what a loaded machine changes least), the server's WAL kilobytes per operation and the
 * checkpoints that started during the run (a run overlapping one writes whole pages: not comparable
 * with one that did not), and the load average. The last line is one JSON
 * object (capture_tps_64, capture_p99_ms_64, lifecycle_tps, single_p50_ms …).
 */
/** Statements sent to PostgreSQL by this process (every pg client query: a round trip). */
let statements = 0
function countStatements(): void {
  const proto = pg.Client.prototype as unknown as { query: (this: pg.Client, ...a: unknown[]) => unknown }
  const query = proto.query
  proto.query = function (this: pg.Client, ...a: unknown[]) {
    statements++
    return query.apply(this, a)
  }
}

export async function main(args: string[]): Promise<void> {
  const seconds = arg(args, 'seconds', 10)
  const clientCounts = (str(args, 'clients') ?? '1,16,64').split(',').map(Number)
  const clients = Math.max(...clientCounts)
  const merchants = arg(args, 'merchants', 1000)
  const only = str(args, 'only')
  const pglite = args.includes('--pglite')
  if (!pglite) countStatements()
  const database = pglite ? undefined : await benchDatabase(args, 'payments')
  const url = database?.url ?? ''
  const h = await connect(database ? { databaseUrl: url, poolSize: clients + 4 } : {})
  await migrateToLatest(h.db, allMigrations, allRoutines)
  log(
    `payments bench: ${pglite ? 'pglite (memory)' : url.replace(/\/\/[^@]*@/, '//')}, ${seconds}s per run, ${clients} clients, load ${load()}\n` +
      `re-run: npm run bench -- payments ${args.join(' ')}`,
  )
  const ledger = createLedger({ db: h.db, clock: systemClock, ids: systemIds })
  const gateways = createGatewayRegistry([createSandboxGateway()])
  const payments = createPayments({
    db: h.db,
    clock: systemClock,
    ids: systemIds,
    ledger,
    gateways,
    outbox: createOutbox(createCatalogue(paymentEvents)),
  })
  /**
   * Statistics, as autovacuum keeps them in a deployment: the tables written since they were last
   * analysed are analysed after each warm-up. Without statistics (a server with autovacuum off, as
   * CI's is) the planner guesses row counts, and its plans are not a deployment's (issue #18).
   */
  async function analyzeChanged(): Promise<void> {
    const { rows } = await sql<{ name: string }>`
      SELECT quote_ident(schemaname) || '.' || quote_ident(relname) AS name FROM pg_stat_user_tables
      WHERE n_mod_since_analyze > 0`.execute(h.db)
    if (rows.length > 0) await sql.raw(`ANALYZE ${rows.map((r) => r.name).join(', ')}`).execute(h.db)
  }
  let keys = 0
  const key = () => `bench-${++keys}`

  async function run(name: string, workers: number, op: (tenant: string) => Promise<void>, tenantCount = 1) {
    const tenants = Array.from({ length: tenantCount }, () => systemIds('ten_bench'))
    // Warm-up: accounts are created on first use.
    for (let i = 0; i < tenants.length; i += 50) await Promise.all(tenants.slice(i, i + 50).map(op))
    if (!pglite) await analyzeChanged()
    let next = 0
    const tenantOf = () => tenants[next++ % tenants.length]!
    const latencies: number[] = []
    const end = performance.now() + seconds * 1000
    let errors = 0
    const started = performance.now()
    const statementsBefore = statements
    const cpuBefore = process.cpuUsage()
    const serverBefore: PgActivity | undefined = pglite ? undefined : await pgActivity(h.db)
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now()
          try {
            await op(tenantOf())
            latencies.push(performance.now() - t0)
          } catch {
            errors++
          }
        }
      }),
    )
    const elapsed = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const ops = Math.max(1, latencies.length)
    const server = serverBefore && activitySince(serverBefore, await pgActivity(h.db), ops)
    const sqlPerOp = Number(((statements - statementsBefore) / ops).toFixed(1))
    const cpuMsPerOp = Number(((cpu.user + cpu.system) / 1000 / ops).toFixed(2))
    latencies.sort((a, b) => a - b)
    let verify = { ok: true }
    for (const t of tenants) if (!(await ledger.verify(t)).ok) verify = { ok: false }
    const r = {
      perSecond: Math.round(latencies.length / elapsed),
      done: latencies.length,
      errors,
      p50Ms: Number(pct(latencies, 0.5).toFixed(2)),
      p99Ms: Number(pct(latencies, 0.99).toFixed(2)),
      ledgerOk: verify.ok,
      sqlPerOp,
      cpuMsPerOp,
      walKbPerOp: server?.walKbPerOp ?? null,
      checkpoints: server?.checkpoints ?? null,
      load: load(),
    }
    log(
      `${name}: ${r.perSecond}/s (${r.done} done, ${errors} errors), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ` +
        `${pglite ? '' : `${sqlPerOp} SQL/op, ${r.walKbPerOp} KB WAL/op, ${r.checkpoints} checkpoint(s), `}` +
        `${cpuMsPerOp} ms bench CPU/op, load ${r.load}, ledger ${verify.ok ? 'ok' : 'VIOLATIONS'}`,
    )
    return r
  }

  const pay = async (tenant: string) => {
    const p = await payments.commands.create(
      tenant,
      { amount: 1999n, currency: 'USD', paymentMethod: 'pm_card_visa' },
      { idempotencyKey: key() },
    )
    if (p.status !== 'succeeded') throw new Error(p.status)
  }
  const lifecycle = async (tenant: string) => {
    const p = await payments.commands.create(
      tenant,
      { amount: 5000n, currency: 'USD', paymentMethod: 'pm_card_visa', capture: 'manual' },
      { idempotencyKey: key() },
    )
    await payments.commands.capture(tenant, p.id, 4000n, { idempotencyKey: key() })
    await payments.commands.refund(tenant, p.id, { amount: 1000n }, { idempotencyKey: key() })
  }

  type Result = Awaited<ReturnType<typeof run>>
  const capture: Record<string, Result> = {}
  if (only !== 'lifecycle')
    for (const n of clientCounts) {
      capture[`one_${n}`] = await run(`automatic capture, ${n} client(s), 1 merchant`, n, pay)
      if (merchants > 0)
        capture[`many_${n}`] = await run(
          `automatic capture, ${n} client(s), ${merchants} merchants`,
          n,
          pay,
          merchants,
        )
    }
  const life: { one?: Result; many?: Result } = {}
  if (only !== 'capture') {
    life.one = await run(`authorise + capture + refund, ${clients} clients, 1 merchant`, clients, lifecycle)
    if (merchants > 0)
      life.many = await run(
        `authorise + capture + refund, ${clients} clients, ${merchants} merchants`,
        clients,
        lifecycle,
        merchants,
      )
  }
  await payments.close()
  await ledger.close()
  await h.close()
  await database?.release()
  const all = [...Object.values(capture), ...Object.values(life)]
  const top = capture[`one_${clients}`]
  process.stdout.write(
    `${JSON.stringify({
      bench: 'payments',
      engine: pglite ? 'pglite' : 'postgres',
      seconds,
      [`capture_tps_${clients}`]: top?.perSecond ?? null,
      [`capture_p99_ms_${clients}`]: top?.p99Ms ?? null,
      lifecycle_tps: life.one?.perSecond ?? null,
      lifecycle_tps_many: life.many?.perSecond ?? null,
      single_p50_ms: (capture.one_1 ?? top)?.p50Ms ?? null,
      errors: all.reduce((n, r) => n + r.errors, 0),
      verify: all.every((r) => r.ledgerOk) ? 'ok' : 'violations',
      load: load(),
      capture,
      lifecycle: life,
    })}\n`,
  )
}
