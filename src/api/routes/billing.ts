/**
 * Recurring billing over HTTP (docs/billing.md): the catalogue, subscriptions, invoices and credit
 * notes, customers' saved payment methods, and a tenant's test clock. Creates take an optional
 * Idempotency-Key (same key + same body = the first answer); state changes are idempotent by the
 * state they ask for (pausing a paused subscription changes nothing).
 */
import type { FastifyRequest } from 'fastify'
import type { AppServices } from '../../app.js'
import { billingError } from '../../modules/billing/index.js'
import { tenantOf, type ApiApp } from '../server.js'
import {
  AttachBody,
  AttachResponse,
  CancelBody,
  ClockBody,
  CreditBody,
  CreditNoteSchema,
  creditNoteJson,
  Empty,
  errors,
  Id,
  IdempotencyHeaders,
  IdParams,
  InvoiceSchema,
  invoiceJson,
  ListQuery,
  MethodParams,
  MethodSchema,
  methodJson,
  modelFromJson,
  Page,
  PlanBody,
  PriceBody,
  PriceSchema,
  priceJson,
  ProductBody,
  ProductSchema,
  productJson,
  RunReportSchema,
  SetupBody,
  SetupResponse,
  SubscriptionBody,
  SubscriptionSchema,
  subscriptionJson,
} from './billing-schemas.js'
import { Type } from '@sinclair/typebox'
import { parseLimit } from '../query-limit.js'
import { actorOf } from './parties.js'

const keyOf = (req: FastifyRequest): { idempotencyKey?: string } => {
  const key = req.headers['idempotency-key']
  return typeof key === 'string' && key ? { idempotencyKey: key } : {}
}
/** Pause, resume and cancel may be sent without a body. */
const emptyBodyIsEmptyObject = (req: { body: unknown }, _reply: unknown, done: () => void): void => {
  req.body ??= {}
  done()
}
const pageOf = <T extends { id: string }>(items: T[], limit: number) => ({
  items,
  next: items.length === limit ? items[items.length - 1]!.id : null,
})
const dateOf = (s: string, field: string): Date => {
  const d = new Date(s)
  if (Number.isNaN(d.getTime())) throw billingError('BILLING_INVALID', `${field} must be an ISO 8601 time`)
  return d
}

export function registerBillingRoutes(app: ApiApp, services: AppServices): void {
  const b = services.billing
  registerCatalog(app, b)
  registerSubscriptions(app, b)
  registerInvoices(app, b)
  registerMethods(app, b)
  registerTestClock(app, b)
}

type Billing = AppServices['billing']

