import { partiesError } from './parties.errors.js'
import type { Party, PartyKind, PartyRole, PartyStatus, RiskLevel, ScreeningStatus } from './parties.js'
import { partiesStore, type HoldRow, type StoredHit } from './parties.store.js'
import { createContext, type Actor, type PartiesContext, type PartiesDeps } from './context.js'
import { createParty, type CreatePartyInput, type CreatePartyResult } from './onboard.js'
import { transitionParty, updateParty, type PartyPatch } from './change.js'
import { decideHit, screenParty, type ScreenOutcome } from './screen.js'
import { applyListHit, startListUpdateConsumer, type PartyAlert } from './list-update.js'
import type { EventBus, Subscription } from '../events/index.js'
import {
  decideHold,
  submitMoneyCommand,
  type HoldExecutor,
  type HoldKind,
  type MoneyCommand,
} from './holds.js'

export interface PartyListFilter {
  readonly status?: PartyStatus | undefined
  readonly kind?: PartyKind | undefined
  readonly role?: PartyRole | undefined
  readonly riskLevel?: RiskLevel | undefined
  readonly screeningStatus?: ScreeningStatus | undefined
  /** Exact normalised name (any of the party's names), through its blind index. */
  readonly name?: string | undefined
  /** Exact identifier value (passport, tax id, LEI…), through its blind index. */
  readonly identifier?: string | undefined
  readonly after?: string | undefined
  readonly limit?: number | undefined
}

export interface PartyLink {
  readonly objectKind: string
  readonly objectId: string
  readonly role: string
  readonly createdAt: Date
}

/**
 * Customers and counterparties (docs/parties.md). Every method that changes a party writes its event
 * and audit entry; the actor is always the authenticated principal handed in by the caller.
 */
export interface Parties {
  /** Onboards and screens. Errors: PARTY_INVALID · PARTY_IDENTIFIER_INVALID · IDEMPOTENCY_CONFLICT. */
  create(
    tenant: string,
    input: CreatePartyInput,
    actor: Actor,
    opts?: { idempotencyKey?: string | undefined },
  ): Promise<CreatePartyResult>
  /** Errors: PARTY_NOT_FOUND. */
  get(tenant: string, id: string): Promise<Party>
  list(tenant: string, filter?: PartyListFilter): Promise<{ items: Party[]; next: string | null }>
  /** Errors: PARTY_NOT_FOUND · PARTY_INVALID · PARTY_VERSION_CONFLICT · PARTY_TRANSITION_INVALID. */
  update(
    tenant: string,
    id: string,
    patch: PartyPatch,
    actor: Actor,
  ): Promise<{ party: Party; screening: ScreenOutcome | undefined }>
  /** Errors: PARTY_NOT_FOUND · PARTY_TRANSITION_INVALID · PARTY_SCREENING_UNRESOLVED. */
  transition(tenant: string, id: string, to: PartyStatus, reason: string, actor: Actor): Promise<Party>
  /** Screens the party now. Errors: PARTY_NOT_FOUND. */
  screen(tenant: string, id: string, actor: Actor): Promise<ScreenOutcome>
  /** The party's current hits and every screening alert raised on it. */
  screeningResults(
    tenant: string,
    id: string,
  ): Promise<{ party: Party; hits: readonly StoredHit[]; alerts: Record<string, unknown>[] }>
  /** Errors: PARTY_NOT_FOUND · PARTY_HIT_NOT_FOUND. */
  decide(
    tenant: string,
    id: string,
    input: { listId: string; entryKey: string; decision: 'not_a_match' | 'true_match'; reason: string },
    actor: Actor,
  ): Promise<{ decisionIds: string[]; party: Party }>
  links(tenant: string, id: string): Promise<PartyLink[]>
  /** Records that an object (ledger account…) references the party. Errors: PARTY_NOT_FOUND. */
  link(tenant: string, partyId: string, objectKind: string, objectId: string, role: string): Promise<void>
  /** The screening gate in front of money movement (holds.ts). */
  submit(tenant: string, cmd: MoneyCommand, actor: Actor): Promise<{ objectId: string; value: unknown }>
  holds(
    tenant: string,
    filter?: { status?: string | undefined; partyId?: string | undefined; limit?: number | undefined },
  ): Promise<HoldRow[]>
  /** Errors: SCREENING_HOLD_NOT_FOUND. */
  getHold(tenant: string, id: string): Promise<HoldRow>
  /** Errors: SCREENING_HOLD_NOT_FOUND · SCREENING_HOLD_DECIDED, and the executed command's own errors. */
  decideHold(
    tenant: string,
    id: string,
    input: { decision: 'release' | 'reject'; reason: string; confirmMatch?: boolean | undefined },
    actor: Actor,
  ): Promise<{ hold: HoldRow; result?: { objectId: string; value: unknown } }>
  /** A list update's rescreen hit one of the party's names (idempotent). */
  applyListHit(tenant: string, alert: PartyAlert): Promise<boolean>
  /** Consumes `screening.alert.created.v1` rescreen alerts on parties (workers). */
  startListUpdateConsumer(bus: EventBus): Promise<Subscription>
  /** Internal: the shared context (the list-update listener and tests use it). */
  readonly context: PartiesContext
}

