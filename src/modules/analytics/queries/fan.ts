import type { Dialect } from '../dialect.js'
import { defineQuery, inPeriod, type FraudQuery } from './query.js'

/** Accounts paying many distinct counterparties (fan-out: mule distribution) or paid by many (fan-in: collection). */
function fan(direction: 'in' | 'out'): FraudQuery {
  const [self, other] = direction === 'out' ? ['src', 'dst'] : ['dst', 'src']
  return defineQuery({
    name: `fan_${direction}`,
    description:
      direction === 'out'
        ? 'Accounts sending to at least min_counterparties distinct accounts in the period'
        : 'Accounts receiving from at least min_counterparties distinct accounts in the period',
    datasets: ['transactions'],
    params: {
      min_counterparties: {
        type: 'int',
        default: 10,
        min: 1,
        max: 10_000_000,
        doc: 'distinct counterparties',
      },
    },
    sql: (d: Dialect) => `
SELECT ${self} AS account, count(DISTINCT ${other}) AS counterparties, count(*) AS transactions,
       CAST(sum(amount) AS BIGINT) AS total
FROM ${d.source('transactions')} t
WHERE ${inPeriod(d, 'occurred_at')}
GROUP BY ${self}
HAVING count(DISTINCT ${other}) >= ${d.param('min_counterparties')}
ORDER BY counterparties DESC, ${d.bytes(self)}
LIMIT ${d.param('limit')}`,
  })
}

export const fanOut = fan('out')
export const fanIn = fan('in')
