import type { Db } from '../../shared/db/connect.js'
import { PARTIES_EVENTS, partyUpdated } from './parties.events.js'
import { partiesError } from './parties.errors.js'
import { rateRisk, screeningQueries, type Party, type PartyDetails, type ScreeningStatus } from './parties.js'
import { partiesStore, type PartyRow, type StoredHit } from './parties.store.js'
import type { Actor, PartiesContext } from './context.js'

export type ScreenTrigger = 'onboarding' | 'change' | 'list_update' | 'money_movement' | 'manual'

export interface ScreenOutcome {
  readonly party: Party
  readonly hits: readonly StoredHit[]
  /** Hits this party did not have at its previous screening. */
  readonly newHits: readonly StoredHit[]
  readonly listsLoaded: number
  /** Set when no list is loaded: "no hits" then means nothing. */
  readonly warning?: string | undefined
}

export const NO_LISTS_WARNING =
  'No sanctions list is loaded for this tenant: an empty result means nothing. Load lists (moneta lists refresh|import).'

/** After screening, what the party's screening status becomes: decisions are sticky, hits are not. */
function nextScreeningStatus(current: ScreeningStatus, hits: number): ScreeningStatus {
  if (current === 'confirmed_match') return 'confirmed_match'
  return hits > 0 ? 'possible_match' : 'clear'
}

/**
 * Screens every name of the party (one screening subject per name, so list updates rescreen them all),
 * then: screening status, hits, risk rating, `parties.party.screened.v1` and the audit entry — all in
 * one transaction under the party's row lock. Hits an analyst cleared (not_a_match, neither side
 * changed) do not count.
 */
export async function screenParty(
  ctx: PartiesContext,
  tenant: string,
  partyId: string,
  trigger: ScreenTrigger,
  actor: Actor,
): Promise<ScreenOutcome> {
  const monitoringAlerts = await countMonitoringAlerts(ctx, tenant, partyId)
  return ctx.db
    .transaction()
    .execute((tx) => screenPartyIn(ctx, tx, tenant, partyId, trigger, actor, { monitoringAlerts }))
}

/**
 * screenParty inside the caller's transaction: onboarding stores, screens and rates a party with one
 * commit (the remembered screening subjects and any alerts commit with it).
 */
export async function screenPartyIn(
  ctx: PartiesContext,
  tx: Db,
  tenant: string,
  partyId: string,
  trigger: ScreenTrigger,
  actor: Actor,
  opts: {
    monitoringAlerts?: number | undefined
    /** Onboarding: the row this transaction just inserted and its clear details (no read, no decrypt). */
    inserted?: { row: PartyRow; details: PartyDetails } | undefined
  } = {},
): Promise<ScreenOutcome> {
  const { kind, details } = opts.inserted
    ? { kind: opts.inserted.row.kind, details: opts.inserted.details }
    : (await ctx.load(tx, tenant, partyId, true)).party
  const hits: StoredHit[] = []
  let listsLoaded = 0
  for (const q of screeningQueries(kind, partyId, details)) {
    const r = await ctx.screening.check(tenant, q.query, { subjectId: q.subjectId, tx })
    listsLoaded = r.listsLoaded
    for (const h of r.hits)
      hits.push({ subjectId: q.subjectId, listId: h.listId, entryKey: h.entryKey, score: h.score })
  }
  const withAlerts = hits.length > 0 ? await attachAlertIds(ctx, tx, tenant, hits) : hits
  return applyScreening(ctx, tx, tenant, partyId, withAlerts, listsLoaded, trigger, actor, {
    monitoringAlerts: opts.monitoringAlerts,
    inserted: opts.inserted?.row,
  })
}

/** The monitoring-history risk factor: alerts on the party itself and on the objects linked to it. */
async function countMonitoringAlerts(
  ctx: PartiesContext,
  tenant: string,
  partyId: string,
): Promise<number | undefined> {
  if (!ctx.monitoringAlerts) return undefined
  const links = await partiesStore.links(ctx.db, tenant, partyId)
  return ctx.monitoringAlerts(tenant, [partyId, ...links.map((l) => l.objectId)])
}

async function attachAlertIds(
  ctx: PartiesContext,
  tx: Db,
  tenant: string,
  hits: StoredHit[],
): Promise<StoredHit[]> {
  const bySubject = new Map<string, Record<string, unknown>[]>()
  for (const s of new Set(hits.map((h) => h.subjectId)))
    bySubject.set(s, await ctx.screening.alerts(tenant, s, tx))
  return hits.map((h) => {
    const alert = bySubject
      .get(h.subjectId)
      ?.filter((a) => a.list_id === h.listId && a.entry_key === h.entryKey)
      .sort((a, b) => String(b.alert_id).localeCompare(String(a.alert_id)))[0]
    return alert ? { ...h, alertId: String(alert.alert_id) } : h
  })
}

const hitKey = (h: { listId: string; entryKey: string }): string => `${h.listId}/${h.entryKey}`

