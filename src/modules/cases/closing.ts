import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { grants } from '../auth/index.js'
import { casesError } from './cases.errors.js'
import { CASES_EVENTS } from './cases.events.js'
import { CASE_OUTCOMES, fourEyesReason, type Actor, type Case, type CaseOutcome } from './cases.js'
import { labelAlerts, updateCase } from './cases.store.js'
import type { CasesContext } from './context.js'
import { withCase } from './workflow.js'

export const APPROVE_PERMISSION = 'cases:approve'

export interface Proposal {
  readonly proposalId: string
  readonly caseId: string
  readonly outcome: CaseOutcome
  readonly reason: string
  readonly whyFourEyes: string
  readonly proposedBy: string
  readonly proposedAt: Date
  readonly status: 'pending' | 'approved' | 'rejected'
  readonly decidedBy: string | null
  readonly decidedAt: Date | null
  readonly note: string | null
}

export type CloseResult =
  | { readonly status: 'closed'; readonly outcome: CaseOutcome }
  | { readonly status: 'pending_approval'; readonly proposal: Proposal }

/** Closes: outcome on the case, the same label on each of its alerts, `cases.case.closed.v1`. */
async function applyClose(
  ctx: CasesContext,
  tx: Db,
  c: Case,
  outcome: CaseOutcome,
  closedBy: string,
  approvedBy: string | null,
): Promise<void> {
  const at = ctx.clock.now()
  await updateCase(tx, c.tenantId, c.caseId, { status: 'closed', outcome, closedAt: at }, at)
  const alertIds = await labelAlerts(tx, c.tenantId, c.caseId, outcome)
  await ctx.outbox.enqueue(tx, [
    {
      topic: CASES_EVENTS.closed,
      key: c.caseId,
      tenantId: c.tenantId,
      payload: {
        caseId: c.caseId,
        partyId: c.partyId,
        subject: c.subject,
        outcome,
        closedBy,
        approvedBy,
        alertIds,
      },
    },
  ])
}

function checkReason(reason: string): void {
  if (reason.trim().length === 0 || reason.length > 10_000)
    throw casesError('CASES_INVALID_INPUT', 'reason: 1 to 10,000 characters saying why')
}

/**
 * Closes a case with a structured outcome. When the outcome needs four eyes (true positive, SAR
 * filed, clearing a strong screening match) nothing closes: a proposal waits for a second operator.
 */
export function close(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  input: { outcome: CaseOutcome; reason: string },
  actor: Actor,
): Promise<CloseResult> {
  if (!CASE_OUTCOMES.includes(input.outcome))
    throw casesError('CASES_INVALID_INPUT', `outcome must be one of ${CASE_OUTCOMES.join(', ')}`)
  checkReason(input.reason)
  return withCase<CloseResult>(ctx, tenant, caseId, actor, 'close', async (tx, c) => {
    const pending = await pendingProposal(tx, tenant, caseId)
    if (pending) throw casesError('CASES_APPROVAL_PENDING', pending.proposalId)
    const why = fourEyesReason(c, input.outcome, ctx.fourEyes)
    if (why === undefined) {
      await applyClose(ctx, tx, c, input.outcome, actor.id, null)
      return {
        result: { status: 'closed', outcome: input.outcome },
        details: { outcome: input.outcome, reason: input.reason },
      }
    }
    const proposal: Proposal = {
      proposalId: ctx.ids('prp'),
      caseId,
      outcome: input.outcome,
      reason: input.reason,
      whyFourEyes: why,
      proposedBy: actor.id,
      proposedAt: ctx.clock.now(),
      status: 'pending',
      decidedBy: null,
      decidedAt: null,
      note: null,
    }
    await sql`
      INSERT INTO cases_proposals (tenant_id, proposal_id, case_id, outcome, reason, why_four_eyes, proposed_by,
                                   proposed_at, status)
      VALUES (${tenant}, ${proposal.proposalId}, ${caseId}, ${proposal.outcome}, ${proposal.reason}, ${why},
              ${actor.id}, ${proposal.proposedAt}, 'pending')`.execute(tx)
    return {
      result: { status: 'pending_approval', proposal },
      details: {
        proposalId: proposal.proposalId,
        outcome: input.outcome,
        reason: input.reason,
        fourEyes: why,
      },
      action: 'propose_close',
    }
  })
}

