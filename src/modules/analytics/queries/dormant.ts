import type { Dialect } from '../dialect.js'
import { defineQuery, inPeriod } from './query.js'

/** Accounts silent for dormant_days that send min_amount or more when they wake (takeover, mule activation). */
export const dormantThenActive = defineQuery({
  name: 'dormant_then_active',
  description: 'Outgoing transfers ≥ min_amount after at least dormant_days without outgoing activity',
  datasets: ['transactions'],
  params: {
    dormant_days: { type: 'int', default: 90, min: 1, max: 3650, doc: 'silence before the transfer' },
    min_amount: { type: 'bigint', default: 100_000n, min: 1n, doc: 'minor units' },
  },
  sql: (d: Dialect) => `
WITH s AS (
  SELECT src AS account, txn_id, occurred_at, amount,
         lag(occurred_at) OVER (PARTITION BY src ORDER BY occurred_at, ${d.bytes('txn_id')}) AS previous_at
  FROM ${d.source('transactions')} t
  WHERE occurred_at < ${d.param('to')}
)
SELECT account, txn_id, amount, ${d.iso('previous_at')} AS previous_at, ${d.iso('occurred_at')} AS reactivated_at
FROM s
WHERE ${inPeriod(d, 'occurred_at')} AND previous_at IS NOT NULL
  AND occurred_at - previous_at >= ${d.days(d.param('dormant_days'))} AND amount >= ${d.param('min_amount')}
ORDER BY occurred_at, ${d.bytes('txn_id')}
LIMIT ${d.param('limit')}`,
})
