import type { DuckDBInstance } from '@duckdb/node-api'
import { CompiledQuery } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { duckdbDialect, postgresDialect, type EngineName } from './dialect.js'
import { resolveParams, type ParamSpec, type ParamValue } from './params.js'
import { datasetNamed, type DatasetName, type ProjectionName } from './datasets.js'
import { isCompactedFile } from './compaction.js'
import { leaseNative, nativeBeside, type NativeLease } from './native.js'
import { firstRowsByTime } from './progressive.js'
import { FRAUD_QUERIES, fraudQuery } from './queries/catalogue.js'
import type { FraudQuery } from './queries/query.js'
import { assertPartitionSafe, duckdbSource, postgresSource, tenantFiles } from './sources.js'

/** A result cell: integers as decimal strings (house rule for amounts), text, non-integral doubles, or null. */
export type Cell = string | number | boolean | null
export type ResultRow = Record<string, Cell>

export interface QueryResult {
  readonly query: string
  readonly engine: EngineName
  readonly params: Readonly<Record<string, string>>
  /** Batches of rows as the engine produces them (DuckDB streams; PostgreSQL returns one batch). */
  readonly batches: AsyncIterable<readonly ResultRow[]>
}

export interface QuerySummary {
  readonly name: string
  readonly description: string
  readonly params: Readonly<Record<string, ParamSpec>>
}

export interface FraudQueries {
  list(): readonly QuerySummary[]
  /** Runs `name` for `tenantId` only. Errors: ANALYTICS_UNKNOWN_QUERY · ANALYTICS_INVALID_PARAMS · ANALYTICS_INVALID_TENANT. */
  run(
    name: string,
    tenantId: string,
    params: Readonly<Record<string, unknown>>,
    engine?: EngineName,
  ): Promise<QueryResult>
}

export interface FraudQueriesDeps {
  readonly db: Db
  /** Opened on first use (see analytics.service.ts). */
  readonly duck: () => Promise<DuckDBInstance>
  /** The Parquet directory the export writes. */
  readonly dir: string
  /**
   * Runs before a DuckDB query, with the datasets the query reads: the object-store mirror brings the
   * tenant's files down and says which to read (ADR 1201). Its failure rejects the query.
   */
  readonly beforeDuck?: (tenantId: string, datasets: readonly DatasetName[]) => Promise<TenantFiles>
  /** Read the Parquet files only, never a generation's native file (the bench's A/B; tests). */
  readonly parquetOnly?: boolean
}

/** Local files to read per dataset, instead of listing the directory. */
export type TenantFiles = Partial<Record<DatasetName, readonly string[]>>

export function createFraudQueries(deps: FraudQueriesDeps): FraudQueries {
  return {
    list: listFraudQueries,
    run(name, tenantId, raw, engine = 'duckdb') {
      // Validation errors reject (not throw): callers await one promise either way.
      try {
        const q = fraudQuery(name)
        const params = resolveParams(q.params, raw)
        assertPartitionSafe(tenantId)
        const shown = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]))
        const result = (files?: TenantFiles): QueryResult => ({
          query: name,
          engine,
          params: shown,
          batches:
            engine === 'duckdb'
              ? runDuck(deps, q, tenantId, params, files)
              : runPostgres(deps.db, q, tenantId, params),
        })
        return engine === 'duckdb' && deps.beforeDuck
          ? deps.beforeDuck(tenantId, q.datasets).then(result)
          : Promise.resolve(result())
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)))
      }
    },
  }
}

export const listFraudQueries = (): readonly QuerySummary[] =>
  FRAUD_QUERIES.map((q) => ({ name: q.name, description: q.description, params: q.params }))

