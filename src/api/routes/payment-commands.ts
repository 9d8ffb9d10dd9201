/**
 * Asynchronous intake (issue #18 item 5): the 202 answer of `?async=true` and the command's status by
 * id. The routes that accept live with their synchronous twins (payments.ts, ledger.ts) and share
 * their validation; this file holds what the two have in common.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import type { AcceptedCommand, StoredCommand } from '../../modules/payments/index.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorResponse } from '../error-schema.js'

/** `?async=true`: accept now, apply later (202 with the command id). */
export const AsyncQuery = Type.Object(
  { async: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) },
  { additionalProperties: false },
)

const Kind = Type.Union([Type.Literal('payment.create'), Type.Literal('ledger.bulk')])

export const CommandAcceptedSchema = Type.Object({
  commandId: Type.String(),
  kind: Kind,
  status: Type.Literal('accepted'),
  idempotencyKey: Type.String(),
  /** The key was used before with the same request: this is that command. */
  duplicate: Type.Boolean(),
  /** Where to read its outcome. */
  location: Type.String(),
})

const CommandSchema = Type.Object({
  commandId: Type.String(),
  kind: Kind,
  status: Type.Union([Type.Literal('accepted'), Type.Literal('succeeded'), Type.Literal('failed')]),
  idempotencyKey: Type.String(),
  resourceId: Type.Union([Type.String(), Type.Null()]),
  /** payment.create: the payment as stored (amounts as strings); ledger.bulk: `{ results: [...] }`. */
  result: Type.Union([Type.Unknown(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  acceptedAt: Type.String(),
  completedAt: Type.Union([Type.String(), Type.Null()]),
})

export const commandLocation = (id: string) => `/v1/payments/commands/${id}`

export const acceptedJson = (c: AcceptedCommand): Static<typeof CommandAcceptedSchema> => ({
  commandId: c.id,
  kind: c.kind,
  status: 'accepted',
  idempotencyKey: c.idempotencyKey,
  duplicate: c.duplicate,
  location: commandLocation(c.id),
})

const commandJson = (c: StoredCommand): Static<typeof CommandSchema> => ({
  commandId: c.id,
  kind: c.kind,
  status: c.status,
  idempotencyKey: c.idempotencyKey,
  resourceId: c.resourceId ?? null,
  result: c.result ?? null,
  error: c.error ?? null,
  acceptedAt: c.acceptedAt.toISOString(),
  completedAt: c.completedAt?.toISOString() ?? null,
})

export function registerPaymentCommandRoutes(app: ApiApp, services: AppServices): void {
  app.get(
    '/v1/payments/commands/:id',
    {
      schema: {
        tags: ['payments'],
        summary:
          'An asynchronous command (accepted with ?async=true): accepted, succeeded with its result, or failed',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' }) }),
        response: { 200: CommandSchema, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req) => commandJson(await services.paymentCommands.get(tenantOf(req), req.params.id)),
  )
}
