import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import pino from 'pino'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createAudit } from '../src/modules/audit/index.js'
import { billingEvents, createBilling } from '../src/modules/billing/index.js'
import { createCrypto, localKeyStore } from '../src/modules/crypto/index.js'
import { createCatalogue, createOutbox } from '../src/modules/events/index.js'
import { createLedger } from '../src/modules/ledger/index.js'
import { createSandboxSavedMethods } from '../src/modules/payments/index.js'
import { systemClock } from '../src/shared/clock.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { newId, systemIds } from '../src/shared/ids.js'

/**
 * npm run bench -- billing [--count 100000] [--customers N] [--batch 1000] [--concurrency 32]
 *
 * One billing run renews `count` subscriptions whose trial ends at the same moment (sandbox gateway,
 * PostgreSQL from DATABASE_URL / MONETA_TEST_DATABASE_URL): each renewal issues an invoice with its
 * line, books it (receivable / deferred / tax), charges the saved card off-session, books the payment,
 * and writes events and audit entries — through the same code path as the worker, in batches.
 * Setup (not timed): `customers` customers (default count / 10) each save a sandbox card through the
 * normal path; the subscriptions are inserted in bulk already trialing. Target (issue 21): < 120 s for
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
  const url =
    process.env.DATABASE_URL ??
    process.env.MONETA_TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test'
  const h = await connect({ databaseUrl: url, poolSize: 10 })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const logger = pino({ level: 'warn' })
  const crypto = await createCrypto({
    db: h.db,
    clock: systemClock,
    ids: systemIds,
    keyStore: localKeyStore(randomBytes(32)),
  })
  const audit = createAudit({ db: h.db, clock: systemClock, logger, keys: crypto.keyring.auditKeys() })
  const ledger = createLedger({ db: h.db, clock: systemClock, ids: systemIds, batchMax: 1000 })
  const billing = createBilling({
    db: h.db,
    clock: systemClock,
    ids: systemIds,
    ledger,
    outbox: createOutbox(createCatalogue(billingEvents)),
    audit,
    fieldCipher: crypto.fieldCipher,
    gateways: [createSandboxSavedMethods({ clock: systemClock })],
    // Parties are not part of this figure: every customer id exists.
    customers: { exists: () => Promise.resolve(true) },
    logger,
    batchSize,
    chargeConcurrency: concurrency,
  })
  const tenant = newId('ten_billing_bench')
  const actor = { actor: 'bench', origin: 'bench' }
  log(
    `billing bench: ${url.replace(/\/\/[^@]*@/, '//')} ${count} subscriptions, ${customers} customers, batch ${batchSize}`,
  )

  const product = await billing.catalog.createProduct(tenant, { name: 'Bench' }, actor)
  const price = await billing.catalog.createPrice(
    tenant,
    {
      productId: product.id,
      currency: 'USD',
      model: { kind: 'per_unit', unitAmount: 990n },
      interval: { unit: 'month', count: 1 },
      taxRateBps: 2000,
    },
    actor,
  )
  const t0 = performance.now()
  const methods: { customer: string; pm: string }[] = []
  for (let i = 0; i < customers; i++) {
    const customer = `pty_${randomBytes(16).toString('hex')}`
    const { method } = await billing.paymentMethods.attach(
      tenant,
      customer,
      { gateway: 'sandbox', paymentMethod: 'pm_card_visa' },
      actor,
    )
    methods.push({ customer, pm: method.id })
    if ((i + 1) % 2000 === 0) log(`  ${i + 1} customers saved a card`)
  }
  const renewAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 1))
  const trialStart = new Date(renewAt.getTime() - 14 * 86_400_000)
  for (let start = 0; start < count; start += 10_000) {
    const n = Math.min(10_000, count - start)
    const ids = Array.from({ length: n }, () => systemIds('sub'))
    const owners = ids.map((_, i) => methods[(start + i) % methods.length]!)
    await sql`INSERT INTO billing_subscriptions (tenant_id, subscription_id, customer_id, price_id, currency, quantity, status,
        payment_method_id, anchor, period_index, current_period_start, current_period_end, trial_end, next_run_at,
        created_at, updated_at)
      SELECT ${tenant}, x.id, x.cus, ${price.id}, 'USD', 1 + (x.n % 5), 'trialing', x.pm, ${renewAt}, -1,
        ${trialStart}, ${renewAt}, ${renewAt}, ${renewAt}, ${trialStart}, ${trialStart}
      FROM unnest(${ids}::text[], ${owners.map((o) => o.customer)}::text[], ${owners.map((o) => o.pm)}::text[])
        WITH ORDINALITY AS x(id, cus, pm, n)`.execute(h.db)
  }
  log(`setup ${((performance.now() - t0) / 1000).toFixed(1)} s; billing run until ${renewAt.toISOString()}…`)

  const started = performance.now()
  const report = await billing.scheduler.run(tenant, renewAt, actor)
  const seconds = (performance.now() - started) / 1000
  log(`run: ${JSON.stringify(report)} in ${seconds.toFixed(1)} s (${Math.round(count / seconds)} renewals/s)`)

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
