import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { casesError } from './cases.errors.js'
import { CASES_EVENTS } from './cases.events.js'
import { checkMove, type Actor, type Case, type CaseStatus } from './cases.js'
import { getCase, insertLinks, insertTimeline, updateCase } from './cases.store.js'
import type { CasesContext } from './context.js'

export const ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
const REF_RE = /^[A-Za-z0-9_.:@-]{1,200}$/

/**
 * The writer every case action goes through: locks the case row, refuses a closed case, runs the
 * change, writes its timeline entry and its audit entry — one transaction.
 */
export async function withCase<T>(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  actor: Actor,
  action: string,
  /** May rename the action it turned out to be (a close that became a proposal). */
  change: (tx: Db, c: Case) => Promise<{ result: T; details: Record<string, unknown>; action?: string }>,
  opts: { allowClosed?: boolean } = {},
): Promise<T> {
  return ctx.db.transaction().execute(async (tx) => {
    const c = await getCase(tx, tenant, caseId, true)
    if (!c) throw casesError('CASES_NOT_FOUND', caseId)
    if (c.status === 'closed' && !opts.allowClosed) throw casesError('CASES_CLOSED', caseId)
    const { result, details, action: done = action } = await change(tx, c)
    const at = ctx.clock.now()
    await insertTimeline(tx, tenant, [
      { caseId, entryId: ctx.ids('tle'), at, actor: actor.id, action: done, details },
    ])
    await ctx.audit.record(tx, {
      tenant,
      actor: actor.id,
      action: `cases.case.${done}`,
      resource: `case:${caseId}`,
      outcome: 'success',
      origin: actor.origin,
      details,
    })
    return result
  })
}

export function assign(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  assignee: string | null,
  actor: Actor,
): Promise<void> {
  if (assignee !== null && !REF_RE.test(assignee))
    throw casesError('CASES_INVALID_INPUT', 'assignee must be an operator id (letters, digits, _.:@-)')
  return withCase(ctx, tenant, caseId, actor, 'assign', async (tx, c) => {
    // Taking an open case starts the investigation.
    const status: CaseStatus | undefined =
      assignee !== null && c.status === 'open' ? 'investigating' : undefined
    await updateCase(tx, tenant, caseId, { assignee, ...(status ? { status } : {}) }, ctx.clock.now())
    await ctx.outbox.enqueue(tx, [
      {
        topic: CASES_EVENTS.assigned,
        key: caseId,
        tenantId: tenant,
        payload: { caseId, assignee, previous: c.assignee, by: actor.id },
      },
    ])
    return { result: undefined, details: { from: c.assignee, to: assignee, ...(status ? { status } : {}) } }
  })
}

export function moveTo(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  to: CaseStatus,
  actor: Actor,
  note?: string,
): Promise<void> {
  return withCase(ctx, tenant, caseId, actor, 'status', async (tx, c) => {
    if (to === 'closed') throw casesError('CASES_INVALID_TRANSITION', 'close a case with an outcome (close)')
    checkMove(c.status, to)
    await updateCase(tx, tenant, caseId, { status: to }, ctx.clock.now())
    return { result: undefined, details: { from: c.status, to, ...(note ? { note } : {}) } }
  })
}

export function comment(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  text: string,
  actor: Actor,
): Promise<void> {
  if (text.trim().length === 0 || text.length > 10_000)
    throw casesError('CASES_INVALID_INPUT', 'a comment holds 1 to 10,000 characters')
  // Comments may be added to a closed case (a later note for the file); they change nothing else.
  return withCase(
    ctx,
    tenant,
    caseId,
    actor,
    'comment',
    () => Promise.resolve({ result: undefined, details: { text } }),
    { allowClosed: true },
  )
}

export function link(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  type: 'transaction' | 'counterparty',
  ref: string,
  actor: Actor,
): Promise<boolean> {
  if (!REF_RE.test(ref)) throw casesError('CASES_INVALID_INPUT', 'ref must be an id (letters, digits, _.:@-)')
  return withCase(ctx, tenant, caseId, actor, 'link', async (tx) => {
    const added =
      (await insertLinks(tx, tenant, [
        { caseId, type, ref, facts: {}, linkedBy: actor.id, linkedAt: ctx.clock.now() },
      ])) > 0
    return { result: added, details: { type, ref, added } }
  })
}

