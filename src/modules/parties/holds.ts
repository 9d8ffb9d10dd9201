import { PARTIES_EVENTS } from './parties.events.js'
import { partiesError } from './parties.errors.js'
import { partiesStore, type HoldRow } from './parties.store.js'
import type { Actor, PartiesContext } from './context.js'
import { decideHit, screenParty } from './screen.js'
import { transitionParty } from './change.js'

/** Money-moving commands that can be held: each kind has one executor, wired in the composition root. */
export const HOLD_KINDS = ['payout', 'bank_transfer'] as const
export type HoldKind = (typeof HOLD_KINDS)[number]

/**
 * Runs a stored money-moving request (JSON as the API received it) with its idempotency key, so a
 * release and a client's retry converge on one operation. Returns the created object's id.
 */
export type HoldExecutor = (
  tenant: string,
  request: Record<string, unknown>,
  idempotencyKey: string,
) => Promise<{ objectId: string; value: unknown }>

export interface MoneyCommand {
  readonly kind: HoldKind
  /** The counterparty (or paying customer) party; none = nothing to screen. */
  readonly partyId?: string | undefined
  readonly idempotencyKey?: string | undefined
  readonly request: Record<string, unknown>
}

/**
 * The screening gate in front of money movement. With a party: the party must not be restricted or
 * exited (PARTY_NOT_ACTIVE); it is screened now against the loaded lists; a possible or confirmed match
 * stores the request as a hold and answers SCREENING_REVIEW_REQUIRED (with the hold id) — no money moves.
 * A retry with the same Idempotency-Key finds its hold: still held → the same answer; released → the
 * operation (executed once, by its key); rejected → SCREENING_HOLD_REJECTED.
 */
export async function submitMoneyCommand(
  ctx: PartiesContext,
  executors: Readonly<Record<HoldKind, HoldExecutor>>,
  tenant: string,
  cmd: MoneyCommand,
  actor: Actor,
): Promise<{ objectId: string; value: unknown }> {
  const execute = executors[cmd.kind]
  if (!cmd.partyId) return execute(tenant, cmd.request, cmd.idempotencyKey ?? '')
  const partyId = cmd.partyId
  if (cmd.idempotencyKey) {
    const prior = await partiesStore.holdByKey(ctx.db, tenant, cmd.kind, cmd.idempotencyKey)
    if (prior) return answerHold(ctx, executors, tenant, prior)
  }
  const { row } = await ctx.load(ctx.db, tenant, partyId)
  if (row.status === 'restricted' || row.status === 'exited')
    throw partiesError('PARTY_NOT_ACTIVE', `${partyId} is ${row.status}`, { partyId, status: row.status })
  const outcome = await screenParty(ctx, tenant, partyId, 'money_movement', actor)
  const status = outcome.party.screeningStatus
  if (status === 'possible_match' || status === 'confirmed_match') {
    const hold = await ctx.db.transaction().execute(async (tx) => {
      const h = await partiesStore.insertHold(tx, tenant, {
        holdId: ctx.ids('hld'),
        kind: cmd.kind,
        partyId,
        idempotencyKey: cmd.idempotencyKey ?? null,
        request: cmd.request,
        hits: outcome.hits.map((x) => ({
          subjectId: x.subjectId,
          listId: x.listId,
          entryKey: x.entryKey,
          score: x.score,
        })),
        status: 'held',
        decidedBy: null,
        reason: null,
        resultId: null,
        createdAt: ctx.clock.now(),
        decidedAt: null,
      })
      await ctx.outbox.enqueue(tx, [
        {
          topic: PARTIES_EVENTS.holdCreated,
          key: partyId,
          tenantId: tenant,
          payload: {
            holdId: h.holdId,
            partyId,
            kind: h.kind,
            hits: h.hits.map((x) => ({ listId: x.listId, entryKey: x.entryKey, score: x.score })),
          },
        },
      ])
      await ctx.record(tx, tenant, actor, 'parties.hold.create', h.holdId, {
        kind: cmd.kind,
        partyId,
        hits: h.hits.length,
      })
      return h
    })
    throw reviewRequired(hold)
  }
  const done = await execute(tenant, cmd.request, cmd.idempotencyKey ?? '')
  await partiesStore.link(ctx.db, tenant, {
    partyId,
    objectKind: cmd.kind,
    objectId: done.objectId,
    role: 'counterparty',
    at: ctx.clock.now(),
  })
  return done
}

const reviewRequired = (h: HoldRow) =>
  partiesError('SCREENING_REVIEW_REQUIRED', `hold ${h.holdId}`, {
    holdId: h.holdId,
    partyId: h.partyId,
    hits: h.hits.map((x) => ({ listId: x.listId, entryKey: x.entryKey, score: x.score })),
  })

