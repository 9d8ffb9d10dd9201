import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { canonicalJson } from '../../shared/canonical-json.js'
import type { Db } from '../../shared/db/connect.js'
import { casesError } from './cases.errors.js'
import { getCase } from './cases.store.js'
import type { Actor } from './cases.js'
import type { CasesContext } from './context.js'
import { buildSarDraft, type SarDraft } from './sar.js'
import { caseView } from './views.js'
import { withCase } from './workflow.js'

export interface SarVersion {
  readonly caseId: string
  readonly version: number
  readonly draft: SarDraft
  readonly editedBy: string
  readonly createdAt: Date
  readonly note: string | null
  /** SHA-256 of the draft's canonical JSON (in the audit entry of this version). */
  readonly sha256: string
}

/** What an analyst may change in a draft; everything else stays the case's facts. */
export interface SarEdit {
  readonly narrative?: Partial<SarDraft['narrative']>
  readonly subjectName?: string
  readonly instruments?: readonly string[]
  readonly categories?: readonly { category: string; subtype: string }[]
}

const digest = (d: SarDraft): string => createHash('sha256').update(canonicalJson(d)).digest('hex')

/** History looked at before the first alert: a SAR describes the pattern, not only the alerted transaction. */
const LOOKBACK_MS = 30 * 86_400_000

async function gatherHistory(ctx: CasesContext, tenant: string, account: string, from: Date, to: Date) {
  if (!ctx.history || account.startsWith('instrument:')) return []
  return ctx.history.ofAccount(tenant, account, new Date(from.getTime() - LOOKBACK_MS), to, 500)
}

async function latestVersion(db: Db, tenant: string, caseId: string): Promise<number> {
  const r = await sql<{ v: number | null }>`
    SELECT max(version) AS v FROM cases_sar_drafts WHERE tenant_id = ${tenant} AND case_id = ${caseId}`.execute(
    db,
  )
  return Number(r.rows[0]?.v ?? 0)
}

/** Stores a new version of the draft with its timeline and audit entries, in the case's writer. */
function saveVersion(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  actor: Actor,
  action: 'sar_draft' | 'sar_edit',
  make: (tx: Db, latest: number) => Promise<{ draft: SarDraft; note: string | null; changed: string[] }>,
): Promise<SarVersion> {
  return withCase(
    ctx,
    tenant,
    caseId,
    actor,
    action,
    async (tx) => {
      const latest = await latestVersion(tx, tenant, caseId)
      const { draft, note, changed } = await make(tx, latest)
      const version = latest + 1
      const createdAt = ctx.clock.now()
      await sql`
        INSERT INTO cases_sar_drafts (tenant_id, case_id, version, draft, edited_by, created_at, note)
        VALUES (${tenant}, ${caseId}, ${version}, ${JSON.stringify(draft)}::jsonb, ${actor.id}, ${createdAt}, ${note})`.execute(
        tx,
      )
      const sha256 = digest(draft)
      return {
        result: { caseId, version, draft, editedBy: actor.id, createdAt, note, sha256 },
        details: { version, sha256, ...(changed.length > 0 ? { changed } : {}) },
      }
    },
    { allowClosed: true },
  )
}

/**
 * Builds a new draft version from the case's facts now (alerts, linked transactions and the subject
 * account's recent history, party, decisions). Drafting is allowed on a closed case (a SAR is usually
 * written when the case closes as sar_filed).
 */
export async function draftSar(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  actor: Actor,
): Promise<SarVersion> {
  const view = await caseView(ctx, tenant, caseId)
  const first = view.alerts[0]?.raisedAt ?? view.case.openedAt
  const last = view.alerts[view.alerts.length - 1]?.raisedAt ?? view.case.updatedAt
  const history = await gatherHistory(ctx, tenant, view.case.subject, first, last)
  const draft = buildSarDraft({
    case: view.case,
    party: view.party,
    alerts: view.alerts,
    links: view.links,
    history,
    proposals: view.proposals,
    timeline: view.timeline,
  })
  return saveVersion(ctx, tenant, caseId, actor, 'sar_draft', () =>
    Promise.resolve({ draft, note: 'generated from the case facts', changed: [] }),
  )
}

