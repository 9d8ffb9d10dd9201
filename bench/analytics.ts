/**
 * `npm run bench -- analytics [--rows N] [--postgres URL] [--dir PATH] [--threads N] [--keep] [--no-compact] [--no-native] [--tenant T]`
 *
 * Generates N monitored transactions (plus N/10 payments and N/5 ledger entries) straight into
 * PostgreSQL with generate_series, gives PostgreSQL the indexes a team answering these queries on
 * it would create, exports everything to Parquet (export rows/s), then runs every fraud query on
 * DuckDB and on PostgreSQL in the same run, checks the rows are identical and reports the speed-ups.
 * The bench's rows are deleted and its Parquet directory removed at the end (unless --keep; then
 * `--tenant T --rows N` runs again on the kept rows without generating them: a 10M-row data set takes
 * a quarter of an hour to generate and index).
 *
 * Database: --postgres URL, else DATABASE_URL / MONETA_TEST_DATABASE_URL (a server: the comparison
 * is against PostgreSQL, not the embedded PGlite).
 */
import { sql } from 'kysely'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compactAll,
  createAnalyticsExporter,
  createFraudQueries,
  generateFraudData,
  localSink,
  openDuckDb,
  POSTGRES_ANALYTICS_INDEXES,
  postgresAnalyticsIndexNames,
  type ResultRow,
} from '../src/modules/analytics/index.js'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { newId } from '../src/shared/ids.js'

const arg = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const log = (s: string) => process.stderr.write(`${s}\n`)

/** Parameters under which each query finds a few hundred rows in the generated data, at any size. */
const PARAMS: Record<string, Record<string, string>> = {
  card_velocity: { window_minutes: '60', min_count: '10', limit: '1000' },
  device_velocity: { window_minutes: '1440', min_count: '4', limit: '1000' },
  ip_velocity: { window_minutes: '1440', min_count: '3', limit: '1000' },
  fan_in: { min_counterparties: '125', limit: '1000' },
  fan_out: { min_counterparties: '125', limit: '1000' },
  short_cycles: { limit: '1000' },
  merchant_ratios: { min_payments: '20', limit: '1000' },
  first_counterparty_large: { limit: '1000' },
  dormant_then_active: { limit: '1000' },
}

/** Indexes of earlier sessions that the covering ones replace (dropped on a kept data set). */
const SUPERSEDED_INDEXES = [
  'bench_mt_card',
  'bench_mt_device',
  'bench_mt_address',
  'bench_mt_src',
  'bench_mt_dst',
  // the covering set under its bench names (session 34 moved it to the analytics module)
  'bench_mt_card_cov',
  'bench_mt_device_cov',
  'bench_mt_address_cov',
  'bench_mt_src_cov',
  'bench_mt_dst_cov',
  'bench_mt_pair',
  'bench_mt_amount',
  'bench_pay_merchant',
]

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now()
  const value = await fn()
  return { ms: performance.now() - t, value }
}

async function collect(batches: AsyncIterable<readonly ResultRow[]>): Promise<ResultRow[]> {
  const rows: ResultRow[] = []
  for await (const b of batches) rows.push(...b)
  return rows
}

