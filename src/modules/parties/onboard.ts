import { PARTIES_EVENTS } from './parties.events.js'
import { partiesError } from './parties.errors.js'
import {
  checkDetails,
  rateRisk,
  type Party,
  type PartyDetails,
  type PartyKind,
  type PartyRole,
} from './parties.js'
import { partiesStore, type PartyRow } from './parties.store.js'
import { requestHash, type Actor, type PartiesContext } from './context.js'
import { screenPartyIn, type ScreenOutcome } from './screen.js'

export interface CreatePartyInput {
  readonly kind: PartyKind
  readonly roles: readonly PartyRole[]
  readonly details: PartyDetails
  readonly products?: readonly string[] | undefined
}

export interface CreatePartyResult {
  readonly party: Party
  /** False when the idempotency key replayed an earlier creation. */
  readonly created: boolean
  readonly screening: ScreenOutcome | undefined
}

/**
 * Onboards a party: validated, personal fields encrypted, blind indexes written, risk rated, the
 * created event and audit entry with it, and screened (every name) against the loaded lists — one
 * transaction, one commit.
 * Idempotent on `idempotencyKey`: a replay returns the party as it is now; another payload is
 * IDEMPOTENCY_CONFLICT. Errors: PARTY_INVALID · PARTY_IDENTIFIER_INVALID · IDEMPOTENCY_CONFLICT.
 */
export async function createParty(
  ctx: PartiesContext,
  tenant: string,
  input: CreatePartyInput,
  actor: Actor,
  opts: { idempotencyKey?: string | undefined } = {},
): Promise<CreatePartyResult> {
  const hash = requestHash(input)
  if (opts.idempotencyKey) {
    const prior = await partiesStore.byIdempotencyKey(ctx.db, tenant, opts.idempotencyKey)
    if (prior) return replay(ctx, tenant, prior, hash)
  }
  const now = ctx.clock.now()
  const details = checkDetails(input.kind, input.details, now)
  const roles = [...new Set(input.roles)]
  if (roles.length === 0) throw partiesError('PARTY_INVALID', 'roles needs customer, counterparty or both')
  const products = [...new Set(input.products ?? [])]
  const partyId = ctx.ids('pty')
  const risk = rateRisk({ details, products, screeningStatus: 'not_screened', monitoringAlerts: 0 })
  const row: PartyRow = {
    partyId,
    kind: input.kind,
    roles,
    status: 'onboarding',
    detailsCt: await ctx.detailsField.encrypt(tenant, partyId, JSON.stringify(details)),
    products,
    riskLevel: risk.level,
    riskScore: risk.score,
    riskReasons: risk.reasons,
    monitoringAlerts: 0,
    screeningStatus: 'not_screened',
    screenedAt: null,
    screeningHits: [],
    version: 1,
    idempotencyKey: opts.idempotencyKey ?? null,
    requestHash: hash,
    createdAt: now,
    updatedAt: now,
  }
  const inserted = await ctx.db.transaction().execute(async (tx) => {
    if (!(await partiesStore.insert(tx, tenant, row))) return false
    await partiesStore.replaceSearch(tx, tenant, partyId, ctx.searchKeys(tenant, input.kind, details), {
      newParty: true,
    })
    await ctx.outbox.enqueue(tx, [
      {
        topic: PARTIES_EVENTS.created,
        key: partyId,
        tenantId: tenant,
        payload: {
          partyId,
          kind: row.kind,
          roles: [...roles],
          status: row.status,
          riskLevel: row.riskLevel,
          riskScore: row.riskScore,
        },
      },
    ])
    await ctx.record(tx, tenant, actor, 'parties.party.create', partyId, {
      kind: row.kind,
      roles,
      riskLevel: row.riskLevel,
    })
    // Screened in the same transaction (one commit): a party never exists unscreened, and a new
    // party has no linked objects yet, so no monitoring alerts to count.
    return screenPartyIn(ctx, tx, tenant, partyId, 'onboarding', actor, {
      monitoringAlerts: 0,
      inserted: { row, details },
    })
  })
  if (!inserted) {
    // A concurrent request with the same key won the unique index.
    const prior = await partiesStore.byIdempotencyKey(ctx.db, tenant, opts.idempotencyKey ?? '')
    if (prior) return replay(ctx, tenant, prior, hash)
    throw partiesError('PARTY_INVALID', 'could not store the party')
  }
  return { party: inserted.party, created: true, screening: inserted }
}

async function replay(
  ctx: PartiesContext,
  tenant: string,
  prior: PartyRow,
  hash: string,
): Promise<CreatePartyResult> {
  if (prior.requestHash !== hash)
    throw partiesError('IDEMPOTENCY_CONFLICT', `key used for party ${prior.partyId}`, {
      partyId: prior.partyId,
    })
  return { party: await ctx.decrypt(tenant, prior), created: false, screening: undefined }
}
