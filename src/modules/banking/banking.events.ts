import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../events/index.js'

/** Event names this module writes to the outbox, in the transaction of the change. */
export const BANKING_EVENTS = {
  transactionsSynced: 'banking.transactions.synced.v1',
  transferCreated: 'banking.transfer.created.v1',
  transferSettled: 'banking.transfer.settled.v1',
  transferReturned: 'banking.transfer.returned.v1',
} as const

const Amount = Type.String({ pattern: '^[0-9]+$' })
const TransferPayload = Type.Object(
  {
    transferId: Type.String(),
    accountId: Type.String(),
    customerId: Type.String(),
    direction: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
    amount: Amount,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    status: Type.String(),
    ledgerTransactionId: Type.String(),
    returnCode: Type.Optional(Type.String()),
    returnReason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

/** Partition keys: the item id for syncs (one item's runs stay in order), the transfer id for transfers. */
export const bankingEvents: readonly EventDefinition[] = [
  defineEvent(
    BANKING_EVENTS.transactionsSynced,
    'A transaction sync run of one linked item finished: counts of rows added, modified and removed.',
    Type.Object(
      {
        itemId: Type.String(),
        customerId: Type.String(),
        provider: Type.String(),
        trigger: Type.Union([Type.Literal('webhook'), Type.Literal('poll'), Type.Literal('manual')]),
        added: Type.Integer({ minimum: 0 }),
        modified: Type.Integer({ minimum: 0 }),
        removed: Type.Integer({ minimum: 0 }),
        restarts: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    BANKING_EVENTS.transferCreated,
    'A bank transfer passed the institution checks and is pending (ledger hold written).',
    TransferPayload,
  ),
  defineEvent(
    BANKING_EVENTS.transferSettled,
    'A bank transfer settled; its ledger hold was posted.',
    TransferPayload,
  ),
  defineEvent(
    BANKING_EVENTS.transferReturned,
    'A bank transfer came back with an ACH return code; its ledger hold was voided or reversed.',
    TransferPayload,
  ),
]
