import { AppError, type ErrorKind } from '../../shared/errors.js'

/**
 * Every code the payments core raises, its kind (the HTTP status) and a default message. Each one is
 * documented in docs/errors.md (payments.errors.test.ts checks it). Gateway failures keep their own
 * GATEWAY_* / PAYMENT_DECLINED codes (gateway.ts); the webhook inbox has webhook-inbox.errors.ts.
 */
export const PAYMENT_ERRORS = {
  PAYMENT_NOT_FOUND: ['not_found', 'Payment not found'],
  PAYOUT_NOT_FOUND: ['not_found', 'Payout not found'],
  PAYMENT_COMMAND_NOT_FOUND: ['not_found', 'Payment command not found'],
  PAYMENT_COMMAND_UNSUPPORTED_FIELD: ['invalid', 'This field is not accepted with ?async=true'],
  PAYMENT_INVALID_STATE: ['conflict', 'The command does not apply in the payment status'],
  PAYMENT_OPERATION_IN_PROGRESS: ['conflict', 'An operation of this payment is in progress at the gateway'],
  PAYMENT_CAPTURE_EXCEEDS_AUTHORIZED: ['conflict', 'The capture exceeds what is capturable'],
  PAYMENT_REFUND_EXCEEDS_CAPTURED: ['conflict', 'The refund exceeds what is refundable'],
  PAYMENT_DISPUTE_EXCEEDS_CAPTURED: ['conflict', 'The dispute exceeds what was captured'],
  PAYMENT_GATEWAY_AMOUNT_MISMATCH: ['conflict', 'The gateway reported an amount outside what was asked'],
  PAYMENT_EVENT_OUT_OF_ORDER: ['unavailable', 'The event needs a fact not known yet'],
  PAYMENT_NO_GATEWAY: ['rejected', 'No gateway can take this payment'],
  PAYMENT_ROUTING_RULE_INVALID: ['invalid', 'Invalid routing rule'],
  PAYMENT_LEDGER_REJECTED: ['internal', 'The ledger refused a payment posting'],
  PAYOUT_EXCEEDS_BALANCE: ['conflict', 'The payout exceeds the gateway balance'],
  STRAY_CHARGE_NOT_FOUND: ['not_found', 'Stray charge not found'],
  STRAY_CHARGE_NOT_FAILED: [
    'conflict',
    'Only a stray charge whose reversal failed is resolved by hand; the sweeper is still on this one, or it is reversed.',
  ],
  GATEWAY_UNKNOWN: ['invalid', 'No such gateway is configured'],
  IDEMPOTENCY_CONFLICT: [
    'conflict',
    'This Idempotency-Key was already used with a different request; use a new key for a new request.',
  ],
  IDEMPOTENCY_IN_PROGRESS: [
    'conflict',
    'A request with this Idempotency-Key is still being processed; retry after it completes.',
  ],
  INVALID_IDEMPOTENCY_KEY: ['invalid', 'Idempotency-Key is 1 to 255 characters.'],
  INVALID_AMOUNT: ['invalid', 'amount must be greater than zero.'],
  AMOUNT_OUT_OF_RANGE: ['invalid', 'The amount exceeds the maximum.'],
  INVALID_METADATA: ['invalid', 'Invalid metadata'],
  INVALID_PAYMENT_METHOD: [
    'invalid',
    'paymentMethod is a token, nonce or saved method id (1 to 255 characters).',
  ],
  INVALID_REASON: ['invalid', 'reason is at most 500 characters.'],
  INVALID_NOTE: ['invalid', 'note is 1 to 500 characters and not only spaces.'],
  INVALID_REVERSAL_REF: [
    'invalid',
    'reversalRef is the gateway id of the refund or void, 1 to 255 characters.',
  ],
  INVALID_FEE: [
    'invalid',
    "fee is minor units from 0 to the charge's amount, and only for a reversal that refunded it.",
  ],
  INVALID_LIMIT: ['invalid', 'limit must be from 1 to 1000.'],
  INVALID_SORT: ['invalid', 'sort must be created, amount or status.'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type PaymentErrorCode = keyof typeof PAYMENT_ERRORS

/** An error of the catalogue; `message` replaces the default when the caller knows more. */
export function paymentError(
  code: PaymentErrorCode,
  message?: string,
  details?: Record<string, unknown>,
): AppError {
  const [kind, fallback] = PAYMENT_ERRORS[code]
  return new AppError(code, kind, message ?? fallback, details ? { details } : {})
}

export const paymentNotFound = (id: string): AppError =>
  paymentError('PAYMENT_NOT_FOUND', `Payment ${id} not found.`)

export const payoutNotFound = (id: string): AppError =>
  paymentError('PAYOUT_NOT_FOUND', `Payout ${id} not found.`)

export const idempotencyConflict = (): AppError => paymentError('IDEMPOTENCY_CONFLICT')

export const idempotencyInProgress = (): AppError => paymentError('IDEMPOTENCY_IN_PROGRESS')

export const operationInProgress = (op: string): AppError =>
  paymentError(
    'PAYMENT_OPERATION_IN_PROGRESS',
    `A ${op} of this payment is in progress at the gateway; retry when it completes.`,
  )

export const captureExceedsAuthorized = (amount: bigint, capturable: bigint): AppError =>
  paymentError(
    'PAYMENT_CAPTURE_EXCEEDS_AUTHORIZED',
    `Cannot capture ${amount}: at most ${capturable} is capturable.`,
    { capturable: capturable.toString() },
  )

export const noGateway = (why: string): AppError =>
  paymentError('PAYMENT_NO_GATEWAY', `No gateway can take this payment: ${why}.`)

export const unknownGateway = (name: string): AppError =>
  paymentError('GATEWAY_UNKNOWN', `No gateway "${name}" is configured.`)

export const invalidRoutingRule = (message: string): AppError =>
  paymentError('PAYMENT_ROUTING_RULE_INVALID', message)

export const payoutExceedsBalance = (amount: bigint, available: bigint): AppError =>
  paymentError('PAYOUT_EXCEEDS_BALANCE', `Cannot pay out ${amount}: the gateway balance is ${available}.`, {
    available: available.toString(),
  })

export const ledgerRejected = (what: string): AppError => paymentError('PAYMENT_LEDGER_REJECTED', what)
