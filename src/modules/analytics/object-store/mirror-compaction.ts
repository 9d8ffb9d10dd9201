import type { DuckDBInstance } from '@duckdb/node-api'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { compactAll } from '../compaction.js'
import { DATASETS } from '../datasets.js'
import { nativeBeside } from '../native.js'
import { isLayoutKey, keyOf, syncDown } from './mirror.js'
import type { ObjectStore } from './object-store.js'

/** A tenant directory's layout files: key → size. */
function layoutFiles(dir: string, tenantDir: string): Map<string, number> {
  const out = new Map<string, number>()
  if (!existsSync(tenantDir)) return out
  for (const n of readdirSync(tenantDir)) {
    const sub = join(tenantDir, n)
    if (!statSync(sub).isDirectory()) continue
    for (const f of readdirSync(sub)) {
      const key = keyOf(relative(dir, join(sub, f)))
      if (isLayoutKey(key)) out.set(key, statSync(join(sub, f)).size)
    }
  }
  return out
}

/**
 * Compaction of a mirrored directory (ADR 1201), under the export lease. The mirror first becomes the
 * store's copy: every remote file of every dataset (the garbage too, so the local compaction deletes
 * what the store holds) and no local file the store lacks. Each tenant is compacted locally as without
 * a store; then the generation it wrote is uploaded, before the store loses exactly the keys the local
 * compaction deleted — never "whatever the mirror lacks", so objects of other writers stay. A failure
 * leaves the store as before plus whole new files; the next compaction starts again from the store.
 */
export async function compactMirrored(
  store: ObjectStore,
  duck: DuckDBInstance,
  dir: string,
  upTo: bigint,
): Promise<Record<string, number>> {
  const remote = new Map<string, number>()
  for (const d of DATASETS) {
    for (const o of await syncDown(store, dir, `${d.name}/`)) remote.set(o.key, o.size)
    // A local file the store does not list (discarded by a resumed round, deleted by another node's
    // compaction, a generation whose upload failed) would otherwise be folded into the new generation.
    const datasetDir = join(dir, d.name)
    if (!existsSync(datasetDir)) continue
    for (const t of readdirSync(datasetDir))
      for (const key of layoutFiles(dir, join(datasetDir, t)).keys())
        if (!remote.has(key)) {
          await rm(join(dir, key), { force: true })
          // and the native file derived from a generation the store does not hold (ADR 1202)
          if (key.endsWith('/part.parquet')) await rm(nativeBeside(join(dir, key)), { force: true })
        }
  }
  return compactAll(duck, dir, upTo, async (tenantDir, compact) => {
    const before = layoutFiles(dir, tenantDir)
    const r = await compact()
    const after = layoutFiles(dir, tenantDir)
    // every generation not in the store as it is here: after the pruning above, the one just written
    for (const [key, size] of after)
      if (key.includes('/compacted=') && remote.get(key) !== size) await store.upload(join(dir, key), key)
    const deleted = [...before.keys()].filter((k) => !after.has(k))
    if (deleted.length > 0) await store.remove(deleted)
    return r
  })
}
