import pg from 'pg'
import { arg, load, log, pct, round, str } from './args.js'
import { closedLoop, pair, rand, setUpMonetaLedger, type LoopResult } from './ledger-setup.js'

/**
 * npm run bench -- ledger-pgledger --pgledger URL [--seconds N] [--rounds N] [--accounts N]
 *   [--postgres URL] [--keep] [--pgledger-truncate]
 *
 * Issue 18's comparison: Moneta's ledger against pgledger (https://github.com/pgr0ss/pgledger, a
 * double-entry ledger written as PostgreSQL functions) on the same PostgreSQL, in the same run, for
 * the same shapes.
 *
 * pgledger is not part of Moneta and nothing here fetches or installs it. Before running, install it
 * yourself into a database of its own on the same server, from its repository, the way its justfile's
 * `dbload` does — for example:
 *
 *   createdb pgledger_bench
 *   psql -d pgledger_bench --single-transaction \
 *     -f vendor/scoville-pgsql-ulid/ulid-to-uuid.sql -f vendor/scoville-pgsql-ulid/uuid-to-ulid.sql \
 *     -f pgledger.sql                     # run in a checkout of pgr0ss/pgledger
 *
 * and pass that database's URL as --pgledger. Without --pgledger the bench exits with code 2. The
 * functions it calls: pgledger_create_account(name, currency, allow_negative_balance,
 * allow_positive_balance), pgledger_create_transfer(from, to, amount) and
 * pgledger_create_transfers(transfer_request[]) — checked before anything runs. --pgledger-truncate
 * empties pgledger's three tables first (the figures of a grown database are not a fresh one's);
 * without it the bench adds its accounts beside what is there and says how much was.
 *
 * Moneta runs in --postgres / DATABASE_URL / a fresh database as in bench/ledger.ts (same setup:
 * bench/ledger-setup.ts). Both systems get 10,000 no-overdraft accounts funded from one funding
 * account, and 1–1,000 cents per transfer. Shapes, each run `--rounds` times alternating Moneta,
 * pgledger, Moneta, pgledger… so that the machine's noise falls on both:
 *   single   16 concurrent clients, one transfer per request, uniform over the accounts
 *            (Moneta: `ledger.submit` through its in-process batcher; pgledger: one
 *            `pgledger_create_transfer` call per request, autocommit, 16 connections)
 *   hot1     the same, every transfer to or from account 0
 *   batch100 4 workers, 100 transfers per call (Moneta: `ledger.execute`; pgledger: one
 *            `pgledger_create_transfers` call with an array of 100, its own multi-transfer function)
 *   batch1000 1 worker, 1,000 per call, likewise
 * Throughput is transfers / wall time of the run (calls in flight at the end count). After each
 * shape: Moneta's `verify`, and pgledger's own invariants (balances sum to zero per currency, each
 * account's balance and version match its entries, each transfer has two entries summing to zero,
 * entry chains continue, no no-overdraft account below zero, every transfer made was recorded).
 * Ends with one JSON line; ratio_* = Moneta / pgledger (the issue's target: ≥ 2).
 */

/** pgledger's invariants, each a count of rows that break it (all 0 when it holds). */
const PGLEDGER_CHECKS: Readonly<Record<string, string>> = {
  currency_sum_not_zero: `SELECT count(*) FROM (SELECT currency FROM pgledger_accounts GROUP BY currency
    HAVING sum(balance) <> 0) x`,
  account_not_its_entries: `SELECT count(*) FROM pgledger_accounts a LEFT JOIN (SELECT account_id, sum(amount) AS s,
    count(*) AS n, max(account_version) AS v FROM pgledger_entries GROUP BY account_id) e ON e.account_id = a.id
    WHERE a.balance <> coalesce(e.s, 0) OR a.version <> coalesce(e.n, 0) OR a.version <> coalesce(e.v, 0)`,
  transfer_not_two_balanced_entries: `SELECT count(*) FROM pgledger_transfers t LEFT JOIN (SELECT transfer_id,
    sum(amount) AS s, count(*) AS n FROM pgledger_entries GROUP BY transfer_id) e ON e.transfer_id = t.id
    WHERE coalesce(e.n, 0) <> 2 OR e.s <> 0`,
  entry_chain_broken: `SELECT count(*) FROM (SELECT amount, account_previous_balance AS before,
    account_current_balance AS after, lag(account_current_balance) OVER w AS prev_after,
    account_version - lag(account_version) OVER w AS step
    FROM pgledger_entries WINDOW w AS (PARTITION BY account_id ORDER BY account_version)) x
    WHERE after <> before + amount OR prev_after <> before OR step <> 1 OR (prev_after IS NULL AND before <> 0)`,
  negative_no_overdraft: `SELECT count(*) FROM pgledger_accounts WHERE NOT allow_negative_balance AND balance < 0`,
}

