import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../events/index.js'

/** Events of the auth module, written to the outbox in the transaction that records the fact. */
export const AUTH_EVENTS = {
  operatorLocked: 'auth.operator.locked.v1',
  codeReused: 'auth.mfa.code_reused.v1',
} as const

/** Partition key: the operator id, or `address:<ip>` for a locked source address. */
export const authEvents: readonly EventDefinition[] = [
  defineEvent(
    AUTH_EVENTS.operatorLocked,
    'Sign-in was locked after repeated password or code failures, for an operator account or a source address.',
    Type.Object(
      {
        scope: Type.Union([Type.Literal('operator'), Type.Literal('address')]),
        operatorId: Type.Optional(Type.String()),
        address: Type.String({ description: 'Source address of the failure that triggered the lock.' }),
        failures: Type.Integer(),
        lockoutCount: Type.Integer({
          description: 'How many times this account or address has been locked in a row.',
        }),
        lockedUntil: Type.String({ description: 'ISO-8601 time the lock ends.' }),
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    AUTH_EVENTS.codeReused,
    'A TOTP code was presented again for a time step that had already been used (replay, or a phished code).',
    Type.Object(
      {
        operatorId: Type.String(),
        step: Type.Integer({ description: 'RFC 6238 time step of the replayed code.' }),
        address: Type.String(),
      },
      { additionalProperties: false },
    ),
  ),
]
