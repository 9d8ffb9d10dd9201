import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createLedger, type LedgerCommand } from '../src/modules/ledger/index.js'
import { systemClock } from '../src/shared/clock.js'
import { systemIds } from '../src/shared/ids.js'
import { arg, ensureDatabase, load, log, str } from './args.js'

/**
 * npm run bench -- ledger-batch --postgres URL [--calls N] [--wal] [--commit] [--no-migrate]
 *
 * Where one 1,000-transfer batch spends its time, per call, on one connection (session 16): wall
 * time, the backend's CPU (utime + stime from /proc, so PostgreSQL must run on this machine), the
 * Node process's CPU inside `ledger.execute` (building and serialising the arguments, parsing the
 * 1,000 result rows), and optionally the COMMIT alone (`--commit`: the batch runs in an explicit
 * transaction) and the WAL of the batch's own transaction (`--wal`: pg_walinspect, superuser).
 * Wall time follows the load; backend CPU per call is the figure to compare old against new, in
 * alternating runs on fresh databases. `--no-migrate` keeps a function or index edited by hand
 * (side tests on copies of one database: CREATE DATABASE … TEMPLATE …).
 */
export async function main(args: string[]): Promise<void> {
  const calls = arg(args, 'calls', 30)
  const url =
    str(args, 'postgres') ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/moneta_ledger_batch'
  await ensureDatabase(url)
  // One connection, so the backend whose CPU is read is the one that runs every batch.
  const h = await connect({ databaseUrl: url, poolSize: 1 })
  if (!args.includes('--no-migrate')) await migrateToLatest(h.db, allMigrations, allRoutines)
  const ledger = createLedger({ db: h.db, clock: systemClock, ids: systemIds, batchMax: 1000 })
  const tenant = 'ten_ledger_batch'
  const nAccounts = 10_000
  const have = await sql<{
    n: number
  }>`SELECT count(*)::int AS n FROM ledger_accounts WHERE tenant_id = ${tenant}`.execute(h.db)
  if (have.rows[0]!.n === 0) {
    // The ledger bench's accounts: no-overdraft wallets funded from one account.
    await sql`INSERT INTO ledger_accounts (tenant_id, account_id, currency, exponent, normal_side, flags, created_at)
      SELECT ${tenant}, 'acc_' || g, 'USD', 2, 'credit', 1, now() FROM generate_series(0, ${nAccounts - 1}) g`.execute(
      h.db,
    )
    await ledger.createAccount(tenant, { id: 'funding', currency: 'USD', normalSide: 'debit' })
    for (let s = 0; s < nAccounts; s += 1000) {
      await ledger.execute(
        tenant,
        Array.from({ length: 1000 }, (_, i) => ({
          op: 'create' as const,
          legs: [{ source: 'funding', destination: `acc_${s + i}`, amount: 10n ** 14n, currency: 'USD' }],
        })),
      )
    }
  }
  const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(h.db)).rows[0]!.pid
  // utime + stime in clock ticks (100 per second on Linux): 10 ms resolution, summed over all calls.
  const backendMs = () => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12])) * 10
  }
  const wal = args.includes('--wal')
  if (wal) await sql`CREATE EXTENSION IF NOT EXISTS pg_walinspect`.execute(h.db)
  const rand = (n: number) => Math.floor(Math.random() * n)
  const batch = (): LedgerCommand[] =>
    Array.from({ length: 1000 }, () => {
      const s = rand(nAccounts)
      let d = rand(nAccounts)
      while (d === s) d = rand(nAccounts)
      return {
        op: 'create',
        legs: [
          { source: `acc_${s}`, destination: `acc_${d}`, amount: BigInt(1 + rand(1000)), currency: 'USD' },
        ],
      }
    })
  for (let w = 0; w < 3; w++) await ledger.execute(tenant, batch())

  const walls: number[] = []
  const nodeMs: number[] = []
  const commits: number[] = []
  const walKb: number[] = []
  const cpu0 = backendMs()
  for (let c = 0; c < calls; c++) {
    const cmds = batch()
    const lsn = wal
      ? (await sql<{ l: string }>`SELECT pg_current_wal_insert_lsn()::text AS l`.execute(h.db)).rows[0]!.l
      : ''
    const u0 = process.cpuUsage()
    const t0 = performance.now()
    let failed: number
    if (args.includes('--commit')) {
      let tCommit = 0
      failed = await h.db.transaction().execute(async (tx) => {
        const rows = await ledger.execute(tenant, cmds, { tx })
        tCommit = performance.now()
        return rows.filter((r) => !r.ok).length
      })
      commits.push(performance.now() - tCommit)
    } else failed = (await ledger.execute(tenant, cmds)).filter((r) => !r.ok).length
    walls.push(performance.now() - t0)
    const u = process.cpuUsage(u0)
    nodeMs.push((u.user + u.system) / 1000)
    if (failed > 0) throw new Error(`${failed} transfers failed`)
    if (wal) {
      // The batch's records: the transaction with the most WAL since the call began (other
      // databases' transactions on a shared server write far less in that time).
      const r = await sql<{ b: string }>`SELECT sum(record_length + fpi_length)::text AS b
        FROM pg_get_wal_records_info(${lsn}::pg_lsn, pg_current_wal_flush_lsn())
        GROUP BY xid ORDER BY sum(record_length + fpi_length) DESC LIMIT 1`.execute(h.db)
      walKb.push(Number(r.rows[0]?.b ?? 0) / 1024)
    }
  }
  const backend = (backendMs() - cpu0) / calls
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
  const r1 = (x: number) => Math.round(x * 10) / 10
  log(
    JSON.stringify({
      bench: 'ledger-batch',
      database: url.replace(/\/\/[^@]*@/, '//'),
      load: load(),
      calls,
      wall_median_ms: r1(med(walls)),
      backend_cpu_ms_per_call: r1(backend),
      node_cpu_median_ms: r1(med(nodeMs)),
      ...(commits.length > 0 ? { commit_median_ms: r1(med(commits)) } : {}),
      ...(walKb.length > 0 ? { wal_kb_median: Math.round(med(walKb)) } : {}),
    }),
  )
  await h.close()
}
