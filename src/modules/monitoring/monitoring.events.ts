import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../events/index.js'

/** Event names this module publishes (through the events outbox, in the alert's transaction). */
export const MONITORING_EVENTS = {
  alertRaised: 'monitoring.alert.raised.v1',
} as const

/**
 * `monitoring.alert.raised.v1` — a new alert (not a repeat of an open one). Partition key: the
 * subject account, so a consumer sees one account's alerts in order.
 */
export const monitoringEvents: readonly EventDefinition[] = [
  defineEvent(
    MONITORING_EVENTS.alertRaised,
    'Transaction monitoring raised an alert (one per rule, subject account and dedup window).',
    Type.Object(
      {
        alertId: Type.String(),
        ruleSetVersion: Type.Integer(),
        ruleId: Type.String(),
        typology: Type.Union([Type.String(), Type.Null()]),
        subject: Type.String(),
        outcome: Type.Union([Type.Literal('allow'), Type.Literal('review'), Type.Literal('block')]),
        score: Type.Number(),
        reason: Type.String(),
        txnId: Type.String(),
        at: Type.String({ description: 'ISO 8601 time of the transaction' }),
        context: Type.Record(Type.String(), Type.Unknown()),
      },
      { additionalProperties: true },
    ),
  ),
]
