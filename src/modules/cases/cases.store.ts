import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { AlertSource, Case, CaseAlert, CaseOutcome, CaseStatus, Priority } from './cases.js'

/** SQL of the cases module. Set-based for intake (one statement per table per batch). */

interface CaseRow {
  tenant_id: string
  case_id: string
  party_id: string | null
  subject: string
  kind: AlertSource
  status: CaseStatus
  priority: number
  assignee: string | null
  due_at: Date | string
  opened_at: Date | string
  updated_at: Date | string
  closed_at: Date | string | null
  outcome: CaseOutcome | null
  alert_count: number
  max_screening_score: number | null
}

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v))

export const toCase = (r: CaseRow): Case => ({
  tenantId: r.tenant_id,
  caseId: r.case_id,
  partyId: r.party_id,
  subject: r.subject,
  kind: r.kind,
  status: r.status,
  priority: Number(r.priority) as Priority,
  assignee: r.assignee,
  dueAt: date(r.due_at),
  openedAt: date(r.opened_at),
  updatedAt: date(r.updated_at),
  closedAt: r.closed_at === null ? null : date(r.closed_at),
  outcome: r.outcome,
  alertCount: Number(r.alert_count),
  maxScreeningScore: r.max_screening_score === null ? null : Number(r.max_screening_score),
})

const CASE_COLUMNS = sql.raw(
  `tenant_id, case_id, party_id, subject, kind, status, priority, assignee, due_at, opened_at, updated_at,
   closed_at, outcome, alert_count, max_screening_score`,
)

export async function getCase(
  db: Db,
  tenant: string,
  caseId: string,
  lock = false,
): Promise<Case | undefined> {
  const r = await sql<CaseRow>`
    SELECT ${CASE_COLUMNS} FROM cases_cases WHERE tenant_id = ${tenant} AND case_id = ${caseId}
    ${lock ? sql`FOR UPDATE` : sql``}`.execute(db)
  return r.rows[0] ? toCase(r.rows[0]) : undefined
}

/** The alerts (source + id) already stored: one index probe per alert, no write. */
export async function knownAlerts(
  tx: Db,
  tenant: string,
  alerts: readonly CaseAlert[],
): Promise<Set<string>> {
  if (alerts.length === 0) return new Set()
  const r = await sql<{ source: string; alert_id: string }>`
    SELECT a.source, a.alert_id FROM cases_alerts a
    JOIN unnest(${alerts.map((a) => a.source)}::text[], ${alerts.map((a) => a.alertId)}::text[]) AS x(source, alert_id)
      ON a.tenant_id = ${tenant} AND a.source = x.source AND a.alert_id = x.alert_id`.execute(tx)
  return new Set(r.rows.map((row) => `${row.source}:${row.alert_id}`))
}

/** Stores new alerts with their case (ON CONFLICT: an alert stored meanwhile by another consumer stays as it is). */
export async function insertAlerts(
  tx: Db,
  tenant: string,
  alerts: readonly CaseAlert[],
  caseOf: (a: CaseAlert) => string,
): Promise<void> {
  if (alerts.length === 0) return
  await sql`
    INSERT INTO cases_alerts (tenant_id, source, alert_id, case_id, party_id, subject, rule, typology, score, priority,
                              summary, raised_at, payload)
    SELECT ${tenant}, x.source, x.alert_id, x.case_id, x.party_id, x.subject, x.rule, x.typology, x.score, x.priority,
           x.summary, x.raised_at, x.payload::jsonb
    FROM unnest(${alerts.map((a) => a.source)}::text[], ${alerts.map((a) => a.alertId)}::text[],
                ${alerts.map(caseOf)}::text[],
                ${alerts.map((a) => a.partyId)}::text[], ${alerts.map((a) => a.subject)}::text[],
                ${alerts.map((a) => a.rule)}::text[], ${alerts.map((a) => a.typology)}::text[],
                ${alerts.map((a) => a.score)}::float8[], ${alerts.map((a) => a.priority)}::int2[],
                ${alerts.map((a) => a.summary)}::text[], ${alerts.map((a) => a.raisedAt.toISOString())}::timestamptz[],
                ${alerts.map((a) => JSON.stringify(a.payload))}::text[])
         AS x(source, alert_id, case_id, party_id, subject, rule, typology, score, priority, summary, raised_at, payload)
    ON CONFLICT DO NOTHING`.execute(tx)
}

