/**
 * Asynchronous intake (issue #18 item 5): the 202 answer of `?async=true` and the command's status by
 * id. The routes that accept live with their synchronous twins (payments.ts, ledger.ts) and share
 * their validation; this file holds what the two have in common.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import type { AcceptedCommand, StoredCommand } from '../../modules/payments/index.js'
import { AppError } from '../../shared/errors.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorResponse } from '../error-schema.js'
import { actorOf } from './parties.js'
import { CreateBody, createInputOf } from './payment-create-body.js'

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

/** Commands per `POST /v1/payments/commands`: 1,000 plain items are ~150 KB, well inside the 1 MiB body limit. */
export const MAX_COMMANDS_PER_REQUEST = 1000

// A payment's creation (partyId aside: the link needs the payment, which exists once applied) and its key.
const CommandItem = Type.Object(
  {
    idempotencyKey: Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Unique per command; reused only to retry it',
    }),
    ...Type.Omit(CreateBody, ['partyId']).properties,
  },
  { additionalProperties: false },
)
const CommandsBody = Type.Object(
  { items: Type.Array(CommandItem, { minItems: 1, maxItems: MAX_COMMANDS_PER_REQUEST }) },
  { additionalProperties: false },
)
const RefusedItem = Type.Object({
  idempotencyKey: Type.String(),
  error: Type.Object({ code: Type.String(), message: Type.String() }),
})

export function registerPaymentCommandRoutes(app: ApiApp, services: AppServices): void {
  app.post(
    '/v1/payments/commands',
    {
      schema: {
        tags: ['payments'],
        summary:
          'Accept up to 1,000 payment commands in one request, each under its own idempotencyKey (202; one result per item, in order: accepted, a duplicate of an earlier command, or refused); applied by consumers as with ?async=true',
        body: CommandsBody,
        response: {
          202: Type.Object({ items: Type.Array(Type.Union([CommandAcceptedSchema, RefusedItem])) }),
          400: ErrorResponse,
        },
      },
    },
    async (req, reply) => {
      const items = req.body.items.map((item, i) => {
        try {
          return { input: createInputOf(item), key: item.idempotencyKey }
        } catch (err) {
          if (err instanceof AppError) throw new AppError(err.code, err.kind, `items[${i}]: ${err.message}`)
          throw err
        }
      })
      const results = await services.paymentCommands.acceptPayments(tenantOf(req), items, actorOf(req))
      return reply.status(202).send({
        items: results.map((r, i) =>
          r instanceof AppError
            ? { idempotencyKey: items[i]!.key, error: { code: r.code, message: r.message } }
            : acceptedJson(r),
        ),
      })
    },
  )

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
