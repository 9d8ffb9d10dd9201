import { AppError } from '../../shared/errors.js'

/** Stable codes of the outgoing-webhooks module (docs/errors.md, "Outgoing webhooks"). */
export const WEBHOOK_ERRORS = {
  ENDPOINT_NOT_FOUND: 'WEBHOOK_ENDPOINT_NOT_FOUND',
  DELIVERY_NOT_FOUND: 'WEBHOOK_DELIVERY_NOT_FOUND',
  URL_INVALID: 'WEBHOOK_URL_INVALID',
  URL_INSECURE: 'WEBHOOK_URL_INSECURE',
  URL_PRIVATE: 'WEBHOOK_URL_PRIVATE',
  EVENT_TYPE_INVALID: 'WEBHOOK_EVENT_TYPE_INVALID',
  EVENT_TYPE_UNKNOWN: 'WEBHOOK_EVENT_TYPE_UNKNOWN',
  ENDPOINT_DISABLED: 'WEBHOOK_ENDPOINT_DISABLED',
  INVALID_CURSOR: 'WEBHOOK_INVALID_CURSOR',
} as const

export const endpointNotFound = (id: string): AppError =>
  new AppError(WEBHOOK_ERRORS.ENDPOINT_NOT_FOUND, 'not_found', `No webhook endpoint ${id}.`)

export const deliveryNotFound = (id: string): AppError =>
  new AppError(WEBHOOK_ERRORS.DELIVERY_NOT_FOUND, 'not_found', `No webhook delivery ${id}.`)

export const urlInvalid = (why: string): AppError =>
  new AppError(WEBHOOK_ERRORS.URL_INVALID, 'invalid', `The endpoint url is not usable: ${why}.`)

export const urlInsecure = (): AppError =>
  new AppError(
    WEBHOOK_ERRORS.URL_INSECURE,
    'invalid',
    'Endpoint urls must use https (plain http, even to localhost, only when MONETA_WEBHOOKS_ALLOW_HTTP=true).',
  )

export const urlPrivate = (host: string, address: string): AppError =>
  new AppError(
    WEBHOOK_ERRORS.URL_PRIVATE,
    'invalid',
    `${host} resolves to ${address}, a private or reserved address; endpoints must be publicly reachable (MONETA_WEBHOOKS_ALLOW_PRIVATE allows private ones).`,
    { details: { host, address } },
  )

export const eventTypeInvalid = (pattern: string): AppError =>
  new AppError(
    WEBHOOK_ERRORS.EVENT_TYPE_INVALID,
    'invalid',
    `"${pattern}" is not an event type filter: use an event name (payments.payment.succeeded.v1), a prefix wildcard (payments.*) or "*".`,
    { details: { pattern } },
  )

export const eventTypeUnknown = (name: string): AppError =>
  new AppError(
    WEBHOOK_ERRORS.EVENT_TYPE_UNKNOWN,
    'invalid',
    `No event is named "${name}"; see docs/events.md for the catalogue, or use a wildcard such as ${name.split('.')[0] ?? 'payments'}.*.`,
    { details: { name } },
  )

export const endpointDisabled = (id: string): AppError =>
  new AppError(
    WEBHOOK_ERRORS.ENDPOINT_DISABLED,
    'conflict',
    `Webhook endpoint ${id} is disabled; enable it (POST /v1/webhook-endpoints/${id}/enable) before replaying.`,
  )

export const invalidCursor = (): AppError =>
  new AppError(WEBHOOK_ERRORS.INVALID_CURSOR, 'invalid', 'The "before" cursor is not a delivery id.')