/** Stores a screening result on the party (also used by the list-update listener inside its transaction). */
export async function applyScreening(
  ctx: PartiesContext,
  tx: Db,
  tenant: string,
  partyId: string,
  hits: readonly StoredHit[],
  listsLoaded: number,
  trigger: ScreenTrigger,
  actor: Actor,
  opts: {
    merge?: boolean
    monitoringAlerts?: number | undefined
    /** The row as this transaction inserted it (onboarding): already locked, not read again. */
    inserted?: PartyRow | undefined
  } = {},
): Promise<ScreenOutcome> {
  const row = opts.inserted ?? (await partiesStore.get(tx, tenant, partyId, true))
  if (!row) throw partiesError('PARTY_NOT_FOUND', partyId)
  const before = new Set(row.screeningHits.map(hitKey))
  // A list update only sees the changed entries: it adds to the party's hits rather than replacing them.
  const all = opts.merge ? [...row.screeningHits, ...hits.filter((h) => !before.has(hitKey(h)))] : [...hits]
  const newHits = hits.filter((h) => !before.has(hitKey(h)))
  const screeningStatus = nextScreeningStatus(row.screeningStatus, all.length)
  const now = ctx.clock.now()
  const updated = await rerate(ctx, tx, tenant, row, {
    screeningStatus,
    screenedAt: now,
    screeningHits: all,
    updatedAt: now,
    ...(opts.monitoringAlerts !== undefined ? { monitoringAlerts: opts.monitoringAlerts } : {}),
  })
  const warning = listsLoaded === 0 ? NO_LISTS_WARNING : undefined
  await ctx.outbox.enqueue(tx, [
    {
      topic: PARTIES_EVENTS.screened,
      key: partyId,
      tenantId: tenant,
      payload: {
        partyId,
        trigger,
        screeningStatus,
        hits: all.length,
        newHits: newHits.map((h) => ({
          listId: h.listId,
          entryKey: h.entryKey,
          score: h.score,
          ...(h.alertId ? { alertId: h.alertId } : {}),
        })),
        listsLoaded,
        ...(warning ? { warning } : {}),
        riskLevel: updated.riskLevel,
        riskScore: updated.riskScore,
      },
    },
  ])
  await ctx.record(tx, tenant, actor, 'parties.party.screen', partyId, {
    trigger,
    screeningStatus,
    before: row.screeningStatus,
    hits: all.length,
    newHits: newHits.length,
    listsLoaded,
  })
  return { party: await ctx.decrypt(tenant, updated), hits: all, newHits, listsLoaded, warning }
}

/** Writes the row with a fresh risk rating (every change recomputes it). */
export async function rerate(
  ctx: PartiesContext,
  tx: Db,
  tenant: string,
  row: PartyRow,
  change: Partial<PartyRow>,
): Promise<PartyRow> {
  const next = { ...row, ...change }
  const party = await ctx.decrypt(tenant, next)
  const risk = rateRisk({
    details: party.details,
    products: next.products,
    screeningStatus: next.screeningStatus,
    monitoringAlerts: next.monitoringAlerts,
  })
  const out: PartyRow = {
    ...next,
    riskLevel: risk.level,
    riskScore: risk.score,
    riskReasons: risk.reasons,
    version: row.version + 1,
  }
  await partiesStore.update(tx, tenant, out)
  return out
}

/**
 * An analyst's decision on one of the party's hits, recorded under the authenticated actor (never a
 * typed name): not_a_match clears the hit (until the party or the list entry changes), true_match
 * confirms it (screening status confirmed_match, risk prohibited). Errors: PARTY_NOT_FOUND · PARTY_HIT_NOT_FOUND.
 */
export async function decideHit(
  ctx: PartiesContext,
  tenant: string,
  partyId: string,
  input: { listId: string; entryKey: string; decision: 'not_a_match' | 'true_match'; reason: string },
  actor: Actor,
): Promise<{ decisionIds: string[]; party: Party }> {
  const { row } = await ctx.load(ctx.db, tenant, partyId)
  const subjects = row.screeningHits.filter((h) => h.listId === input.listId && h.entryKey === input.entryKey)
  if (subjects.length === 0) throw partiesError('PARTY_HIT_NOT_FOUND', `${input.listId}/${input.entryKey}`)
  const decisionIds: string[] = []
  for (const s of subjects) {
    const r = await ctx.screening.recordDecision(tenant, {
      subjectId: s.subjectId,
      listId: input.listId,
      entryKey: input.entryKey,
      decision: input.decision,
      analyst: actor.actor,
      reason: input.reason,
    })
    decisionIds.push(r.decisionId)
  }
  await ctx.record(ctx.db, tenant, actor, `parties.screening.${input.decision}`, partyId, {
    listId: input.listId,
    entryKey: input.entryKey,
    decisionIds,
    reason: input.reason,
  })
  if (input.decision === 'true_match') {
    const party = await ctx.db.transaction().execute(async (tx) => {
      const locked = await partiesStore.get(tx, tenant, partyId, true)
      const updated = await rerate(ctx, tx, tenant, locked!, {
        screeningStatus: 'confirmed_match',
        updatedAt: ctx.clock.now(),
      })
      await ctx.outbox.enqueue(tx, [partyUpdated(tenant, updated, ['screeningStatus'])])
      return ctx.decrypt(tenant, updated)
    })
    return { decisionIds, party }
  }
  // Screen again: the cleared pair is now suppressed by the screening module's memory.
  return { decisionIds, party: (await screenParty(ctx, tenant, partyId, 'manual', actor)).party }
}