export interface CaseUpsert {
  readonly caseId: string
  readonly openKey: string
  readonly partyId: string | null
  readonly subject: string
  readonly kind: AlertSource
  readonly priority: Priority
  readonly dueAt: Date
  readonly alertCount: number
  readonly maxScreeningScore: number | null
}

/**
 * Opens a case per open key, or folds the alerts into the open one (higher priority, earlier due date,
 * more alerts). Returns each key's case id and whether it was opened now.
 */
export async function upsertCases(
  tx: Db,
  tenant: string,
  rows: readonly CaseUpsert[],
  at: Date,
): Promise<Map<string, { caseId: string; opened: boolean }>> {
  const r = await sql<{ case_id: string; open_key: string; opened: boolean }>`
    INSERT INTO cases_cases AS c (tenant_id, case_id, open_key, party_id, subject, kind, status, priority, due_at,
                                  opened_at, updated_at, alert_count, max_screening_score)
    SELECT ${tenant}, x.case_id, x.open_key, x.party_id, x.subject, x.kind, 'open', x.priority, x.due_at,
           ${at}::timestamptz, ${at}::timestamptz, x.alert_count, x.score
    FROM unnest(${rows.map((c) => c.caseId)}::text[], ${rows.map((c) => c.openKey)}::text[],
                ${rows.map((c) => c.partyId)}::text[], ${rows.map((c) => c.subject)}::text[],
                ${rows.map((c) => c.kind)}::text[], ${rows.map((c) => c.priority)}::int2[],
                ${rows.map((c) => c.dueAt.toISOString())}::timestamptz[], ${rows.map((c) => c.alertCount)}::int4[],
                ${rows.map((c) => c.maxScreeningScore)}::float8[])
         AS x(case_id, open_key, party_id, subject, kind, priority, due_at, alert_count, score)
    ON CONFLICT (tenant_id, open_key) WHERE status <> 'closed' DO UPDATE SET
      priority = least(c.priority, excluded.priority),
      due_at = least(c.due_at, excluded.due_at),
      alert_count = c.alert_count + excluded.alert_count,
      max_screening_score = greatest(c.max_screening_score, excluded.max_screening_score),
      updated_at = excluded.updated_at
    RETURNING case_id, open_key, (xmax = 0) AS opened`.execute(tx)
  return new Map(r.rows.map((row) => [row.open_key, { caseId: row.case_id, opened: row.opened }]))
}

export interface TimelineEntry {
  readonly caseId: string
  readonly entryId: string
  readonly at: Date
  readonly actor: string
  readonly action: string
  readonly details: Readonly<Record<string, unknown>>
}

export async function insertTimeline(
  tx: Db,
  tenant: string,
  entries: readonly TimelineEntry[],
): Promise<void> {
  if (entries.length === 0) return
  await sql`
    INSERT INTO cases_timeline (tenant_id, case_id, entry_id, at, actor, action, details)
    SELECT ${tenant}, x.case_id, x.entry_id, x.at, x.actor, x.action, x.details::jsonb
    FROM unnest(${entries.map((e) => e.caseId)}::text[], ${entries.map((e) => e.entryId)}::text[],
                ${entries.map((e) => e.at.toISOString())}::timestamptz[], ${entries.map((e) => e.actor)}::text[],
                ${entries.map((e) => e.action)}::text[], ${entries.map((e) => JSON.stringify(e.details))}::text[])
         AS x(case_id, entry_id, at, actor, action, details)`.execute(tx)
}

export interface Link {
  readonly caseId: string
  readonly type: 'transaction' | 'counterparty'
  readonly ref: string
  readonly facts: Readonly<Record<string, unknown>>
  readonly linkedBy: string
  readonly linkedAt: Date
}

/** Links once per (case, type, ref); returns how many were new. */
export async function insertLinks(tx: Db, tenant: string, links: readonly Link[]): Promise<number> {
  if (links.length === 0) return 0
  const r = await sql`
    INSERT INTO cases_links (tenant_id, case_id, link_type, ref, facts, linked_by, linked_at)
    SELECT ${tenant}, x.case_id, x.link_type, x.ref, x.facts::jsonb, x.linked_by, x.linked_at
    FROM unnest(${links.map((l) => l.caseId)}::text[], ${links.map((l) => l.type)}::text[],
                ${links.map((l) => l.ref)}::text[], ${links.map((l) => JSON.stringify(l.facts))}::text[],
                ${links.map((l) => l.linkedBy)}::text[], ${links.map((l) => l.linkedAt.toISOString())}::timestamptz[])
         AS x(case_id, link_type, ref, facts, linked_by, linked_at)
    ON CONFLICT DO NOTHING`.execute(tx)
  return Number(r.numAffectedRows ?? 0n)
}

