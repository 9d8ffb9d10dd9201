/**
 * What the benches share: reading `--name value` flags, percentiles, rounding, progress lines, their
 * own PostgreSQL database, and the load average every figure is reported with (the machine may be shared: a loaded figure says so).
 */
import { loadavg } from 'node:os'
import pg from 'pg'

/** The value after `--name`, if given. */
export const str = (args: readonly string[], name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}

/** A numeric flag, or `fallback`. */
export const arg = (args: readonly string[], name: string, fallback: number): number =>
  Number(str(args, name) ?? fallback)

export const log = (s: string): void => {
  process.stdout.write(`${s}\n`)
}

/** The p-quantile (0..1) of an ascending array; 0 when empty. */
export const pct = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

export const round = (x: number): number => Math.round(x * 100) / 100

/** The one-minute load average, rounded. */
export const load = (): number => round(loadavg()[0]!)

/** Creates the database `url` names when the server has none of that name (benches own theirs). */
export async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url)
  const name = u.pathname.slice(1)
  u.pathname = '/postgres'
  const c = new pg.Client({ connectionString: u.toString() })
  await c.connect()
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (r.rowCount === 0) {
      log(`creating database ${name}`)
      await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`)
    }
  } finally {
    await c.end()
  }
}

/** The database a bench runs in, and how to let it go. */
export interface BenchDatabase {
  readonly url: string
  /** Drops the database when the bench made it for this run alone (not `--keep`); else nothing. */
  release(): Promise<void>
}

/**
 * `--postgres URL`, else `DATABASE_URL`, `MONETA_BENCH_DATABASE_URL` or `MONETA_TEST_DATABASE_URL` (created
 * if missing, kept);
 * else a fresh database made for this run (`moneta_bench_<name>_<time>`), dropped at the end unless
 * `--keep`. A bench reusing one database across runs measures a database grown by every earlier run
 * (session 15: the ledger's 9,300/s on the shared `test` database against 11,700–13,400/s on fresh
 * ones), so a fresh clone's first command gives a figure that does not depend on what ran before.
 */
export async function benchDatabase(args: readonly string[], name: string): Promise<BenchDatabase> {
  const given =
    str(args, 'postgres') ??
    process.env.DATABASE_URL ??
    process.env.MONETA_BENCH_DATABASE_URL ??
    process.env.MONETA_TEST_DATABASE_URL
  if (given) {
    await ensureDatabase(given)
    return { url: given, release: async () => {} }
  }
  const db = `moneta_bench_${name}_${Date.now().toString(36)}`
  const url = `postgres://postgres@127.0.0.1:5432/${db}`
  await ensureDatabase(url)
  const keep = args.includes('--keep')
  return {
    url,
    async release() {
      if (keep) return log(`kept database ${db}`)
      const u = new URL(url)
      u.pathname = '/postgres'
      const c = new pg.Client({ connectionString: u.toString() })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}
