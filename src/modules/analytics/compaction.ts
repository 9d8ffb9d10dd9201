import type { DuckDBInstance } from '@duckdb/node-api'
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, rename, rm, rmdir } from 'node:fs/promises'
import { join } from 'node:path'
import { DATASETS, parquetColumns, type Dataset } from './datasets.js'
import { buildNative, ensureNative, NATIVE_FILE } from './native.js'

/**
 * Compaction of a tenant's small day files into one sorted file, without readers ever seeing a row
 * twice or not at all (ADR 1200, "Compaction"). The export publishes `day=<d>/run-<high>_<i>.parquet`;
 * compaction up to watermark W writes `compacted=<W>/part.parquet` (every row of the previous
 * generation and of the day files of rounds ≤ W) under a name readers ignore, then renames the
 * directory into place — the one atomic step that switches readers to the new generation. A reader
 * takes the newest `compacted=<C>` and only the day files of rounds after C, so day files already
 * compacted are never read twice even before they are deleted. What the previous generation replaced
 * is deleted at once; what this one replaced waits for the next compaction, so a query that listed its
 * files just before the switch still finds them (run compactions further apart than the longest query).
 */

const COMPACTED = /^compacted=(\d+)$/
const PART = 'part.parquet'

/** A compacted generation's Parquet file (`…/compacted=<W>/part.parquet`). */
export const isCompactedFile = (file: string): boolean =>
  /(^|[\\/])compacted=\d+[\\/]part\.parquet$/.test(file)

/** True when `files` is one compacted generation alone: keyed rows in it are already one per key. */
export const onlyCompacted = (files: readonly string[]): boolean =>
  files.length === 1 && isCompactedFile(files[0]!)
const RUN_FILE = /^run-(\d+)_\d+\.parquet$/

interface Generation {
  readonly upTo: bigint
  readonly dir: string | undefined
}

function newestGeneration(tenantDir: string, names: readonly string[]): Generation {
  let best: Generation = { upTo: -1n, dir: undefined }
  for (const n of names) {
    const m = COMPACTED.exec(n)
    if (m && BigInt(m[1]!) > best.upTo) best = { upTo: BigInt(m[1]!), dir: join(tenantDir, n) }
  }
  return best
}

const parquetIn = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.parquet'))
    .map((f) => join(dir, f))

/** Day files of rounds in (after, upTo]. */
function dayFiles(tenantDir: string, names: readonly string[], after: bigint, upTo: bigint | null): string[] {
  const out: string[] = []
  for (const n of names) {
    if (!n.startsWith('day=')) continue
    for (const f of readdirSync(join(tenantDir, n))) {
      const m = RUN_FILE.exec(f)
      if (!m) continue
      const run = BigInt(m[1]!)
      if (run > after && (upTo === null || run <= upTo)) out.push(join(tenantDir, n, f))
    }
  }
  return out
}

/** A tenant's Parquet files as paths relative to its directory ('/'-separated), both layouts. */
function tenantPaths(tenantDir: string): string[] {
  return readdirSync(tenantDir).flatMap((n) =>
    n.startsWith('day=') || COMPACTED.test(n) ? readdirSync(join(tenantDir, n)).map((f) => `${n}/${f}`) : [],
  )
}

/**
 * Of a tenant's files (paths relative to its directory: `compacted=<C>/part.parquet`,
 * `day=<d>/run-<high>_<i>.parquet`), those a reader uses: the newest compacted generation and the day
 * files of rounds after it. Pure, so an object store's listing is read by the same rule (ADR 1201).
 */
export function selectCurrent(paths: readonly string[]): string[] {
  const gen = (p: string) => /^compacted=(\d+)\/[^/]+\.parquet$/.exec(p)?.[1]
  const newest = paths.reduce((best, p) => {
    const g = gen(p)
    return g !== undefined && BigInt(g) > best ? BigInt(g) : best
  }, -1n)
  return paths
    .filter((p) => {
      const g = gen(p)
      if (g !== undefined) return BigInt(g) === newest
      const run = /^day=[^/]+\/run-(\d+)_\d+\.parquet$/.exec(p)?.[1]
      return run !== undefined && BigInt(run) > newest
    })
    .sort()
}

/** The files a reader uses for one tenant's dataset: the newest compacted generation and the day files after it. */
export function currentFiles(tenantDir: string): string[] {
  if (!existsSync(tenantDir)) return []
  return selectCurrent(tenantPaths(tenantDir)).map((p) => join(tenantDir, p))
}