export interface StoredAlert extends CaseAlert {
  readonly caseId: string | null
  readonly label: CaseOutcome | null
}

interface AlertRow {
  source: AlertSource
  alert_id: string
  case_id: string | null
  party_id: string | null
  subject: string
  rule: string
  typology: string | null
  score: number
  priority: number
  summary: string
  raised_at: Date | string
  payload: Record<string, unknown>
  label: CaseOutcome | null
}

const toAlert = (r: AlertRow): StoredAlert => {
  return {
    source: r.source,
    alertId: r.alert_id,
    caseId: r.case_id,
    partyId: r.party_id,
    subject: r.subject,
    rule: r.rule,
    typology: r.typology,
    score: Number(r.score),
    priority: Number(r.priority) as Priority,
    summary: r.summary,
    raisedAt: date(r.raised_at),
    transactions: typeof r.payload.txnId === 'string' ? [r.payload.txnId] : [],
    counterparties: [], // linked on the case (cases_links), not repeated per alert
    payload: r.payload,
    label: r.label,
  }
}

export async function caseAlerts(db: Db, tenant: string, caseId: string): Promise<StoredAlert[]> {
  const r = await sql<AlertRow>`
    SELECT source, alert_id, case_id, party_id, subject, rule, typology, score, priority, summary, raised_at, payload, label
    FROM cases_alerts WHERE tenant_id = ${tenant} AND case_id = ${caseId} ORDER BY raised_at, alert_id`.execute(
    db,
  )
  return r.rows.map(toAlert)
}

export async function caseLinks(db: Db, tenant: string, caseId: string): Promise<Link[]> {
  const r = await sql<{
    link_type: 'transaction' | 'counterparty'
    ref: string
    facts: Record<string, unknown>
    linked_by: string
    linked_at: Date | string
  }>`
    SELECT link_type, ref, facts, linked_by, linked_at FROM cases_links
    WHERE tenant_id = ${tenant} AND case_id = ${caseId} ORDER BY link_type, linked_at, ref`.execute(db)
  return r.rows.map((x) => ({
    caseId,
    type: x.link_type,
    ref: x.ref,
    facts: x.facts,
    linkedBy: x.linked_by,
    linkedAt: date(x.linked_at),
  }))
}

export async function caseTimeline(db: Db, tenant: string, caseId: string): Promise<TimelineEntry[]> {
  const r = await sql<{
    entry_id: string
    at: Date | string
    actor: string
    action: string
    details: Record<string, unknown>
  }>`
    SELECT entry_id, at, actor, action, details FROM cases_timeline
    WHERE tenant_id = ${tenant} AND case_id = ${caseId} ORDER BY at, entry_id`.execute(db)
  return r.rows.map((x) => ({
    caseId,
    entryId: x.entry_id,
    at: date(x.at),
    actor: x.actor,
    action: x.action,
    details: x.details,
  }))
}

export async function updateCase(
  tx: Db,
  tenant: string,
  caseId: string,
  set: {
    status?: CaseStatus
    assignee?: string | null
    outcome?: CaseOutcome
    closedAt?: Date
  },
  at: Date,
): Promise<void> {
  await sql`
    UPDATE cases_cases SET
      status = coalesce(${set.status ?? null}, status),
      assignee = ${set.assignee === undefined ? sql`assignee` : sql`${set.assignee}`},
      outcome = coalesce(${set.outcome ?? null}, outcome),
      closed_at = coalesce(${set.closedAt?.toISOString() ?? null}::timestamptz, closed_at),
      updated_at = ${at}
    WHERE tenant_id = ${tenant} AND case_id = ${caseId}`.execute(tx)
}

export async function labelAlerts(
  tx: Db,
  tenant: string,
  caseId: string,
  label: CaseOutcome,
): Promise<string[]> {
  const r = await sql<{ alert_id: string }>`
    UPDATE cases_alerts SET label = ${label} WHERE tenant_id = ${tenant} AND case_id = ${caseId}
    RETURNING alert_id`.execute(tx)
  return r.rows.map((x) => x.alert_id)
}