export interface CreatePartiesDeps extends PartiesDeps {
  /** How each held kind of money movement is executed on release (composition root). */
  readonly executors?: Partial<Record<HoldKind, HoldExecutor>> | undefined
}

const MAX_PAGE = 200

export function createParties(deps: CreatePartiesDeps): Parties {
  const ctx = createContext(deps)
  const missing: HoldExecutor = () =>
    Promise.reject(partiesError('PARTY_INVALID', 'this kind of money movement is not wired to parties'))
  const executors: Record<HoldKind, HoldExecutor> = {
    payout: deps.executors?.payout ?? missing,
    bank_transfer: deps.executors?.bank_transfer ?? missing,
  }
  return {
    context: ctx,
    create: (tenant, input, actor, opts) => createParty(ctx, tenant, input, actor, opts),
    async get(tenant, id) {
      return (await ctx.load(ctx.db, tenant, id)).party
    },
    async list(tenant, f = {}) {
      const limit = Math.min(Math.max(f.limit ?? 50, 1), MAX_PAGE)
      const search = f.identifier
        ? { field: 'identifier' as const, bidx: ctx.identifierKey(tenant, f.identifier) }
        : f.name
          ? { field: 'name' as const, bidx: ctx.nameKey(tenant, f.kind, f.name) }
          : undefined
      const rows = await partiesStore.list(ctx.db, tenant, {
        status: f.status,
        kind: f.kind,
        role: f.role,
        riskLevel: f.riskLevel,
        screeningStatus: f.screeningStatus,
        search,
        after: f.after,
        limit: limit + 1,
      })
      const page = rows.slice(0, limit)
      return {
        items: await Promise.all(page.map((r) => ctx.decrypt(tenant, r))),
        next: rows.length > limit ? page[page.length - 1]!.partyId : null,
      }
    },
    update: (tenant, id, patch, actor) => updateParty(ctx, tenant, id, patch, actor),
    transition: (tenant, id, to, reason, actor) => transitionParty(ctx, tenant, id, to, reason, actor),
    screen: (tenant, id, actor) => screenParty(ctx, tenant, id, 'manual', actor),
    async screeningResults(tenant, id) {
      const { row, party } = await ctx.load(ctx.db, tenant, id)
      const subjects = party.details.names.map((_, i) => `${id}:${i}`)
      const alerts = (await Promise.all(subjects.map((s) => ctx.screening.alerts(tenant, s)))).flat()
      return { party, hits: row.screeningHits, alerts }
    },
    decide: (tenant, id, input, actor) => decideHit(ctx, tenant, id, input, actor),
    async links(tenant, id) {
      await ctx.load(ctx.db, tenant, id)
      return partiesStore.links(ctx.db, tenant, id)
    },
    async link(tenant, partyId, objectKind, objectId, role) {
      await ctx.load(ctx.db, tenant, partyId)
      await partiesStore.link(ctx.db, tenant, { partyId, objectKind, objectId, role, at: ctx.clock.now() })
    },
    submit: (tenant, cmd, actor) => submitMoneyCommand(ctx, executors, tenant, cmd, actor),
    holds: (tenant, f = {}) =>
      partiesStore.holds(ctx.db, tenant, {
        status: f.status,
        partyId: f.partyId,
        limit: Math.min(Math.max(f.limit ?? 50, 1), MAX_PAGE),
      }),
    async getHold(tenant, id) {
      const h = await partiesStore.hold(ctx.db, tenant, id)
      if (!h) throw partiesError('SCREENING_HOLD_NOT_FOUND', id)
      return h
    },
    decideHold: (tenant, id, input, actor) => decideHold(ctx, executors, tenant, id, input, actor),
    applyListHit: (tenant, alert) => applyListHit(ctx, tenant, alert),
    startListUpdateConsumer: (bus) => startListUpdateConsumer(ctx, bus),
  }
}
