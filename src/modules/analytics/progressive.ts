import type { ParamValue } from './params.js'

/**
 * Top-N-by-time queries answered from growing time windows (FraudQuery.timePrefix). PostgreSQL
 * answers "the first `limit` rows in time order" by walking its (tenant_id, at) index and stopping;
 * a plain DuckDB plan computes every row of the period and then keeps `limit`. For a query whose
 * rows before T are the same whether the period ends at T or later, the window [from, T) returns the
 * exact first rows of the whole answer, so it is enough to run [from, T) for growing T until a window
 * fills `limit` (or reaches `to`). On a compacted file sorted by time within its bands, DuckDB then
 * reads only the row groups before T. The answer is the same rows for any data; only the work differs.
 */

/** Microseconds since the epoch: the first and last instant of the rows in [from, to). */
export interface TimeRange {
  readonly lo: bigint
  readonly hi: bigint
  /**
   * When the query names its candidates (rows every answer is one of, FraudQuery.timePrefix) and
   * lo/hi are theirs: the instant of the `limit`-th candidate in time order, or null when there are
   * fewer than `limit`. No window ending before it can hold `limit` answers, so the first window
   * ends just after it; with fewer candidates than `limit`, every answer is wanted.
   */
  readonly nth?: bigint | null
}

export interface TimeWindows<R> {
  /** The rows' (or candidates') time range in [from, to), or null: none. */
  range(): Promise<TimeRange | null>
  /** The query's rows with `to` replaced. */
  run(to: string): Promise<readonly R[]>
}

/** Without candidates (TimeRange.nth), the first window covers this fraction of the data's time range. */
const FIRST_FRACTION = 64n
/** Growth of a window that came back short: extrapolated from what it found, within [2, 16]. */
const MIN_GROWTH = 2
const MAX_GROWTH = 16

export async function firstRowsByTime<R>(
  params: Readonly<Record<string, ParamValue>>,
  w: TimeWindows<R>,
): Promise<readonly R[]> {
  const limit = Number(params['limit'])
  const to = String(params['to'])
  const range = await w.range()
  if (!range || range.nth === null) return w.run(to)
  const { lo, hi, nth } = range
  let span = nth === undefined ? (hi - lo) / FIRST_FRACTION + 1n : nth - lo + 1n
  for (;;) {
    const end = lo + span
    // past the last row, the window is the whole period: run it as asked
    if (end > hi || end >= microsOf(to)) return w.run(to)
    const rows = await w.run(literalOf(end))
    if (rows.length >= limit) return rows
    const wanted = rows.length === 0 ? MAX_GROWTH : Math.ceil((1.5 * limit) / rows.length)
    span *= BigInt(Math.min(MAX_GROWTH, Math.max(MIN_GROWTH, wanted)))
  }
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (params.ts's instant literal, UTC) → microseconds since the epoch. */
export function microsOf(literal: string): bigint {
  const ms = Date.parse(`${literal.slice(0, 23).replace(' ', 'T')}Z`)
  return BigInt(ms) * 1000n + BigInt(literal.slice(23, 26) || '0')
}

/** Microseconds since the epoch → `YYYY-MM-DD HH:MM:SS.ffffff`. */
export function literalOf(us: bigint): string {
  const micros = ((us % 1000n) + 1000n) % 1000n
  const iso = new Date(Number((us - micros) / 1000n)).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(micros).padStart(3, '0')}`
}
