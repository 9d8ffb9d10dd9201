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