/**
 * The second pair of eyes: approving closes the case with the proposed outcome; rejecting leaves it
 * open. Refused when the approver proposed it (CASES_FOUR_EYES_SAME_OPERATOR) or lacks cases:approve
 * (CASES_APPROVER_NOT_ALLOWED) — both refusals are audited as denied.
 */
export async function decide(
  ctx: CasesContext,
  tenant: string,
  caseId: string,
  input: { approve: boolean; note?: string },
  actor: Actor,
): Promise<CloseResult | { status: 'rejected'; proposal: Proposal }> {
  try {
    return await withCase(ctx, tenant, caseId, actor, input.approve ? 'approve' : 'reject', async (tx, c) => {
      const p = await pendingProposal(tx, tenant, caseId)
      if (!p) throw casesError('CASES_NO_PROPOSAL', caseId)
      if (p.proposedBy === actor.id)
        throw casesError('CASES_FOUR_EYES_SAME_OPERATOR', `${actor.id} proposed ${p.proposalId}`)
      if (!grants(actor.grants, APPROVE_PERMISSION)) throw casesError('CASES_APPROVER_NOT_ALLOWED', actor.id)
      const at = ctx.clock.now()
      await sql`
        UPDATE cases_proposals SET status = ${input.approve ? 'approved' : 'rejected'}, decided_by = ${actor.id},
               decided_at = ${at}, note = ${input.note ?? null}
        WHERE tenant_id = ${tenant} AND proposal_id = ${p.proposalId}`.execute(tx)
      const decided: Proposal = {
        ...p,
        status: input.approve ? 'approved' : 'rejected',
        decidedBy: actor.id,
        decidedAt: at,
        note: input.note ?? null,
      }
      if (input.approve) await applyClose(ctx, tx, c, p.outcome, p.proposedBy, actor.id)
      return {
        result: input.approve
          ? ({ status: 'closed', outcome: p.outcome } as const)
          : ({ status: 'rejected', proposal: decided } as const),
        details: {
          proposalId: p.proposalId,
          outcome: p.outcome,
          proposedBy: p.proposedBy,
          ...(input.note ? { note: input.note } : {}),
        },
      }
    })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'CASES_FOUR_EYES_SAME_OPERATOR' || code === 'CASES_APPROVER_NOT_ALLOWED') {
      await ctx.db.transaction().execute((tx) =>
        ctx.audit.record(tx, {
          tenant,
          actor: actor.id,
          action: input.approve ? 'cases.case.approve' : 'cases.case.reject',
          resource: `case:${caseId}`,
          outcome: 'denied',
          origin: actor.origin,
          details: { code },
        }),
      )
    }
    throw err
  }
}

interface ProposalRow {
  proposal_id: string
  case_id: string
  outcome: CaseOutcome
  reason: string
  why_four_eyes: string
  proposed_by: string
  proposed_at: Date | string
  status: Proposal['status']
  decided_by: string | null
  decided_at: Date | string | null
  note: string | null
}

const toProposal = (r: ProposalRow): Proposal => ({
  proposalId: r.proposal_id,
  caseId: r.case_id,
  outcome: r.outcome,
  reason: r.reason,
  whyFourEyes: r.why_four_eyes,
  proposedBy: r.proposed_by,
  proposedAt: new Date(r.proposed_at),
  status: r.status,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at === null ? null : new Date(r.decided_at),
  note: r.note,
})

async function pendingProposal(db: Db, tenant: string, caseId: string): Promise<Proposal | undefined> {
  const r = await sql<ProposalRow>`
    SELECT * FROM cases_proposals WHERE tenant_id = ${tenant} AND case_id = ${caseId} AND status = 'pending'`.execute(
    db,
  )
  return r.rows[0] ? toProposal(r.rows[0]) : undefined
}

export async function proposals(db: Db, tenant: string, caseId: string): Promise<Proposal[]> {
  const r = await sql<ProposalRow>`
    SELECT * FROM cases_proposals WHERE tenant_id = ${tenant} AND case_id = ${caseId}
    ORDER BY proposed_at, proposal_id`.execute(db)
  return r.rows.map(toProposal)
}
