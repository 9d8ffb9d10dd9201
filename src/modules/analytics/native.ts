import type { DuckDBInstance } from '@duckdb/node-api'
import { randomUUID } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Dataset } from './datasets.js'

/**
 * The native DuckDB file of a compacted generation (ADR 1202): `compacted=<W>/native.duckdb` beside
 * `part.parquet`, holding the same rows as narrow tables each sorted for the queries that read it
 * (`Dataset.projections`) — the columnar counterpart of PostgreSQL's covering indexes. Parquet stays
 * the export and interchange format; this file is a cache derived from the generation's Parquet,
 * rebuilt by `moneta analytics compact` and never read if absent, unreadable or of another generation.
 *
 * Never stale: it lives in the generation's directory, whose name is the watermark, and is written
 * before that directory is renamed into place (or, for a generation compacted without it, under a
 * temporary name then renamed), so a reader sees the whole file of exactly the rows of `part.parquet`
 * or none. Rows exported after the generation are in day files, which readers add as Parquet.
 */

export const NATIVE_FILE = 'native.duckdb'

const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`

/** The native file beside a generation's `part.parquet`. */
export const nativeBeside = (parquetFile: string): string => join(dirname(parquetFile), NATIVE_FILE)

/**
 * Writes `target` (a path that does not exist) with one table per projection of `d`, from the
 * generation's Parquet file, under a temporary name in the same directory, then renames it.
 */
export async function buildNative(
  duck: DuckDBInstance,
  d: Dataset,
  parquetFile: string,
  target: string,
): Promise<void> {
  const projections = d.projections ?? []
  if (projections.length === 0) return
  const temp = join(dirname(target), `.${basename(target)}.${randomUUID()}.tmp`)
  const alias = `build_${randomUUID().replaceAll('-', '')}`
  const conn = await duck.connect()
  try {
    await conn.run(`ATTACH ${quote(temp)} AS ${alias}`)
    try {
      // without an order, the Parquet file's row order is kept (DuckDB preserves insertion order)
      for (const p of projections)
        await conn.run(`CREATE TABLE ${alias}.${p.name} AS
          SELECT ${p.columns.join(', ')} FROM read_parquet(${quote(parquetFile)}, hive_partitioning = false)
          ${p.order ? `ORDER BY ${p.order.join(', ')}` : ''}`)
    } finally {
      // DETACH checkpoints: the file is complete and has no WAL beside it once this returns
      await conn.run(`DETACH ${alias}`)
    }
    await rename(temp, target)
  } finally {
    conn.closeSync()
    await rm(temp, { force: true })
    await rm(`${temp}.wal`, { force: true })
  }
}

/** Builds the native file of a generation that lacks one (compacted by an older version, or without it). */
export async function ensureNative(
  duck: DuckDBInstance,
  d: Dataset,
  generationDir: string,
): Promise<boolean> {
  const target = join(generationDir, NATIVE_FILE)
  const parquet = join(generationDir, 'part.parquet')
  if (!d.projections?.length || existsSync(target) || !existsSync(parquet)) return false
  await buildNative(duck, d, parquet, target)
  return true
}

interface Attachment {
  readonly alias: Promise<string | null>
  /** The generation's tenant directory (…/<dataset>/tenant_id=<t>): a newer generation there supersedes this one. */
  readonly owner: string
  users: number
  superseded: boolean
}

/**
 * The native files an instance has attached (read-only), by path and file identity. A file is attached once and kept
 * for later queries (its pages stay in DuckDB's buffer pool); when a query meets a newer generation
 * of the same tenant's dataset, the older file is detached as soon as no query uses it.
 */
const registries = new WeakMap<DuckDBInstance, Map<string, Attachment>>()
let aliases = 0

/** A lease on an attached native file: `alias` (null: none usable, read the Parquet) until `release`. */
export interface NativeLease {
  readonly alias: string | null
  release(): void
}

export async function leaseNative(duck: DuckDBInstance, file: string): Promise<NativeLease> {
  let reg = registries.get(duck)
  if (!reg) registries.set(duck, (reg = new Map<string, Attachment>()))
  const registry = reg
  const owner = dirname(dirname(file))
  // keyed by the file's identity too: a file replaced at the same path is attached afresh
  const st = statSync(file, { throwIfNoEntry: false })
  const key = st ? `${file}\0${st.ino}:${st.size}:${st.mtimeMs}` : undefined
  let a = key === undefined ? undefined : registry.get(key)
  if (!a) {
    // this is the tenant's current generation: the files of older ones are detached once unused
    // (before attaching, as DuckDB attaches one path once)
    const detached: Promise<void>[] = []
    for (const [other, b] of registry)
      if (other !== key && b.owner === owner && !b.superseded) {
        b.superseded = true
        if (b.users === 0) detached.push(detach(duck, registry, other, b))
      }
    if (key === undefined) {
      await Promise.all(detached)
      return { alias: null, release() {} }
    }
    const name = `native_${++aliases}`
    a = {
      alias: Promise.all(detached).then(() => attach(duck, file, name)),
      owner,
      users: 0,
      superseded: false,
    }
    registry.set(key, a)
  }
  const entry = a
  entry.users++
  const alias = await entry.alias
  let released = false
  return {
    alias,
    release() {
      if (released) return
      released = true
      entry.users--
      if (entry.superseded && entry.users === 0) void detach(duck, registry, key!, entry)
    },
  }
}

/** ATTACH read-only; a file DuckDB cannot open (damaged, another storage version) is not used. */
async function attach(duck: DuckDBInstance, file: string, alias: string): Promise<string | null> {
  const conn = await duck.connect()
  try {
    await conn.run(`ATTACH ${quote(file)} AS ${alias} (READ_ONLY)`)
    return alias
  } catch {
    return null
  } finally {
    conn.closeSync()
  }
}

async function detach(
  duck: DuckDBInstance,
  reg: Map<string, Attachment>,
  key: string,
  a: Attachment,
): Promise<void> {
  if (reg.get(key) === a) reg.delete(key)
  const alias = await a.alias
  if (!alias) return
  const conn = await duck.connect()
  try {
    await conn.run(`DETACH DATABASE IF EXISTS ${alias}`)
  } catch {
    // already gone with the instance
  } finally {
    conn.closeSync()
  }
}
