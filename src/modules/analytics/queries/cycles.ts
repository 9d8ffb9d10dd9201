import type { Dialect } from '../dialect.js'
import { defineQuery, inPeriod } from './query.js'

/**
 * Money that comes back: A→B, B→C, C→A, each at least min_amount, the three within max_days of the
 * first. Each cycle is reported once, from its byte-wise smallest account (the other two rotations
 * are the same cycle).
 */
export const shortCycles = defineQuery({
  name: 'short_cycles',
  description: 'Three-hop cycles A→B→C→A of transfers ≥ min_amount completed within max_days',
  datasets: ['transactions'],
  params: {
    max_days: { type: 'int', default: 7, min: 1, max: 366, doc: 'the whole cycle within this many days' },
    min_amount: { type: 'bigint', default: 100_000n, min: 1n, doc: 'each hop at least this (minor units)' },
  },
  sql: (d: Dialect) => {
    const span = d.days(d.param('max_days'))
    const min = d.param('min_amount')
    const src = d.source('transactions', 'by_amount')
    const period = inPeriod(d, 't1.occurred_at')
    // Every hop is a large transfer: pick those out once (one scan, which reads only the top amount
    // bands of a compacted file) and join that small set three times, instead of three full scans.
    // Hops two and three start within [from, to + max_days). Both engines are faster with the set
    // materialised (PostgreSQL at 1M: ~90 ms against ~120–160 ms inlined or as the old self-join).
    return `
WITH big AS MATERIALIZED (
  SELECT src, dst, occurred_at, amount FROM ${src} t
  WHERE amount >= ${min} AND occurred_at >= ${d.param('from')} AND occurred_at < ${d.param('to')} + ${span}
)
SELECT t1.src AS a, t1.dst AS b, t2.dst AS c, count(*) AS cycles,
       ${d.iso('min(t1.occurred_at)')} AS first_started_at,
       CAST(sum(t1.amount + t2.amount + t3.amount) AS BIGINT) AS total
FROM big t1
JOIN big t2 ON t2.src = t1.dst AND t2.occurred_at >= t1.occurred_at AND t2.occurred_at <= t1.occurred_at + ${span}
JOIN big t3 ON t3.src = t2.dst AND t3.dst = t1.src
  AND t3.occurred_at >= t2.occurred_at AND t3.occurred_at <= t1.occurred_at + ${span}
WHERE ${period}
  AND ${d.bytes('t1.src')} < ${d.bytes('t1.dst')} AND ${d.bytes('t1.src')} < ${d.bytes('t2.dst')}
  AND t1.dst <> t2.dst
GROUP BY t1.src, t1.dst, t2.dst
ORDER BY ${d.bytes('t1.src')}, ${d.bytes('t1.dst')}, ${d.bytes('t2.dst')}
LIMIT ${d.param('limit')}`
  },
})
