import { performance } from 'node:perf_hooks'
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

/**
 * npm run bench -- payments [--seconds N] [--clients 1,16,64] [--merchants 1000] [--postgres URL] [--pglite]
 * Payments through the service and the sandbox gateway, against PostgreSQL (--postgres, else
 * DATABASE_URL or MONETA_TEST_DATABASE_URL), or embedded PGlite with --pglite. A merchant is a tenant
 * with its own chart of accounts. Scenarios: automatic capture from each client count on ONE merchant
 * (every payment posts to the same hot ledger accounts) and spread over --merchants merchants; the full
 * manual lifecycle (authorise → partial capture → partial refund) from the largest client count, on one
 * merchant and on many. Every write carries an idempotency key; `ledger.verify` runs after each scenario.
 * The last line is one JSON object (capture_tps_64, capture_p99_ms_64, lifecycle_tps, single_p50_ms …).
 */
const str = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const arg = (args: string[], name: string, fallback: number) => Number(str(args, name) ?? fallback)
const log = (s: string) => process.stdout.write(`${s}\n`)
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

export async function main(args: string[]): Promise<void> {
  const seconds = arg(args, 'seconds', 10)
  const clientCounts = (str(args, 'clients') ?? '1,16,64').split(',').map(Number)
  const clients = Math.max(...clientCounts)
  const merchants = arg(args, 'merchants', 1000)
  const pglite = args.includes('--pglite')
  const url =
    str(args, 'postgres') ??
    process.env.DATABASE_URL ??
    process.env.MONETA_TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test'
  const h = await connect(pglite ? {} : { databaseUrl: url, poolSize: clients + 4 })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  log(
    `payments bench: ${pglite ? 'pglite (memory)' : url.replace(/\/\/[^@]*@/, '//')}, ${seconds}s per run, ${clients} clients`,
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
  let keys = 0
  const key = () => `bench-${++keys}`

  async function run(name: string, workers: number, op: (tenant: string) => Promise<void>, tenantCount = 1) {
    const tenants = Array.from({ length: tenantCount }, () => systemIds('ten_bench'))
    // Warm-up: accounts are created on first use.
    for (let i = 0; i < tenants.length; i += 50) await Promise.all(tenants.slice(i, i + 50).map(op))
    let next = 0
    const tenantOf = () => tenants[next++ % tenants.length]!
    const latencies: number[] = []
    const end = performance.now() + seconds * 1000
    let errors = 0
    const started = performance.now()
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
    }
    log(
      `${name}: ${r.perSecond}/s (${r.done} done, ${errors} errors), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ledger ${verify.ok ? 'ok' : 'VIOLATIONS'}`,
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

  const capture: Record<string, Awaited<ReturnType<typeof run>>> = {}
  for (const n of clientCounts) {
    capture[`one_${n}`] = await run(`automatic capture, ${n} client(s), 1 merchant`, n, pay)
    capture[`many_${n}`] = await run(
      `automatic capture, ${n} client(s), ${merchants} merchants`,
      n,
      pay,
      merchants,
    )
  }
  const lifeOne = await run(
    `authorise + capture + refund, ${clients} clients, 1 merchant`,
    clients,
    lifecycle,
  )
  const lifeMany = await run(
    `authorise + capture + refund, ${clients} clients, ${merchants} merchants`,
    clients,
    lifecycle,
    merchants,
  )
  await payments.close()
  await ledger.close()
  await h.close()
  const all = [...Object.values(capture), lifeOne, lifeMany]
  const top = capture[`one_${clients}`]!
  process.stdout.write(
    `${JSON.stringify({
      bench: 'payments',
      engine: pglite ? 'pglite' : 'postgres',
      seconds,
      [`capture_tps_${clients}`]: top.perSecond,
      [`capture_p99_ms_${clients}`]: top.p99Ms,
      lifecycle_tps: lifeOne.perSecond,
      lifecycle_tps_many: lifeMany.perSecond,
      single_p50_ms: (capture.one_1 ?? top).p50Ms,
      errors: all.reduce((n, r) => n + r.errors, 0),
      verify: all.every((r) => r.ledgerOk) ? 'ok' : 'violations',
      capture,
      lifecycle: { one: lifeOne, many: lifeMany },
    })}\n`,
  )
}
