import { Type, type Static } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import type { Delivery, Endpoint } from '../../modules/webhooks/index.js'
import { AppError } from '../../shared/errors.js'
import { tenantOf, type ApiApp } from '../server.js'

const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})
const EndpointParams = Type.Object({ id: Type.String({ pattern: '^whep_[0-9a-f]{32}$' }) })
const DeliveryParams = Type.Object({ id: Type.String({ pattern: '^whdl_[0-9a-f]{32}$' }) })

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'https (http only for localhost)' })
const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
  minItems: 1,
  maxItems: 100,
  description: 'Event names (payments.payment.succeeded.v1), prefix wildcards (payments.*) or "*"',
})
const Description = Type.String({ maxLength: 500 })

const CreateBody = Type.Object(
  {
    url: Url,
    eventTypes: Type.Optional(EventTypes),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
const PatchBody = Type.Object(
  {
    url: Type.Optional(Url),
    eventTypes: Type.Optional(EventTypes),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
const RotateBody = Type.Union([
  Type.Object(
    {
      overlapSeconds: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 7 * 86_400,
          description: 'How long the old secret keeps signing',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
])

const Status = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
])

const EndpointView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  eventTypes: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  disabledAt: Type.Union([Type.String(), Type.Null()]),
  failingSince: Type.Union([Type.String(), Type.Null()]),
  lastSuccessAt: Type.Union([Type.String(), Type.Null()]),
  previousSecretExpiresAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})
const WithSecret = Type.Intersect([
  EndpointView,
  Type.Object({ secret: Type.String({ description: 'whsec_…: shown only in this response' }) }),
])
const AttemptView = Type.Object({
  attempt: Type.Integer(),
  at: Type.String(),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  latencyMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  responseBody: Type.Union([Type.String(), Type.Null()], { description: 'first 1 KiB' }),
})
const DeliveryView = Type.Object({
  id: Type.String(),
  endpointId: Type.String(),
  eventId: Type.String({ description: 'sent as webhook-id' }),
  eventType: Type.String(),
  status: Status,
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  deliveredAt: Type.Union([Type.String(), Type.Null()]),
  replayOf: Type.Union([Type.String(), Type.Null()]),
  lastAttempt: Type.Union([AttemptView, Type.Null()]),
})
const DeliveryDetail = Type.Intersect([DeliveryView, Type.Object({ history: Type.Array(AttemptView) })])
const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(Status),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
    before: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
)

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null)
const endpointView = (e: Endpoint): Static<typeof EndpointView> => ({
  ...e,
  eventTypes: [...e.eventTypes],
  disabledAt: iso(e.disabledAt),
  failingSince: iso(e.failingSince),
  lastSuccessAt: iso(e.lastSuccessAt),
  previousSecretExpiresAt: iso(e.previousSecretExpiresAt),
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
})
const deliveryView = (d: Delivery): Static<typeof DeliveryView> => ({
  ...d,
  nextAttemptAt: iso(d.nextAttemptAt),
  createdAt: d.createdAt.toISOString(),
  deliveredAt: iso(d.deliveredAt),
  lastAttempt: d.lastAttempt ? { ...d.lastAttempt, at: d.lastAttempt.at.toISOString() } : null,
})

const tags = ['webhooks']