function registerCatalog(app: ApiApp, b: Billing): void {
  const tags = ['billing']
  app.post(
    '/v1/products',
    {
      schema: {
        tags,
        summary: 'Create a product',
        headers: IdempotencyHeaders,
        body: ProductBody,
        response: { 201: ProductSchema, ...errors },
      },
    },
    async (req, reply) => {
      const p = await b.catalog.createProduct(
        tenantOf(req),
        { name: req.body.name, ...(req.body.metadata ? { metadata: req.body.metadata } : {}), ...keyOf(req) },
        actorOf(req),
      )
      return reply.status(201).send(productJson(p))
    },
  )
  app.get(
    '/v1/products',
    {
      schema: {
        tags,
        summary: 'List products',
        querystring: ListQuery({}),
        response: { 200: Page(ProductSchema), ...errors },
      },
    },
    async (req) => {
      const limit = parseLimit(req.query.limit, 1000) ?? 100
      const items = (await b.catalog.listProducts(tenantOf(req), limit)).filter(
        (p) => !req.query.after || p.id > req.query.after,
      )
      return pageOf(items.map(productJson), limit)
    },
  )
  app.get(
    '/v1/products/:id',
    {
      schema: {
        tags,
        summary: 'Get a product',
        params: IdParams,
        response: { 200: ProductSchema, ...errors },
      },
    },
    async (req) => productJson(await b.catalog.getProduct(tenantOf(req), req.params.id)),
  )
  app.post(
    '/v1/prices',
    {
      schema: {
        tags,
        summary: 'Create a price (fixed, per unit or tiered; an interval; trial, tax rate, dunning days)',
        headers: IdempotencyHeaders,
        body: PriceBody,
        response: { 201: PriceSchema, ...errors },
      },
    },
    async (req, reply) => {
      const x = req.body
      const p = await b.catalog.createPrice(
        tenantOf(req),
        {
          productId: x.productId,
          currency: x.currency,
          model: modelFromJson(x.model),
          interval: { unit: x.interval.unit as 'day', count: x.interval.count },
          ...(x.trialDays !== undefined ? { trialDays: x.trialDays } : {}),
          ...(x.taxRateBps !== undefined ? { taxRateBps: x.taxRateBps } : {}),
          ...(x.dunningDays ? { dunningDays: x.dunningDays } : {}),
          ...(x.dunningFinal ? { dunningFinal: x.dunningFinal } : {}),
          ...keyOf(req),
        },
        actorOf(req),
      )
      return reply.status(201).send(priceJson(p))
    },
  )
  app.get(
    '/v1/prices',
    {
      schema: {
        tags,
        summary: 'List prices (filter: productId)',
        querystring: ListQuery({ productId: Type.Optional(Id) }),
        response: { 200: Page(PriceSchema), ...errors },
      },
    },
    async (req) => {
      const limit = parseLimit(req.query.limit, 1000) ?? 100
      const items = (await b.catalog.listPrices(tenantOf(req), req.query.productId, limit)).filter(
        (p) => !req.query.after || p.id > req.query.after,
      )
      return pageOf(items.map(priceJson), limit)
    },
  )
  app.get(
    '/v1/prices/:id',
    { schema: { tags, summary: 'Get a price', params: IdParams, response: { 200: PriceSchema, ...errors } } },
    async (req) => priceJson(await b.catalog.getPrice(tenantOf(req), req.params.id)),
  )
}

function registerSubscriptions(app: ApiApp, b: Billing): void {
  const tags = ['billing']
  app.post(
    '/v1/subscriptions',
    {
      schema: {
        tags,
        summary: 'Subscribe a customer to a price (trial, anchor; the first invoice is charged at once)',
        headers: IdempotencyHeaders,
        body: SubscriptionBody,
        response: { 201: SubscriptionSchema, ...errors },
      },
    },
    async (req, reply) => {
      const x = req.body
      const s = await b.subscriptions.create(
        tenantOf(req),
        {
          customerId: x.customerId,
          priceId: x.priceId,
          ...(x.quantity !== undefined ? { quantity: BigInt(x.quantity) } : {}),
          ...(x.paymentMethodId ? { paymentMethodId: x.paymentMethodId } : {}),
          ...(x.trialDays !== undefined ? { trialDays: x.trialDays } : {}),
          ...(x.anchor ? { anchor: dateOf(x.anchor, 'anchor') } : {}),
          ...keyOf(req),
        },
        actorOf(req),
      )
      return reply.status(201).send(subscriptionJson(s))
    },
  )
  app.get(
    '/v1/subscriptions',
    {
      schema: {
        tags,
        summary: 'List subscriptions (filter: customerId)',
        querystring: ListQuery({ customerId: Type.Optional(Id) }),
        response: { 200: Page(SubscriptionSchema), ...errors },
      },
    },
    async (req) => {
      const limit = parseLimit(req.query.limit, 1000) ?? 100
      const items = await b.subscriptions.list(tenantOf(req), {
        limit,
        ...(req.query.customerId ? { customerId: req.query.customerId } : {}),
        ...(req.query.after ? { after: req.query.after } : {}),
      })
      return pageOf(items.map(subscriptionJson), limit)
    },
  )
  app.get(
    '/v1/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Get a subscription',
        params: IdParams,
        response: { 200: SubscriptionSchema, ...errors },
      },
    },
    async (req) => subscriptionJson(await b.subscriptions.get(tenantOf(req), req.params.id)),
  )
  app.patch(
    '/v1/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Change quantity and/or price from now on, prorated (credit note + invoice for the rest)',
        headers: IdempotencyHeaders,
        params: IdParams,
        body: PlanBody,
        response: { 200: SubscriptionSchema, ...errors },
      },
    },
    async (req) =>
      subscriptionJson(
        await b.subscriptions.changePlan(
          tenantOf(req),
          req.params.id,
          {
            ...(req.body.quantity !== undefined ? { quantity: BigInt(req.body.quantity) } : {}),
            ...(req.body.priceId ? { priceId: req.body.priceId } : {}),
          },
          actorOf(req),
        ),
      ),
  )
  for (const verb of ['pause', 'resume'] as const)
    app.post(
      `/v1/subscriptions/:id/${verb}`,
      {
        preValidation: emptyBodyIsEmptyObject,
        schema: {
          tags,
          summary:
            verb === 'pause'
              ? 'Pause: periods turn without invoices'
              : 'Resume a paused subscription: billing again from the next period',
          headers: IdempotencyHeaders,
          params: IdParams,
          body: Empty,
          response: { 200: SubscriptionSchema, ...errors },
        },
      },
      async (req) =>
        subscriptionJson(await b.subscriptions[verb](tenantOf(req), req.params.id, actorOf(req))),
    )
  app.post(
    '/v1/subscriptions/:id/cancel',
    {
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags,
        summary: 'Cancel now (unearned rest credited) or at the period end',
        headers: IdempotencyHeaders,
        params: IdParams,
        body: CancelBody,
        response: { 200: SubscriptionSchema, ...errors },
      },
    },
    async (req) =>
      subscriptionJson(
        await b.subscriptions.cancel(
          tenantOf(req),
          req.params.id,
          { atPeriodEnd: req.body.atPeriodEnd ?? false },
          actorOf(req),
        ),
      ),
  )
}

