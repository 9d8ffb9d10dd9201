import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../events/index.js'

/** Event names this module publishes through the events outbox, in the transaction of the change. */
export const WEBHOOK_EVENTS = {
  endpointDisabled: 'webhooks.endpoint.disabled.v1',
} as const

/** The type of the event `POST /v1/webhook-endpoints/:id/test` sends (not on the bus). */
export const PING_EVENT_TYPE = 'webhooks.endpoint.ping.v1'

/** Partition key: the endpoint id. */
export const webhooksEvents: readonly EventDefinition[] = [
  defineEvent(
    WEBHOOK_EVENTS.endpointDisabled,
    'An outgoing-webhook endpoint was disabled after every delivery attempt failed for the configured period (default 5 days).',
    Type.Object(
      {
        endpointId: Type.String(),
        url: Type.String(),
        reason: Type.String(),
        failingSince: Type.String({ description: 'ISO 8601 time of the first failure of the streak' }),
        disabledAt: Type.String({ description: 'ISO 8601' }),
      },
      { additionalProperties: false },
    ),
  ),
]
