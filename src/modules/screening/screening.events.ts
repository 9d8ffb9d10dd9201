import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../events/index.js'

/** Event names this module publishes through the events outbox, in the transaction of the change. */
export const SCREENING_EVENTS = {
  listImported: 'screening.list.imported.v1',
  alertCreated: 'screening.alert.created.v1',
  decisionRecorded: 'screening.decision.recorded.v1',
} as const

/**
 * Partition keys: the list id for imports (snapshots of one list stay in order), the subject id for
 * alerts and decisions (one customer's screening history stays in order).
 */
export const screeningEvents: readonly EventDefinition[] = [
  defineEvent(
    SCREENING_EVENTS.listImported,
    'A list snapshot became active; counts of added, removed and changed entries against the previous one.',
    Type.Object(
      {
        snapshotId: Type.String(),
        listId: Type.String(),
        format: Type.String(),
        sha256: Type.String(),
        entryCount: Type.Integer(),
        added: Type.Integer(),
        removed: Type.Integer(),
        changed: Type.Integer(),
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    SCREENING_EVENTS.alertCreated,
    'A screening or rescreening hit on a subject (one per subject version and list-entry version).',
    Type.Object(
      {
        alertId: Type.String(),
        subjectId: Type.String(),
        listId: Type.String(),
        entryKey: Type.String(),
        score: Type.Number(),
        source: Type.Union([Type.Literal('screen'), Type.Literal('rescreen')]),
        summary: Type.String(),
        /** Set when the subject is one of a party's names (docs/parties.md). */
        partyId: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    SCREENING_EVENTS.decisionRecorded,
    'An analyst decided on a (subject, list entry) pair; not_a_match suppresses it until either side changes.',
    Type.Object(
      {
        decisionId: Type.String(),
        subjectId: Type.String(),
        listId: Type.String(),
        entryKey: Type.String(),
        decision: Type.Union([Type.Literal('not_a_match'), Type.Literal('true_match')]),
        analyst: Type.String(),
      },
      { additionalProperties: false },
    ),
  ),
]