function registerInvoices(app: ApiApp, b: Billing): void {
  const tags = ['billing']
  app.get(
    '/v1/invoices',
    {
      schema: {
        tags,
        summary: 'List invoices (filters: subscriptionId, customerId)',
        querystring: ListQuery({ subscriptionId: Type.Optional(Id), customerId: Type.Optional(Id) }),
        response: { 200: Page(InvoiceSchema), ...errors },
      },
    },
    async (req) => {
      const q = req.query
      const limit = parseLimit(q.limit, 1000) ?? 100
      const items = await b.invoices.list(tenantOf(req), {
        limit,
        ...(q.subscriptionId ? { subscriptionId: q.subscriptionId } : {}),
        ...(q.customerId ? { customerId: q.customerId } : {}),
        ...(q.after ? { after: q.after } : {}),
      })
      return pageOf(items.map(invoiceJson), limit)
    },
  )
  app.get(
    '/v1/invoices/:id',
    {
      schema: {
        tags,
        summary: 'Get an invoice with its lines and payment attempts',
        params: IdParams,
        response: { 200: InvoiceSchema, ...errors },
      },
    },
    async (req) => invoiceJson(await b.invoices.get(tenantOf(req), req.params.id)),
  )
  app.get(
    '/v1/invoices/:id/credit-notes',
    {
      schema: {
        tags,
        summary: "An invoice's credit notes",
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(CreditNoteSchema) }), ...errors },
      },
    },
    async (req) => {
      await b.invoices.get(tenantOf(req), req.params.id) // 404 for an unknown invoice
      return { items: (await b.invoices.creditNotes(tenantOf(req), req.params.id)).map(creditNoteJson) }
    },
  )
  app.post(
    '/v1/invoices/:id/credit-notes',
    {
      schema: {
        tags,
        summary:
          'Credit the unearned rest of the invoice now (open amount first, the rest to customer credit)',
        headers: IdempotencyHeaders,
        params: IdParams,
        body: CreditBody,
        response: { 201: Type.Object({ items: Type.Array(CreditNoteSchema) }), ...errors },
      },
    },
    async (req, reply) => {
      const notes = await b.invoices.credit(
        tenantOf(req),
        req.params.id,
        { reason: req.body.reason, ...keyOf(req) },
        actorOf(req),
      )
      return reply.status(201).send({ items: notes.map(creditNoteJson) })
    },
  )
}

