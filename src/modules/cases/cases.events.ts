import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../events/index.js'

/** Event names this module publishes, through the outbox in the transaction of the change. */
export const CASES_EVENTS = {
  opened: 'cases.case.opened.v1',
  assigned: 'cases.case.assigned.v1',
  closed: 'cases.case.closed.v1',
} as const

/** Partition key: the case id (one case's events stay in order). */
export const casesEvents: readonly EventDefinition[] = [
  defineEvent(
    CASES_EVENTS.opened,
    'A case was opened for a party and subject by its first alert.',
    Type.Object(
      {
        caseId: Type.String(),
        partyId: Type.Union([Type.String(), Type.Null()]),
        subject: Type.String(),
        kind: Type.String(),
        priority: Type.Integer({ minimum: 1, maximum: 4 }),
        dueAt: Type.String(),
        alertIds: Type.Array(Type.String()),
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    CASES_EVENTS.assigned,
    'A case was assigned to an operator (or unassigned: assignee null).',
    Type.Object(
      {
        caseId: Type.String(),
        assignee: Type.Union([Type.String(), Type.Null()]),
        previous: Type.Union([Type.String(), Type.Null()]),
        by: Type.String(),
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    CASES_EVENTS.closed,
    'A case was closed with a structured outcome (the label of its alerts); approvedBy is set under four-eyes.',
    Type.Object(
      {
        caseId: Type.String(),
        partyId: Type.Union([Type.String(), Type.Null()]),
        subject: Type.String(),
        outcome: Type.Union([
          Type.Literal('no_issue'),
          Type.Literal('false_positive'),
          Type.Literal('true_positive'),
          Type.Literal('sar_filed'),
        ]),
        closedBy: Type.String(),
        approvedBy: Type.Union([Type.String(), Type.Null()]),
        alertIds: Type.Array(Type.String()),
      },
      { additionalProperties: false },
    ),
  ),
]