async function* runDuck(
  deps: FraudQueriesDeps,
  q: FraudQuery,
  tenantId: string,
  params: Record<string, ParamValue>,
  files: TenantFiles | undefined,
): AsyncIterable<ResultRow[]> {
  const duck = await deps.duck()
  // The files of each dataset, listed once for the whole query (every reference to a dataset reads
  // the same generation), and the native file of its compacted generation, attached if there is one.
  const lists = new Map<DatasetName, readonly string[]>()
  const leases = new Map<DatasetName, NativeLease>()
  const conn = await duck.connect()
  try {
    for (const ds of new Set(q.datasets)) {
      const list = files?.[ds] ?? tenantFiles(deps.dir, tenantId, ds)
      lists.set(ds, list)
      const generation = list.find(isCompactedFile)
      if (generation && datasetNamed(ds).projections?.length && !deps.parquetOnly)
        leases.set(ds, await leaseNative(duck, nativeBeside(generation), datasetNamed(ds)))
    }
    const source = (ds: DatasetName, projection?: ProjectionName) => {
      const alias = leases.get(ds)?.alias
      return duckdbSource(
        deps.dir,
        tenantId,
        ds,
        lists.get(ds),
        alias && projection ? { alias, projection } : undefined,
      )
    }
    // the projection's native table alone (no later day files): its scan can stream in its order
    const sorted = (ds: DatasetName, projection: ProjectionName) => {
      const lease = leases.get(ds)
      return !!lease?.alias && lease.sorted.has(projection) && (lists.get(ds) ?? []).every(isCompactedFile)
    }
    const text = q.sql(duckdbDialect(q.params, source, sorted))
    const bound = (p: Record<string, ParamValue>, sql: string) =>
      Object.fromEntries(Object.entries(p).filter(([k]) => sql.includes(`$${k}`)))
    if (!q.timePrefix) {
      const result = await conn.stream(text, bound(params, text))
      for await (const rows of result.yieldRowObjectJs()) yield rows.map(normaliseRow)
      return
    }
    const { dataset, column, projection, candidates } = q.timePrefix
    const inRange = `${column} >= CAST($from AS TIMESTAMP) AND ${column} < CAST($to AS TIMESTAMP)`
    // With candidates, their range and the instant of the limit-th one (null: fewer than limit),
    // read from the candidates only; without, the range of every row's time.
    const rangeSql = candidates
      ? `WITH c AS (SELECT ${column} AS instant FROM ${source(dataset, projection)} t
          WHERE (${candidates(duckdbDialect(q.params, source, sorted))}) AND ${inRange})
        SELECT epoch_us(min(instant)) AS lo, epoch_us(max(instant)) AS hi,
          (SELECT epoch_us(instant) FROM c ORDER BY instant LIMIT 1 OFFSET CAST($limit AS INTEGER) - 1) AS nth FROM c`
      : `SELECT epoch_us(min(${column})) AS lo, epoch_us(max(${column})) AS hi FROM ${source(dataset, projection)} t
      WHERE ${inRange}`
    yield [
      ...(await firstRowsByTime(params, {
        async range() {
          const r = await conn.runAndReadAll(rangeSql, bound(params, rangeSql))
          const [lo, hi, nth] = r.getRows()[0] ?? []
          if (typeof lo !== 'bigint' || typeof hi !== 'bigint') return null
          return candidates ? { lo, hi, nth: typeof nth === 'bigint' ? nth : null } : { lo, hi }
        },
        async run(to) {
          const r = await conn.runAndReadAll(text, bound({ ...params, to }, text))
          return r.getRowObjectsJS().map(normaliseRow)
        },
      })),
    ]
  } finally {
    conn.closeSync()
    for (const l of leases.values()) l.release()
  }
}

async function* runPostgres(
  db: Db,
  q: ReturnType<typeof fraudQuery>,
  tenantId: string,
  params: Record<string, ParamValue>,
): AsyncIterable<ResultRow[]> {
  const d = postgresDialect(q.params, (ds) => postgresSource(ds, d.param('tenant')))
  const text = q.sql(d)
  const values = d.order.map((k) => (k === 'tenant' ? tenantId : String(params[k])))
  const r = await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, values))
  yield r.rows.map(normaliseRow)
}

export function normaliseRow(row: Record<string, unknown>): ResultRow {
  const out: ResultRow = {}
  for (const [k, v] of Object.entries(row)) out[k] = normaliseCell(v)
  return out
}

function normaliseCell(v: unknown): Cell {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint') return v.toString()
  // PGlite hands int8 over as a number: integers become strings on both engines alike
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v
  if (typeof v === 'string' || typeof v === 'boolean') return v
  if (v instanceof Date) return v.toISOString()
  return JSON.stringify(v)
}
