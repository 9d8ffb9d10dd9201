import { partyUpdated } from './parties.events.js'
import { partiesError } from './parties.errors.js'
import {
  checkDetails,
  nextStatus,
  screeningRelevantChange,
  type Party,
  type PartyDetails,
  type PartyRole,
  type PartyStatus,
} from './parties.js'
import { partiesStore } from './parties.store.js'
import type { Actor, PartiesContext } from './context.js'
import { rerate, screenParty, type ScreenOutcome } from './screen.js'

export interface PartyPatch {
  readonly roles?: readonly PartyRole[] | undefined
  readonly products?: readonly string[] | undefined
  /** Personal fields: given ones replace the stored ones (names, addresses, identifiers as whole lists). */
  readonly details?: Partial<PartyDetails> | undefined
  /** Optimistic concurrency: PARTY_VERSION_CONFLICT unless the party is still at this version. */
  readonly expectedVersion?: number | undefined
}

/**
 * Changes a party's fields; the risk rating is recomputed and, when a name, the date of birth or
 * a country changed, the party is screened again. Errors: PARTY_NOT_FOUND · PARTY_INVALID ·
 * PARTY_IDENTIFIER_INVALID · PARTY_VERSION_CONFLICT · PARTY_TRANSITION_INVALID (exited parties are final).
 */
export async function updateParty(
  ctx: PartiesContext,
  tenant: string,
  partyId: string,
  patch: PartyPatch,
  actor: Actor,
): Promise<{ party: Party; screening: ScreenOutcome | undefined }> {
  const { party: current } = await ctx.load(ctx.db, tenant, partyId)
  const merged: PartyDetails = { ...current.details, ...stripUndefined(patch.details ?? {}) }
  const details = checkDetails(current.kind, merged, ctx.clock.now())
  const rescreen = screeningRelevantChange(current.details, details)
  const changed = [
    ...(patch.roles ? ['roles'] : []),
    ...(patch.products ? ['products'] : []),
    ...Object.keys(patch.details ?? {}).filter(
      (k) => (patch.details as Record<string, unknown>)[k] !== undefined,
    ),
  ]
  const updated = await ctx.db.transaction().execute(async (tx) => {
    const row = await partiesStore.get(tx, tenant, partyId, true)
    if (!row) throw partiesError('PARTY_NOT_FOUND', partyId)
    if (patch.expectedVersion !== undefined && patch.expectedVersion !== row.version)
      throw partiesError('PARTY_VERSION_CONFLICT', `at version ${row.version}, not ${patch.expectedVersion}`)
    if (row.status === 'exited')
      throw partiesError('PARTY_TRANSITION_INVALID', 'an exited party cannot change')
    const roles = patch.roles ? [...new Set(patch.roles)] : row.roles
    if (roles.length === 0) throw partiesError('PARTY_INVALID', 'roles needs customer, counterparty or both')
    const next = await rerate(ctx, tx, tenant, row, {
      roles,
      products: patch.products ? [...new Set(patch.products)] : row.products,
      detailsCt: await ctx.detailsField.encrypt(tenant, partyId, JSON.stringify(details)),
      updatedAt: ctx.clock.now(),
    })
    await partiesStore.replaceSearch(tx, tenant, partyId, ctx.searchKeys(tenant, row.kind, details))
    await ctx.outbox.enqueue(tx, [partyUpdated(tenant, next, changed)])
    await ctx.record(tx, tenant, actor, 'parties.party.update', partyId, {
      changed,
      before: { version: row.version, riskLevel: row.riskLevel },
      after: { version: next.version, riskLevel: next.riskLevel },
    })
    return next
  })
  if (!rescreen) return { party: await ctx.decrypt(tenant, updated), screening: undefined }
  const screening = await screenParty(ctx, tenant, partyId, 'change', actor)
  return { party: screening.party, screening }
}

/**
 * Moves a party along onboarding → active → restricted → exited (state machine in parties.ts).
 * Errors: PARTY_NOT_FOUND · PARTY_TRANSITION_INVALID · PARTY_SCREENING_UNRESOLVED (activation with open hits).
 */
export async function transitionParty(
  ctx: PartiesContext,
  tenant: string,
  partyId: string,
  to: PartyStatus,
  reason: string,
  actor: Actor,
): Promise<Party> {
  const updated = await ctx.db.transaction().execute(async (tx) => {
    const row = await partiesStore.get(tx, tenant, partyId, true)
    if (!row) throw partiesError('PARTY_NOT_FOUND', partyId)
    const status = nextStatus(row, to)
    const next = await rerate(ctx, tx, tenant, row, { status, updatedAt: ctx.clock.now() })
    await ctx.outbox.enqueue(tx, [partyUpdated(tenant, next, ['status'], row.status)])
    await ctx.record(tx, tenant, actor, 'parties.party.transition', partyId, {
      before: row.status,
      after: status,
      reason,
    })
    return next
  })
  return ctx.decrypt(tenant, updated)
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
