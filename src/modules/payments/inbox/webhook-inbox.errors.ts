import { AppError } from '../../../shared/errors.js'

export const webhookGatewayUnknown = (name: string): AppError =>
  new AppError(
    'WEBHOOK_GATEWAY_UNKNOWN',
    'not_found',
    `No gateway "${name}" takes webhooks here; use /v1/webhooks/sandbox, /stripe or /braintree as configured.`,
  )

/** Stored on the row (never an HTTP answer): the event names no payment this installation knows yet. */
export const webhookTenantUnresolved = (why: string): AppError =>
  new AppError('WEBHOOK_TENANT_UNRESOLVED', 'not_found', `The event cannot be tied to a tenant yet: ${why}.`)

export const webhookEventNotDead = (eventId: string): AppError =>
  new AppError(
    'WEBHOOK_EVENT_NOT_DEAD',
    'not_found',
    `No dead-lettered webhook event "${eventId}"; list them with \`moneta webhooks list --status dead\`.`,
  )

/** The inbox could not store the event: the gateway gets a 503 and delivers it again later. */
export const webhookInboxUnavailable = (cause: unknown): AppError =>
  new AppError('WEBHOOK_INBOX_UNAVAILABLE', 'unavailable', 'The webhook could not be stored; retry later.', {
    cause,
  })