const TEXT_MAX = 17_000

/** A new version with the analyst's changes; refused when `baseVersion` is not the latest (CASES_SAR_STALE). */
export function editSar(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  input: { baseVersion: number; changes: SarEdit; note?: string },
  actor: Actor,
): Promise<SarVersion> {
  const ch = input.changes
  for (const [k, v] of Object.entries(ch.narrative ?? {}))
    if (typeof v !== 'string' || v.length > TEXT_MAX)
      throw casesError('CASES_INVALID_INPUT', `narrative.${k}: text of at most ${TEXT_MAX} characters`)
  return saveVersion(ctx, tenant, caseId, actor, 'sar_edit', async (tx, latest) => {
    if (latest === 0) throw casesError('CASES_SAR_NOT_FOUND', caseId)
    if (input.baseVersion !== latest)
      throw casesError(
        'CASES_SAR_STALE',
        `latest is version ${latest}, the edit was based on ${input.baseVersion}`,
      )
    const base = (await readVersion(tx, tenant, caseId, latest))!.draft
    const changed: string[] = []
    const draft: SarDraft = {
      ...base,
      ...(ch.narrative ? { narrative: { ...base.narrative, ...ch.narrative } } : {}),
      ...(ch.subjectName !== undefined ? { subject: { ...base.subject, name: ch.subjectName } } : {}),
      ...(ch.instruments ? { instruments: [...ch.instruments] } : {}),
      ...(ch.categories
        ? {
            categories: ch.categories.map((c) => ({
              ...c,
              typeId: null,
              subtypeId: null,
              from: 'analyst',
            })),
          }
        : {}),
    }
    if (ch.narrative) changed.push(...Object.keys(ch.narrative).map((k) => `narrative.${k}`))
    if (ch.subjectName !== undefined) changed.push('subject.name')
    if (ch.instruments) changed.push('instruments')
    if (ch.categories) changed.push('categories')
    return { draft, note: input.note ?? null, changed }
  })
}

interface DraftRow {
  version: number
  draft: SarDraft
  edited_by: string
  created_at: Date | string
  note: string | null
}

async function readVersion(
  db: Db,
  tenant: string,
  caseId: string,
  version: number,
): Promise<SarVersion | undefined> {
  const r = await sql<DraftRow>`
    SELECT version, draft, edited_by, created_at, note FROM cases_sar_drafts
    WHERE tenant_id = ${tenant} AND case_id = ${caseId} AND version = ${version}`.execute(db)
  const row = r.rows[0]
  return row
    ? {
        caseId,
        version: Number(row.version),
        draft: row.draft,
        editedBy: row.edited_by,
        createdAt: new Date(row.created_at),
        note: row.note,
        sha256: digest(row.draft),
      }
    : undefined
}

/** The latest version, or `version`. CASES_SAR_NOT_FOUND. */
export async function getSar(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  version?: number,
): Promise<SarVersion> {
  const v = version ?? (await latestVersion(ctx.db, tenant, caseId))
  const found = v > 0 ? await readVersion(ctx.db, tenant, caseId, v) : undefined
  if (!found) throw casesError('CASES_SAR_NOT_FOUND', version ? `${caseId} version ${version}` : caseId)
  return found
}

/** Every version, oldest first (who edited, when, what note). */
export async function sarVersions(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
): Promise<Omit<SarVersion, 'draft'>[]> {
  // An empty list would tell another tenant nothing, but it answers 200 for a case that is not theirs:
  // every case route answers CASES_NOT_FOUND for a case outside the caller's tenant.
  if (!(await getCase(ctx.db, tenant, caseId))) throw casesError('CASES_NOT_FOUND', caseId)
  const r = await sql<DraftRow>`
    SELECT version, draft, edited_by, created_at, note FROM cases_sar_drafts
    WHERE tenant_id = ${tenant} AND case_id = ${caseId} ORDER BY version`.execute(ctx.db)
  return r.rows.map((row) => ({
    caseId,
    version: Number(row.version),
    editedBy: row.edited_by,
    createdAt: new Date(row.created_at),
    note: row.note,
    sha256: digest(row.draft),
  }))
}
