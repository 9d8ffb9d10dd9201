import { join } from 'node:path'
import { analyticsError } from './analytics.errors.js'
import { currentFiles, isCompactedFile, onlyCompacted } from './compaction.js'
import {
  DATASETS,
  datasetNamed,
  duckType,
  parquetColumns,
  type DatasetName,
  type ProjectionName,
} from './datasets.js'

/** Tenant ids become directory names; anything else could walk out of the tenant's partition. */
const SAFE_TENANT = /^[A-Za-z0-9_-]{1,128}$/

export function assertPartitionSafe(tenantId: string): void {
  if (!SAFE_TENANT.test(tenantId)) throw analyticsError('ANALYTICS_INVALID_TENANT', JSON.stringify(tenantId))
}

const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`

/** One tenant's files of a dataset a reader uses: the newest compacted generation and the day files after it. */
export function tenantFiles(dir: string, tenantId: string, name: DatasetName): string[] {
  assertPartitionSafe(tenantId)
  return currentFiles(join(dir, name, `tenant_id=${tenantId}`))
}

/** Where a DuckDB query may read a projection: the attached native file of the generation in `files`. */
export interface NativeSource {
  /** The alias of the attached native file of the compacted generation among the files. */
  readonly alias: string
  readonly projection: ProjectionName
}

/**
 * DuckDB relation over one tenant's Parquet files of a dataset (`files`, or those the directory holds): the path is the tenant scope (the
 * files hold no other tenant's rows). Datasets whose rows change keep the latest version per key.
 * With `native`, the compacted generation is read from that projection's table of its native file
 * (ADR 1202) and the day files after it from Parquet: the projection's columns only.
 */
export function duckdbSource(
  dir: string,
  tenantId: string,
  name: DatasetName,
  files?: readonly string[],
  native?: NativeSource,
): string {
  assertPartitionSafe(tenantId)
  const d = datasetNamed(name)
  // The newest compacted generation and the day files after it (compaction.ts): never a row twice.
  // A mirror of object storage gives the files its store lists (ADR 1201), not what its directory holds.
  const list = files ?? currentFiles(join(dir, name, `tenant_id=${tenantId}`))
  const projection = native && d.projections?.find((p) => p.name === native.projection)
  if (projection && list.some(isCompactedFile)) {
    const cols = projection.columns.join(', ')
    const table = `${native.alias}.${projection.name}`
    const days = list.filter((f) => !isCompactedFile(f))
    // the generation alone holds one version per key: no dedup, as for its Parquet file
    if (days.length === 0) return table
    const both = `SELECT ${cols} FROM ${table} UNION ALL SELECT ${cols} FROM read_parquet([${days.map(quote).join(', ')}], hive_partitioning = false)`
    if (!d.key) return `(${both})`
    return `(SELECT * FROM (${both}) QUALIFY row_number() OVER (PARTITION BY ${d.key.join(', ')} ORDER BY analytics_seq DESC) = 1)`
  }
  if (list.length === 0) {
    const cols = parquetColumns(d).map((c) => `CAST(NULL AS ${duckType(c.type)}) AS ${c.name}`)
    return `(SELECT ${cols.join(', ')} WHERE false)`
  }
  const parquet = `read_parquet([${list.map(quote).join(', ')}], hive_partitioning = false)`
  if (!d.key || onlyCompacted(list)) return parquet
  return `(SELECT * FROM ${parquet} QUALIFY row_number() OVER (PARTITION BY ${d.key.join(', ')} ORDER BY analytics_seq DESC) = 1)`
}

/** PostgreSQL relation with the same columns, read from the source table for one tenant. */
export function postgresSource(name: DatasetName, tenantParam: string): string {
  const d = DATASETS.find((x) => x.name === name)!
  const cols = parquetColumns(d).map(
    (c) => `${/^\w+$/.test(c.source) ? `s.${c.source}` : c.source} AS ${c.name}`,
  )
  return `(SELECT ${cols.join(', ')} FROM ${d.table} s WHERE s.tenant_id = ${tenantParam})`
}
