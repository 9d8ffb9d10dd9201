/**
 * The payments store: plain SQL on PGlite and PostgreSQL, every statement scoped by tenant. One
 * object for the use cases, composed of one part per table or concern (this folder's other files).
 */
import type { Db } from '../../../shared/db/connect.js'
import { attemptsStore } from './attempts.js'
import { batchedWritesStore } from './batched-writes.js'
import { disputesStore } from './disputes.js'
import { idempotencyKeysStore } from './idempotency-keys.js'
import { lateChecksStore } from './late-checks.js'
import { ledgerFactsStore } from './ledger-facts.js'
import { listsStore } from './lists.js'
import { lookupsStore } from './lookups.js'
import { paymentRowsStore } from './payment-rows.js'
import { payoutsStore } from './payouts.js'
import { refundsStore } from './refunds.js'
import { routingRulesStore } from './routing-rules.js'
import { strayChargesStore } from './stray-charges.js'
import { transitionsStore } from './transitions.js'

export function createPaymentsStore(db: Db) {
  return {
    ...paymentRowsStore,
    ...batchedWritesStore,
    ...lookupsStore(db),
    ...listsStore(db),
    ...attemptsStore(db),
    ...transitionsStore,
    ...refundsStore(db),
    ...disputesStore,
    ...idempotencyKeysStore,
    ...ledgerFactsStore(db),
    ...routingRulesStore(db),
    ...payoutsStore,
    ...strayChargesStore(db),
    ...lateChecksStore(db),
  }
}

export type PaymentsStore = ReturnType<typeof createPaymentsStore>
