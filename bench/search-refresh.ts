import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { applyEvents } from '../src/modules/search/index.js'
import type { EventMessage } from '../src/modules/events/index.js'
import { arg, benchDatabase, log, str } from './args.js'
import { benchServices, cpuSeconds } from './webhooks.js'
import { fromTemplate } from './webhooks-drain.js'

/**
 * npm run bench -- search-refresh --template NAME [--batch N] [--fillfactor N] [--postgres URL]
 * What the search projection costs for the effects of a webhook burst (issue #18: ~11 % of the API
 * process in the webhooks bench). On a copy of a webhooks-drain template (N authorised payments,
 * their captures in the inbox): index the tenant's documents, apply the captures (the applier, not
 * measured), then refresh every payment and ledger transaction document as the indexer does for
 * `payment.captured` and `ledger.transaction.posted` (applyEvents, `batch` events a call). Figures
 * for the refresh only: this process's and PostgreSQL's CPU per event, and how many of the
 * documents' updates were HOT (no index entries written) — search_documents' counters.
 * `--fillfactor N` sets the table's fillfactor before indexing (100: as before migration 1104).
 */
export async function main(args: string[]): Promise<void> {
  const template = str(args, 'template')
  if (!template) throw new Error('--template NAME (a webhooks-drain template) is required')
  const batch = arg(args, 'batch', 500)
  const database = await benchDatabase(args, 'search_refresh')
  await fromTemplate(database.url, template, 10_000)
  const { services } = await benchServices(database.url, { MONETA_GATEWAY_WEBHOOK_WORKERS: '0' })
  const db = services.db.db
  // The payments' tenant (the inbox's rows may be keyed `_unrouted`, ADR 0500).
  const tenant = (await sql<{ t: string }>`SELECT DISTINCT tenant_id AS t FROM payments`.execute(db)).rows[0]!
    .t
  const fill = str(args, 'fillfactor')
  if (fill)
    await sql`ALTER TABLE search_documents SET (fillfactor = ${sql.raw(String(Number(fill)))})`.execute(db)
  await services.search.reindex(tenant)
  for (;;) if ((await services.gatewayWebhooks.processDue({ limit: 500 })).claimed === 0) break
  const ids = async (q: ReturnType<typeof sql<{ id: string }>>) => (await q.execute(db)).rows.map((r) => r.id)
  const payments = await ids(sql`SELECT payment_id AS id FROM payments WHERE tenant_id = ${tenant}`)
  const txns = await ids(
    sql`SELECT transaction_id AS id FROM ledger_transactions WHERE tenant_id = ${tenant}`,
  )
  const at = new Date()
  const message = (topic: string, payload: object, i: number): EventMessage => ({
    id: `evt_${topic}_${i}`,
    topic,
    key: `k${i}`,
    tenantId: tenant,
    payload,
    occurredAt: at,
    headers: {},
    position: String(i),
  })
  // As the relay publishes a round's rows: each payment's event, then its ledger transaction's.
  const messages = [
    ...payments.map((paymentId, i) => message('payments.payment.captured.v1', { paymentId }, i)),
    ...txns.map((transactionId, i) => message('ledger.transaction.posted.v1', { transactionId }, i)),
  ]
  const counters = async () =>
    (
      await sql<{ upd: string; hot: string }>`SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot
        FROM pg_stat_user_tables WHERE relname = 'search_documents'`.execute(db)
    ).rows[0]!
  await sql`SELECT pg_stat_clear_snapshot()`.execute(db)
  const deps = { db, engine: services.search.engine, sources: services.search.sources }
  const pids = (
    await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(
      db,
    )
  ).rows.map((r) => r.pid)
  const pg0 = pids.map(cpuSeconds)
  const own0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < messages.length; i += batch) await applyEvents(deps, messages.slice(i, i + batch))
  const seconds = (performance.now() - t0) / 1000
  const own = process.cpuUsage(own0)
  const pg = pids.reduce((s, p, i) => {
    const d = cpuSeconds(p) - pg0[i]!
    return Number.isNaN(d) ? s : s + d
  }, 0)
  // The statistics reach pg_stat_user_tables when the backends report them (at most a second later).
  await new Promise((r) => setTimeout(r, 1500))
  await sql`SELECT pg_stat_clear_snapshot()`.execute(db)
  const c = await counters()
  const fillfactor = (
    await sql<{
      opts: string[] | null
    }>`SELECT reloptions AS opts FROM pg_class WHERE relname = 'search_documents'`.execute(db)
  ).rows[0]?.opts
  log(
    JSON.stringify({
      bench: 'search-refresh',
      events: messages.length,
      batch,
      seconds: Math.round(seconds * 100) / 100,
      node_cpu_us: Math.round((own.user + own.system) / messages.length),
      pg_cpu_us: Math.round((pg * 1e6) / messages.length),
      doc_updates: Number(c.upd),
      hot_updates: Number(c.hot),
      reloptions: fillfactor ?? [],
    }),
  )
  await services.gatewayWebhooks.close()
  await services.db.close()
  await database.release()
}
