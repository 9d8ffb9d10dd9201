import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createLedger, type LedgerCommand } from '../src/modules/ledger/index.js'
import { systemClock } from '../src/shared/clock.js'
import { systemIds } from '../src/shared/ids.js'
import { arg, benchDatabase, load, log, str } from './args.js'

/**
 * npm run bench -- ledger [--seconds N] [--accounts N] [--postgres URL] [--keep] [--workers-1000 N] [--only batched]
 * Against the PostgreSQL in --postgres, else DATABASE_URL or MONETA_TEST_DATABASE_URL (created if
 * missing), else a fresh database for this run, dropped after it unless --keep. Until session 15
 * the flag was ignored and every run went to the shared `test` database, which grows with every
 * run and every suite (844 MB then, ledger entries alone 3× shared_buffers). Scenarios: batches of 100 and 1,000 (uniform over 10,000
 * accounts), single transfers from 16 concurrent clients (through the in-process batcher), the same
 * over 10 hot accounts, and every transfer touching 1 hot account. `verify` after each run.
 */

export async function main(args: string[]): Promise<void> {
  const seconds = arg(args, 'seconds', 10)
  const nAccounts = arg(args, 'accounts', 10_000)
  // How many 1,000-item batches are in flight at once (overlap of one batch's client work, round
  // trip and commit with another's database work), and whether to skip the single-path runs.
  const workers1000 = arg(args, 'workers-1000', 1)
  const batchedOnly = str(args, 'only') === 'batched'
  const database = await benchDatabase(args, 'ledger')
  const url = database.url
  const h = await connect({ databaseUrl: url, poolSize: 20 })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const fsync = (
    await sql<{ fsync: string; synchronous_commit: string }>`
    SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit`.execute(
      h.db,
    )
  ).rows[0]!
  log(
    `ledger bench: ${url.replace(/\/\/[^@]*@/, '//')} fsync=${fsync.fsync} synchronous_commit=${fsync.synchronous_commit}, ${seconds}s per run, load ${load()}`,
  )
  const ledger = createLedger({
    db: h.db,
    clock: systemClock,
    ids: systemIds,
    batchMax: 1000,
    maxInFlight: 2,
  })
  const tenant = systemIds('ten_bench')

  // Accounts: no-overdraft wallets, funded far beyond what the runs spend (10^14 each, so the
  // funding account's total stays below 2^63), so every error is a real one.
  log(`creating ${nAccounts} accounts…`)
  await sql`INSERT INTO ledger_accounts (tenant_id, account_id, currency, exponent, normal_side, flags, created_at)
    SELECT ${tenant}, 'acc_' || g, 'USD', 2, 'credit', 1, now() FROM generate_series(0, ${nAccounts - 1}) g`.execute(
    h.db,
  )
  await ledger.createAccount(tenant, { id: 'funding', currency: 'USD', normalSide: 'debit' })
  for (let start = 0; start < nAccounts; start += 1000) {
    const cmds: LedgerCommand[] = []
    for (let i = start; i < Math.min(start + 1000, nAccounts); i++) {
      cmds.push({
        op: 'create',
        legs: [{ source: 'funding', destination: `acc_${i}`, amount: 10n ** 14n, currency: 'USD' }],
      })
    }
    await ledger.execute(tenant, cmds)
  }

  let errors = 0
  const verifyAll: boolean[] = []
  const rand = (n: number) => Math.floor(Math.random() * n)
  const pair = (pick: () => number) => {
    const s = pick()
    let d = pick()
    while (d === s) d = pick()
    return [s, d] as const
  }
  const transfer = (s: number, d: number): LedgerCommand => ({
    op: 'create',
    legs: [{ source: `acc_${s}`, destination: `acc_${d}`, amount: BigInt(1 + rand(1000)), currency: 'USD' }],
  })
  async function verify(name: string) {
    const t0 = performance.now()
    const r = await ledger.verify(tenant)
    verifyAll.push(r.ok)
    log(
      `  verify after ${name}: ${r.ok ? 'ok' : `FAILED (${r.violations.length})`} in ${((performance.now() - t0) / 1000).toFixed(1)}s`,
    )
  }

  async function batched(size: number, workers: number): Promise<number> {
    let done = 0
    const end = performance.now() + seconds * 1000
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (performance.now() < end) {
          const cmds = Array.from({ length: size }, () => transfer(...pair(() => rand(nAccounts))))
          const results = await ledger.execute(tenant, cmds)
          errors += results.filter((r) => !r.ok).length
          done += size
        }
      }),
    )
    const tps = done / seconds
    log(`  batches of ${size} × ${workers} workers: ${Math.round(tps)} transfers/s`)
    await verify(`batch ${size}`)
    return tps
  }

  async function single(
    name: string,
    clients: number,
    next: () => LedgerCommand,
  ): Promise<{ tps: number; p99: number; p50: number }> {
    const latencies: number[] = []
    const end = performance.now() + seconds * 1000
    const start = performance.now()
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now()
          const r = await ledger.submit(tenant, next())
          latencies.push(performance.now() - t0)
          if (!r.ok) errors++
        }
      }),
    )
    const elapsed = (performance.now() - start) / 1000
    latencies.sort((a, b) => a - b)
    const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
    const tps = latencies.length / elapsed
    log(
      `  ${name}: ${Math.round(tps)} transfers/s, p50 ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(2)} ms`,
    )
    await verify(name)
    return { tps, p99: q(0.99), p50: q(0.5) }
  }

  log('batched:')
  const b100 = await batched(100, 4)
  // Large batches over shared accounts serialise on row locks (session 1: two in flight were slower
  // than one); --workers-1000 measures that again.
  const b1000 = await batched(1000, workers1000)
  const none = { tps: 0, p99: 0, p50: 0 }
  if (!batchedOnly) log('single path (16 concurrent clients, in-process batcher):')
  const uniform = batchedOnly
    ? none
    : await single('uniform over 10,000', 16, () => transfer(...pair(() => rand(nAccounts))))
  const hot10 = batchedOnly
    ? none
    : await single('10 hot accounts', 16, () => transfer(...pair(() => rand(10))))
  const hot1 = batchedOnly
    ? none
    : await single('1 hot account', 16, () =>
        Math.random() < 0.5 ? transfer(0, 1 + rand(nAccounts - 1)) : transfer(1 + rand(nAccounts - 1), 0),
      )

  await ledger.close()
  await h.close()
  await database.release()
  const figures = {
    bench: 'ledger',
    batched_tps: Math.round(Math.max(b100, b1000)),
    batch100_tps: Math.round(b100),
    batch1000_tps: Math.round(b1000),
    workers_1000: workers1000,
    single_tps: Math.round(uniform.tps),
    single_p99_ms: Number(uniform.p99.toFixed(2)),
    hot10_tps: Math.round(hot10.tps),
    hot10_p99_ms: Number(hot10.p99.toFixed(2)),
    hot1_tps: Math.round(hot1.tps),
    hot1_p99_ms: Number(hot1.p99.toFixed(2)),
    errors,
    verify: verifyAll.every(Boolean) ? 'ok' : 'failed',
  }
  log(JSON.stringify(figures))
}
