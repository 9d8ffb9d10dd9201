import { analyticsError } from '../analytics.errors.js'
import { shortCycles } from './cycles.js'
import { firstCounterpartyLarge } from './counterparties.js'
import { dormantThenActive } from './dormant.js'
import { fanIn, fanOut } from './fan.js'
import { merchantRatios } from './merchants.js'
import type { FraudQuery } from './query.js'
import { cardVelocity, deviceVelocity, ipVelocity } from './velocity.js'

/** The fraud query library, by name. */
export const FRAUD_QUERIES: readonly FraudQuery[] = [
  cardVelocity,
  deviceVelocity,
  ipVelocity,
  fanIn,
  fanOut,
  shortCycles,
  merchantRatios,
  firstCounterpartyLarge,
  dormantThenActive,
]

export function fraudQuery(name: string): FraudQuery {
  const q = FRAUD_QUERIES.find((x) => x.name === name)
  if (!q) throw analyticsError('ANALYTICS_UNKNOWN_QUERY', name)
  return q
}