async function answerHold(
  ctx: PartiesContext,
  executors: Readonly<Record<HoldKind, HoldExecutor>>,
  tenant: string,
  h: HoldRow,
): Promise<{ objectId: string; value: unknown }> {
  if (h.status === 'held') throw reviewRequired(h)
  if (h.status === 'rejected')
    throw partiesError('SCREENING_HOLD_REJECTED', `hold ${h.holdId}`, { holdId: h.holdId, reason: h.reason })
  return executeHold(ctx, executors, tenant, h)
}

/** The held request, run with its key (the hold id when the client sent none), and linked to the party. */
async function executeHold(
  ctx: PartiesContext,
  executors: Readonly<Record<HoldKind, HoldExecutor>>,
  tenant: string,
  h: HoldRow,
): Promise<{ objectId: string; value: unknown }> {
  const done = await executors[h.kind as HoldKind](tenant, h.request, h.idempotencyKey ?? h.holdId)
  await ctx.db.transaction().execute(async (tx) => {
    await partiesStore.setHoldResult(tx, tenant, h.holdId, done.objectId)
    await partiesStore.link(tx, tenant, {
      partyId: h.partyId,
      objectKind: h.kind,
      objectId: done.objectId,
      role: 'counterparty',
      at: ctx.clock.now(),
    })
  })
  return done
}

/**
 * An operator's decision on a hold, under the authenticated actor. `release`: the hold's hits are
 * recorded as not_a_match for the party (false-positive memory), then the held request runs.
 * `reject`: nothing moves; with `confirmMatch` the hits are recorded as true matches and the party
 * is restricted. Errors: SCREENING_HOLD_NOT_FOUND · SCREENING_HOLD_DECIDED.
 */
export async function decideHold(
  ctx: PartiesContext,
  executors: Readonly<Record<HoldKind, HoldExecutor>>,
  tenant: string,
  holdId: string,
  input: { decision: 'release' | 'reject'; reason: string; confirmMatch?: boolean | undefined },
  actor: Actor,
): Promise<{ hold: HoldRow; result?: { objectId: string; value: unknown } }> {
  const status: 'released' | 'rejected' = input.decision === 'release' ? 'released' : 'rejected'
  const hold = await ctx.db.transaction().execute(async (tx) => {
    const h = await partiesStore.hold(tx, tenant, holdId, true)
    if (!h) throw partiesError('SCREENING_HOLD_NOT_FOUND', holdId)
    if (h.status !== 'held') throw partiesError('SCREENING_HOLD_DECIDED', `${holdId} is ${h.status}`)
    await partiesStore.decideHold(tx, tenant, holdId, {
      status,
      decidedBy: actor.actor,
      reason: input.reason,
      at: ctx.clock.now(),
    })
    await ctx.outbox.enqueue(tx, [
      {
        topic: PARTIES_EVENTS.holdDecided,
        key: h.partyId,
        tenantId: tenant,
        payload: { holdId, partyId: h.partyId, kind: h.kind, decision: status, decidedBy: actor.actor },
      },
    ])
    await ctx.record(
      tx,
      tenant,
      actor,
      `parties.hold.${status === 'released' ? 'release' : 'reject'}`,
      holdId,
      {
        partyId: h.partyId,
        kind: h.kind,
        before: 'held',
        after: status,
        reason: input.reason,
      },
    )
    return { ...h, status, decidedBy: actor.actor, reason: input.reason }
  })
  const decision =
    input.decision === 'release' ? 'not_a_match' : input.confirmMatch ? 'true_match' : undefined
  if (decision) {
    const { row } = await ctx.load(ctx.db, tenant, hold.partyId)
    const open = new Set(row.screeningHits.map((x) => `${x.listId}/${x.entryKey}`))
    const pairs = new Map(hold.hits.map((x) => [`${x.listId}/${x.entryKey}`, x]))
    for (const [key, x] of pairs) {
      if (!open.has(key)) continue
      await decideHit(
        ctx,
        tenant,
        hold.partyId,
        { listId: x.listId, entryKey: x.entryKey, decision, reason: input.reason },
        actor,
      )
    }
    if (decision === 'true_match' && row.status === 'active')
      await transitionParty(
        ctx,
        tenant,
        hold.partyId,
        'restricted',
        `confirmed match: ${input.reason}`,
        actor,
      )
  }
  if (status === 'rejected') return { hold }
  const result = await executeHold(ctx, executors, tenant, hold)
  return { hold: { ...hold, resultId: result.objectId }, result }
}