const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`

export interface CompactOptions {
  /**
   * Also write the generation's native DuckDB file (native.ts, ADR 1202) for datasets with
   * projections, and build it for a current generation that lacks one. Default true; false
   * compacts to Parquet alone (the bench's A/B of the native file).
   */
  readonly native?: boolean
}

/** Compacts one tenant's dataset up to `upTo` (a committed watermark); null when there was nothing new. */
export async function compactTenant(
  duck: DuckDBInstance,
  d: Dataset,
  tenantDir: string,
  upTo: bigint,
  opts: CompactOptions = {},
): Promise<{ files: number } | null> {
  const native = opts.native ?? true
  const names = readdirSync(tenantDir)
  const previous = newestGeneration(tenantDir, names)
  const fresh = dayFiles(tenantDir, names, previous.upTo, upTo)
  if (fresh.length === 0 || upTo <= previous.upTo) {
    // a generation compacted without its native file (an older version, or native off) gets one now
    if (native && previous.dir) await ensureNative(duck, d, previous.dir)
    // Nothing new to fold, but the switch to the current generation was a compaction ago: what it
    // replaced is garbage now (the same rule as below). Without this, a tenant whose exports paused
    // kept every replaced day file, and each query listed them all (session 16: a year of day
    // directories cost 3.5–4.5 ms per dataset per query).
    if (previous.dir) await collectGarbage(tenantDir, names, previous.upTo)
    return null
  }
  const inputs = [...(previous.dir ? parquetIn(previous.dir) : []), ...fresh]
  const work = join(tenantDir, `_compacting=${upTo}`)
  await rm(work, { recursive: true, force: true })
  await mkdir(work, { recursive: true })
  const time = parquetColumns(d).find((c) => c.source === d.dayOf || c.name === d.dayOf)!.name
  const order = d.compactOrder ?? [time, 'analytics_seq']
  const conn = await duck.connect()
  try {
    // Keyed datasets keep only the latest version per key up to the watermark: a reader of the
    // generation alone then needs no dedup (sources.ts), and later day files still supersede it.
    const latest = d.key
      ? `QUALIFY row_number() OVER (PARTITION BY ${d.key.join(', ')} ORDER BY analytics_seq DESC) = 1`
      : ''
    await conn.run(`COPY (SELECT * FROM read_parquet([${inputs.map(quote).join(', ')}], hive_partitioning = false)
      ${latest} ORDER BY ${order.join(', ')}) TO ${quote(join(work, PART))} (FORMAT parquet, COMPRESSION zstd)`)
  } finally {
    conn.closeSync()
  }
  // inside the generation's directory before it is renamed into place: never seen half-written
  if (native) await buildNative(duck, d, join(work, PART), join(work, NATIVE_FILE))
  await rename(work, join(tenantDir, `compacted=${upTo}`))
  await collectGarbage(tenantDir, names, previous.upTo)
  return { files: fresh.length }
}

/**
 * Garbage of the previous switch (to generation `upTo`): older generations, the day files `upTo`
 * covered, and the day directories that leaves empty — readers list every day directory, so empty
 * ones cost each query a directory read forever (366 a year per tenant and dataset). Runs under the
 * export lease: no round publishes into a day directory meanwhile.
 */
async function collectGarbage(tenantDir: string, names: readonly string[], upTo: bigint): Promise<void> {
  if (upTo < 0n) return
  for (const n of names) {
    const m = COMPACTED.exec(n)
    if (m && BigInt(m[1]!) < upTo) await rm(join(tenantDir, n), { recursive: true, force: true })
  }
  for (const f of dayFiles(tenantDir, names, -1n, upTo)) await rm(f, { force: true })
  for (const n of names)
    if (n.startsWith('day=')) {
      const day = join(tenantDir, n)
      // rmdir refuses a directory that still holds files (rounds after the generation): kept
      if (existsSync(day) && readdirSync(day).length === 0) await rmdir(day).catch(() => undefined)
    }
}

/** Compaction of one tenant's dataset directory, as `compactAll` hands it to a wrapper. */
export type TenantCompaction = (
  tenantDir: string,
  compact: () => Promise<{ files: number } | null>,
) => Promise<{ files: number } | null>

/**
 * Every tenant of every dataset under `dir`, up to `upTo`; returns the day files folded in per dataset.
 * `around` wraps each tenant's compaction (the object-store mirror uploads and deletes what it changed).
 */
export async function compactAll(
  duck: DuckDBInstance,
  dir: string,
  upTo: bigint,
  around: TenantCompaction = (_, compact) => compact(),
  opts: CompactOptions = {},
): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const d of DATASETS) {
    const datasetDir = join(dir, d.name)
    out[d.name] = 0
    if (!existsSync(datasetDir)) continue
    for (const t of readdirSync(datasetDir)) {
      if (!t.startsWith('tenant_id=')) continue
      const tenantDir = join(datasetDir, t)
      const r = await around(tenantDir, () => compactTenant(duck, d, tenantDir, upTo, opts))
      out[d.name] = (out[d.name] ?? 0) + (r?.files ?? 0)
    }
  }
  return out
}
