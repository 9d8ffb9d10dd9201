import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../../events/index.js'

export const RECONCILIATION_MISMATCH = 'payments.reconciliation.mismatch.v1'

const SignedAmount = Type.Union([Type.String({ pattern: '^-?[0-9]+$' }), Type.Null()])
const Text = Type.Union([Type.String(), Type.Null()])
const Mismatch = [
  'missing_in_ledger',
  'missing_at_gateway',
  'amount_mismatch',
  'currency_mismatch',
  'fee_mismatch',
]

/** A reconciliation line as JSON (lineJson): the API's shape and the event's, amounts as signed strings. */
const lineFields = {
  status: Type.Union(['matched', ...Mismatch].map((s) => Type.Literal(s))),
  kind: Type.String(),
  gatewayRef: Type.String(),
  paymentId: Text,
  gatewayAmount: SignedAmount,
  ledgerAmount: SignedAmount,
  gatewayCurrency: Text,
  ledgerCurrency: Text,
  recordIds: Type.Array(Type.String()),
  ledgerTransactionIds: Type.Array(Type.String()),
  explanation: Type.String(),
}
export const ReconciliationLineSchema = Type.Object(lineFields, { additionalProperties: false })

/** One difference between a gateway's settled funds and the ledger; partition key: the run id. */
export const reconciliationEvents: readonly EventDefinition[] = [
  defineEvent(
    RECONCILIATION_MISMATCH,
    'Reconciliation found a difference between what a gateway settled and what the ledger booked.',
    Type.Object(
      {
        runId: Type.String(),
        gateway: Type.String(),
        from: Type.String({ description: 'ISO 8601 instant' }),
        to: Type.String({ description: 'ISO 8601 instant' }),
        ...lineFields,
        status: Type.Union(Mismatch.map((s) => Type.Literal(s))),
      },
      { additionalProperties: false },
    ),
  ),
]
