import type { DatasetName, ProjectionName } from './datasets.js'
import type { ParamSpecs } from './params.js'

export type EngineName = 'duckdb' | 'postgres'

/**
 * What differs between the two engines in a fraud query's SQL. A query is written once against
 * these helpers; each engine then runs plain SQL of its own (the PostgreSQL text uses the source
 * tables and their indexes, the DuckDB text the tenant's Parquet files).
 */
export interface Dialect {
  readonly engine: EngineName
  /**
   * A relation with the dataset's Parquet columns, already limited to the caller's tenant. With a
   * projection, only that projection's columns may be used: DuckDB then reads its sorted table in
   * the generation's native file when there is one (ADR 1202); PostgreSQL ignores it (its indexes
   * play that part).
   */
  source(name: DatasetName, projection?: ProjectionName): string
  /**
   * True when `source(name, projection)` is that projection's native table alone, stored in its
   * `Projection.order` (ADR 1202, session 17): a window `OVER ()` over a plain scan of it then
   * streams the rows in that order, so `lag(x, k) OVER ()` is the k-th previous row of the sort —
   * without a partitioned sort. False on PostgreSQL, over Parquet, and beside later day files.
   */
  sorted(name: DatasetName, projection: ProjectionName): boolean
  /** A typed placeholder for parameter `name`. */
  param(name: string): string
  /** An instant as `YYYY-MM-DDTHH:MM:SS.ffffffZ` text, identical on both engines. */
  iso(expr: string): string
  /** `YYYY-MM` of an instant (UTC). */
  month(expr: string): string
  /** Integer division of two integers, truncating. */
  idiv(a: string, b: string): string
  /** An interval of `expr` minutes / days (expr an integer). */
  minutes(expr: string): string
  days(expr: string): string
  /** Text compared and ordered byte-wise (PostgreSQL's collation would order it otherwise). */
  bytes(expr: string): string
}

/** Builds the PostgreSQL dialect; `bind` receives parameter names in placeholder order. */
export function postgresDialect(
  specs: ParamSpecs,
  sources: (name: DatasetName) => string,
): Dialect & { readonly order: string[] } {
  const order: string[] = []
  return {
    engine: 'postgres',
    order,
    source: (name) => sources(name),
    sorted: () => false,
    param(name) {
      let i = order.indexOf(name)
      if (i < 0) i = order.push(name) - 1
      const type = specs[name]?.type
      const n = `$${i + 1}`
      if (type === undefined) return `${n}::text` // the tenant
      return type === 'timestamp'
        ? `(${n}::timestamp AT TIME ZONE 'UTC')`
        : type === 'int'
          ? `${n}::int`
          : `${n}::bigint`
    },
    iso: (e) => `to_char((${e}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    month: (e) => `to_char((${e}) AT TIME ZONE 'UTC', 'YYYY-MM')`,
    idiv: (a, b) => `((${a})::bigint / (${b})::bigint)`,
    minutes: (e) => `make_interval(mins => (${e})::int)`,
    days: (e) => `make_interval(days => (${e})::int)`,
    bytes: (e) => `(${e}) COLLATE "C"`,
  }
}

export function duckdbDialect(
  specs: ParamSpecs,
  sources: (name: DatasetName, projection?: ProjectionName) => string,
  sorted: (name: DatasetName, projection: ProjectionName) => boolean = () => false,
): Dialect {
  return {
    engine: 'duckdb',
    source: sources,
    sorted,
    param(name) {
      const type = specs[name]?.type
      return `CAST($${name} AS ${type === 'timestamp' ? 'TIMESTAMP' : type === 'int' ? 'INTEGER' : 'BIGINT'})`
    },
    iso: (e) => `strftime(${e}, '%Y-%m-%dT%H:%M:%S.%fZ')`,
    month: (e) => `strftime(${e}, '%Y-%m')`,
    idiv: (a, b) => `((${a})::BIGINT // (${b})::BIGINT)`,
    minutes: (e) => `to_minutes((${e})::BIGINT)`,
    days: (e) => `to_days((${e})::INTEGER)`,
    bytes: (e) => e,
  }
}
