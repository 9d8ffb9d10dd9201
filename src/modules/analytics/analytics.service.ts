import type { DuckDBInstance } from '@duckdb/node-api'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type pg from 'pg'
import type { Db } from '../../shared/db/connect.js'
import type { EngineName } from './dialect.js'
import { openDuckDb, type DuckOptions } from './duckdb.js'
import { analyticsError, storageFailure } from './analytics.errors.js'
import { compactAll } from './compaction.js'
import { createExportStore, type ExportCursor } from './export.store.js'
import { createAnalyticsExporter, type ExportRound } from './exporter.js'
import { createFraudQueries, listFraudQueries, type QueryResult, type QuerySummary } from './query.service.js'
import { compactMirrored } from './object-store/mirror-compaction.js'
import { mirroredSink, syncTenant } from './object-store/mirror.js'
import type { ObjectStore } from './object-store/object-store.js'
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
   * The durable copy, when configured (`s3://bucket/prefix`, ADR 1201): exports upload to it, queries
   * and compaction bring the tenant's files down into `dir` first, which is then only a mirror that
   * DuckDB reads. Its failures are ANALYTICS_STORAGE_FAILED; there is no fallback to `dir` alone.
   */
  readonly objectStore?: ObjectStore | undefined
  /** The export cursor's key (default 'default'); tests give their own. */
  readonly exportKey?: string
}

export function createAnalytics(deps: AnalyticsDeps): Analytics {
  // DuckDB opens on first use: commands and processes that never query pay nothing for it.
  let duck: Promise<DuckDBInstance> | undefined
  const getDuck = () => (duck ??= openDuckDb(deps.duck))
  const store = deps.objectStore
  const local = localSink(deps.dir)
  const sink = deps.sink ?? (store ? mirroredSink(store, local) : local)
  const stagingDir = deps.stagingDir ?? join(deps.dir, '_staging')
  const exportKey = deps.exportKey ?? 'default'
  const queries = createFraudQueries({
    db: deps.db,
    duck: getDuck,
    dir: deps.dir,
    ...(store ? { beforeDuck: (tenant, datasets) => syncTenant(store, deps.dir, tenant, datasets) } : {}),
  })
  const cursor = createExportStore(deps.db, exportKey)
  return {
    dir: deps.dir,
    queries: listFraudQueries,
    query: (name, tenantId, params, engine = 'duckdb') => queries.run(name, tenantId, params, engine),
    async exportOnce(onProgress) {
      const exporter = createAnalyticsExporter({
        db: deps.db,
        pool: deps.pool,
        duck: await getDuck(),
        sink,
        stagingDir,
        exportKey,
        ...(onProgress ? { onProgress } : {}),
      })
      return exporter.exportOnce()
    },
    exportStatus: () => cursor.read(),
    async compact() {
      const owner = `cmp_${randomUUID()}`
      const c = await cursor.acquire(owner, 600_000)
      if (!c) throw analyticsError('ANALYTICS_EXPORT_BUSY')
      try {
        const duckdb = await getDuck()
        const files = store
          ? await compactMirrored(store, duckdb, deps.dir, c.watermark)
          : await compactAll(duckdb, deps.dir, c.watermark)
        return { upTo: c.watermark, files }
      } catch (e) {
        throw storageFailure('compaction', e)
      } finally {
        await cursor.release(owner)
      }
    },
    close() {
      if (duck) void duck.then((d) => d.closeSync())
      store?.close()
    },
  }
}
