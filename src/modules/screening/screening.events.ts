/** Event names this module owns (published through the outbox once the events wiring lands). */
export const SCREENING_EVENTS = {
  listImported: 'screening.list.imported.v1',
  alertCreated: 'screening.alert.created.v1',
  decisionRecorded: 'screening.decision.recorded.v1',
} as const
