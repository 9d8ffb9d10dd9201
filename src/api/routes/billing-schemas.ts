/**
 * Billing's HTTP shapes (docs/billing.md): TypeBox schemas for the OpenAPI document and the mapping of
 * the module's records to JSON. Money is integer minor units as strings, like every other route.
 */
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox'
import {
  INVOICE_STATUSES,
  SUBSCRIPTION_STATUSES,
  type CreditNote,
  type Invoice,
  type Price,
  type PricingModel,
  type Product,
  type SavedPaymentMethod,
  type Subscription,
  modelFromJson as modelFromRecord,
  modelToJson,
} from '../../modules/billing/index.js'
import { ErrorResponse } from '../error-schema.js'
import { LimitQuery } from '../query-limit.js'
import { MAX_PAYMENT_AMOUNT, MinorUnits } from '../schemas.js'

const Amount = Type.String({ pattern: '^-?[0-9]{1,20}$', description: 'Integer minor units' })
const RequestAmount = MinorUnits({ max: MAX_PAYMENT_AMOUNT })
const Quantity = MinorUnits({ positive: true, max: 1_000_000_000n, description: 'Units (a string)' })
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])
const Time = Type.String({ format: 'date-time' })
const NullableTime = Nullable(Time)
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' })
export const IdParams = Type.Object({ id: Id })
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
})
export const errors = {
  400: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  422: ErrorResponse,
  503: ErrorResponse,
}
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), next: Nullable(Type.String()) })
const PageProps = {
  limit: Type.Optional(LimitQuery(1000)),
  after: Type.Optional(Type.String({ maxLength: 64 })),
}
export const ListQuery = <P extends TProperties>(extra: P = {} as P) =>
  Type.Object({ ...PageProps, ...extra }, { additionalProperties: false })
const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ maxLength: 500 }), {
  maxProperties: 50,
})

// ---- catalogue ----

export const ProductSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  active: Type.Boolean(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Time,
})
export const ProductBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), metadata: Type.Optional(Metadata) },
  { additionalProperties: false },
)

const TierSchema = Type.Object(
  {
    upTo: Nullable(Quantity),
    unitAmount: RequestAmount,
    flatAmount: Type.Optional(RequestAmount),
  },
  { additionalProperties: false },
)
const ModelSchema = Type.Union([
  Type.Object({ kind: Type.Literal('fixed'), amount: RequestAmount }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('per_unit'), unitAmount: RequestAmount }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('tiered'),
      mode: Type.Union([Type.Literal('graduated'), Type.Literal('volume')]),
      tiers: Type.Array(TierSchema, { minItems: 1, maxItems: 50 }),
    },
    { additionalProperties: false },
  ),
])
const IntervalSchema = Type.Object(
  {
    unit: Type.Union(['day', 'week', 'month', 'year'].map((u) => Type.Literal(u))),
    count: Type.Integer({ minimum: 1, maximum: 365 }),
  },
  { additionalProperties: false },
)
const DunningFinal = Type.Union([Type.Literal('unpaid'), Type.Literal('canceled')])
export const PriceSchema = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  currency: Type.String(),
  model: ModelSchema,
  interval: IntervalSchema,
  trialDays: Type.Integer(),
  taxRateBps: Type.Integer(),
  dunningDays: Type.Array(Type.Integer()),
  dunningFinal: DunningFinal,
  active: Type.Boolean(),
  createdAt: Time,
})
export const PriceBody = Type.Object(
  {
    productId: Id,
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
    model: ModelSchema,
    interval: IntervalSchema,
    trialDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 730 })),
    taxRateBps: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    dunningDays: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 90 }), { maxItems: 10, description: 'Retry days' }),
    ),
    dunningFinal: Type.Optional(DunningFinal),
  },
  { additionalProperties: false },
)

/** The module's own JSON form of a model is the API's (money as integer strings). */
export const modelFromJson = (m: Static<typeof ModelSchema>): PricingModel => modelFromRecord(m)
const modelJson = (m: PricingModel) => modelToJson(m) as Static<typeof ModelSchema>

export const productJson = (p: Product): Static<typeof ProductSchema> => ({
  id: p.id,
  name: p.name,
  active: p.active,
  metadata: p.metadata,
  createdAt: p.createdAt.toISOString(),
})

