import { mkdir, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/**
 * Where published Parquet files go. `put` must be idempotent per key (a resumed round puts the same
 * file again) and must move the file out of staging, so a resumed publish only handles the rest.
 */
export interface ParquetSink {
  readonly kind: string
  put(stagedFile: string, key: string): Promise<void>
  /**
   * Removes what an interrupted attempt at round `high` may have published, before the round is
   * staged again from the database: a new staging can split a partition into other files, and a file
   * of the first attempt left beside them would hold its rows twice. Absent: nothing can be left (the
   * local directory only ever receives a round from its own staging, which a resumed round reuses).
   */
  discard?(high: bigint): Promise<void>
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
  }
}
