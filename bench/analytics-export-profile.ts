/**
 * `npm run bench -- analytics-export-profile --postgres URL --tenant T [--generate N] [--dataset transactions] [--threads 2]`
 *
 * Where the export's time goes, in CPU seconds (which a loaded machine inflates far less than wall
 * time): one dataset of tenant T read by the exporter's COPY into CSV (the PostgreSQL backend's CPU,
 * read from /proc, so only for a server on this machine; and this process's, i.e. pg-copy-streams
 * and the file writes), then DuckDB's CSV → partitioned Parquet (this process's CPU: DuckDB runs in
 * it). `--generate N` first writes N synthetic transactions for T (as `bench -- analytics` does).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { allMigrations, allRoutines } from '../src/migrations.js'
import {
  copyToCsv,
  csvToParquet,
  DATASETS,
  generateFraudData,
  openDuckDb,
} from '../src/modules/analytics/index.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { arg, load, log, str } from './args.js'

const processCpu = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** User + system CPU seconds of one process (clock ticks of 10 ms). */
const pidCpu = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

const perRow = (seconds: number, rows: number): number => Math.round((seconds / rows) * 1e8) / 100

export async function main(args: string[]): Promise<void> {
  const url = str(args, 'postgres') ?? process.env.DATABASE_URL
  const tenant = str(args, 'tenant')
  if (!url || !tenant) throw new Error('pass --postgres URL --tenant T')
  const h = await connect({ databaseUrl: url, poolSize: 2 })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const generate = arg(args, 'generate', 0)
  for (let offset = 0; offset < generate; offset += 1_000_000)
    await generateFraudData(h.db, {
      tenantId: tenant,
      rows: Math.min(1_000_000, generate - offset),
      offset,
      total: generate,
    })
  const d = DATASETS.find((x) => x.name === (str(args, 'dataset') ?? 'transactions'))!
  const range = await h.pool!.query<{ lo: string; hi: string }>(
    `SELECT min(analytics_seq) AS lo, max(analytics_seq) AS hi FROM ${d.table} WHERE tenant_id = $1`,
    [tenant],
  )
  const from = BigInt(range.rows[0]!.lo) - 1n
  const to = BigInt(range.rows[0]!.hi)
  // one connection, so its backend is the one whose CPU is read
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  const c = await pool.connect()
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
  c.release()
  const dir = mkdtempSync(join(tmpdir(), 'moneta-export-profile-'))
  try {
    let t = performance.now()
    let cpu = processCpu()
    const backend = pidCpu(pid)
    const rows = await copyToCsv(pool, d, { from, to, span: 2_000_000n }, join(dir, 'csv'))
    const copy = {
      wall: (performance.now() - t) / 1000,
      node: processCpu() - cpu,
      backend: pidCpu(pid) - backend,
    }
    const csvBytes = readdirSync(join(dir, 'csv')).reduce((a, f) => a + statSync(join(dir, 'csv', f)).size, 0)
    const duck = await openDuckDb({ threads: arg(args, 'threads', 2) })
    t = performance.now()
    cpu = processCpu()
    await csvToParquet(duck, d, join(dir, 'csv'), join(dir, 'parquet'), 1n)
    const convert = { wall: (performance.now() - t) / 1000, cpu: processCpu() - cpu }
    log(
      JSON.stringify({
        bench: 'analytics-export-profile',
        dataset: d.name,
        rows,
        csv_bytes_per_row: Math.round(csvBytes / rows),
        copy_wall_s: Math.round(copy.wall * 100) / 100,
        convert_wall_s: Math.round(convert.wall * 100) / 100,
        // CPU µs per row: the load-independent figures
        backend_copy_us_per_row: perRow(copy.backend, rows),
        node_copy_us_per_row: perRow(copy.node, rows),
        duckdb_convert_us_per_row: perRow(convert.cpu, rows),
        load_avg: load(),
      }),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await pool.end()
    await h.close()
  }
}
