/**
 * Compliance cases: alerts from monitoring, screening and market surveillance land in one open case
 * per party and subject; analysts work them (assign, comment, evidence, links); closing is a
 * structured outcome (the label a risk model learns from), under four eyes where it matters.
 *
 *   const cases = createCases({ db, clock, ids, outbox, audit, fieldCipher })
 *   await cases.startConsumer(events.bus, events.inbox, ['monitoring', 'screening', 'market'])
 *   await cases.close(tenant, caseId, { outcome: 'sar_filed', reason }, actor)   // → pending_approval
 *   await cases.decide(tenant, caseId, { approve: true }, otherActor)             // → closed
 */
export { createCases, ATTACHMENT_FIELD } from './cases.service.js'
export type { Cases, CasesDeps } from './cases.service.js'
export type { CaseAuditSink, PartyLookup, TransactionHistory } from './context.js'
export {
  ALERT_SOURCES,
  CASE_OUTCOMES,
  CASE_STATUSES,
  DEFAULT_SLA_HOURS,
  DEFAULT_FOUR_EYES,
  SYSTEM_ACTOR,
} from './cases.js'
export type {
  Actor,
  AlertSource,
  Case,
  CaseAlert,
  CaseOutcome,
  CaseStatus,
  Priority,
  SlaHours,
} from './cases.js'
export type { CloseResult, Proposal } from './closing.js'
export type { QueueFilter, QueuePage } from './queue.js'
export type { CaseView, AlertLabel } from './views.js'
export type { AttachmentMeta } from './workflow.js'
export type { IntakeResult } from './intake.js'
export type { SarDraft, SarTransaction, SarNarrative, SarCategory } from './sar.js'
export type { SarVersion, SarEdit } from './sar.service.js'
export { ALERT_TOPICS, alertFromEvent } from './alert-sources.js'
export { CASES_CONSUMER_GROUP, ingestMessages } from './intake.js'
export { verifyEvidenceBundle } from './bundle-verify.js'
export type { BundleCheck } from './bundle-verify.js'
export type { BundleAudit, BundleSigner } from './bundle.js'
export { CASES_ERRORS } from './cases.errors.js'
export { CASES_EVENTS, casesEvents } from './cases.events.js'
export { casesMigrations } from './cases.migrations.js'