const SAME_SERVER = `SELECT coalesce(inet_server_addr()::text, 'socket') || ':' || inet_server_port()
  || ' ' || (SELECT system_identifier FROM pg_control_system()) AS id`

/** One round trip: `pgledger_create_transfers` with the transfers as one array of its `transfer_request` type. */
const CREATE_TRANSFERS = `SELECT count(*)::int AS n FROM pgledger_create_transfers(ARRAY(
  SELECT ROW(f, t, a)::transfer_request FROM unnest($1::text[], $2::text[], $3::numeric[]) WITH ORDINALITY AS u(f, t, a, i)
  ORDER BY i))`

/** 1–1,000 cents as pgledger's NUMERIC amount in units ("0.01" … "10.00"); Moneta's are the same in minor units. */
const cents = (): string => ((1 + rand(1000)) / 100).toFixed(2)

interface Shape {
  readonly key: 'single' | 'hot1' | 'batch100' | 'batch1000'
  readonly workers: number
  readonly size: number
  /** Account indices of one transfer. */
  readonly pick: () => readonly [number, number]
}

export async function main(args: string[]): Promise<void> {
  const pgledgerUrl = str(args, 'pgledger')
  if (!pgledgerUrl) {
    process.stderr.write(
      'ledger-pgledger: --pgledger URL is required: a database on the same PostgreSQL into which you have installed\n' +
        'pgledger yourself from https://github.com/pgr0ss/pgledger (its vendor/scoville-pgsql-ulid/*.sql, then pgledger.sql;\n' +
        'see the header of bench/ledger-pgledger.ts). This bench does not fetch or install it, and measures nothing without it.\n',
    )
    process.exit(2)
  }
  const seconds = arg(args, 'seconds', 10)
  const rounds = arg(args, 'rounds', 2)
  const nAccounts = arg(args, 'accounts', 10_000)
  const loadStart = load()

  const pool = new pg.Pool({ connectionString: pgledgerUrl, max: 17 })
  const installed = await pool.query<{ ok: boolean }>(
    `SELECT to_regprocedure('pgledger_create_transfer(text,text,numeric,timestamptz,jsonb)') IS NOT NULL
       AND to_regprocedure('pgledger_create_transfers(transfer_request[],timestamptz,jsonb)') IS NOT NULL
       AND to_regprocedure('pgledger_create_account(text,text,boolean,boolean)') IS NOT NULL AS ok`,
  )
  if (!installed.rows[0]?.ok) {
    await pool.end()
    process.stderr.write(
      `ledger-pgledger: pgledger's functions (pgledger_create_account, pgledger_create_transfer, pgledger_create_transfers\n` +
        `with NUMERIC amounts) are not in ${pgledgerUrl.replace(/\/\/[^@]*@/, '//')}; install pgledger there first (see the header).\n`,
    )
    process.exit(2)
  }
  if (args.includes('--pgledger-truncate')) {
    await pool.query('TRUNCATE pgledger_entries, pgledger_transfers, pgledger_accounts')
    log('pgledger: its three tables emptied (--pgledger-truncate)')
  }
  const before = Number(
    (await pool.query<{ n: string }>('SELECT count(*) AS n FROM pgledger_transfers')).rows[0]!.n,
  )
  if (before > 0) log(`pgledger: ${before} transfers already in the database (not a fresh one)`)

  const moneta = await setUpMonetaLedger(args, 'ledger-pgledger', nAccounts, seconds)
  const server = async (q: (text: string) => Promise<{ rows: { id: string }[] }>) =>
    (await q(SAME_SERVER).catch(() => ({ rows: [{ id: 'unknown' }] }))).rows[0]!.id
  const monetaClient = new pg.Client({ connectionString: moneta.url })
  await monetaClient.connect()
  const [monetaServer, pgledgerServer] = [
    await server((t) => monetaClient.query(t)),
    await server((t) => pool.query(t)),
  ]
  await monetaClient.end()
  log(`servers: Moneta ${monetaServer}, pgledger ${pgledgerServer}`)
  if (monetaServer !== pgledgerServer || monetaServer === 'unknown') {
    log('WARNING: could not confirm that both databases are on the same PostgreSQL server')
  }

  // pgledger's accounts: the same 10,000 no-overdraft accounts and one funding account that may go
  // negative, funded 10^12 units each with its own multi-transfer function, 1,000 per call.
  const tag = Date.now().toString(36)
  log(`pgledger: creating ${nAccounts} accounts…`)
  const funding = (
    await pool.query<{ id: string }>(`SELECT id FROM pgledger_create_account($1, 'USD', true, true)`, [
      `bench_${tag}_funding`,
    ])
  ).rows[0]!.id
  const ids = (
    await pool.query<{ id: string }>(
      `SELECT a.id FROM generate_series(0, $1::int - 1) g
         CROSS JOIN LATERAL pgledger_create_account('bench_' || $2 || '_' || g, 'USD', false, true) a ORDER BY g`,
      [nAccounts, tag],
    )
  ).rows.map((r) => r.id)
  for (let start = 0; start < nAccounts; start += 1000) {
    const to = ids.slice(start, start + 1000)
    await pool.query(CREATE_TRANSFERS, [to.map(() => funding), to, to.map(() => '1000000000000')])
  }
  let pgledgerMade = before + nAccounts

  let pgledgerFailed = false
  // A pgledger call is all or nothing: one that raises (a broken rule) made none of its transfers.
  const pgledgerStep = async (n: number, pick: () => readonly [number, number]) => {
    const from: string[] = []
    const to: string[] = []
    const amounts: string[] = []
    for (let i = 0; i < n; i++) {
      const [s, d] = pick()
      from.push(ids[s]!)
      to.push(ids[d]!)
      amounts.push(cents())
    }
    try {
      if (n === 1) {
        await pool.query('SELECT id FROM pgledger_create_transfer($1, $2, $3::numeric)', [
          from[0],
          to[0],
          amounts[0],
        ])
      } else {
        await pool.query(CREATE_TRANSFERS, [from, to, amounts])
      }
      return { done: n, errors: 0 }
    } catch (e) {
      if (!pgledgerFailed) log(`  pgledger error (the first): ${(e as Error).message}`)
      pgledgerFailed = true
      return { done: 0, errors: n }
    }
  }
  const monetaStep = async (n: number, pick: () => readonly [number, number]) => {
    if (n === 1) {
      const r = await moneta.ledger.submit(moneta.tenant, moneta.transfer(...pick()))
      return { done: 1, errors: r.ok ? 0 : 1 }
    }
    const results = await moneta.ledger.execute(
      moneta.tenant,
      Array.from({ length: n }, () => moneta.transfer(...pick())),
    )
    return { done: n, errors: results.filter((r) => !r.ok).length }
  }

  const uniform = () => pair(() => rand(nAccounts))
  const hot = (): readonly [number, number] => {
    const other = 1 + rand(nAccounts - 1)
    return Math.random() < 0.5 ? [0, other] : [other, 0]
  }
  const shapes: Shape[] = [
    { key: 'single', workers: 16, size: 1, pick: uniform },
    { key: 'hot1', workers: 16, size: 1, pick: hot },
    { key: 'batch100', workers: 4, size: 100, pick: uniform },
    { key: 'batch1000', workers: 1, size: 1000, pick: uniform },
  ]

  const errors = { moneta: 0, pgledger: 0 }
  const pgledgerChecks: Record<string, number> = {}
  const figures: Record<string, number | string> = {}
  const describe = (who: string, shape: Shape, k: number, r: LoopResult) =>
    `  ${shape.key} round ${k} ${who}: ${Math.round(r.done / r.elapsed)} transfers/s` +
    (shape.size === 1
      ? `, p50 ${pct(r.latencies, 0.5).toFixed(2)} ms, p99 ${pct(r.latencies, 0.99).toFixed(2)} ms`
      : '') +
    `, load ${load()}`
  for (const shape of shapes) {
    log(
      `${shape.key} (${shape.workers} ${shape.size === 1 ? 'clients' : shape.workers === 1 ? 'worker' : 'workers'}, ${shape.size} per call):`,
    )
    const runs: Record<'moneta' | 'pgledger', LoopResult[]> = { moneta: [], pgledger: [] }
    for (let k = 1; k <= rounds; k++) {
      const m = await closedLoop(seconds, shape.workers, () => monetaStep(shape.size, shape.pick))
      runs.moneta.push(m)
      errors.moneta += m.errors
      log(describe('Moneta', shape, k, m))
      const p = await closedLoop(seconds, shape.workers, () => pgledgerStep(shape.size, shape.pick))
      runs.pgledger.push(p)
      errors.pgledger += p.errors
      pgledgerMade += p.done
      log(describe('pgledger', shape, k, p))
    }
    // Over the rounds: all transfers / all wall time; p99 over every call of the rounds.
    const tps = (rs: LoopResult[]) =>
      rs.reduce((a, r) => a + r.done, 0) / rs.reduce((a, r) => a + r.elapsed, 0)
    const p99 = (rs: LoopResult[]) =>
      round(
        pct(
          rs.flatMap((r) => r.latencies).sort((a, b) => a - b),
          0.99,
        ),
      )
    figures[`moneta_${shape.key}_tps`] = Math.round(tps(runs.moneta))
    figures[`pgledger_${shape.key}_tps`] = Math.round(tps(runs.pgledger))
    figures[`ratio_${shape.key}`] = round(tps(runs.moneta) / tps(runs.pgledger))
    if (shape.size === 1) {
      figures[`moneta_${shape.key}_p99_ms`] = p99(runs.moneta)
      figures[`pgledger_${shape.key}_p99_ms`] = p99(runs.pgledger)
    }
    await moneta.verify(shape.key)
    for (const [name, query] of Object.entries(PGLEDGER_CHECKS)) {
      const n = Number((await pool.query<{ count: string }>(query)).rows[0]!.count)
      pgledgerChecks[name] = Math.max(pgledgerChecks[name] ?? 0, n)
    }
    const recorded = Number(
      (await pool.query<{ n: string }>('SELECT count(*) AS n FROM pgledger_transfers')).rows[0]!.n,
    )
    // Every transfer made was recorded (the bench's own and the funding ones, plus what was there).
    pgledgerChecks.transfers_missing = Math.max(
      pgledgerChecks.transfers_missing ?? 0,
      Math.abs(pgledgerMade - recorded),
    )
    const broken = Object.entries(pgledgerChecks).filter(([, n]) => n > 0)
    log(
      `  pgledger invariants after ${shape.key}: ${broken.length === 0 ? 'ok' : `FAILED ${JSON.stringify(broken)}`}`,
    )
  }

  await moneta.close()
  await pool.end()
  const pgledgerOk = Object.values(pgledgerChecks).every((n) => n === 0)
  const monetaOk = moneta.allVerified()
  log(
    JSON.stringify({
      bench: 'ledger-pgledger',
      ...figures,
      seconds,
      rounds,
      accounts: nAccounts,
      pgledger_batch_function: 'pgledger_create_transfers',
      load_start: loadStart,
      load_end: load(),
      moneta_errors: errors.moneta,
      pgledger_errors: errors.pgledger,
      moneta_verify: monetaOk ? 'ok' : 'failed',
      pgledger_verify: pgledgerOk ? 'ok' : 'failed',
      verify: monetaOk && pgledgerOk ? 'ok' : 'failed',
    }),
  )
}
