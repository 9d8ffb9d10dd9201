import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../events/index.js'

/** Events billing writes to the outbox in the transaction of the change (docs/billing.md). */
export const BILLING_EVENTS = {
  subscriptionCreated: 'billing.subscription.created.v1',
  subscriptionUpdated: 'billing.subscription.updated.v1',
  subscriptionPastDue: 'billing.subscription.past_due.v1',
  subscriptionRecovered: 'billing.subscription.recovered.v1',
  subscriptionCanceled: 'billing.subscription.canceled.v1',
  subscriptionUnpaid: 'billing.subscription.unpaid.v1',
  invoiceCreated: 'billing.invoice.created.v1',
  invoicePaid: 'billing.invoice.paid.v1',
  invoicePaymentFailed: 'billing.invoice.payment_failed.v1',
  invoiceActionRequired: 'billing.invoice.payment_action_required.v1',
  creditNoteCreated: 'billing.credit_note.created.v1',
  paymentMethodAttached: 'billing.payment_method.attached.v1',
  paymentMethodUpdated: 'billing.payment_method.updated.v1',
} as const

const Amount = Type.String({ pattern: '^[0-9]+$', description: 'integer minor units' })
const Currency = Type.String({ pattern: '^[A-Z]{3}$' })
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])

const Subscription = Type.Object(
  {
    subscriptionId: Type.String({ pattern: '^sub_[0-9a-f]+$' }),
    customerId: Type.String(),
    priceId: Type.String(),
    status: Type.String(),
    quantity: Amount,
    currentPeriodStart: Type.String(),
    currentPeriodEnd: Type.String(),
  },
  { additionalProperties: false },
)
const Invoice = Type.Object(
  {
    invoiceId: Type.String({ pattern: '^inv_[0-9a-f]+$' }),
    subscriptionId: Nullable(Type.String()),
    customerId: Type.String(),
    status: Type.String(),
    total: Amount,
    amountDue: Amount,
    amountPaid: Amount,
    currency: Currency,
    attempt: Type.Integer({ minimum: 0 }),
    declineCode: Type.Optional(Nullable(Type.String())),
    nextAttemptAt: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: false },
)
const CreditNote = Type.Object(
  {
    creditNoteId: Type.String({ pattern: '^cn_[0-9a-f]+$' }),
    invoiceId: Type.String(),
    amount: Amount,
    tax: Amount,
    currency: Currency,
    reason: Type.String(),
  },
  { additionalProperties: false },
)
const PaymentMethod = Type.Object(
  {
    paymentMethodId: Type.String({ pattern: '^bpm_[0-9a-f]+$' }),
    customerId: Type.String(),
    gateway: Type.String(),
    status: Type.String(),
  },
  { additionalProperties: false },
)

export const billingEvents: readonly EventDefinition[] = [
  defineEvent(BILLING_EVENTS.subscriptionCreated, 'A subscription was created.', Subscription),
  defineEvent(
    BILLING_EVENTS.subscriptionUpdated,
    'Quantity, price, pause or cancellation changed.',
    Subscription,
  ),
  defineEvent(BILLING_EVENTS.subscriptionPastDue, 'A renewal payment failed; dunning runs.', Subscription),
  defineEvent(BILLING_EVENTS.subscriptionRecovered, 'A past-due subscription was paid.', Subscription),
  defineEvent(BILLING_EVENTS.subscriptionCanceled, 'The subscription ended.', Subscription),
  defineEvent(BILLING_EVENTS.subscriptionUnpaid, 'Dunning ended without payment.', Subscription),
  defineEvent(BILLING_EVENTS.invoiceCreated, 'An invoice was issued (booked as receivable).', Invoice),
  defineEvent(BILLING_EVENTS.invoicePaid, 'An invoice was paid in full.', Invoice),
  defineEvent(BILLING_EVENTS.invoicePaymentFailed, 'A charge attempt of an invoice failed.', Invoice),
  defineEvent(
    BILLING_EVENTS.invoiceActionRequired,
    'The payer must authenticate (come back on-session).',
    Invoice,
  ),
  defineEvent(BILLING_EVENTS.creditNoteCreated, 'A credit note was issued.', CreditNote),
  defineEvent(
    BILLING_EVENTS.paymentMethodAttached,
    'A payment method was saved for a customer.',
    PaymentMethod,
  ),
  defineEvent(
    BILLING_EVENTS.paymentMethodUpdated,
    'A card updater changed or expired a saved method.',
    PaymentMethod,
  ),
]
