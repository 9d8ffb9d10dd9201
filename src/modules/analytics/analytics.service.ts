import type { DuckDBInstance } from '@duckdb/node-api'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type pg from 'pg'
import type { Db } from '../../shared/db/connect.js'
import type { EngineName } from './dialect.js'
import { openDuckDb, type DuckOptions } from './duckdb.js'
import { analyticsError } from './analytics.errors.js'
import { compactAll } from './compaction.js'
import { createExportStore, type ExportCursor } from './export.store.js'
import { createAnalyticsExporter, type ExportRound } from './exporter.js'
import { createFraudQueries, listFraudQueries, type QueryResult, type QuerySummary } from './query.service.js'
import { localSink, type ParquetSink } from './sink.js'

/** Fraud analytics: the Parquet export and the query library over it (docs/analytics.md). */
export interface Analytics {
  readonly dir: string
  queries(): readonly QuerySummary[]
  /** Errors: ANALYTICS_UNKNOWN_QUERY · ANALYTICS_INVALID_PARAMS · ANALYTICS_INVALID_TENANT. */
  query(
    name: string,
    tenantId: string,
    params: Readonly<Record<string, unknown>>,
    engine?: EngineName,
  ): Promise<QueryResult>
  /** One export round. Errors: ANALYTICS_EXPORT_BUSY · ANALYTICS_STORAGE_FAILED. */
  exportOnce(onProgress?: (rows: number) => void): Promise<ExportRound>
  exportStatus(): Promise<ExportCursor | null>
  /**
   * Folds every tenant's exported day files into one sorted file per tenant and dataset, up to the
   * committed watermark, under the export lease (compaction.ts). Errors: ANALYTICS_EXPORT_BUSY ·
   * ANALYTICS_STORAGE_FAILED.
   */
  compact(): Promise<{ readonly upTo: bigint; readonly files: Readonly<Record<string, number>> }>
  close(): void
}

export interface AnalyticsDeps {
  readonly db: Db
  /** A server's pool: the export streams rows with COPY TO STDOUT (absent on PGlite). */
  readonly pool?: pg.Pool | undefined
  /** Where the Parquet files live (and DuckDB reads them). */
  readonly dir: string
  /** Defaults to `<dir>/_staging` (same filesystem: publishing is a rename). */
  readonly stagingDir?: string
  /** Where files are published; default the local directory. An S3 mirror wraps it. */
  readonly sink?: ParquetSink
  readonly duck?: DuckOptions
  /**
   * Object storage asked for by configuration (`s3://bucket/prefix`). Reading and writing it needs
   * DuckDB's httpfs extension, which @duckdb/node-api does not bundle (it is downloaded by
   * `INSTALL httpfs`): until it is present, every export and query refuses with
   * ANALYTICS_STORAGE_FAILED rather than silently writing to the local directory.
   */
  readonly objectStorage?: string | undefined
}

export function createAnalytics(deps: AnalyticsDeps): Analytics {
  // DuckDB opens on first use: commands and processes that never query pay nothing for it.
  let duck: Promise<DuckDBInstance> | undefined
  const getDuck = () => (duck ??= openDuckDb(deps.duck))
  const sink = deps.sink ?? localSink(deps.dir)
  const stagingDir = deps.stagingDir ?? join(deps.dir, '_staging')
  const queries = createFraudQueries({ db: deps.db, duck: getDuck, dir: deps.dir })
  const cursor = createExportStore(deps.db, 'default')
  const storageMissing = () =>
    analyticsError(
      'ANALYTICS_STORAGE_FAILED',
      `${deps.objectStorage} needs DuckDB's httpfs extension, which is not bundled with @duckdb/node-api and is not installed here`,
    )
  return {
    dir: deps.dir,
    queries: listFraudQueries,
    query: (name, tenantId, params, engine = 'duckdb') =>
      deps.objectStorage && engine === 'duckdb'
        ? Promise.reject(storageMissing())
        : queries.run(name, tenantId, params, engine),
    async exportOnce(onProgress) {
      if (deps.objectStorage) throw storageMissing()
      const exporter = createAnalyticsExporter({
        db: deps.db,
        pool: deps.pool,
        duck: await getDuck(),
        sink,
        stagingDir,
        ...(onProgress ? { onProgress } : {}),
      })
      return exporter.exportOnce()
    },
    exportStatus: () => cursor.read(),
    async compact() {
      if (deps.objectStorage) throw storageMissing()
      const owner = `cmp_${randomUUID()}`
      const c = await cursor.acquire(owner, 600_000)
      if (!c) throw analyticsError('ANALYTICS_EXPORT_BUSY')
      try {
        return { upTo: c.watermark, files: await compactAll(await getDuck(), deps.dir, c.watermark) }
      } catch (e) {
        throw analyticsError('ANALYTICS_STORAGE_FAILED', 'compaction', e)
      } finally {
        await cursor.release(owner)
      }
    },
    close() {
      if (duck) void duck.then((d) => d.closeSync())
    },
  }
}
