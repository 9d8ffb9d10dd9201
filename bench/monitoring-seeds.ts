import { sql } from 'kysely'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createMonitoring, generateTransactions, TUNING_RANGES } from '../src/modules/monitoring/index.js'
import { fixedClock } from '../src/shared/clock.js'
import { newId } from '../src/shared/ids.js'
import { arg, benchDatabase, log, str } from './args.js'

/**
 * npm run bench -- monitoring-seeds [--customers 2000] [--runs 4] [--pglite] [--postgres URL] [--keep]
 * What a restarted monitoring engine reads of the history older than its window
 * (`history(…, { seeds: true })` of an empty window, i.e. `seedsBefore`: every entity's activity, ln-amount statistics and counterparties),
 * over a whole stored tuning history (`--customers` × 90 days, seed 11), so the read covers every
 * stored transaction: the largest it gets for that history. On PostgreSQL (a fresh database unless
 * --postgres/DATABASE_URL) or embedded PGlite (--pglite, the default engine). Ends with one JSON line.
 */
export async function main(args: string[]): Promise<void> {
  const customers = arg(args, 'customers', 2000)
  const runs = arg(args, 'runs', 4)
  const pglite = args.includes('--pglite')
  const database = pglite ? undefined : await benchDatabase(args, 'monitoring_seeds')
  const h = await connect(database ? { databaseUrl: database.url } : {})
  try {
    await migrateToLatest(h.db, allMigrations, allRoutines)
    const tenant = str(args, 'tenant') ?? `seeds_${customers}`
    const data = generateTransactions({ customers, days: 90, seed: 11, ranges: TUNING_RANGES })
    const stored = await sql<{ n: string }>`
      SELECT count(*) AS n FROM monitoring_transactions WHERE tenant_id = ${tenant}`.execute(h.db)
    if (Number(stored.rows[0]!.n) === 0) {
      const m = createMonitoring({ db: h.db, clock: fixedClock(new Date(data.end + 86_400_000)), ids: newId })
      for (let i = 0; i < data.txns.length; i += 50_000)
        await m.importHistory(tenant, {
          txns: data.txns.slice(i, i + 50_000),
          parties: i === 0 ? data.parties : [],
        })
      if (!pglite) await sql`ANALYZE monitoring_transactions`.execute(h.db)
    }
    // through the service: an empty window's history with its seeds is seedsBefore of everything
    const monitoring = createMonitoring({
      db: h.db,
      clock: fixedClock(new Date(data.end + 86_400_000)),
      ids: newId,
    })
    const end = data.end + 1
    const ms: number[] = []
    let entities = 0
    let counterparties = 0
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const seeds = (await monitoring.history(tenant, end, end, { seeds: true })).seeds!
      ms.push(Math.round(performance.now() - t0))
      entities = seeds.activity.length
      counterparties = seeds.habits.reduce(
        (s, x) => s + x.in.counterparties.length + x.out.counterparties.length,
        0,
      )
    }
    log(
      `seedsBefore over ${data.txns.length} transactions: ${ms.join(', ')} ms (${entities} entities, ${counterparties} counterparty pairs)`,
    )
    const sorted = [...ms].sort((a, b) => a - b)
    console.log(
      JSON.stringify({
        bench: 'monitoring-seeds',
        engine: pglite ? 'pglite' : 'postgres',
        txns: data.txns.length,
        entities,
        counterparties,
        runs_ms: ms,
        median_ms: sorted[Math.floor(sorted.length / 2)],
      }),
    )
  } finally {
    await h.close()
    await database?.release()
  }
}
