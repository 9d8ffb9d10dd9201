import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { FieldCipher } from '../crypto/index.js'
import type { ConsumerInbox, EventBus, Outbox, Subscription } from '../events/index.js'
import {
  DEFAULT_FOUR_EYES,
  DEFAULT_SLA_HOURS,
  type Actor,
  type AlertSource,
  type CaseAlert,
  type CaseOutcome,
  type CaseStatus,
  type FourEyesPolicy,
  type SlaHours,
} from './cases.js'
import { close, decide, type CloseResult, type Proposal } from './closing.js'
import type { CaseAuditSink, CasesContext, PartyLookup, TransactionHistory } from './context.js'
import { ingestAlerts, startAlertConsumer, type IntakeResult } from './intake.js'
import { listQueue, type QueueFilter, type QueuePage } from './queue.js'
import { buildEvidenceBundle, type BundleAudit, type BundleSigner } from './bundle.js'
import { casesError } from './cases.errors.js'
import { sarToBsaXml, sarToHtml } from './sar-export.js'
import { draftSar, editSar, getSar, sarVersions, type SarEdit, type SarVersion } from './sar.service.js'
import { caseView, labels, type AlertLabel, type CaseView } from './views.js'
import {
  assign,
  attach,
  comment,
  link,
  moveTo,
  readAttachment,
  withCase,
  type AttachmentMeta,
} from './workflow.js'

export interface CasesDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger?: Logger | undefined
  readonly outbox: Outbox
  readonly audit: CaseAuditSink
  readonly fieldCipher: FieldCipher
  readonly sla?: Partial<SlaHours>
  readonly fourEyes?: Partial<FourEyesPolicy>
  readonly parties?: PartyLookup | undefined
  readonly history?: TransactionHistory | undefined
  /** Evidence bundles: the audit log (entries, proofs, checkpoints) and the key that signs bundles. */
  readonly evidence?: { readonly audit: BundleAudit; readonly signer: () => BundleSigner } | undefined
}

/**
 * Alerts → cases → decisions. Every method that changes a case writes its timeline entry, its audit
 * entry and (for open, assign, close) its outbox event in the change's transaction.
 */
export interface Cases {
  /** Alerts → one open case per party and subject; idempotent per (source, alert id). In `tx` when given. */
  ingest(tenant: string, alerts: readonly CaseAlert[], tx?: Db): Promise<IntakeResult>
  /** The consumer of the enabled sources' alert events (through the consumer inbox). */
  startConsumer(bus: EventBus, inbox: ConsumerInbox, sources: readonly AlertSource[]): Promise<Subscription>
  queue(tenant: string, filter?: QueueFilter): Promise<QueuePage>
  /** CASES_NOT_FOUND. */
  get(tenant: string, caseId: string): Promise<CaseView>
  /** CASES_NOT_FOUND · CASES_CLOSED · CASES_INVALID_INPUT. Assigning an open case starts the investigation. */
  assign(tenant: string, caseId: string, assignee: string | null, actor: Actor): Promise<void>
  /** open → investigating | escalated; investigating ⇄ escalated. CASES_INVALID_TRANSITION · CASES_CLOSED. */
  setStatus(tenant: string, caseId: string, status: CaseStatus, actor: Actor, note?: string): Promise<void>
  comment(tenant: string, caseId: string, text: string, actor: Actor): Promise<void>
  link(
    tenant: string,
    caseId: string,
    type: 'transaction' | 'counterparty',
    ref: string,
    actor: Actor,
  ): Promise<boolean>
  /** CASES_ATTACHMENT_TOO_LARGE. Content encrypted at rest. */
  attach(
    tenant: string,
    caseId: string,
    file: { name: string; mediaType: string; content: Buffer },
    actor: Actor,
  ): Promise<AttachmentMeta>
  readAttachment(
    tenant: string,
    caseId: string,
    attachmentId: string,
    actor: Actor,
  ): Promise<{ meta: AttachmentMeta; content: Buffer }>
  /** Closes, or proposes when four eyes are needed. CASES_APPROVAL_PENDING · CASES_CLOSED. */
  close(
    tenant: string,
    caseId: string,
    input: { outcome: CaseOutcome; reason: string },
    actor: Actor,
  ): Promise<CloseResult>
  /** CASES_NO_PROPOSAL · CASES_FOUR_EYES_SAME_OPERATOR · CASES_APPROVER_NOT_ALLOWED. */
  decide(
    tenant: string,
    caseId: string,
    input: { approve: boolean; note?: string },
    actor: Actor,
  ): Promise<CloseResult | { status: 'rejected'; proposal: Proposal }>
  /** Closed cases' outcomes per alert: the structured labels a risk model trains on. */
  labels(tenant: string, opts?: { after?: Date; limit?: number }): Promise<AlertLabel[]>
  /** A new SAR draft version built from the case's facts now (also on a closed case). */
  draftSar(tenant: string, caseId: string, actor: Actor): Promise<SarVersion>
  /** A new version with the analyst's changes. CASES_SAR_NOT_FOUND · CASES_SAR_STALE. */
  editSar(
    tenant: string,
    caseId: string,
    input: { baseVersion: number; changes: SarEdit; note?: string },
    actor: Actor,
  ): Promise<SarVersion>
  /** The latest draft (or a version). CASES_SAR_NOT_FOUND. */
  getSar(tenant: string, caseId: string, version?: number): Promise<SarVersion>
  sarVersions(tenant: string, caseId: string): Promise<Omit<SarVersion, 'draft'>[]>
  /** The draft as JSON, readable HTML or FinCEN BSA XML batch structure. */
  exportSar(
    tenant: string,
    caseId: string,
    format: 'json' | 'html' | 'xml',
    version?: number,
  ): Promise<{ contentType: string; body: string }>
  /**
   * The signed evidence bundle (canonical JSON text): case, alerts, transactions, decisions, SAR draft,
   * every audit entry touching them with inclusion proofs against a signed checkpoint. Audited.
   */
  evidenceBundle(tenant: string, caseId: string, actor: Actor): Promise<string>
  /** The shared context (SAR drafts and evidence bundles build on it). */
  readonly context: CasesContext
}

