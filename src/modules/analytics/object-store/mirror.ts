import { randomUUID } from 'node:crypto'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { selectCurrent } from '../compaction.js'
import { nativeBeside } from '../native.js'
import { DATASETS, type DatasetName } from '../datasets.js'
import type { TenantFiles } from '../query.service.js'
import type { ParquetSink } from '../sink.js'
import type { ObjectStore, StoredObject } from './object-store.js'

/**
 * The local analytics directory as a mirror of the object store (ADR 1201): the store holds the
 * durable copy under the same relative layout; DuckDB reads the mirror, since it cannot read s3://
 * without its httpfs extension. Keys are paths relative to the directory, '/'-separated.
 */

/** The only keys a mirror takes from the store: a day file or a compacted generation of a tenant's dataset. */
const LAYOUT =
  /^[a-z_]+\/tenant_id=[A-Za-z0-9_-]{1,128}\/(day=\d{4}-\d{2}-\d{2}\/run-\d+_\d+|compacted=\d+\/part)\.parquet$/

export const isLayoutKey = (key: string): boolean => LAYOUT.test(key)

/** A path relative to the directory, as a key. */
export const keyOf = (relativePath: string): string => relativePath.split(sep).join('/')

/**
 * Publishes to the store first, then into the mirror: a failed upload leaves the file in staging for
 * the resumed round.
 */
export function mirroredSink(store: ObjectStore, local: ParquetSink): ParquetSink {
  return {
    kind: store.describe,
    // A round staged again from the database (its staging was another process's, or lost): one LIST
    // of the whole store, only then, to remove the first attempt's files of that round everywhere.
    async discard(high) {
      const run = new RegExp(`/run-${high}_\\d+\\.parquet$`)
      for (const d of DATASETS) {
        const keys = (await store.list(`${d.name}/`))
          .map((o) => o.key)
          .filter((k) => isLayoutKey(k) && run.test(k))
        if (keys.length > 0) await store.remove(keys)
      }
      await local.discard(high)
    },
    async put(stagedFile, key) {
      await store.upload(stagedFile, keyOf(key))
      await local.put(stagedFile, key)
    },
  }
}

/**
 * Lists the store under `prefix` (one LIST, paged) and downloads into the mirror, of the layout keys
 * `pick` keeps, those missing locally or of another size — each to a temporary name under
 * `<dir>/_incoming`, then renamed, so a reader never sees half a file. Returns the listing.
 */
export async function syncDown(
  store: ObjectStore,
  dir: string,
  prefix: string,
  pick: (keys: readonly string[]) => readonly string[] = (keys) => keys,
): Promise<StoredObject[]> {
  const listed = (await store.list(prefix)).filter((o) => isLayoutKey(o.key))
  const sizes = new Map(listed.map((o) => [o.key, o.size]))
  const incoming = join(dir, '_incoming')
  for (const key of pick([...sizes.keys()])) {
    const target = join(dir, ...key.split('/'))
    const local = await stat(target).catch(() => null)
    if (local?.size === sizes.get(key)) continue
    await mkdir(incoming, { recursive: true })
    await mkdir(dirname(target), { recursive: true })
    const temp = join(incoming, randomUUID())
    try {
      await store.download(key, temp)
      // a native file beside a generation's Parquet was built from the local copy this replaces
      if (key.endsWith('/part.parquet')) await rm(nativeBeside(target), { force: true })
      await rename(temp, target)
    } finally {
      await rm(temp, { force: true })
    }
  }
  return listed
}

/**
 * Before a DuckDB query: one LIST per dataset the query reads, under the tenant's prefix; only the
 * files a reader uses (the newest generation and the day files after it) are downloaded, and those
 * are what the query reads — never a local file the store no longer lists (one an interrupted round
 * published and the resumed round discarded, or garbage of a compaction).
 */
export async function syncTenant(
  store: ObjectStore,
  dir: string,
  tenantId: string,
  datasets: readonly DatasetName[],
): Promise<TenantFiles> {
  const files: TenantFiles = {}
  for (const d of new Set(datasets)) {
    const prefix = `${d}/tenant_id=${tenantId}/`
    const current = (keys: readonly string[]) =>
      selectCurrent(keys.map((k) => k.slice(prefix.length))).map((p) => prefix + p)
    const listed = await syncDown(store, dir, prefix, current)
    files[d] = current(listed.map((o) => o.key)).map((k) => join(dir, ...k.split('/')))
  }
  return files
}