export const priceJson = (p: Price): Static<typeof PriceSchema> => ({
  id: p.id,
  productId: p.productId,
  currency: p.currency,
  model: modelJson(p.model),
  interval: { unit: p.interval.unit, count: p.interval.count },
  trialDays: p.trialDays,
  taxRateBps: p.taxRateBps,
  dunningDays: [...p.dunningDays],
  dunningFinal: p.dunningFinal,
  active: p.active,
  createdAt: p.createdAt.toISOString(),
})

// ---- subscriptions ----

export const SubscriptionSchema = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  priceId: Type.String(),
  currency: Type.String(),
  quantity: Type.String(),
  status: Type.Union(SUBSCRIPTION_STATUSES.map((s) => Type.Literal(s))),
  paymentMethodId: Nullable(Type.String()),
  anchor: Time,
  currentPeriodStart: Time,
  currentPeriodEnd: Time,
  trialEnd: NullableTime,
  cancelAtPeriodEnd: Type.Boolean(),
  canceledAt: NullableTime,
  nextRunAt: NullableTime,
  createdAt: Time,
})
export const SubscriptionBody = Type.Object(
  {
    customerId: Id,
    priceId: Id,
    quantity: Type.Optional(Quantity),
    paymentMethodId: Type.Optional(Id),
    trialDays: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 730, description: "Overrides the price's" }),
    ),
    anchor: Type.Optional(
      Type.String({ format: 'date-time', description: 'Start of the first full period' }),
    ),
  },
  { additionalProperties: false },
)
export const PlanBody = Type.Object(
  {
    quantity: Type.Optional(Quantity),
    priceId: Type.Optional(Type.Union([Id], { description: 'Same currency and interval' })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export const CancelBody = Type.Object(
  {
    atPeriodEnd: Type.Optional(
      Type.Boolean({
        description: 'true: ends at the period end; false (default): now, unearned rest credited',
      }),
    ),
  },
  { additionalProperties: false },
)
export const Empty = Type.Object({}, { additionalProperties: false })

const iso = (d: Date | null) => (d ? d.toISOString() : null)
export const subscriptionJson = (s: Subscription): Static<typeof SubscriptionSchema> => ({
  id: s.id,
  customerId: s.customerId,
  priceId: s.priceId,
  currency: s.currency,
  quantity: s.quantity.toString(),
  status: s.status,
  paymentMethodId: s.paymentMethodId,
  anchor: s.anchor.toISOString(),
  currentPeriodStart: s.currentPeriodStart.toISOString(),
  currentPeriodEnd: s.currentPeriodEnd.toISOString(),
  trialEnd: iso(s.trialEnd),
  cancelAtPeriodEnd: s.cancelAtPeriodEnd,
  canceledAt: iso(s.canceledAt),
  nextRunAt: iso(s.nextRunAt),
  createdAt: s.createdAt.toISOString(),
})

// ---- invoices ----

const LineSchema = Type.Object({
  lineNo: Type.Integer(),
  description: Type.String(),
  priceId: Nullable(Type.String()),
  quantity: Type.String(),
  amount: Amount,
  tax: Amount,
  credited: Amount,
  recognized: Amount,
  periodStart: Time,
  recognizeEnd: Time,
})
const AttemptSchema = Type.Object({
  id: Type.String(),
  attempt: Type.Integer(),
  amount: Amount,
  status: Type.String(),
  gateway: Nullable(Type.String()),
  declineCode: Nullable(Type.String()),
  retryable: Nullable(Type.Boolean()),
  createdAt: Time,
})
export const InvoiceSchema = Type.Object({
  id: Type.String(),
  subscriptionId: Nullable(Type.String()),
  customerId: Type.String(),
  reason: Type.String(),
  currency: Type.String(),
  subtotal: Amount,
  tax: Amount,
  total: Amount,
  creditApplied: Amount,
  amountDue: Amount,
  amountPaid: Amount,
  amountCredited: Amount,
  status: Type.Union(INVOICE_STATUSES.map((s) => Type.Literal(s))),
  attemptCount: Type.Integer(),
  nextAttemptAt: NullableTime,
  periodStart: Time,
  periodEnd: Time,
  createdAt: Time,
  paidAt: NullableTime,
  lines: Type.Optional(Type.Array(LineSchema)),
  payments: Type.Optional(Type.Array(AttemptSchema)),
})
export const CreditNoteSchema = Type.Object({
  id: Type.String(),
  invoiceId: Type.String(),
  lineNo: Type.Integer(),
  amount: Amount,
  tax: Amount,
  reason: Type.String(),
  createdAt: Time,
})
export const CreditBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
)

export const invoiceJson = (i: Invoice): Static<typeof InvoiceSchema> => ({
  id: i.id,
  subscriptionId: i.subscriptionId,
  customerId: i.customerId,
  reason: i.reason,
  currency: i.currency,
  subtotal: i.subtotal.toString(),
  tax: i.tax.toString(),
  total: i.total.toString(),
  creditApplied: i.creditApplied.toString(),
  amountDue: i.amountDue.toString(),
  amountPaid: i.amountPaid.toString(),
  amountCredited: i.amountCredited.toString(),
  status: i.status,
  attemptCount: i.attemptCount,
  nextAttemptAt: iso(i.nextAttemptAt),
  periodStart: i.periodStart.toISOString(),
  periodEnd: i.periodEnd.toISOString(),
  createdAt: i.createdAt.toISOString(),
  paidAt: iso(i.paidAt),
  ...(i.lines
    ? {
        lines: i.lines.map((l) => ({
          lineNo: l.lineNo,
          description: l.description,
          priceId: l.priceId,
          quantity: l.quantity.toString(),
          amount: l.amount.toString(),
          tax: l.tax.toString(),
          credited: l.credited.toString(),
          recognized: l.recognized.toString(),
          periodStart: l.periodStart.toISOString(),
          recognizeEnd: l.recognizeEnd.toISOString(),
        })),
      }
    : {}),
  ...(i.payments
    ? {
        payments: i.payments.map((p) => ({
          id: p.id,
          attempt: p.attempt,
          amount: p.amount.toString(),
          status: p.status,
          gateway: p.gateway,
          declineCode: p.declineCode,
          retryable: p.retryable,
          createdAt: p.createdAt.toISOString(),
        })),
      }
    : {}),
})

export const creditNoteJson = (n: CreditNote): Static<typeof CreditNoteSchema> => ({
  id: n.id,
  invoiceId: n.invoiceId,
  lineNo: n.lineNo,
  amount: n.amount.toString(),
  tax: n.tax.toString(),
  reason: n.reason,
  createdAt: n.createdAt.toISOString(),
})

// ---- saved payment methods ----

export const MethodSchema = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  gateway: Type.String(),
  kind: Type.Union([Type.Literal('card'), Type.Literal('paypal')]),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('detached')]),
  isDefault: Type.Boolean(),
  brand: Nullable(Type.String()),
  last4: Nullable(Type.String()),
  expMonth: Nullable(Type.Integer()),
  expYear: Nullable(Type.Integer()),
  email: Nullable(Type.String()),
  createdAt: Time,
})
export const AttachBody = Type.Object(
  {
    gateway: Type.String({ minLength: 1, maxLength: 64, description: 'sandbox, braintree, stripe' }),
    paymentMethod: Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Braintree nonce, Stripe PaymentMethod id (from the SetupIntent), or a sandbox magic method',
    }),
    setDefault: Type.Optional(Type.Boolean({ description: 'Default true' })),
  },
  { additionalProperties: false },
)
export const AttachResponse = Type.Object({
  paymentMethod: MethodSchema,
  recovery: Type.Object(
    { attempted: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer() },
    { description: "Retries of the customer's open invoices on the new default method" },
  ),
})
export const SetupBody = Type.Object(
  { customerId: Id, gateway: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
  { additionalProperties: false },
)
export const SetupResponse = Type.Object({
  gateway: Type.String(),
  clientToken: Type.String({ description: 'Braintree client token / Stripe SetupIntent client_secret' }),
  customerRef: Type.String(),
  setupRef: Type.Optional(Type.String()),
})
export const MethodParams = Type.Object({ id: Id, methodId: Id })

export const methodJson = (m: SavedPaymentMethod): Static<typeof MethodSchema> => ({
  id: m.id,
  customerId: m.customerId,
  gateway: m.gateway,
  kind: m.kind,
  status: m.status,
  isDefault: m.isDefault,
  brand: m.brand,
  last4: m.last4,
  expMonth: m.expMonth,
  expYear: m.expYear,
  email: m.email,
  createdAt: m.createdAt.toISOString(),
})

// ---- test clock ----

export const ClockBody = Type.Object(
  { until: Type.String({ format: 'date-time', description: 'Forward only' }) },
  { additionalProperties: false },
)
export const RunReportSchema = Type.Object({
  now: Time,
  renewed: Type.Integer(),
  invoices: Type.Integer(),
  charges: Type.Integer(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  dunningEnded: Type.Integer(),
  recognized: Type.Integer(),
})
