import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { casesError } from './cases.errors.js'
import { type AlertSource, type Case, type CaseStatus, type Priority } from './cases.js'
import { toCase } from './cases.store.js'

/** The analyst's queue: filters, most urgent first (priority, then due date), keyset pages. */
export interface QueueFilter {
  /** Default: every status but closed. */
  readonly status?: CaseStatus
  readonly assignee?: string
  /** Only cases nobody holds. */
  readonly unassigned?: boolean
  readonly kind?: AlertSource
  /** Only cases of this priority (1 is the most urgent); the queue index leads with it. */
  readonly priority?: Priority
  readonly partyId?: string
  /** Only cases past their due date at `now`. */
  readonly overdueAt?: Date
  readonly limit?: number
  /** From a previous page's `next`. */
  readonly cursor?: string
}

export interface QueuePage {
  readonly cases: readonly Case[]
  readonly next: string | undefined
}

const encodeCursor = (c: Case): string =>
  Buffer.from(`${c.priority}|${c.dueAt.toISOString()}|${c.caseId}`).toString('base64url')

function decodeCursor(cursor: string): { priority: number; dueAt: string; caseId: string } {
  const [p, d, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  const priority = Number(p)
  if (!Number.isInteger(priority) || !d || Number.isNaN(Date.parse(d)) || !id)
    throw casesError('CASES_INVALID_INPUT', 'cursor is not one this API returned')
  return { priority, dueAt: d, caseId: id }
}

/**
 * One index range read per filter (cases.migrations.ts): the ORDER BY matches the indexes' trailing
 * columns, so PostgreSQL stops after `limit` rows however many cases match.
 */
export async function listQueue(db: Db, tenant: string, f: QueueFilter): Promise<QueuePage> {
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 500)
  const after = f.cursor ? decodeCursor(f.cursor) : undefined
  const r = await sql<Parameters<typeof toCase>[0]>`
    SELECT tenant_id, case_id, party_id, subject, kind, status, priority, assignee, due_at, opened_at, updated_at,
           closed_at, outcome, alert_count, max_screening_score
    FROM cases_cases
    WHERE tenant_id = ${tenant}
      AND ${f.status ? sql`status = ${f.status}` : sql`status <> 'closed'`}
      ${f.assignee ? sql`AND assignee = ${f.assignee}` : sql``}
      ${f.unassigned ? sql`AND assignee IS NULL` : sql``}
      ${f.kind ? sql`AND kind = ${f.kind}` : sql``}
      ${f.priority ? sql`AND priority = ${f.priority}` : sql``}
      ${f.partyId ? sql`AND party_id = ${f.partyId}` : sql``}
      ${f.overdueAt ? sql`AND due_at < ${f.overdueAt}` : sql``}
      ${after ? sql`AND (priority, due_at, case_id) > (${after.priority}, ${after.dueAt}::timestamptz, ${after.caseId})` : sql``}
    ORDER BY priority, due_at, case_id
    LIMIT ${limit + 1}`.execute(db)
  const cases = r.rows.slice(0, limit).map(toCase)
  return { cases, next: r.rows.length > limit ? encodeCursor(cases[cases.length - 1]!) : undefined }
}
