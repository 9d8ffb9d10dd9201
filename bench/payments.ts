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
 * npm run bench -- payments [--seconds N] [--clients N] [--pglite]
 * Payments through the service and the sandbox gateway, against the PostgreSQL in DATABASE_URL
 * (or MONETA_TEST_DATABASE_URL), or embedded PGlite with --pglite. Scenarios, one tenant each:
 * automatic-capture payments one at a time; the same from N concurrent clients (one merchant, so
 * every payment posts to the same few ledger accounts); the full manual lifecycle (authorise,
 * capture, refund) from N clients. Every write carries an idempotency key. `ledger.verify` at the end.
 */
const arg = (args: string[], name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const log = (s: string) => process.stdout.write(`${s}\n`)
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

export async function main(args: string[]): Promise<void> {
  const seconds = arg(args, 'seconds', 10)
  const clients = arg(args, 'clients', 16)
  const pglite = args.includes('--pglite')
  const url =
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

  async function run(name: string, workers: number, op: (tenant: string) => Promise<void>) {
    const tenant = systemIds('ten_bench')
    await op(tenant) // warm-up: accounts are created on first use
    const latencies: number[] = []
    const end = performance.now() + seconds * 1000
    let errors = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now()
          try {
            await op(tenant)
            latencies.push(performance.now() - t0)
          } catch {
            errors++
          }
        }
      }),
    )
    const elapsed = (performance.now() - started) / 1000
    latencies.sort((a, b) => a - b)
    const verify = await ledger.verify(tenant)
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

  const sequential = await run('automatic capture, 1 client', 1, pay)
  const concurrent = await run(`automatic capture, ${clients} clients`, clients, pay)
  const full = await run(`authorise + capture + refund, ${clients} clients`, clients, lifecycle)
  await ledger.close()
  await h.close()
  process.stdout.write(
    `${JSON.stringify({ bench: 'payments', engine: pglite ? 'pglite' : 'postgres', seconds, clients, sequential, concurrent, lifecycle: full })}\n`,
  )
}