function registerMethods(app: ApiApp, b: Billing): void {
  const tags = ['billing']
  app.post(
    '/v1/payment-methods/client-token',
    {
      schema: {
        tags,
        summary:
          "What the browser needs to collect a method: Braintree Drop-in's client token (default), a Stripe SetupIntent secret",
        headers: IdempotencyHeaders,
        body: SetupBody,
        response: { 201: SetupResponse, ...errors },
      },
    },
    async (req, reply) => {
      const gateway = req.body.gateway ?? 'braintree'
      const s = await b.paymentMethods.startSetup(tenantOf(req), req.body.customerId, gateway)
      return reply.status(201).send({
        gateway,
        clientToken: s.clientSecret,
        customerRef: s.customerRef,
        ...(s.setupRef ? { setupRef: s.setupRef } : {}),
      })
    },
  )
  app.get(
    '/v1/customers/:id/payment-methods',
    {
      schema: {
        tags,
        summary: "A customer's saved payment methods (display data only)",
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(MethodSchema) }), ...errors },
      },
    },
    async (req) => ({ items: (await b.paymentMethods.list(tenantOf(req), req.params.id)).map(methodJson) }),
  )
  app.post(
    '/v1/customers/:id/payment-methods',
    {
      schema: {
        tags,
        summary:
          "Save a payment method (the browser's nonce / PaymentMethod id); a default one recovers open invoices",
        headers: IdempotencyHeaders,
        params: IdParams,
        body: AttachBody,
        response: { 201: AttachResponse, ...errors },
      },
    },
    async (req, reply) => {
      const r = await b.paymentMethods.attach(
        tenantOf(req),
        req.params.id,
        {
          gateway: req.body.gateway,
          paymentMethod: req.body.paymentMethod,
          ...(req.body.setDefault !== undefined ? { setDefault: req.body.setDefault } : {}),
          ...keyOf(req),
        },
        actorOf(req),
      )
      return reply.status(201).send({ paymentMethod: methodJson(r.method), recovery: r.recovery })
    },
  )
  app.delete(
    '/v1/customers/:id/payment-methods/:methodId',
    {
      schema: {
        tags,
        summary: 'Detach a saved method (removed from the gateway vault)',
        params: MethodParams,
        response: { 200: MethodSchema, ...errors },
      },
    },
    async (req) =>
      methodJson(
        await b.paymentMethods.detach(tenantOf(req), req.params.id, req.params.methodId, actorOf(req)),
      ),
  )
}

function registerTestClock(app: ApiApp, b: Billing): void {
  const tags = ['billing']
  app.get(
    '/v1/billing/test-clock',
    {
      schema: {
        tags,
        summary: "Billing's time for this tenant (its test clock if it has one)",
        response: { 200: Type.Object({ now: Type.String({ format: 'date-time' }) }), ...errors },
      },
    },
    async (req) => ({ now: (await b.scheduler.now(tenantOf(req))).toISOString() }),
  )
  app.post(
    '/v1/billing/test-clock',
    {
      schema: {
        tags,
        summary:
          "Move the tenant's test clock forward and run everything due by then (renewals, retries, dunning, revenue). From then on the worker leaves the tenant alone: for sandboxes and tests",
        headers: IdempotencyHeaders,
        body: ClockBody,
        response: { 200: RunReportSchema, ...errors },
      },
    },
    async (req) => {
      const until = dateOf(req.body.until, 'until')
      const { until: _u, ...report } = await b.scheduler.runTestClock(tenantOf(req), until, actorOf(req))
      return { now: until.toISOString(), ...report }
    },
  )
}
