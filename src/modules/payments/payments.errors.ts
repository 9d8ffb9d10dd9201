import { AppError } from '../../shared/errors.js'

export const paymentNotFound = (id: string): AppError =>
  new AppError('PAYMENT_NOT_FOUND', 'not_found', `Payment ${id} not found.`)

export const payoutNotFound = (id: string): AppError =>
  new AppError('PAYOUT_NOT_FOUND', 'not_found', `Payout ${id} not found.`)

export const idempotencyConflict = (): AppError =>
  new AppError(
    'IDEMPOTENCY_CONFLICT',
    'conflict',
    'This Idempotency-Key was already used with a different request; use a new key for a new request.',
  )

export const idempotencyInProgress = (): AppError =>
  new AppError(
    'IDEMPOTENCY_IN_PROGRESS',
    'conflict',
    'A request with this Idempotency-Key is still being processed; retry after it completes.',
  )

export const operationInProgress = (op: string): AppError =>
  new AppError(
    'PAYMENT_OPERATION_IN_PROGRESS',
    'conflict',
    `A ${op} of this payment is in progress at the gateway; retry when it completes.`,
  )

export const captureExceedsAuthorized = (amount: bigint, capturable: bigint): AppError =>
  new AppError(
    'PAYMENT_CAPTURE_EXCEEDS_AUTHORIZED',
    'conflict',
    `Cannot capture ${amount}: at most ${capturable} is capturable.`,
    { details: { capturable: capturable.toString() } },
  )

export const noGateway = (why: string): AppError =>
  new AppError('PAYMENT_NO_GATEWAY', 'rejected', `No gateway can take this payment: ${why}.`)

export const unknownGateway = (name: string): AppError =>
  new AppError('GATEWAY_UNKNOWN', 'invalid', `No gateway "${name}" is configured.`)

export const invalidRoutingRule = (message: string): AppError =>
  new AppError('PAYMENT_ROUTING_RULE_INVALID', 'invalid', message)

export const payoutExceedsBalance = (amount: bigint, available: bigint): AppError =>
  new AppError(
    'PAYOUT_EXCEEDS_BALANCE',
    'conflict',
    `Cannot pay out ${amount}: the gateway balance is ${available}.`,
    { details: { available: available.toString() } },
  )