export interface AttachmentMeta {
  readonly attachmentId: string
  readonly caseId: string
  readonly name: string
  readonly mediaType: string
  readonly size: number
  readonly sha256: string
  readonly addedBy: string
  readonly addedAt: Date
}

/**
 * Stores an evidence file encrypted (field cipher, bound to tenant and attachment id). Encrypted before
 * the transaction: the keyring may read its keys from the database (one connection on PGlite).
 */
export async function attach(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  file: { name: string; mediaType: string; content: Buffer },
  actor: Actor,
): Promise<AttachmentMeta> {
  if (file.content.length > ATTACHMENT_MAX_BYTES) throw casesError('CASES_ATTACHMENT_TOO_LARGE')
  if (!file.name.trim() || file.name.length > 200 || /\p{Cc}/u.test(file.name))
    throw casesError('CASES_INVALID_INPUT', 'name: 1 to 200 printable characters')
  const attachmentId = ctx.ids('att')
  const sha256 = createHash('sha256').update(file.content).digest('hex')
  const ct = await ctx.attachmentCipher.encrypt(tenant, attachmentId, file.content)
  return withCase(
    ctx,
    tenant,
    caseId,
    actor,
    'attach',
    async (tx) => {
      const addedAt = ctx.clock.now()
      await sql`
        INSERT INTO cases_attachments (tenant_id, attachment_id, case_id, name, media_type, size, sha256, content_ct,
                                       added_by, added_at)
        VALUES (${tenant}, ${attachmentId}, ${caseId}, ${file.name}, ${file.mediaType}, ${file.content.length},
                ${sha256}, ${ct}, ${actor.id}, ${addedAt})`.execute(tx)
      const meta: AttachmentMeta = {
        attachmentId,
        caseId,
        name: file.name,
        mediaType: file.mediaType,
        size: file.content.length,
        sha256,
        addedBy: actor.id,
        addedAt,
      }
      return { result: meta, details: { attachmentId, name: file.name, size: meta.size, sha256 } }
    },
    { allowClosed: true },
  )
}

interface AttachmentRow {
  attachment_id: string
  case_id: string
  name: string
  media_type: string
  size: number
  sha256: string
  added_by: string
  added_at: Date | string
}

const toMeta = (r: AttachmentRow): AttachmentMeta => ({
  attachmentId: r.attachment_id,
  caseId: r.case_id,
  name: r.name,
  mediaType: r.media_type,
  size: Number(r.size),
  sha256: r.sha256,
  addedBy: r.added_by,
  addedAt: new Date(r.added_at),
})

export async function attachments(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
): Promise<AttachmentMeta[]> {
  const r = await sql<AttachmentRow>`
    SELECT attachment_id, case_id, name, media_type, size, sha256, added_by, added_at FROM cases_attachments
    WHERE tenant_id = ${tenant} AND case_id = ${caseId} ORDER BY added_at, attachment_id`.execute(ctx.db)
  return r.rows.map(toMeta)
}

/** Decrypts an attachment; reading evidence is audited too. */
export async function readAttachment(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  attachmentId: string,
  actor: Actor,
): Promise<{ meta: AttachmentMeta; content: Buffer }> {
  const r = await sql<AttachmentRow & { content_ct: Buffer }>`
    SELECT attachment_id, case_id, name, media_type, size, sha256, added_by, added_at, content_ct FROM cases_attachments
    WHERE tenant_id = ${tenant} AND case_id = ${caseId} AND attachment_id = ${attachmentId}`.execute(ctx.db)
  const row = r.rows[0]
  if (!row) throw casesError('CASES_ATTACHMENT_NOT_FOUND', attachmentId)
  const content = await ctx.attachmentCipher.decrypt(tenant, attachmentId, row.content_ct)
  await ctx.db.transaction().execute((tx) =>
    ctx.audit.record(tx, {
      tenant,
      actor: actor.id,
      action: 'cases.attachment.read',
      resource: `case:${caseId}`,
      outcome: 'success',
      origin: actor.origin,
      details: { attachmentId },
    }),
  )
  return { meta: toMeta(row), content }
}
