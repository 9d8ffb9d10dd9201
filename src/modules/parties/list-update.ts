import type { EventBus, EventMessage, Subscription } from '../events/index.js'
import type { PartiesContext } from './context.js'
import { applyScreening } from './screen.js'

export const PARTIES_SCREENING_GROUP = 'parties.screening-alerts'
const ALERT_TOPIC = 'screening.alert.created.v1'
const SYSTEM = { actor: 'system', origin: 'worker' } as const

/** What the parties module reads of `screening.alert.created.v1`. */
export interface PartyAlert {
  readonly alertId: string
  readonly partyId: string
  readonly subjectId: string
  readonly listId: string
  readonly entryKey: string
  readonly score: number
}

/**
 * A list update's rescreen found a new hit on one of a party's names: the party becomes a possible
 * match, its risk is rated again, and `parties.party.screened.v1` (trigger list_update, with the hit in
 * newHits) is written in the same transaction. Idempotent: a hit the party already has changes nothing.
 */
export async function applyListHit(ctx: PartiesContext, tenant: string, a: PartyAlert): Promise<boolean> {
  const { row } = await ctx.load(ctx.db, tenant, a.partyId).catch(() => ({ row: undefined }))
  if (!row || row.screeningHits.some((h) => h.listId === a.listId && h.entryKey === a.entryKey)) return false
  const listsLoaded = (await ctx.screening.listStatus(tenant)).length
  await ctx.db.transaction().execute((tx) =>
    applyScreening(
      ctx,
      tx,
      tenant,
      a.partyId,
      [
        {
          subjectId: a.subjectId,
          listId: a.listId,
          entryKey: a.entryKey,
          score: a.score,
          alertId: a.alertId,
        },
      ],
      listsLoaded,
      'list_update',
      SYSTEM,
      { merge: true },
    ),
  )
  return true
}

function partyAlertOf(m: EventMessage): PartyAlert | undefined {
  const p = m.payload as Record<string, unknown>
  if (p.source !== 'rescreen' || typeof p.partyId !== 'string') return undefined
  return {
    alertId: String(p.alertId),
    partyId: p.partyId,
    subjectId: String(p.subjectId),
    listId: String(p.listId),
    entryKey: String(p.entryKey),
    score: Number(p.score),
  }
}

/** Consumes rescreen alerts on parties' names (started with the workers). */
export function startListUpdateConsumer(ctx: PartiesContext, bus: EventBus): Promise<Subscription> {
  return bus.subscribe({
    group: PARTIES_SCREENING_GROUP,
    topics: [ALERT_TOPIC],
    maxInFlight: 100,
    batchHandler: async (msgs: readonly EventMessage[]) => {
      for (const m of msgs) {
        const a = partyAlertOf(m)
        if (a) await applyListHit(ctx, m.tenantId, a)
      }
    },
  })
}