/** Outgoing webhooks: tenants' endpoints, delivery log, replay (docs/webhooks-out.md). */
export function registerWebhookEndpointRoutes(app: ApiApp, services: AppServices): void {
  const w = services.webhooks
  const errors = { 400: ErrorResponse, 404: ErrorResponse }

  app.post(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Register an endpoint; the response carries its signing secret, shown only once',
        body: CreateBody,
        response: { 201: WithSecret, 400: ErrorResponse },
      },
    },
    async (req, reply) => {
      const b = req.body
      const { endpoint, secret } = await w.createEndpoint(tenantOf(req), {
        url: b.url,
        ...(b.eventTypes ? { eventTypes: b.eventTypes } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      })
      return reply.status(201).send({ ...endpointView(endpoint), secret })
    },
  )

  app.get(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: "The tenant's endpoints",
        response: { 200: Type.Object({ data: Type.Array(EndpointView) }) },
      },
    },
    async (req) => ({ data: (await w.listEndpoints(tenantOf(req))).map(endpointView) }),
  )

  app.get(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'One endpoint',
        params: EndpointParams,
        response: { 200: EndpointView, ...errors },
      },
    },
    async (req) => endpointView(await w.getEndpoint(tenantOf(req), req.params.id)),
  )

  app.patch(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Change url, event types, description or enabled',
        params: EndpointParams,
        body: PatchBody,
        response: { 200: EndpointView, ...errors },
      },
    },
    async (req) => {
      const b = req.body
      return endpointView(
        await w.updateEndpoint(tenantOf(req), req.params.id, {
          ...(b.url !== undefined ? { url: b.url } : {}),
          ...(b.eventTypes ? { eventTypes: b.eventTypes } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
        }),
      )
    },
  )

  app.delete(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Delete an endpoint; pending deliveries are cancelled, the log is kept',
        params: EndpointParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await w.deleteEndpoint(tenantOf(req), req.params.id)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'New signing secret; the old one keeps signing (second signature) during the overlap',
        params: EndpointParams,
        body: RotateBody,
        response: { 200: WithSecret, ...errors },
      },
    },
    async (req) => {
      const overlap = req.body?.overlapSeconds
      const { endpoint, secret } = await w.rotateSecret(
        tenantOf(req),
        req.params.id,
        overlap === undefined ? {} : { overlapMs: overlap * 1000 },
      )
      return { ...endpointView(endpoint), secret }
    },
  )

  app.post(
    '/v1/webhook-endpoints/:id/enable',
    {
      schema: {
        tags,
        summary: 'Enable an endpoint (after an automatic or manual disable)',
        params: EndpointParams,
        response: { 200: EndpointView, ...errors },
      },
    },
    async (req) => endpointView(await w.enableEndpoint(tenantOf(req), req.params.id)),
  )

  app.post(
    '/v1/webhook-endpoints/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a webhooks.endpoint.ping.v1 now and return the attempt (no retries)',
        params: EndpointParams,
        response: { 200: DeliveryView, ...errors },
      },
    },
    async (req) => deliveryView(await w.testEndpoint(tenantOf(req), req.params.id)),
  )

  app.get(
    '/v1/webhook-endpoints/:id/deliveries',
    {
      schema: {
        tags,
        summary:
          'Delivery log, newest first: status, attempts, last status code, latency, error, response body',
        params: EndpointParams,
        querystring: DeliveriesQuery,
        response: {
          200: Type.Object({
            data: Type.Array(DeliveryView),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const q = req.query
      const limit = q.limit === undefined ? 50 : Number(q.limit)
      if (limit < 1 || limit > 200)
        throw new AppError('INVALID_LIMIT', 'invalid', 'limit must be from 1 to 200.')
      const page = await w.listDeliveries(tenantOf(req), req.params.id, {
        limit,
        ...(q.status ? { status: q.status } : {}),
        ...(q.before ? { before: q.before } : {}),
      })
      return { data: page.deliveries.map(deliveryView), next: page.next ?? null }
    },
  )

  app.get(
    '/v1/webhook-deliveries/:id',
    {
      schema: {
        tags,
        summary: 'One delivery with every attempt',
        params: DeliveryParams,
        response: { 200: DeliveryDetail, ...errors },
      },
    },
    async (req) => {
      const d = await w.getDelivery(tenantOf(req), req.params.id)
      return { ...deliveryView(d), history: d.history.map((a) => ({ ...a, at: a.at.toISOString() })) }
    },
  )

  app.post(
    '/v1/webhook-deliveries/:id/replay',
    {
      schema: {
        tags,
        summary: 'Send a delivery again (same webhook-id, fresh retry schedule)',
        params: DeliveryParams,
        response: { 202: DeliveryView, 409: ErrorResponse, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(202).send(deliveryView(await w.replayDelivery(tenantOf(req), req.params.id))),
  )
}