export const ATTACHMENT_FIELD = {
  table: 'cases_attachments',
  column: 'content_ct',
  idColumn: 'attachment_id',
}

export function createCases(deps: CasesDeps): Cases {
  const ctx: CasesContext = {
    db: deps.db,
    clock: deps.clock,
    ids: deps.ids,
    logger: deps.logger,
    outbox: deps.outbox,
    audit: deps.audit,
    attachmentCipher: deps.fieldCipher.field(ATTACHMENT_FIELD),
    sla: { ...DEFAULT_SLA_HOURS, ...deps.sla },
    fourEyes: { ...DEFAULT_FOUR_EYES, ...deps.fourEyes },
    parties: deps.parties,
    history: deps.history,
  }
  return {
    context: ctx,
    ingest: (tenant, alerts, tx) =>
      tx
        ? ingestAlerts(ctx, tx, tenant, alerts)
        : ctx.db.transaction().execute((t) => ingestAlerts(ctx, t, tenant, alerts)),
    startConsumer: (bus, inbox, sources) => startAlertConsumer(ctx, bus, inbox, sources),
    queue: (tenant, filter = {}) => listQueue(ctx.db, tenant, filter),
    get: (tenant, caseId) => caseView(ctx, tenant, caseId),
    assign: (tenant, caseId, assignee, actor) => assign(ctx, tenant, caseId, assignee, actor),
    setStatus: (tenant, caseId, status, actor, note) => moveTo(ctx, tenant, caseId, status, actor, note),
    comment: (tenant, caseId, text, actor) => comment(ctx, tenant, caseId, text, actor),
    link: (tenant, caseId, type, ref, actor) => link(ctx, tenant, caseId, type, ref, actor),
    attach: (tenant, caseId, file, actor) => attach(ctx, tenant, caseId, file, actor),
    readAttachment: (tenant, caseId, id, actor) => readAttachment(ctx, tenant, caseId, id, actor),
    close: (tenant, caseId, input, actor) => close(ctx, tenant, caseId, input, actor),
    decide: (tenant, caseId, input, actor) => decide(ctx, tenant, caseId, input, actor),
    labels: (tenant, opts) => labels(ctx, tenant, opts),
    draftSar: (tenant, caseId, actor) => draftSar(ctx, tenant, caseId, actor),
    editSar: (tenant, caseId, input, actor) => editSar(ctx, tenant, caseId, input, actor),
    getSar: (tenant, caseId, version) => getSar(ctx, tenant, caseId, version),
    sarVersions: (tenant, caseId) => sarVersions(ctx, tenant, caseId),
    async evidenceBundle(tenant, caseId, actor) {
      if (!deps.evidence) throw casesError('CASES_BUNDLE_INVALID', 'evidence bundles are not configured')
      const text = await buildEvidenceBundle(
        ctx,
        deps.evidence.audit,
        deps.evidence.signer(),
        tenant,
        caseId,
        actor,
      )
      await withCase(
        ctx,
        tenant,
        caseId,
        actor,
        'evidence_exported',
        () =>
          Promise.resolve({
            result: undefined,
            details: { sha256: createHash('sha256').update(text).digest('hex'), bytes: text.length },
          }),
        { allowClosed: true },
      )
      return text
    },
    async exportSar(tenant, caseId, format, version) {
      const v = await getSar(ctx, tenant, caseId, version)
      if (format === 'html') return { contentType: 'text/html; charset=utf-8', body: sarToHtml(v.draft, v) }
      if (format === 'xml')
        return { contentType: 'application/xml', body: sarToBsaXml(v.draft, ctx.clock.now()) }
      return { contentType: 'application/json', body: JSON.stringify(v) }
    },
  }
}
