import { sql } from 'kysely'
import { performance } from 'node:perf_hooks'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createEventBackbone } from '../src/modules/events/index.js'
import { createLedger } from '../src/modules/ledger/index.js'
import {
  createAsyncCommands,
  createGatewayRegistry,
  createPayments,
  createSandboxGateway,
  paymentEvents,
} from '../src/modules/payments/index.js'
import { systemClock } from '../src/shared/clock.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { systemIds } from '../src/shared/ids.js'
import { arg, benchDatabase, load as loadAverage, log, pct, round } from './args.js'

/**
 * npm run bench -- payments-async [--commands 100000] [--clients 256] [--consumers 2] [--in-flight 256] [--postgres URL] [--keep]
 * Asynchronous intake (issue #18 item 5) on PostgreSQL (--postgres, DATABASE_URL, else
 * MONETA_TEST_DATABASE_URL; else a fresh database for the run, dropped after it unless --keep):
 *  1. accept: `--commands` automatic-capture payment commands of ONE merchant, submitted by `--clients`
 *     concurrent callers of the intake service (the HTTP layer, with its per-request audit entry, is
 *     not in this figure), each with its own Idempotency-Key; accepted/s and accept latency;
 *  2. drain: then the outbox relay puts them on the in-process bus and `--consumers` members of the
 *     payments-commands group apply them (each holding at most `--in-flight`); drained/s from the
 *     first message to the last command completed;
 *  3. exactly once: every command succeeded, one payment per command, one outcome each; ledger verify.
 * Ends with one JSON line.
 */

export async function main(args: string[]): Promise<void> {
  const total = arg(args, 'commands', 100_000)
  const clients = arg(args, 'clients', 256)
  const consumers = arg(args, 'consumers', 2)
  const inFlight = arg(args, 'in-flight', 256)
  const database = await benchDatabase(args, 'payments_async')
  const url = database.url
  const h = await connect({ databaseUrl: url, poolSize: 32 })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const fsync = (await sql<{ fsync: string }>`SHOW fsync`.execute(h.db)).rows[0]?.fsync
  log(
    `payments-async bench: ${url.replace(/\/\/[^@]*@/, '//')} fsync=${fsync ?? '?'}; ${total} commands, ${clients} clients, ${consumers} consumers × ${inFlight} in flight; load ${loadAverage()}\n` +
      `re-run: npm run bench -- payments-async ${args.join(' ')}`,
  )

  const events = createEventBackbone({
    db: h,
    bus: { kind: 'memory', partitions: 16 },
    events: paymentEvents,
  })
  const ledger = createLedger({ db: h.db, clock: systemClock, ids: systemIds })
  const payments = createPayments({
    db: h.db,
    clock: systemClock,
    ids: systemIds,
    ledger,
    gateways: createGatewayRegistry([createSandboxGateway()]),
    outbox: events.outbox,
  })
  const commands = createAsyncCommands({
    db: h,
    clock: systemClock,
    ids: systemIds,
    outbox: events.outbox,
    payments: payments.commands,
    ledger,
  })
  const tenant = systemIds('ten_bench')
  const run = systemIds('run')
  // The merchant's accounts exist before the burst (created on a first payment).
  await payments.commands.create(
    tenant,
    { amount: 100n, currency: 'USD', paymentMethod: 'pm_card_visa' },
    { idempotencyKey: `${run}-warm` },
  )

  // 1. accept
  const latencies: number[] = []
  let next = 0
  let errors = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) {
        const s = performance.now()
        try {
          await commands.acceptPayment(
            tenant,
            { amount: BigInt(100 + (i % 900)), currency: 'USD', paymentMethod: 'pm_card_visa' },
            `${run}-${i}`,
          )
          latencies.push(performance.now() - s)
        } catch {
          errors++
        }
      }
    }),
  )
  const acceptS = (performance.now() - t0) / 1000
  latencies.sort((a, b) => a - b)
  const acceptRate = Math.round(total / acceptS)
  log(
    `accepted ${total} in ${acceptS.toFixed(2)} s = ${acceptRate}/s; latency p50 ${round(pct(latencies, 0.5))} ms, p99 ${round(pct(latencies, 0.99))} ms; errors ${errors}`,
  )

  // 2. drain
  const d0 = performance.now()
  const subs = await Promise.all(
    Array.from({ length: consumers }, (_, i) =>
      commands.startConsumer(events.bus, { consumerName: `bench-${i}`, maxInFlight: inFlight }),
    ),
  )
  await events.start()
  let counts = await commands.counts(tenant)
  let lastLog = performance.now()
  while (counts.accepted > 0) {
    await new Promise((r) => setTimeout(r, 250))
    counts = await commands.counts(tenant)
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now()
      log(`  ${counts.succeeded + counts.failed}/${total} applied`)
    }
  }
  const drainS = (performance.now() - d0) / 1000
  const drainRate = Math.round(total / drainS)
  log(`drained ${total} in ${drainS.toFixed(2)} s = ${drainRate}/s; ${JSON.stringify(counts)}`)
  for (const s of subs) await s.close()

  // 3. exactly once
  const r = await sql<{ n: string }>`SELECT count(*) AS n FROM payments WHERE tenant_id = ${tenant}`.execute(
    h.db,
  )
  const paymentsMade = Number(r.rows[0]!.n) - 1 // less the warm-up
  const verify = (await ledger.verify(tenant)).ok ? 'ok' : 'violations'
  const load = loadAverage()
  log(`payments ${paymentsMade} for ${total} commands; ledger verify ${verify}; load average ${load}`)
  log(
    JSON.stringify({
      bench: 'payments-async',
      commands: total,
      accept_per_s: acceptRate,
      accept_p50_ms: round(pct(latencies, 0.5)),
      accept_p99_ms: round(pct(latencies, 0.99)),
      drain_per_s: drainRate,
      succeeded: counts.succeeded,
      failed: counts.failed,
      payments: paymentsMade,
      errors,
      verify,
      load,
    }),
  )
  await commands.close()
  await payments.close()
  await events.close()
  await ledger.close()
  await h.close()
  await database.release()
}
