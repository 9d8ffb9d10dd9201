import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { randomUUID } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Dataset, Projection, ProjectionName } from './datasets.js'

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

/**
 * The table of a native file that records each projection's sort key, as written. A reader relies on
 * a projection's physical order (`NativeLease.sorted`) only when the recorded key is the one the code
 * asks for today: a file written by an older version (no such table, or another key) is still read,
 * but never as sorted.
 */
const ORDERS_TABLE = 'projection_orders'

const sortKey = (p: Projection): string | null => (p.order ? p.order.join(', ') : null)

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
      await conn.run(`CREATE TABLE ${alias}.${ORDERS_TABLE} (projection VARCHAR, sort_key VARCHAR)`)
      for (const p of projections)
        await conn.run(
          `INSERT INTO ${alias}.${ORDERS_TABLE} VALUES (${quote(p.name)}, ${sortKey(p) ? quote(sortKey(p)!) : 'NULL'})`,
        )
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

/** An attached native file: its alias, and the projections stored in the order the code asks for. */
interface Attached {
  readonly alias: string
  readonly sorted: ReadonlySet<ProjectionName>
}

interface Attachment {
  readonly alias: Promise<Attached | null>
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
  /**
   * The projections whose tables this file holds sorted by their `Projection.order` of today (recorded
   * at build): a scan of such a table alone returns its rows in that order when it is not
   * parallelised (DuckDB keeps a table's insertion order; a streaming window `OVER ()` scans in order).
   */
  readonly sorted: ReadonlySet<ProjectionName>
  release(): void
}

export async function leaseNative(
  duck: DuckDBInstance,
  file: string,
  dataset: Dataset,
): Promise<NativeLease> {
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
      return { alias: null, sorted: new Set(), release() {} }
    }
    const name = `native_${++aliases}`
    a = {
      alias: Promise.all(detached).then(() => attach(duck, file, name, dataset)),
      owner,
      users: 0,
      superseded: false,
    }
    registry.set(key, a)
  }
  const entry = a
  entry.users++
  const attached = await entry.alias
  let released = false
  return {
    alias: attached?.alias ?? null,
    sorted: attached?.sorted ?? new Set(),
    release() {
      if (released) return
      released = true
      entry.users--
      if (entry.superseded && entry.users === 0) void detach(duck, registry, key!, entry)
    },
  }
}

/** ATTACH read-only; a file DuckDB cannot open (damaged, another storage version) is not used. */
async function attach(
  duck: DuckDBInstance,
  file: string,
  alias: string,
  dataset: Dataset,
): Promise<Attached | null> {
  const conn = await duck.connect()
  try {
    await conn.run(`ATTACH ${quote(file)} AS ${alias} (READ_ONLY)`)
  } catch {
    conn.closeSync()
    return null
  }
  try {
    return { alias, sorted: await sortedProjections(conn, alias, dataset) }
  } finally {
    conn.closeSync()
  }
}

/** The projections whose recorded sort key is today's (none for a file written before keys were recorded). */
async function sortedProjections(
  conn: DuckDBConnection,
  alias: string,
  dataset: Dataset,
): Promise<ReadonlySet<ProjectionName>> {
  let recorded: Map<unknown, unknown>
  try {
    const r = await conn.runAndReadAll(`SELECT projection, sort_key FROM ${alias}.${ORDERS_TABLE}`)
    recorded = new Map(r.getRows().map(([p, k]) => [p, k]))
  } catch {
    return new Set()
  }
  const sorted = new Set<ProjectionName>()
  for (const p of dataset.projections ?? [])
    if (sortKey(p) !== null && recorded.get(p.name) === sortKey(p)) sorted.add(p.name)
  return sorted
}

async function detach(
  duck: DuckDBInstance,
  reg: Map<string, Attachment>,
  key: string,
  a: Attachment,
): Promise<void> {
  if (reg.get(key) === a) reg.delete(key)
  const alias = (await a.alias)?.alias
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
