import type { Dialect } from '../dialect.js'
import { defineQuery, inPeriod, type FraudQuery } from './query.js'

/**
 * Per card / device / IP: the most transactions (and the largest amount) inside any sliding window
 * of `window_minutes` ending at one of its transactions — the classic card-testing signal.
 */
function velocity(entity: 'card' | 'device' | 'ip', what: string): FraudQuery {
  return defineQuery({
    name: `${entity}_velocity`,
    description: `Busiest sliding window per ${what}: most transactions and largest amount within window_minutes`,
    datasets: ['transactions'],
    params: {
      window_minutes: { type: 'int', default: 60, min: 1, max: 525_600, doc: 'sliding window length' },
      min_count: {
        type: 'int',
        default: 5,
        min: 1,
        max: 1_000_000,
        doc: 'report entities reaching this count',
      },
    },
    sql: (d: Dialect) => {
      const win = `PARTITION BY ${entity} ORDER BY occurred_at RANGE BETWEEN ${d.minutes(d.param('window_minutes'))} PRECEDING AND CURRENT ROW`
      return `
WITH w AS (
  SELECT ${entity} AS entity, count(*) OVER (${win}) AS n, sum(amount) OVER (${win}) AS total
  FROM ${d.source('transactions')} t
  WHERE ${entity} IS NOT NULL AND ${inPeriod(d, 'occurred_at')}
)
SELECT entity, max(n) AS max_count, CAST(max(total) AS BIGINT) AS max_amount, count(*) AS transactions
FROM w
GROUP BY entity
HAVING max(n) >= ${d.param('min_count')}
ORDER BY max_count DESC, ${d.bytes('entity')}
LIMIT ${d.param('limit')}`
    },
  })
}

export const cardVelocity = velocity('card', 'card (token or fingerprint)')
export const deviceVelocity = velocity('device', 'device')
export const ipVelocity = velocity('ip', 'IP address')