export async function main(args: string[]): Promise<void> {
  const rows = Number(arg(args, 'rows') ?? 10_000_000)
  const url = arg(args, 'postgres') ?? process.env.DATABASE_URL ?? process.env.MONETA_TEST_DATABASE_URL
  if (!url)
    throw new Error(
      'bench analytics compares against a PostgreSQL server: pass --postgres URL or set DATABASE_URL',
    )
  const threads = Number(arg(args, 'threads') ?? 0)
  const dir = arg(args, 'dir') ?? mkdtempSync(join(tmpdir(), 'moneta-bench-analytics-'))
  const h = await connect({ databaseUrl: url, poolSize: 4 })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const duck = await openDuckDb(threads ? { threads } : {})
  // --tenant T: the rows an earlier `--keep` run generated for T (--rows must match); nothing is generated
  const reuse = arg(args, 'tenant')
  const tenant = reuse ?? newId('ten')
  const exportKey = newId('bench')
  log(`tenant ${tenant}, export key ${exportKey}, Parquet under ${dir}`)
  try {
    if (reuse) {
      // A tenant kept by an earlier --keep run: export its rows again from just below its first one.
      await sql`INSERT INTO analytics_export_cursors (export_key, watermark)
        SELECT ${exportKey}, coalesce(min(m), 1) - 1 FROM (
          SELECT min(analytics_seq) AS m FROM monitoring_transactions WHERE tenant_id = ${tenant}
          UNION ALL SELECT min(analytics_seq) FROM payments WHERE tenant_id = ${tenant}
          UNION ALL SELECT min(analytics_seq) FROM ledger_entries WHERE tenant_id = ${tenant}) x`.execute(
        h.db,
      )
    } else {
      // The bench's export starts after everything already in the database: it exports only its rows.
      await sql`INSERT INTO analytics_export_cursors (export_key, watermark)
        SELECT ${exportKey}, CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM analytics_seq_gen`.execute(
        h.db,
      )
    }

    const step = 1_000_000
    const gen = await timed(async () => {
      for (let offset = 0; offset < rows && !reuse; offset += step) {
        await generateFraudData(h.db, {
          tenantId: tenant,
          rows: Math.min(step, rows - offset),
          offset,
          total: rows,
        })
        log(
          `generated ${Math.min(offset + step, rows).toLocaleString('en')} / ${rows.toLocaleString('en')} transactions`,
        )
      }
    })
    log(`generation: ${(gen.ms / 1000).toFixed(1)} s`)
    const idx = await timed(async () => {
      for (const s of SUPERSEDED_INDEXES) await sql.raw(`DROP INDEX IF EXISTS ${s}`).execute(h.db)
      for (const s of POSTGRES_ANALYTICS_INDEXES) await sql.raw(s).execute(h.db)
      // VACUUM, not only ANALYZE: index-only scans need the visibility map, which autovacuum keeps
      // set on a real table's settled rows but a bulk load leaves empty.
      await sql`VACUUM ANALYZE monitoring_transactions, payments, ledger_entries`.execute(h.db)
    })
    log(`PostgreSQL indexes + VACUUM ANALYZE: ${(idx.ms / 1000).toFixed(1)} s`)

    const exporter = createAnalyticsExporter({
      db: h.db,
      pool: h.pool,
      duck,
      sink: localSink(join(dir, 'data')),
      stagingDir: join(dir, 'staging'),
      exportKey,
      maxSpan: 1_000_000_000n,
      // The horizon waits for this database's open writers of exported rows (ADR 1200); a slow
      // writer of another process would otherwise make the round export nothing.
      horizonWaitMs: 600_000,
    })
    const exp = await timed(() => exporter.exportOnce())
    const exported = Object.values(exp.value.rows).reduce((a, b) => a + b, 0)
    const exportRate = exported / (exp.ms / 1000)
    log(
      `export: ${exported.toLocaleString('en')} rows in ${(exp.ms / 1000).toFixed(1)} s = ${Math.round(exportRate).toLocaleString('en')} rows/s`,
    )

    // Compaction folds the day files (one per tenant, dataset and day) into one sorted file per tenant
    // and dataset, as `moneta analytics compact` does after exports (--no-compact: query the day files),
    // and writes each generation's native DuckDB file (ADR 1202; --no-native: Parquet only, as before).
    const native = !args.includes('--no-native') && !args.includes('--no-compact')
    const compact = args.includes('--no-compact')
      ? undefined
      : await timed(() => compactAll(duck, join(dir, 'data'), exp.value.to, undefined, { native }))
    if (compact)
      log(
        `compaction: ${(compact.ms / 1000).toFixed(1)} s (${JSON.stringify(compact.value)} day files folded in)`,
      )

    const q = createFraudQueries({
      db: h.db,
      duck: () => Promise.resolve(duck),
      dir: join(dir, 'data'),
      parquetOnly: !native,
    })
    let duckCpuMs = 0
    const speedups: number[] = []
    let identical = true
    for (const { name } of q.list()) {
      const params = PARAMS[name] ?? {}
      // One untimed run on each engine first, as a long-running process would have had: DuckDB reads
      // the Parquet footers and its native file's pages into its buffer pool; PostgreSQL its pages
      // into shared buffers and the OS cache. Session 14, 10M: without it PostgreSQL's timed run read
      // from disk what the export and compaction had evicted (short_cycles 6.1–11.7 s, dormant 9.9–57.8 s;
      // after one warm-up run, at a higher load: 1.5 s and 7.7 s) — DuckDB alone had been warmed.
      await collect((await q.run(name, tenant, params, 'duckdb')).batches)
      await collect((await q.run(name, tenant, params, 'postgres')).batches)
      // DuckDB's threads run in this process: its CPU time, which a loaded machine inflates far less
      // than wall time (PostgreSQL's runs in the server's processes, not counted here)
      const duckRun = async () => {
        const c = process.cpuUsage()
        const r = await timed(async () => collect((await q.run(name, tenant, params, 'duckdb')).batches))
        const used = process.cpuUsage(c)
        return { ...r, cpuMs: (used.user + used.system) / 1000 }
      }
      const pgRun = () => timed(async () => collect((await q.run(name, tenant, params, 'postgres')).batches))
      const d = await duckRun()
      const p = await pgRun()
      // A query answered in well under a second on both engines swings ±30 % between single runs on
      // this shared VM (merchant_ratios read 4.9× in one run, over 10× in another): such queries get
      // the median of three runs on each engine alike; the long ones one run each, as before.
      if (Math.max(d.ms, p.ms) < 2000) {
        const more = [await duckRun(), await duckRun()]
        d.ms = median([d.ms, ...more.map((x) => x.ms)])
        d.cpuMs = median([d.cpuMs, ...more.map((x) => x.cpuMs)])
        p.ms = median([p.ms, (await pgRun()).ms, (await pgRun()).ms])
      }
      duckCpuMs += d.cpuMs
      const same = JSON.stringify(d.value) === JSON.stringify(p.value)
      identical &&= same
      const speedup = p.ms / d.ms
      speedups.push(speedup)
      log(
        `${name.padEnd(26)} rows ${String(d.value.length).padStart(5)}  duckdb ${d.ms.toFixed(0).padStart(7)} ms (cpu ${d.cpuMs.toFixed(0).padStart(6)} ms)  postgres ${p.ms.toFixed(0).padStart(8)} ms  ×${speedup.toFixed(1)}${same ? '' : '  RESULTS DIFFER'}`,
      )
    }
    const geomean = Math.exp(speedups.reduce((a, s) => a + Math.log(s), 0) / speedups.length)
    process.stdout.write(
      `${JSON.stringify({
        bench: 'analytics',
        rows,
        queries: speedups.length,
        geomean_speedup: Number(geomean.toFixed(2)),
        min_speedup: Number(Math.min(...speedups).toFixed(2)),
        identical,
        export_rows_per_s: Math.round(exportRate),
        compacted: compact !== undefined,
        native,
        // DuckDB's CPU time over the timed runs (median of three where the query was timed so)
        duckdb_cpu_ms: Math.round(duckCpuMs),
        compact_seconds: compact ? Math.round(compact.ms / 100) / 10 : null,
        // the machine's 1-minute load average at the end: figures taken above ~1 per core are "loaded"
        load_avg: Number(loadavg()[0]!.toFixed(1)),
      })}\n`,
    )
  } finally {
    if (!args.includes('--keep')) {
      log('cleaning up the bench rows and Parquet files')
      for (const t of ['monitoring_transactions', 'payments', 'ledger_entries'])
        await sql`DELETE FROM ${sql.table(t)} WHERE tenant_id = ${tenant}`.execute(h.db)
      await sql`DELETE FROM analytics_export_cursors WHERE export_key = ${exportKey}`.execute(h.db)
      for (const name of postgresAnalyticsIndexNames())
        await sql.raw(`DROP INDEX IF EXISTS ${name}`).execute(h.db)
      rmSync(dir, { recursive: true, force: true })
    }
    duck.closeSync()
    await h.close()
  }
}
