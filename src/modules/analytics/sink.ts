import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { DATASETS } from './datasets.js'

/**
 * Where published Parquet files go. `put` must be idempotent per key (a resumed round puts the same
 * file again) and must move the file out of staging, so a resumed publish only handles the rest.
 */
export interface ParquetSink {
  readonly kind: string
  put(stagedFile: string, key: string): Promise<void>
  /**
   * Removes what an interrupted attempt at round `high` may have published, before the round is
   * staged again from the database under new file names (staging.ts): a file of the first attempt
   * left beside them would hold its rows twice.
   */
  discard(high: bigint): Promise<void>
}

/** The local directory DuckDB queries. A rename within one filesystem: atomic, and a repeat overwrites. */
export function localSink(dir: string): ParquetSink {
  return {
    kind: 'local',
    async put(stagedFile, key) {
      const target = join(dir, key)
      await mkdir(dirname(target), { recursive: true })
      await rename(stagedFile, target)
    },
    async discard(high) {
      for (const f of await roundFiles(dir, high)) await rm(f, { force: true })
    },
  }
}

/** Day files of round `high` under `dir` (`<dataset>/tenant_id=<t>/day=<d>/run-<high>_*.parquet`). */
async function roundFiles(dir: string, high: bigint): Promise<string[]> {
  const out: string[] = []
  const run = new RegExp(`^run-${high}_\\d+\\.parquet$`)
  for (const d of DATASETS) {
    const datasetDir = join(dir, d.name)
    if (!existsSync(datasetDir)) continue
    for (const t of await readdir(datasetDir))
      if (t.startsWith('tenant_id='))
        for (const day of await readdir(join(datasetDir, t)))
          if (day.startsWith('day='))
            for (const f of await readdir(join(datasetDir, t, day)))
              if (run.test(f)) out.push(join(datasetDir, t, day, f))
  }
  return out
}
