import { sql } from 'kysely'
import { casesError } from './cases.errors.js'
import type { AlertSource, Case, CaseOutcome } from './cases.js'
import {
  caseAlerts,
  caseLinks,
  caseTimeline,
  getCase,
  type Link,
  type StoredAlert,
  type TimelineEntry,
} from './cases.store.js'
import { proposals, type Proposal } from './closing.js'
import type { CasesContext } from './context.js'
import { attachments, type AttachmentMeta } from './workflow.js'

/** Everything an analyst sees on one case. */
export interface CaseView {
  readonly case: Case
  /** The party from the parties module, when it is wired and knows the id. */
  readonly party: Readonly<Record<string, unknown>> | null
  readonly alerts: readonly StoredAlert[]
  readonly links: readonly Link[]
  readonly timeline: readonly TimelineEntry[]
  readonly proposals: readonly Proposal[]
  readonly attachments: readonly AttachmentMeta[]
}

export async function caseView(ctx: CasesContext, tenant: string, caseId: string): Promise<CaseView> {
  const c = await getCase(ctx.db, tenant, caseId)
  if (!c) throw casesError('CASES_NOT_FOUND', caseId)
  const [alerts, links, timeline, props, files, party] = await Promise.all([
    caseAlerts(ctx.db, tenant, caseId),
    caseLinks(ctx.db, tenant, caseId),
    caseTimeline(ctx.db, tenant, caseId),
    proposals(ctx.db, tenant, caseId),
    attachments(ctx, tenant, caseId),
    c.partyId && ctx.parties ? ctx.parties.get(tenant, c.partyId) : Promise.resolve(undefined),
  ])
  return { case: c, party: party ?? null, alerts, links, timeline, proposals: props, attachments: files }
}

/** One training label: a closed case's outcome on one of its alerts (issue 17 learns from these). */
export interface AlertLabel {
  readonly caseId: string
  readonly source: AlertSource
  readonly alertId: string
  readonly partyId: string | null
  readonly subject: string
  readonly rule: string
  readonly typology: string | null
  readonly score: number
  readonly raisedAt: Date
  readonly label: CaseOutcome
  readonly closedAt: Date
}

/** Labels of closed cases, oldest closing first; page with `after` (a closedAt). */
export async function labels(
  ctx: CasesContext,
  tenant: string,
  opts: { after?: Date; limit?: number } = {},
): Promise<AlertLabel[]> {
  const limit = Math.min(Math.max(opts.limit ?? 1000, 1), 10_000)
  const r = await sql<{
    case_id: string
    source: AlertSource
    alert_id: string
    party_id: string | null
    subject: string
    rule: string
    typology: string | null
    score: number
    raised_at: Date | string
    label: CaseOutcome
    closed_at: Date | string
  }>`
    SELECT a.case_id, a.source, a.alert_id, a.party_id, a.subject, a.rule, a.typology, a.score, a.raised_at, a.label,
           c.closed_at
    FROM cases_alerts a JOIN cases_cases c ON c.tenant_id = a.tenant_id AND c.case_id = a.case_id
    WHERE a.tenant_id = ${tenant} AND a.label IS NOT NULL
      ${opts.after ? sql`AND c.closed_at > ${opts.after}` : sql``}
    ORDER BY c.closed_at, a.source, a.alert_id
    LIMIT ${limit}`.execute(ctx.db)
  return r.rows.map((x) => ({
    caseId: x.case_id,
    source: x.source,
    alertId: x.alert_id,
    partyId: x.party_id,
    subject: x.subject,
    rule: x.rule,
    typology: x.typology,
    score: Number(x.score),
    raisedAt: new Date(x.raised_at),
    label: x.label,
    closedAt: new Date(x.closed_at),
  }))
}
