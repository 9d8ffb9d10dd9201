import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { sql } from 'kysely'
import pino from 'pino'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createAudit } from '../src/modules/audit/index.js'
import { billingEvents, billingFixtures, createBilling } from '../src/modules/billing/index.js'
import { throwawayCrypto } from './throwaway-crypto.js'
import { createCatalogue, createOutbox } from '../src/modules/events/index.js'
import { createLedger } from '../src/modules/ledger/index.js'
import { createSandboxSavedMethods } from '../src/modules/payments/index.js'
import { systemClock } from '../src/shared/clock.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { newId, systemIds } from '../src/shared/ids.js'

/**
 * npm run bench -- billing [--count 100000] [--customers N] [--batch 1000] [--concurrency 32] [--lanes 2]
 *
 * One billing run renews `count` subscriptions whose trial ends at the same moment (sandbox gateway,
 * PostgreSQL from DATABASE_URL / MONETA_TEST_DATABASE_URL): each renewal issues an invoice with its
 * line, books it (receivable / deferred / tax), charges the saved card off-session, books the payment,
 * and writes events and audit entries — through the same code path as the worker, in batches.
 * Setup (not timed, src/modules/billing/test-support/fixtures.ts, shared with the billing tests):
 * `customers` customers (default count / 10) get a sandbox card (the sandbox's save(), encrypted rows
 * inserted in bulk); the subscriptions are inserted in bulk already trialing. `--lanes` (default 2):
 * renew-and-charge lanes at once in the run. Target (issue 21): < 120 s for
 * 100,000, ledger verify ok, exactly `count` charges, no duplicate.
 */
