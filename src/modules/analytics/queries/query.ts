import type { DatasetName, ProjectionName } from '../datasets.js'
import type { Dialect } from '../dialect.js'
import { COMMON_PARAMS, type ParamSpecs } from '../params.js'

/** A parameterised fraud query, written once over the dialect helpers and run by either engine. */
export interface FraudQuery {
  readonly name: string
  readonly description: string
  readonly datasets: readonly DatasetName[]
  readonly params: ParamSpecs
  /**
   * Set when the rows are ordered by `column` first and running the query with an earlier `to`
   * returns exactly the rows before it: DuckDB may then answer from growing time windows and stop
   * at the first that fills `limit` (progressive.ts), as PostgreSQL walks a time index and stops.
   */
  readonly timePrefix?: {
    readonly dataset: DatasetName
    readonly column: string
    /** The projection the query reads the dataset through (see Dialect.source). */
    readonly projection?: ProjectionName
    /**
     * A condition on the dataset's columns that every answer row meets (its candidates, e.g. the
     * amount threshold): the first window then ends just after the `limit`-th candidate instead of
     * at a fixed fraction of the period, and the range is read from the candidates alone (the top
     * amount bands) instead of every row's time (progressive.ts).
     */
    readonly candidates?: (d: Dialect) => string
  }
  /** The SQL text; its result rows are fully ordered, so both engines return the same list. */
  sql(d: Dialect): string
}

export function defineQuery(q: Omit<FraudQuery, 'params'> & { params: ParamSpecs }): FraudQuery {
  return { ...q, params: { ...q.params, ...COMMON_PARAMS } }
}

/** `x >= :from AND x < :to` */
export const inPeriod = (d: Dialect, expr: string): string =>
  `${expr} >= ${d.param('from')} AND ${expr} < ${d.param('to')}`
