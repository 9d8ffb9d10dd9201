import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { unaccent } from '@electric-sql/pglite/contrib/unaccent'
import { Kysely, PostgresDialect } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import { withCommitHooks } from './commit-hooks.js'
import type { Database } from './schema.js'

export type Db = Kysely<Database>

export interface DbHandle {
  readonly db: Db
  /** 'postgres' when a real server is used; 'pglite' for the embedded engine. */
  readonly engine: 'postgres' | 'pglite'
  /** A raw pg pool (PostgreSQL only), for LISTEN/NOTIFY and other driver-level needs. */
  readonly pool?: pg.Pool
  /**
   * PGlite only: its data directory as an image (PGlite's dumpDataDir) that `pgliteImage` starts
   * another embedded database from.
   */
  readonly image?: () => Promise<Blob>
  close(): Promise<void>
}

export interface ConnectOptions {
  /** postgres://… selects PostgreSQL; otherwise PGlite. */
  readonly databaseUrl?: string | undefined
  /** PGlite data directory; omitted or 'memory://' = in memory. */
  readonly dataDir?: string | undefined
  readonly poolSize?: number
  /**
   * An in-memory PGlite starts from this data directory image (DbHandle.image) instead of a new
   * cluster: the test suites start each embedded database from one already migrated (~1.5 s, against
   * ~5–9 s for the cluster's creation and the migrations on 2 busy cores).
   */
  readonly pgliteImage?: Blob | undefined
  /** Told about a pooled connection that died (default: ignored; the pool replaces it). */
  readonly onConnectionError?: (err: Error) => void
}

// int8 → bigint, as PGlite does, so both engines hand the code the same types.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === 20) return (v: string) => BigInt(v)
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown
  },
} as unknown as typeof pg.types

export async function connect(opts: ConnectOptions): Promise<DbHandle> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      types: pgTypes,
      ...sessionOptions(opts.databaseUrl),
    })
    // A backend that goes away (failover, pg_terminate_backend, a network blip) makes its client
    // emit 'error'; unheard, that event would end the process. The pool drops the dead client and
    // opens another; the query that was running fails and its caller retries where that is safe
    // (shared/db/retry.ts) or answers 503.
    const onError = (err: Error) => opts.onConnectionError?.(err)
    pool.on('error', onError) // an idle client died
    pool.on('connect', (client) => client.on('error', onError)) // a checked-out client died
    // Fail fast with a clear message instead of on the first request.
    const client = await pool.connect().catch((e: unknown) => {
      void pool.end()
      throw new Error(`Cannot connect to PostgreSQL at ${redactUrl(opts.databaseUrl!)}: ${String(e)}`)
    })
    client.release()
    const db = new Kysely<Database>({ dialect: withCommitHooks(new PostgresDialect({ pool })) })
    return { db, engine: 'postgres', pool, close: () => db.destroy() }
  }
  // 'memory://' keeps the embedded database in memory (tests, demos).
  const inMemory = !opts.dataDir || opts.dataDir.startsWith('memory://')
  if (!inMemory && opts.dataDir) mkdirSync(opts.dataDir, { recursive: true })
  // The contrib extensions search uses (trigram similarity, accent folding, edit distance) ship with
  // PGlite but must be loaded when the engine starts; a server has them as its contrib packages.
  const extensions = { pg_trgm, unaccent, fuzzystrmatch }
  const lite = new PGlite({
    ...(inMemory || !opts.dataDir ? {} : { dataDir: opts.dataDir }),
    ...(inMemory && opts.pgliteImage ? { loadDataDir: opts.pgliteImage } : {}),
    extensions,
  })
  await lite.waitReady
  const db = new Kysely<Database>({ dialect: withCommitHooks(new PGliteDialect(lite)) })
  return { db, engine: 'pglite', image: () => lite.dumpDataDir('none'), close: () => db.destroy() }
}

/**
 * JIT compilation off for our sessions (ADR 0009), unless the operator sets server options
 * themselves (`?options=` in the URL or PGOPTIONS). Every query here is short; a plan costed
 * above jit_above_cost on a table without statistics was compiled for ~230 ms and then ran in
 * 0.2 ms (the outbox backlog gauge, twice per metrics scrape).
 */
export function sessionOptions(databaseUrl: string): { options?: string } {
  const own = new URL(databaseUrl).searchParams.has('options') || process.env.PGOPTIONS !== undefined
  return own ? {} : { options: '-c jit=off' }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:<redacted>@')
}
