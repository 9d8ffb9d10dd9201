/**
 * Outgoing webhooks (Standard Webhooks): tenants' endpoints, signed deliveries with retries over
 * about 3 days, a delivery log, replay, automatic disabling, secret rotation. docs/webhooks-out.md.
 *
 *   const { endpoint, secret } = await services.webhooks.createEndpoint(tenant, { url, eventTypes: ['payments.*'] })
 *   await services.webhooks.startConsumer()   // bus → deliveries (group webhooks-out)
 *   services.webhooks.worker.start()          // deliveries → HTTP
 */
export { createWebhooks, CONSUMER_GROUP, DEFAULT_WEBHOOKS_OPTIONS } from './webhooks.service.js'
export type {
  Webhooks,
  WebhooksDeps,
  WebhooksOptions,
  EndpointInput,
  EndpointPatchInput,
  EndpointWithSecret,
  DeliveryQuery,
} from './webhooks.service.js'
export type { DeliveryWorker, RunStats } from './delivery-worker.js'
export type { Endpoint, Delivery, DeliveryStatus, Attempt } from './webhooks.js'
export { RETRY_DELAYS_MS, MAX_ATTEMPTS, matchesFilter, sign, signatureHeader } from './webhooks.js'
export { isPrivateAddress } from './url-guard.js'
export { WEBHOOK_ERRORS } from './webhooks.errors.js'
export { WEBHOOK_EVENTS, PING_EVENT_TYPE, webhooksEvents } from './webhooks.events.js'
export { webhooksMigrations } from './webhooks.migrations.js'
