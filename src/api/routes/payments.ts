import { Type, type Static } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import {
  amountCapturable,
  paymentError,
  PAYMENT_STATUSES,
  type Payment,
  type Payout,
  type Refund,
  type RoutingRule,
  type StrayCharge,
} from '../../modules/payments/index.js'
import { AppError } from '../../shared/errors.js'
import { parseAmount } from '../../shared/money.js'
import { tenantOf, type ApiApp } from '../server.js'
import { actorOf } from './parties.js'
import { AsyncQuery, CommandAcceptedSchema, acceptedJson, commandLocation } from './payment-commands.js'
import { ErrorResponse } from '../error-schema.js'
import { MinorUnits } from '../schemas.js'
import { CreateBody, createInputOf, CurrencyCode, Metadata, RequestAmount } from './payment-create-body.js'

// ---- schemas ----

const Amount = Type.String({
  pattern: '^[0-9]{1,20}$',
  description: 'Integer minor units, e.g. "1050" = 10.50 USD',
})
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
})
const errors = {
  400: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  422: ErrorResponse,
  503: ErrorResponse,
}
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' }) })
const Status = Type.Union(PAYMENT_STATUSES.map((s) => Type.Literal(s)))

const PaymentSchema = Type.Object({
  id: Type.String(),
  status: Status,
  amount: Amount,
  currency: Type.String(),
  capture: Type.Union([Type.Literal('automatic'), Type.Literal('manual')]),
  amountAuthorized: Amount,
  amountCapturable: Amount,
  amountCaptured: Amount,
  amountRefunded: Amount,
  amountDisputed: Amount,
  amountFee: Type.String({
    pattern: '^[0-9]+$',
    description: "The gateway's fee on the capture, once known",
  }),
  gateway: Nullable(Type.String()),
  gatewayRef: Nullable(Type.String()),
  customer: Nullable(Type.String()),
  description: Nullable(Type.String()),
  declineCode: Type.Optional(Type.String()),
  nextAction: Type.Optional(Type.Record(Type.String(), Type.String())),
  metadata: Metadata,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
const RefundSchema = Type.Object({
  id: Type.String(),
  paymentId: Type.String(),
  amount: Amount,
  currency: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  reason: Nullable(Type.String()),
  gatewayRef: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
})
const StrayChargeSchema = Type.Object({
  id: Type.String(),
  paymentId: Type.String(),
  gateway: Type.String({ description: 'The gateway that charged; the payment is booked at another one.' }),
  gatewayRef: Type.String(),
  amount: Amount,
  currency: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('reversed'), Type.Literal('failed')]),
  reversal: Nullable(
    Type.Union([Type.Literal('canceled'), Type.Literal('refunded'), Type.Literal('none')], {
      description:
        'canceled: the authorisation was voided; refunded: the capture was; none: nothing was held.',
    }),
  ),
  reversalRef: Nullable(Type.String()),
  reversalFee: Nullable(
    Type.String({ description: 'The fee the gateway kept on a refunded charge (booked as an expense).' }),
  ),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  resolvedBy: Nullable(
    Type.String({ description: 'Who marked it reversed by hand, after its automatic reversal failed.' }),
  ),
  note: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
const PayoutSchema = Type.Object({
  id: Type.String(),
  gateway: Type.String(),
  amount: Amount,
  currency: Type.String(),
  status: Type.String(),
  gatewayRef: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  partyId: Type.Optional(Type.String()),
})
const Empty = Type.Object({}, { additionalProperties: false })
const CaptureBody = Type.Object({ amount: Type.Optional(RequestAmount) }, { additionalProperties: false })
const RefundBody = Type.Object(
  { amount: Type.Optional(RequestAmount), reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
)
// Only metadata: amount and currency are fixed at creation, so they are unknown fields here (400).
const PatchBody = Type.Object({ metadata: Metadata }, { additionalProperties: false })
const ListQuery = Type.Object(
  {
    status: Type.Optional(Status),
    customer: Type.Optional(Type.String({ maxLength: 255 })),
    gateway: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
    after: Type.Optional(Type.String({ maxLength: 64 })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    // A plain string so an unknown sort is INVALID_SORT (documented), not a schema error.
    sort: Type.Optional(Type.String({ maxLength: 32, description: 'created (default), amount or status' })),
  },
  { additionalProperties: false },
)
const RuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    priority: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    match: Type.Object(
      {
        currencies: Type.Optional(Type.Array(CurrencyCode, { minItems: 1, maxItems: 200 })),
        minAmount: Type.Optional(Amount),
        maxAmount: Type.Optional(Amount),
        cardBrands: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { minItems: 1, maxItems: 20 })),
        cardCountries: Type.Optional(
          Type.Array(Type.String({ pattern: '^[A-Z]{2}$' }), { minItems: 1, maxItems: 250 }),
        ),
      },
      { additionalProperties: false },
    ),
    gateways: Type.Array(
      Type.Object(
        {
          gateway: Type.String({ minLength: 1, maxLength: 64 }),
          weight: Type.Integer({ minimum: 0, maximum: 1000 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10 },
    ),
  },
  { additionalProperties: false },
)
const RulesBody = Type.Object(
  { rules: Type.Array(RuleSchema, { maxItems: 100 }) },
  { additionalProperties: false },
)
const PayoutBody = Type.Object(
  {
    amount: RequestAmount,
    currency: CurrencyCode,
    gateway: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    partyId: Type.Optional(
      Type.String({
        pattern: '^pty_[0-9a-f]{32}$',
        description:
          'Counterparty: screened before money moves; a possible match holds the payout (409 SCREENING_REVIEW_REQUIRED)',
      }),
    ),
  },
  { additionalProperties: false },
)

// ---- JSON mapping ----

export function paymentJson(p: Payment): Static<typeof PaymentSchema> {
  return {
    id: p.id,
    status: p.status,
    amount: p.amount.toString(),
    currency: p.currency,
    capture: p.capture,
    amountAuthorized: p.amountAuthorized.toString(),
    amountCapturable: amountCapturable(p).toString(),
    amountCaptured: p.amountCaptured.toString(),
    amountRefunded: p.amountRefunded.toString(),
    amountDisputed: p.amountDisputed.toString(),
    amountFee: p.amountFee.toString(),
    gateway: p.gateway,
    gatewayRef: p.gatewayRef,
    customer: p.customer,
    description: p.description,
    ...(p.declineCode ? { declineCode: p.declineCode } : {}),
    ...(p.nextAction ? { nextAction: p.nextAction } : {}),
    metadata: p.metadata,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  }
}

const refundJson = (r: Refund): Static<typeof RefundSchema> => ({
  id: r.id,
  paymentId: r.paymentId,
  amount: r.amount.toString(),
  currency: r.currency,
  status: r.status,
  reason: r.reason,
  gatewayRef: r.gatewayRef,
  createdAt: r.createdAt.toISOString(),
})

const strayChargeJson = (s: StrayCharge): Static<typeof StrayChargeSchema> => ({
  ...s,
  amount: s.amount.toString(),
  reversalFee: s.reversalFee?.toString() ?? null,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
})

const payoutJson = (p: Payout): Static<typeof PayoutSchema> => ({
  id: p.id,
  gateway: p.gateway,
  amount: p.amount.toString(),
  currency: p.currency,
  status: p.status,
  gatewayRef: p.gatewayRef,
  createdAt: p.createdAt.toISOString(),
})

const ruleJson = (r: RoutingRule): Static<typeof RuleSchema> => ({
  id: r.id,
  priority: r.priority,
  match: {
    ...(r.match.currencies ? { currencies: [...r.match.currencies] } : {}),
    ...(r.match.minAmount !== undefined ? { minAmount: r.match.minAmount.toString() } : {}),
    ...(r.match.maxAmount !== undefined ? { maxAmount: r.match.maxAmount.toString() } : {}),
    ...(r.match.cardBrands ? { cardBrands: [...r.match.cardBrands] } : {}),
    ...(r.match.cardCountries ? { cardCountries: [...r.match.cardCountries] } : {}),
  },
  gateways: r.gateways.map((g) => ({ gateway: g.gateway, weight: g.weight })),
})

/** Every money-moving write names its Idempotency-Key. */
function keyOf(req: { headers: { 'idempotency-key'?: string } }): string {
  const key = req.headers['idempotency-key']
  if (!key)
    throw new AppError(
      'IDEMPOTENCY_KEY_REQUIRED',
      'invalid',
      'Send an Idempotency-Key header (a unique string per request, reused only to retry it).',
    )
  return key
}

/** Confirm, capture, cancel and refund may be sent without a body (all their fields are optional). */
const emptyBodyIsEmptyObject = (req: { body: unknown }, _reply: unknown, done: () => void): void => {
  req.body ??= {}
  done()
}

const amountOf = (v: string | undefined, field: string): bigint | undefined =>
  v === undefined ? undefined : parseAmount(v, field)

export function registerPaymentRoutes(app: ApiApp, services: AppServices): void {
  const { payments } = services
  const tags = ['payments']

  // Confirm and cancel need nothing but the payment and the Idempotency-Key: one route shape serves both.
  const postBodilessCommand = (path: string, summary: string, command: 'confirm' | 'cancel'): void => {
    app.post(
      path,
      {
        preValidation: emptyBodyIsEmptyObject,
        schema: {
          tags,
          summary,
          headers: IdempotencyHeaders,
          params: IdParams,
          body: Empty,
          response: { 200: PaymentSchema, ...errors },
        },
      },
      async (req) =>
        paymentJson(
          await payments.commands[command](tenantOf(req), req.params.id, {
            idempotencyKey: keyOf(req),
            by: actorOf(req),
          }),
        ),
    )
  }

  app.post(
    '/v1/payments',
    {
      schema: {
        tags,
        summary:
          'Create a payment; confirmed at once unless "confirm": false. ?async=true: accepted now (202), applied by a consumer',
        headers: IdempotencyHeaders,
        querystring: AsyncQuery,
        body: CreateBody,
        response: { 201: PaymentSchema, 202: CommandAcceptedSchema, ...errors },
      },
    },
    async (req, reply) => {
      const key = keyOf(req)
      const b = req.body
      const input = createInputOf(b)
      if (req.query.async === 'true') {
        // The party link needs the payment, which exists only once a consumer applied the command.
        if (b.partyId)
          throw paymentError('PAYMENT_COMMAND_UNSUPPORTED_FIELD', 'partyId is not accepted with ?async=true.')
        const accepted = await services.paymentCommands.acceptPayment(tenantOf(req), input, key, actorOf(req))
        return reply.status(202).header('location', commandLocation(accepted.id)).send(acceptedJson(accepted))
      }
      // The customer party is checked before the payment exists and linked after (docs/parties.md).
      if (b.partyId) await services.parties.get(tenantOf(req), b.partyId)
      const p = await payments.commands.create(tenantOf(req), input, {
        idempotencyKey: key,
        by: actorOf(req),
      })
      if (b.partyId) await services.parties.link(tenantOf(req), b.partyId, 'payment', p.id, 'customer')
      return reply.status(201).send(paymentJson(p))
    },
  )

  app.get(
    '/v1/payments',
    {
      schema: {
        tags,
        summary:
          'List payments by creation time, amount or status (sort), keyset-paginated (filters: status, customer, gateway; order: asc|desc; cursor: after, a payment id)',
        querystring: ListQuery,
        response: {
          200: Type.Object({ items: Type.Array(PaymentSchema), next: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const q = req.query
      const page = await payments.queries.list(tenantOf(req), {
        ...(q.status ? { status: q.status } : {}),
        ...(q.customer ? { customer: q.customer } : {}),
        ...(q.gateway ? { gateway: q.gateway } : {}),
        ...(q.after ? { after: q.after } : {}),
        ...(q.order ? { order: q.order } : {}),
        ...(q.sort ? { sort: q.sort } : {}),
        ...(q.limit !== undefined ? { limit: Number(q.limit) } : {}),
      })
      return { items: page.items.map(paymentJson), next: page.next }
    },
  )

  app.get(
    '/v1/payments/:id',
    {
      schema: {
        tags,
        summary: 'Get a payment',
        params: IdParams,
        response: { 200: PaymentSchema, ...errors },
      },
    },
    async (req) => paymentJson(await payments.queries.get(tenantOf(req), req.params.id)),
  )

  app.patch(
    '/v1/payments/:id',
    {
      schema: {
        tags,
        summary: 'Replace the metadata (nothing else can change after creation)',
        headers: IdempotencyHeaders,
        params: IdParams,
        body: PatchBody,
        response: { 200: PaymentSchema, ...errors },
      },
    },
    async (req) =>
      paymentJson(
        await payments.commands.updateMetadata(tenantOf(req), req.params.id, req.body.metadata, {
          idempotencyKey: keyOf(req),
          by: actorOf(req),
        }),
      ),
  )

  postBodilessCommand(
    '/v1/payments/:id/confirm',
    'Send the payment to a gateway (again after 3-D Secure)',
    'confirm',
  )

  app.post(
    '/v1/payments/:id/capture',
    {
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags,
        summary: 'Capture all (default) or part of the authorised amount, once',
        headers: IdempotencyHeaders,
        params: IdParams,
        body: CaptureBody,
        response: { 200: PaymentSchema, ...errors },
      },
    },
    async (req) =>
      paymentJson(
        await payments.commands.capture(tenantOf(req), req.params.id, amountOf(req.body.amount, 'amount'), {
          idempotencyKey: keyOf(req),
          by: actorOf(req),
        }),
      ),
  )

  postBodilessCommand(
    '/v1/payments/:id/cancel',
    'Cancel an unconfirmed or uncaptured payment; the hold is released',
    'cancel',
  )

  app.post(
    '/v1/payments/:id/refunds',
    {
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags,
        summary: 'Refund what is left (default) or part; total refunds never exceed the captured amount',
        headers: IdempotencyHeaders,
        params: IdParams,
        body: RefundBody,
        response: { 201: RefundSchema, ...errors },
      },
    },
    async (req, reply) => {
      const amount = amountOf(req.body.amount, 'amount')
      const refund = await payments.commands.refund(
        tenantOf(req),
        req.params.id,
        {
          ...(amount !== undefined ? { amount } : {}),
          ...(req.body.reason !== undefined ? { reason: req.body.reason } : {}),
        },
        { idempotencyKey: keyOf(req), by: actorOf(req) },
      )
      return reply.status(201).send(refundJson(refund))
    },
  )

  app.get(
    '/v1/payments/:id/refunds',
    {
      schema: {
        tags,
        summary: 'Refunds of a payment',
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(RefundSchema) }), ...errors },
      },
    },
    async (req) => ({
      items: (await payments.queries.listRefunds(tenantOf(req), req.params.id)).map(refundJson),
    }),
  )

  app.get(
    '/v1/payments/:id/stray-charges',
    {
      schema: {
        tags,
        summary: 'Charges a gateway made for this payment where it is not booked, and their reversal',
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(StrayChargeSchema) }), ...errors },
      },
    },
    async (req) => ({
      items: (await payments.queries.listStrayCharges(tenantOf(req), req.params.id)).map(strayChargeJson),
    }),
  )

  app.get(
    '/v1/stray-charges',
    {
      schema: {
        tags,
        summary:
          "The tenant's stray charges, newest first: charges a gateway made for payments booked elsewhere (ADR 0506); status=failed lists those an operator must reverse by hand",
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union([Type.Literal('pending'), Type.Literal('reversed'), Type.Literal('failed')]),
            ),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(StrayChargeSchema) }), ...errors },
      },
    },
    async (req) => ({
      items: (
        await payments.queries.strayCharges(tenantOf(req), {
          ...(req.query.status ? { status: req.query.status } : {}),
          ...(req.query.limit !== undefined ? { limit: Number(req.query.limit) } : {}),
        })
      ).map(strayChargeJson),
    }),
  )

  app.post(
    '/v1/stray-charges/:id/resolve',
    {
      schema: {
        tags,
        summary:
          'Mark a stray charge whose reversal failed as reversed by hand at its gateway (refunded or voided there), with a note; a refund is booked',
        params: IdParams,
        body: Type.Object(
          {
            reversal: Type.Union([Type.Literal('refunded'), Type.Literal('canceled')], {
              description:
                'refunded: the capture was refunded at the gateway; canceled: the authorisation voided',
            }),
            reversalRef: Type.Optional(
              Type.String({ description: "The gateway's id of the refund or void (required for refunded)" }),
            ),
            fee: Type.Optional(
              MinorUnits({
                description:
                  "With refunded: the fee the gateway kept on the charge, booked as an expense so the gateway reconciles (0 to the charge's amount)",
              }),
            ),
            note: Type.String({ description: 'Why and how, for the audit trail (1 to 500 characters)' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: StrayChargeSchema, ...errors },
      },
    },
    async (req) =>
      strayChargeJson(
        await payments.commands.resolveStrayCharge(
          tenantOf(req),
          req.params.id,
          {
            reversal: req.body.reversal,
            note: req.body.note,
            ...(req.body.reversalRef !== undefined ? { reversalRef: req.body.reversalRef } : {}),
            ...(req.body.fee !== undefined ? { fee: BigInt(req.body.fee) } : {}),
          },
          { by: actorOf(req) },
        ),
      ),
  )

  app.get(
    '/v1/routing-rules',
    {
      schema: {
        tags,
        summary: "The tenant's gateway routing rules",
        response: {
          200: Type.Object({ rules: Type.Array(RuleSchema), gateways: Type.Array(Type.String()) }),
          ...errors,
        },
      },
    },
    async (req) => ({
      rules: (await payments.routing.routingRules(tenantOf(req))).map(ruleJson),
      gateways: [...payments.gateways.ids()],
    }),
  )

  app.put(
    '/v1/routing-rules',
    {
      schema: {
        tags,
        summary: 'Replace the routing rules (first matching rule by priority picks the gateways)',
        body: RulesBody,
        response: { 200: Type.Object({ rules: Type.Array(RuleSchema) }), ...errors },
      },
    },
    async (req) => {
      const rules: RoutingRule[] = req.body.rules.map((r) => ({
        id: r.id,
        priority: r.priority,
        match: {
          ...(r.match.currencies ? { currencies: r.match.currencies } : {}),
          ...(r.match.minAmount !== undefined ? { minAmount: BigInt(r.match.minAmount) } : {}),
          ...(r.match.maxAmount !== undefined ? { maxAmount: BigInt(r.match.maxAmount) } : {}),
          ...(r.match.cardBrands ? { cardBrands: r.match.cardBrands } : {}),
          ...(r.match.cardCountries ? { cardCountries: r.match.cardCountries } : {}),
        },
        gateways: r.gateways,
      }))
      return { rules: (await payments.routing.setRoutingRules(tenantOf(req), rules)).map(ruleJson) }
    },
  )

  app.post(
    '/v1/payouts',
    {
      schema: {
        tags,
        summary: "Pay out from a gateway balance to the merchant's bank (at most the balance)",
        headers: IdempotencyHeaders,
        body: PayoutBody,
        response: { 201: PayoutSchema, ...errors },
      },
    },
    async (req, reply) => {
      // Through the parties screening gate: a counterparty that may be sanctioned holds the payout.
      const { partyId, ...request } = req.body
      const done = await services.parties.submit(
        tenantOf(req),
        { kind: 'payout', partyId, idempotencyKey: keyOf(req), request },
        actorOf(req),
      )
      return reply.status(201).send({ ...payoutJson(done.value as Payout), ...(partyId ? { partyId } : {}) })
    },
  )

  app.get(
    '/v1/payouts/:id',
    {
      schema: { tags, summary: 'Get a payout', params: IdParams, response: { 200: PayoutSchema, ...errors } },
    },
    async (req) => payoutJson(await payments.queries.getPayout(tenantOf(req), req.params.id)),
  )
}