const arg = (args: string[], name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const log = (s: string) => process.stdout.write(`${s}\n`)

export async function main(args: string[]): Promise<void> {
  const count = arg(args, 'count', 100_000)
  const customers = arg(args, 'customers', Math.max(1, Math.floor(count / 10)))
  const batchSize = arg(args, 'batch', 1000)
  const concurrency = arg(args, 'concurrency', 32)
  const lanes = arg(args, 'lanes', 2)
  const url =
    process.env.DATABASE_URL ??
    process.env.MONETA_TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test'
  const h = await connect({ databaseUrl: url, poolSize: 10 })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const logger = pino({ level: 'warn' })
  const crypto = await throwawayCrypto(h.db)
  const audit = createAudit({ db: h.db, clock: systemClock, logger, keys: crypto.keyring.auditKeys() })
  const ledger = createLedger({ db: h.db, clock: systemClock, ids: systemIds, batchMax: 1000 })
  const sandbox = createSandboxSavedMethods({ clock: systemClock })
  const billing = createBilling({
    db: h.db,
    clock: systemClock,
    ids: systemIds,
    ledger,
    outbox: createOutbox(createCatalogue(billingEvents)),
    audit,
    fieldCipher: crypto.fieldCipher,
    gateways: [sandbox],
    // Parties are not part of this figure: every customer id exists.
    customers: { exists: () => Promise.resolve(true) },
    logger,
    batchSize,
    chargeConcurrency: concurrency,
    runLanes: lanes,
  })
  const tenant = newId('ten_billing_bench')
  const actor = { actor: 'bench', origin: 'bench' }
  log(
    `billing bench: ${url.replace(/\/\/[^@]*@/, '//')} ${count} subscriptions, ${customers} customers, batch ${batchSize}, lanes ${lanes}`,
  )

  const { price } = await billingFixtures.catalogue(billing, tenant, actor, {
    productName: 'Bench',
    price: {
      currency: 'USD',
      model: { kind: 'per_unit', unitAmount: 990n },
      interval: { unit: 'month', count: 1 },
      taxRateBps: 2000,
    },
  })
  const t0 = performance.now()
  // Customers' cards: the sandbox's save() and encryption per card, one INSERT per 1,000 (the
  // per-customer attach path took 16 minutes for 10,000 on a loaded machine; it is not what is timed).
  const methods = await billingFixtures.bulkSavedCards(
    { db: h.db, fieldCipher: crypto.fieldCipher, gateway: sandbox, ids: systemIds },
    tenant,
    customers,
  )
  const renewAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 1))
  await billingFixtures.bulkTrialingSubscriptions(h.db, tenant, price, methods, count, renewAt, systemIds)
  // What autovacuum would do after a bulk load: without fresh statistics the planner guesses a few
  // dozen due rows and sorts them all per batch instead of reading the due-order index.
  await sql`ANALYZE billing_subscriptions`.execute(h.db)
  log(`setup ${((performance.now() - t0) / 1000).toFixed(1)} s; billing run until ${renewAt.toISOString()}…`)
  if (args.includes('--explain')) {
    // The scheduler's claim query (renew.ts), as the first batch of the run sees it.
    const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN (ANALYZE, BUFFERS)
      SELECT s.*, p.product_id, p.model FROM billing_subscriptions s
      JOIN billing_prices p ON p.tenant_id = s.tenant_id AND p.price_id = s.price_id
      WHERE s.tenant_id = ${tenant} AND s.next_run_at <= ${renewAt}
      ORDER BY s.next_run_at, s.subscription_id LIMIT ${batchSize} FOR UPDATE OF s SKIP LOCKED`.execute(h.db)
    for (const row of plan.rows) log(`  ${row['QUERY PLAN']}`)
  }
  // Every statement the run sends (pg's Client.query, which Kysely and the ledger both go through).
  let statements = 0
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back unchanged after the run
  const query = pg.Client.prototype.query
  pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
    statements++
    return (query as (...x: unknown[]) => unknown).apply(this, a)
  } as typeof query

  const loadBefore = loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')
  const started = performance.now()
  const report = await billing.scheduler.run(tenant, renewAt, actor)
  const seconds = (performance.now() - started) / 1000
  pg.Client.prototype.query = query
  const loadAfter = loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')
  log(`run: ${JSON.stringify(report)} in ${seconds.toFixed(1)} s (${Math.round(count / seconds)} renewals/s)`)
  log(
    `SQL statements: ${statements} (${(statements / count).toFixed(3)} per renewal); load average ${loadBefore} before, ${loadAfter} after`,
  )

  const figures = (
    await sql<{ charges: string; succeeded: string; dup_invoices: string; dup_payments: string }>`SELECT
      (SELECT count(*) FROM billing_payments WHERE tenant_id = ${tenant})::text AS charges,
      (SELECT count(*) FROM billing_payments WHERE tenant_id = ${tenant} AND status = 'succeeded')::text AS succeeded,
      (SELECT count(*) FROM (SELECT 1 FROM billing_invoices WHERE tenant_id = ${tenant}
         GROUP BY subscription_id, period_start HAVING count(*) > 1) d)::text AS dup_invoices,
      (SELECT count(*) FROM (SELECT 1 FROM billing_payments WHERE tenant_id = ${tenant} AND status = 'succeeded'
         GROUP BY invoice_id HAVING count(*) > 1) d)::text AS dup_payments`.execute(h.db)
  ).rows[0]!
  const verify = await ledger.verify(tenant)
  const gatewayBalance = (await ledger.getAccount(tenant, 'bill.gateway.sandbox.USD')).balances.posted
  const invoiced = (
    await sql<{
      total: string
    }>`SELECT coalesce(sum(total), 0)::text AS total FROM billing_invoices WHERE tenant_id = ${tenant}`.execute(
      h.db,
    )
  ).rows[0]!.total
  log(`collected ${gatewayBalance} = invoiced ${invoiced}: ${String(gatewayBalance) === invoiced}`)
  await audit.close()
  await ledger.close()
  await h.close()
  const ok = verify.ok && String(gatewayBalance) === invoiced
  process.stdout.write(
    `${JSON.stringify({
      bench: 'billing',
      subscriptions: count,
      seconds: Number(seconds.toFixed(1)),
      charges: Number(figures.charges),
      succeeded: Number(figures.succeeded),
      duplicates: Number(figures.dup_invoices) + Number(figures.dup_payments),
      verify: ok ? 'ok' : 'failed',
    })}\n`,
  )
}
