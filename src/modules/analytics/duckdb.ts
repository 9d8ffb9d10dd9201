import { DuckDBInstance } from '@duckdb/node-api'

export interface DuckOptions {
  /** Worker threads DuckDB may use (default: its own choice, one per core). */
  readonly threads?: number | undefined
  /** e.g. '2GB'; DuckDB spills to disk beyond it. */
  readonly memoryLimit?: string | undefined
}

/** One in-process DuckDB (in memory: the data lives in Parquet files, not in a DuckDB database). */
export async function openDuckDb(opts: DuckOptions = {}): Promise<DuckDBInstance> {
  const config: Record<string, string> = {}
  if (opts.threads) config['threads'] = String(opts.threads)
  if (opts.memoryLimit) config['memory_limit'] = opts.memoryLimit
  const duck = await DuckDBInstance.create(':memory:', config)
  // Parquet footers stay cached in the long-lived instance, so a query does not re-read the metadata
  // of every file of a partition each time (a file that changes is noticed by its modification time).
  // Set once the statically linked parquet extension is loaded: it cannot be given at create.
  const conn = await duck.connect()
  try {
    await conn.run('SET parquet_metadata_cache = true')
  } finally {
    conn.closeSync()
  }
  return duck
}
