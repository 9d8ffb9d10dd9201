import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { allMigrations, allRoutines } from '../src/migrations.js'
import {
  bankingEvents,
  createBanking,
  createPlaidProvider,
  createSandboxRail,
} from '../src/modules/banking/index.js'
import { throwawayCrypto } from './throwaway-crypto.js'
import { createCatalogue, createOutbox, ledgerEvents } from '../src/modules/events/index.js'
import { createLedger } from '../src/modules/ledger/index.js'
import { systemClock } from '../src/shared/clock.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { systemIds } from '../src/shared/ids.js'
import { Worker } from 'node:worker_threads'

/**
 * npm run bench -- banksync [--txns N] [--page N]
 * Syncs N transactions (default 100,000) of one item from a local server that speaks Plaid's
 * protocol (in a worker thread), through the official SDK, into PGlite (in memory) or the PostgreSQL in DATABASE_URL.
 * Then forgets the cursor and syncs everything again: the re-sync must add no row.
 * peak_mb is how far the resident set size rose above its level just before the first sync (sampled
 * every 20 ms through both syncs; the Plaid-protocol server runs in the same process and is included);
 * rss_baseline_mb / rss_peak_mb are the absolute figures, heap_peak_mb the JS heap's peak.
 */
const arg = (args: string[], name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const log = (s: string) => process.stdout.write(`${s}\n`)

export async function main(args: string[]): Promise<void> {
  const txns = arg(args, 'txns', 100_000)
  const pageSize = arg(args, 'page', 500)
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  const url = process.env.DATABASE_URL
  log(`rss at start: ${Math.round(process.memoryUsage().rss / 1_048_576)} MB`)
  const h = await connect({ databaseUrl: url })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const mb = () => `${Math.round(process.memoryUsage().rss / 1_048_576)} MB`
  log(`rss after migrations: ${mb()}`)
  log(`banksync bench: ${txns} transactions, pages of ${pageSize}, ${url ? 'postgres' : 'pglite (memory)'}`)
  // The worker registers tsx itself (a worker does not inherit the parent's --import loader).
  const serverFile = new URL('./banksync-server.ts', import.meta.url).href
  const worker = new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(serverFile)}) })`,
    { eval: true, workerData: { txns } },
  )
  const plaid = await new Promise<{ url: string; clientId: string; secret: string; publicToken: string }>(
    (resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    },
  )
  const crypto = await throwawayCrypto(h.db)
  const inner = createPlaidProvider({
    clientId: plaid.clientId,
    secret: plaid.secret,
    env: 'sandbox',
    basePath: plaid.url,
  })
  let providerMs = 0
  // Time spent fetching pages (HTTP, SDK, mapping) versus writing them.
  const provider = {
    ...inner,
    async syncTransactions(token: string, cursor: string | null, count: number) {
      const t0 = performance.now()
      try {
        return await inner.syncTransactions(token, cursor, count)
      } finally {
        providerMs += performance.now() - t0
      }
    },
  }
  const ledger = createLedger({ db: h.db, clock: systemClock, ids: systemIds })
  const banking = createBanking({
    db: h.db,
    clock: systemClock,
    ids: systemIds,
    ledger,
    outbox: createOutbox(createCatalogue([...ledgerEvents, ...bankingEvents])),
    fieldCipher: crypto.fieldCipher,
    providers: { plaid: provider },
    defaultProvider: 'plaid',
    rail: createSandboxRail(),
    syncPageSize: pageSize,
  })
  const tenant = systemIds('ten_bench')
  const lt = await banking.createLinkToken(tenant, {
    customerId: 'cus_bench',
    customerName: 'Bench Customer',
  })
  const item = await banking.exchange(tenant, { linkToken: lt.linkToken, publicToken: plaid.publicToken })

  log(`rss after link: ${mb()}`)
  // What the sync itself costs: the peak over the process's resident size before it starts (the
  // process already holds tsx, the SDKs and, with PGlite, the whole embedded database engine).
  global.gc?.()
  const baseline = process.memoryUsage().rss
  peak = baseline
  let heapPeak = 0
  const heapSampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
  }, 20)
  const started = performance.now()
  const first = await banking.sync(tenant, item.id)
  const seconds = (performance.now() - started) / 1000
  log(`  waiting for pages (overlaps the writes): ${(providerMs / 1000).toFixed(2)} s`)
  log(
    `first sync: ${first.added} added in ${first.pages} pages, ${seconds.toFixed(2)} s, ${Math.round(first.added / seconds)}/s, peak rss ${(peak / 1_048_576).toFixed(0)} MB`,
  )

  // Forget the cursor: the whole history comes again and must land on the same rows.
  await sql`UPDATE bank_items SET sync_cursor = NULL WHERE tenant_id = ${tenant} AND item_id = ${item.id}`.execute(
    h.db,
  )
  const t2 = performance.now()
  const again = await banking.sync(tenant, item.id)
  const resyncSeconds = (performance.now() - t2) / 1000
  const counts = await sql<{ rows: string; ids: string }>`SELECT count(*)::text AS rows,
      count(DISTINCT provider_transaction_id)::text AS ids
    FROM bank_transactions WHERE tenant_id = ${tenant} AND item_id = ${item.id}`.execute(h.db)
  const rows = Number(counts.rows[0]!.rows)
  const duplicates =
    rows - txns + (Number(counts.rows[0]!.ids) === rows ? 0 : rows - Number(counts.rows[0]!.ids))
  log(
    `re-sync: ${again.added} added, ${again.modified} modified in ${resyncSeconds.toFixed(2)} s; ${rows} rows stored`,
  )
  clearInterval(sampler)
  clearInterval(heapSampler)
  await new Promise((resolve) => {
    worker.once('message', resolve)
    worker.postMessage('close')
  })
  await worker.terminate()
  await h.close()
  log(
    JSON.stringify({
      bench: 'banksync',
      txns: first.added,
      seconds: Number(seconds.toFixed(2)),
      peak_mb: Math.round((peak - baseline) / 1_048_576),
      rss_baseline_mb: Math.round(baseline / 1_048_576),
      rss_peak_mb: Math.round(peak / 1_048_576),
      heap_peak_mb: Math.round(heapPeak / 1_048_576),
      duplicates: duplicates + again.added,
      resync_seconds: Number(resyncSeconds.toFixed(2)),
      db: url ? 'postgres' : 'pglite',
    }),
  )
}
