import type { Dialect } from '../dialect.js'
import { defineQuery, inPeriod } from './query.js'

/** Large transfers to a counterparty the sender never paid before (earlier = by time, then id). */
export const firstCounterpartyLarge = defineQuery({
  name: 'first_counterparty_large',
  description: 'Transfers ≥ min_amount to a counterparty the sender had never paid before',
  datasets: ['transactions'],
  // Ordered by time, and a transfer's verdict depends only on earlier ones (the history bound
  // p.occurred_at < :to is implied, written out so a reader can skip later row groups): the rows of
  // the period [from, T) are exactly the first rows of [from, to).
  // Every answer is a transfer of at least min_amount: no window ending before the limit-th such
  // transfer can fill the limit, so the first one ends there (at 1M rows: one window instead of two,
  // and no scan of every row's time for the range).
  timePrefix: {
    dataset: 'transactions',
    column: 'occurred_at',
    projection: 'by_amount',
    candidates: (d) => `amount >= ${d.param('min_amount')}`,
  },
  params: {
    min_amount: { type: 'bigint', default: 500_000n, min: 1n, doc: 'minor units' },
  },
  sql: (d: Dialect) => {
    const src = d.source('transactions', 'by_amount')
    return `
SELECT t.txn_id, t.src, t.dst, t.amount, t.currency, ${d.iso('t.occurred_at')} AS occurred_at
FROM ${src} t
WHERE t.amount >= ${d.param('min_amount')} AND ${inPeriod(d, 't.occurred_at')}
  AND NOT EXISTS (
    SELECT 1 FROM ${src} p
    WHERE p.occurred_at < ${d.param('to')} AND p.src = t.src AND p.dst = t.dst
      AND (p.occurred_at < t.occurred_at OR (p.occurred_at = t.occurred_at AND ${d.bytes('p.txn_id')} < ${d.bytes('t.txn_id')})))
ORDER BY t.occurred_at, ${d.bytes('t.txn_id')}
LIMIT ${d.param('limit')}`
  },
})
