/**
 * What bench/ledger.ts and bench/ledger-pgledger.ts share: Moneta's ledger in a bench database with
 * `nAccounts` funded no-overdraft wallets, the random transfer shapes, `verify` after a run, and the
 * closed loop that drives a scenario for a number of seconds. Not a bench itself (no `main`).
 */
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createLedger, type Ledger, type LedgerCommand } from '../src/modules/ledger/index.js'
import { systemClock } from '../src/shared/clock.js'
import { systemIds } from '../src/shared/ids.js'
import { benchDatabase, load, log } from './args.js'

/** A uniform integer in [0, n). */
export const rand = (n: number): number => Math.floor(Math.random() * n)

/** Two different numbers drawn with `pick`. */
export const pair = (pick: () => number): readonly [number, number] => {
  const s = pick()
  let d = pick()
  while (d === s) d = pick()
  return [s, d] as const
}

/** What one closed-loop run did: transfers made, failed items, wall time, and each call's latency (ms, ascending). */
export interface LoopResult {
  readonly done: number
  readonly errors: number
  readonly elapsed: number
  readonly latencies: number[]
}

/**
 * Runs `workers` concurrent loops for `seconds`, each calling `step` until the time is up (the calls in
 * flight at the end finish and count). `step` returns how many transfers it made and how many failed.
 */
export async function closedLoop(
  seconds: number,
  workers: number,
  step: () => Promise<{ done: number; errors: number }>,
): Promise<LoopResult> {
  const latencies: number[] = []
  let done = 0
  let errors = 0
  const start = performance.now()
  const end = start + seconds * 1000
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now()
        const r = await step()
        latencies.push(performance.now() - t0)
        done += r.done
        errors += r.errors
      }
    }),
  )
  latencies.sort((a, b) => a - b)
  return { done, errors, elapsed: (performance.now() - start) / 1000, latencies }
}

/** Moneta's ledger set up for a bench, with its accounts `acc_0` … `acc_{nAccounts-1}` funded. */
export interface MonetaLedgerBench {
  readonly url: string
  readonly ledger: Ledger
  readonly tenant: string
  readonly nAccounts: number
  /** A one-leg create of 1–1,000 minor units from `acc_s` to `acc_d`. */
  readonly transfer: (s: number, d: number) => LedgerCommand
  /** `ledger.verify` for the tenant, logged with the run's name; the result is also kept for `allVerified`. */
  readonly verify: (name: string) => Promise<boolean>
  readonly allVerified: () => boolean
  close(): Promise<void>
}

/**
 * Against the PostgreSQL in --postgres, else DATABASE_URL or MONETA_TEST_DATABASE_URL (created if
 * missing), else a fresh database for this run, dropped by `close` unless --keep (bench/args.ts).
 */
export async function setUpMonetaLedger(
  args: readonly string[],
  name: string,
  nAccounts: number,
  seconds: number,
): Promise<MonetaLedgerBench> {
  const database = await benchDatabase(args, name)
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
    `${name} bench: ${url.replace(/\/\/[^@]*@/, '//')} fsync=${fsync.fsync} synchronous_commit=${fsync.synchronous_commit}, ${seconds}s per run, load ${load()}`,
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

  const verifyAll: boolean[] = []
  return {
    url,
    ledger,
    tenant,
    nAccounts,
    transfer: (s, d) => ({
      op: 'create',
      legs: [
        { source: `acc_${s}`, destination: `acc_${d}`, amount: BigInt(1 + rand(1000)), currency: 'USD' },
      ],
    }),
    verify: async (run) => {
      const t0 = performance.now()
      const r = await ledger.verify(tenant)
      verifyAll.push(r.ok)
      log(
        `  verify after ${run}: ${r.ok ? 'ok' : `FAILED (${r.violations.length})`} in ${((performance.now() - t0) / 1000).toFixed(1)}s`,
      )
      return r.ok
    },
    allVerified: () => verifyAll.every(Boolean),
    async close() {
      await ledger.close()
      await h.close()
      await database.release()
    },
  }
}
