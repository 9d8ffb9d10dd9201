import { createHash } from 'node:crypto'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { AuditSink, BoundField, FieldCipher } from '../crypto/index.js'
import type { Outbox } from '../events/index.js'
import {
  normalizeIdentifier,
  normalizeName,
  type CheckResult,
  type ScreeningQuery,
} from '../screening/index.js'
import type { Party, PartyDetails } from './parties.js'
import { partiesError } from './parties.errors.js'
import { partiesStore, type PartyRow } from './parties.store.js'

/** Who acts: always the authenticated principal (`operator:op_…`, `apikey:key_…`), `cli` or `system`. */
export interface Actor {
  readonly actor: string
  /** Client IP, `cli`, `worker`. */
  readonly origin: string
}

/** The slice of the audit log this module writes to (the same structural port the vault uses). */
export type PartiesAuditPort = AuditSink

/** The slice of screening parties use: subject checks (remembered, alerted, rescreened) and decisions. */
export interface PartiesScreeningPort {
  check(tenantId: string, query: ScreeningQuery, opts: { subjectId: string; tx?: Db }): Promise<CheckResult>
  recordDecision(
    tenantId: string,
    input: {
      subjectId: string
      listId: string
      entryKey: string
      decision: 'not_a_match' | 'true_match'
      analyst: string
      reason: string
    },
  ): Promise<{ decisionId: string }>
  alerts(tenantId: string, subjectId?: string, tx?: Db): Promise<Record<string, unknown>[]>
  listStatus(tenantId: string): Promise<readonly unknown[]>
}

export interface PartiesDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly outbox: Outbox
  readonly fieldCipher: FieldCipher
  readonly screening: PartiesScreeningPort
  readonly audit?: PartiesAuditPort | undefined
  /** Monitoring alerts raised on any of these subjects (the party and its linked accounts): a risk factor. */
  readonly monitoringAlerts?: ((tenant: string, subjectIds: readonly string[]) => Promise<number>) | undefined
}

/** Shared by the use-case files: encryption of the personal fields and their blind indexes. */
export interface PartiesContext extends Omit<PartiesDeps, 'audit'> {
  readonly detailsField: BoundField
  searchKeys(
    tenant: string,
    kind: Party['kind'],
    d: PartyDetails,
  ): { field: 'name' | 'identifier'; bidx: Buffer }[]
  nameKey(tenant: string, kind: Party['kind'] | undefined, name: string): Buffer
  identifierKey(tenant: string, value: string): Buffer
  decrypt(tenant: string, row: PartyRow): Promise<Party>
  load(tx: Db, tenant: string, id: string, forUpdate?: boolean): Promise<{ row: PartyRow; party: Party }>
  /** The audit entry of a change, written in the change's transaction (`tx`), never queued after it. */
  record(
    tx: Db,
    tenant: string,
    actor: Actor,
    action: string,
    resource: string,
    details?: Record<string, unknown>,
  ): Promise<void>
}

export const PARTY_DETAILS_FIELD = { table: 'parties', column: 'details_ct', idColumn: 'party_id' } as const
const SEARCH = { table: 'party_search', column: 'bidx' }

export const requestHash = (v: unknown): string =>
  createHash('sha256').update(JSON.stringify(v)).digest('hex')

/**
 * The blind index an identifier (passport, LEI, registration number) is found under: what search
 * indexes and queries for parties' identifiers, so their plaintext never reaches a search index.
 */
export const partyIdentifierIndex = (fieldCipher: FieldCipher, tenant: string, value: string): Buffer =>
  fieldCipher.blindIndex(tenant, SEARCH, `id:${normalizeIdentifier(value)}`, {
    bytes: 16,
    normalize: (v) => v,
  })

export function createContext(deps: PartiesDeps): PartiesContext {
  const detailsField = deps.fieldCipher.field(PARTY_DETAILS_FIELD)
  const blind = (tenant: string, value: string): Buffer =>
    deps.fieldCipher.blindIndex(tenant, SEARCH, value, { bytes: 16, normalize: (v) => v })
  // Names: the screening normaliser's text (transliterated, case- and accent-folded, word order kept),
  // so "Müller, Hans" and "MULLER HANS" differ but "Hans Müller" and "HANS MULLER" meet.
  const nameKey = (tenant: string, kind: Party['kind'] | undefined, name: string): Buffer =>
    blind(
      tenant,
      `name:${normalizeName(name, kind === 'organisation' ? 'entity' : kind === 'person' ? 'person' : 'unknown').text}`,
    )
  const identifierKey = (tenant: string, value: string): Buffer =>
    partyIdentifierIndex(deps.fieldCipher, tenant, value)
  const ctx: PartiesContext = {
    ...deps,
    detailsField,
    nameKey,
    identifierKey,
    searchKeys(tenant, kind, d) {
      return [
        ...d.names.map((n) => ({ field: 'name' as const, bidx: nameKey(tenant, kind, n.value) })),
        // Names are also found without saying the party kind (legal forms are then kept).
        ...d.names.map((n) => ({ field: 'name' as const, bidx: nameKey(tenant, undefined, n.value) })),
        ...d.identifiers.map((x) => ({ field: 'identifier' as const, bidx: identifierKey(tenant, x.value) })),
      ]
    },
    async decrypt(tenant, row) {
      const details = JSON.parse(
        await detailsField.decryptString(tenant, row.partyId, row.detailsCt),
      ) as PartyDetails
      return {
        id: row.partyId,
        kind: row.kind,
        roles: row.roles,
        status: row.status,
        details,
        products: row.products,
        riskLevel: row.riskLevel,
        riskScore: row.riskScore,
        riskReasons: row.riskReasons,
        screeningStatus: row.screeningStatus,
        screenedAt: row.screenedAt,
        version: row.version,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      }
    },
    async load(tx, tenant, id, forUpdate = false) {
      const row = await partiesStore.get(tx, tenant, id, forUpdate)
      if (!row) throw partiesError('PARTY_NOT_FOUND', id)
      return { row, party: await ctx.decrypt(tenant, row) }
    },
    async record(tx, tenant, actor, action, resource, details) {
      await deps.audit?.recordIn(tx, {
        tenant,
        actor: actor.actor,
        action,
        resource,
        outcome: 'success',
        origin: actor.origin,
        ...(details ? { details } : {}),
      })
    },
  }
  return ctx
}
