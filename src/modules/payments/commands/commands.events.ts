import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../../events/index.js'

/** The topic of accepted asynchronous commands and the events that report their outcome. */
export const COMMAND_EVENTS = {
  accepted: 'payments.command.accepted.v1',
  succeeded: 'payments.command.succeeded.v1',
  failed: 'payments.command.failed.v1',
} as const

const Kind = Type.Union([Type.Literal('payment.create'), Type.Literal('ledger.bulk')])

const Accepted = Type.Object(
  { commandId: Type.String({ pattern: '^cmd_[A-Za-z0-9]+$' }), kind: Kind },
  { additionalProperties: false },
)
const Completed = Type.Object(
  {
    commandId: Type.String({ pattern: '^cmd_[A-Za-z0-9]+$' }),
    kind: Kind,
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    idempotencyKey: Type.String(),
    /** The payment created (payment.create), or null. */
    resourceId: Type.Union([Type.String(), Type.Null()]),
    errorCode: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
)

export const paymentCommandEvents: readonly EventDefinition[] = [
  defineEvent(COMMAND_EVENTS.accepted, 'An asynchronous payment or ledger command was accepted', Accepted),
  defineEvent(COMMAND_EVENTS.succeeded, 'An asynchronous command was applied', Completed),
  defineEvent(COMMAND_EVENTS.failed, 'An asynchronous command was refused', Completed),
]
