import type { DatasetName } from '../datasets.js'
import type { Dialect } from '../dialect.js'
import { COMMON_PARAMS, type ParamSpecs } from '../params.js'

/** A parameterised fraud query, written once over the dialect helpers and run by either engine. */
export interface FraudQuery {
  readonly name: string
  readonly description: string
  readonly datasets: readonly DatasetName[]
  readonly params: ParamSpecs
  /** The SQL text; its result rows are fully ordered, so both engines return the same list. */
  sql(d: Dialect): string
}

export function defineQuery(q: Omit<FraudQuery, 'params'> & { params: ParamSpecs }): FraudQuery {
  return { ...q, params: { ...q.params, ...COMMON_PARAMS } }
}

/** `x >= :from AND x < :to` */
export const inPeriod = (d: Dialect, expr: string): string =>
  `${expr} >= ${d.param('from')} AND ${expr} < ${d.param('to')}`
