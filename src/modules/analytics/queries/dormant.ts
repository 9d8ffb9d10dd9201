import type { Dialect } from '../dialect.js'
import { defineQuery, inPeriod } from './query.js'

/**
 * Accounts silent for dormant_days that send min_amount or more when they wake (takeover, mule
 * activation). A transfer's previous one is the sender's latest earlier transfer, earlier meaning by
 * time, then by id (so of two at one instant the second has a gap of zero).
 *
 * Each engine runs its own faster text for the same rows (ADR 1200, "Each engine's best form"):
 * PostgreSQL probes its (tenant_id, src, at) index backwards once per large transfer of the period
 * (LATERAL … LIMIT 1), ~5× faster there than lag() over every row (1M, load 6: 0.9 s against 4.3 s);
 * DuckDB, without such an index, ASOF-joins the large transfers to their senders' history.
 */
export const dormantThenActive = defineQuery({
  name: 'dormant_then_active',
  description: 'Outgoing transfers ≥ min_amount after at least dormant_days without outgoing activity',
  datasets: ['transactions'],
  params: {
    dormant_days: { type: 'int', default: 90, min: 1, max: 3650, doc: 'silence before the transfer' },
    min_amount: { type: 'bigint', default: 100_000n, min: 1n, doc: 'minor units' },
  },
  sql: (d: Dialect) => {
    const src = d.source('transactions')
    // DuckDB with a native file (ADR 1202): large transfers from the amount bands, history by sender
    const large = d.source('transactions', 'by_amount')
    const bySender = d.source('transactions', 'by_src')
    const tail = `
ORDER BY occurred_at, ${d.bytes('txn_id')}
LIMIT ${d.param('limit')}`
    if (d.engine === 'postgres')
      // Only the previous instant is needed, not which row: among rows at one instant any will do,
      // so the probe orders by time alone and walks the index. A tie that precedes t by id gives
      // previous_at = t's instant, a gap of zero, as in the window form.
      return `
SELECT account, txn_id, amount, ${d.iso('previous_at')} AS previous_at, ${d.iso('occurred_at')} AS reactivated_at
FROM (
  SELECT t.src AS account, t.txn_id, t.amount, t.occurred_at, p.occurred_at AS previous_at
  FROM ${src} t
  CROSS JOIN LATERAL (
    SELECT p.occurred_at FROM ${src} p
    WHERE p.src = t.src AND p.occurred_at <= t.occurred_at
      AND (p.occurred_at < t.occurred_at OR ${d.bytes('p.txn_id')} < ${d.bytes('t.txn_id')})
    ORDER BY p.occurred_at DESC
    LIMIT 1
  ) p
  WHERE ${inPeriod(d, 't.occurred_at')} AND t.amount >= ${d.param('min_amount')}
) s
WHERE occurred_at - previous_at >= ${d.days(d.param('dormant_days'))}${tail}`
    // DuckDB over the sender table stored sorted by (src, time, id) (Dialect.sorted): the row before
    // each one in the scan is its previous transfer when it has the same sender — lag() OVER ()
    // streams the rows once in that order (no sort, no join), and the period and amount filters
    // apply after it, to rows whose previous one may lie before the period, as in the other forms.
    if (d.sorted('transactions', 'by_src'))
      return `
WITH s AS (
  SELECT src, txn_id, amount, occurred_at,
         lag(src) OVER () AS previous_src, lag(occurred_at) OVER () AS previous_at
  FROM ${bySender} t
  WHERE occurred_at < ${d.param('to')}
)
SELECT src AS account, txn_id, amount, ${d.iso('previous_at')} AS previous_at, ${d.iso('occurred_at')} AS reactivated_at
FROM s
WHERE ${inPeriod(d, 'occurred_at')} AND amount >= ${d.param('min_amount')} AND previous_src = src
  AND occurred_at - previous_at >= ${d.days(d.param('dormant_days'))}${tail}`
    // DuckDB: the large transfers of the period (the top amount bands of a compacted file) joined
    // ASOF to their sender's latest strictly earlier instant, over the history of those senders only
    // (src, occurred_at: two columns, where lag() sorted every row with its id). A row at the same
    // instant and earlier by id would be the previous one with a gap of zero: NOT EXISTS drops those.
    // 1M rows, same file, alternately: ~0.26–0.28 CPU-s against ~0.50–0.54 for the window form.
    return `
WITH big AS (
  SELECT src, txn_id, occurred_at, amount FROM ${large} t
  WHERE ${inPeriod(d, 'occurred_at')} AND amount >= ${d.param('min_amount')}
),
history AS (
  SELECT src, occurred_at FROM ${bySender} t
  WHERE occurred_at < ${d.param('to')} AND src IN (SELECT src FROM big)
),
j AS (
  SELECT b.src AS account, b.txn_id, b.amount, h.occurred_at AS previous_at, b.occurred_at
  FROM big b ASOF JOIN history h ON h.src = b.src AND h.occurred_at < b.occurred_at
)
SELECT account, txn_id, amount, ${d.iso('previous_at')} AS previous_at, ${d.iso('occurred_at')} AS reactivated_at
FROM j
WHERE occurred_at - previous_at >= ${d.days(d.param('dormant_days'))}
  AND NOT EXISTS (
    SELECT 1 FROM ${bySender} q
    WHERE q.src = j.account AND q.occurred_at = j.occurred_at AND q.txn_id < j.txn_id)${tail}`
  },
})
