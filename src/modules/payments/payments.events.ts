import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../events/index.js'
import { paymentCommandEvents } from './commands/commands.events.js'

/** Event names this module publishes through the outbox, in the transaction of the change. */
export const PAYMENT_EVENTS = {
  created: 'payments.payment.created.v1',
  authorized: 'payments.payment.authorized.v1',
  captured: 'payments.payment.captured.v1',
  failed: 'payments.payment.failed.v1',
  canceled: 'payments.payment.canceled.v1',
  refundSucceeded: 'payments.refund.succeeded.v1',
  disputeOpened: 'payments.dispute.opened.v1',
  disputeWon: 'payments.dispute.won.v1',
  disputeLost: 'payments.dispute.lost.v1',
  payoutCreated: 'payments.payout.created.v1',
  strayChargeDetected: 'payments.stray_charge.detected.v1',
  strayChargeReversed: 'payments.stray_charge.reversed.v1',
  strayChargeReversalFailed: 'payments.stray_charge.reversal_failed.v1',
  strayChargeResolved: 'payments.stray_charge.resolved.v1',
} as const

const Amount = Type.String({ pattern: '^[0-9]+$', description: 'integer minor units' })
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])

/** Every payment event: what happened, to which payment, through which gateway. */
const PaymentPayload = Type.Object(
  {
    paymentId: Type.String({ pattern: '^pay_[A-Za-z0-9]+$' }),
    status: Type.String(),
    amount: Amount,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    amountCaptured: Amount,
    amountRefunded: Amount,
    gateway: Nullable(Type.String()),
    gatewayRef: Nullable(Type.String()),
    customer: Nullable(Type.String()),
    declineCode: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: false },
)
const RefundPayload = Type.Object(
  {
    refundId: Type.String(),
    paymentId: Type.String(),
    amount: Amount,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    gateway: Type.String(),
    gatewayRef: Nullable(Type.String()),
  },
  { additionalProperties: false },
)
const DisputePayload = Type.Object(
  {
    disputeId: Type.String(),
    paymentId: Type.String(),
    amount: Amount,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    gateway: Type.String(),
    gatewayRef: Type.String(),
  },
  { additionalProperties: false },
)
const PayoutPayload = Type.Object(
  {
    payoutId: Type.String(),
    amount: Amount,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    gateway: Type.String(),
    gatewayRef: Nullable(Type.String()),
    status: Type.String(),
  },
  { additionalProperties: false },
)
/** A charge a gateway made for a payment booked elsewhere (ADR 0506), and what became of it. */
const StrayChargePayload = Type.Object(
  {
    strayChargeId: Type.String(),
    paymentId: Type.String(),
    amount: Amount,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    gateway: Type.String(),
    gatewayRef: Type.String(),
    paymentGateway: Nullable(Type.String()),
    status: Type.String(),
    reversal: Nullable(Type.String()),
    reversalRef: Nullable(Type.String()),
    // minor units as a string: the fee the gateway kept on a refunded charge (absent otherwise)
    reversalFee: Type.Optional(Type.String()),
    error: Nullable(Type.String()),
    resolvedBy: Type.Optional(Type.String()),
    note: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: false },
)

/** Partition key: the payment id (a payment's events stay in order); the payout id for payouts. */
export const paymentEvents: readonly EventDefinition[] = [
  defineEvent(PAYMENT_EVENTS.created, 'A payment was created (not yet sent to a gateway).', PaymentPayload),
  defineEvent(
    PAYMENT_EVENTS.authorized,
    'The gateway authorised the payment; the amount is held.',
    PaymentPayload,
  ),
  defineEvent(
    PAYMENT_EVENTS.captured,
    'The payment was captured (fully or partly); money is ours.',
    PaymentPayload,
  ),
  defineEvent(
    PAYMENT_EVENTS.failed,
    'The gateway declined the payment or it failed for good.',
    PaymentPayload,
  ),
  defineEvent(PAYMENT_EVENTS.canceled, 'The payment was canceled; any hold is released.', PaymentPayload),
  defineEvent(
    PAYMENT_EVENTS.refundSucceeded,
    'A refund (full or partial) succeeded at the gateway.',
    RefundPayload,
  ),
  defineEvent(
    PAYMENT_EVENTS.disputeOpened,
    'The payer disputed the payment; the gateway withdrew the amount.',
    DisputePayload,
  ),
  defineEvent(
    PAYMENT_EVENTS.disputeWon,
    'A dispute was decided for the merchant; the amount came back.',
    DisputePayload,
  ),
  defineEvent(PAYMENT_EVENTS.disputeLost, 'A dispute was lost; the amount is gone for good.', DisputePayload),
  defineEvent(
    PAYMENT_EVENTS.payoutCreated,
    'Funds were paid out from a gateway balance to the bank.',
    PayoutPayload,
  ),
  defineEvent(
    PAYMENT_EVENTS.strayChargeDetected,
    'A gateway charged for a payment that is booked at another gateway (a late request); it will be reversed.',
    StrayChargePayload,
  ),
  defineEvent(
    PAYMENT_EVENTS.strayChargeReversed,
    'A stray charge was reversed at its gateway (authorisation voided or capture refunded).',
    StrayChargePayload,
  ),
  defineEvent(
    PAYMENT_EVENTS.strayChargeReversalFailed,
    'A stray charge could not be reversed at its gateway; an operator must act.',
    StrayChargePayload,
  ),
  defineEvent(
    PAYMENT_EVENTS.strayChargeResolved,
    'An operator reversed a stray charge by hand at its gateway (its automatic reversal had failed) and marked it so.',
    StrayChargePayload,
  ),
  // Asynchronous intake (`?async=true`): the accepted-commands topic and the outcome events.
  ...paymentCommandEvents,
]
