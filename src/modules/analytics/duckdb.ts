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
  return DuckDBInstance.create(':memory:', config)
}
