import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { PartyKind, PartyRole, PartyStatus, RiskLevel, RiskReason, ScreeningStatus } from './parties.js'

/** A screening hit as kept on the party: which name (subject) hit which list entry. */
export interface StoredHit {
  readonly subjectId: string
  readonly listId: string
  readonly entryKey: string
  readonly score: number
  readonly alertId?: string | undefined
}

/** A parties row as stored: personal fields still encrypted. */
export interface PartyRow {
  readonly partyId: string
  readonly kind: PartyKind
  readonly roles: readonly PartyRole[]
  readonly status: PartyStatus
  readonly detailsCt: Buffer
  readonly products: readonly string[]
  readonly riskLevel: RiskLevel
  readonly riskScore: number
  readonly riskReasons: readonly RiskReason[]
  readonly monitoringAlerts: number
  readonly screeningStatus: ScreeningStatus
  readonly screenedAt: Date | null
  readonly screeningHits: readonly StoredHit[]
  readonly version: number
  readonly idempotencyKey: string | null
  readonly requestHash: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface PartyFilter {
  readonly status?: PartyStatus | undefined
  readonly kind?: PartyKind | undefined
  readonly role?: PartyRole | undefined
  readonly riskLevel?: RiskLevel | undefined
  readonly screeningStatus?: ScreeningStatus | undefined
  /** Blind indexes to match (name or identifier search). */
  readonly search?: { field: 'name' | 'identifier'; bidx: Buffer } | undefined
  readonly after?: string | undefined
  readonly limit: number
}

export interface HoldRow {
  readonly holdId: string
  readonly kind: string
  readonly partyId: string
  readonly idempotencyKey: string | null
  readonly request: Record<string, unknown>
  readonly hits: readonly { listId: string; entryKey: string; score: number; subjectId: string }[]
  readonly status: 'held' | 'released' | 'rejected'
  readonly decidedBy: string | null
  readonly reason: string | null
  readonly resultId: string | null
  readonly createdAt: Date
  readonly decidedAt: Date | null
}

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v)

const toParty = (r: Record<string, unknown>): PartyRow => ({
  partyId: String(r.party_id),
  kind: r.kind as PartyKind,
  roles: r.roles as PartyRole[],
  status: r.status as PartyStatus,
  detailsCt: Buffer.from(r.details_ct as Uint8Array),
  products: r.products as string[],
  riskLevel: r.risk_level as RiskLevel,
  riskScore: Number(r.risk_score),
  riskReasons: json(r.risk_reasons) as RiskReason[],
  monitoringAlerts: Number(r.monitoring_alerts),
  screeningStatus: r.screening_status as ScreeningStatus,
  screenedAt: r.screened_at ? new Date(r.screened_at as string) : null,
  screeningHits: json(r.screening_hits) as StoredHit[],
  version: Number(r.version),
  idempotencyKey: (r.idempotency_key as string | null) ?? null,
  requestHash: (r.request_hash as string | null) ?? null,
  createdAt: new Date(r.created_at as string),
  updatedAt: new Date(r.updated_at as string),
})

const toHold = (r: Record<string, unknown>): HoldRow => ({
  holdId: String(r.hold_id),
  kind: String(r.kind),
  partyId: String(r.party_id),
  idempotencyKey: (r.idempotency_key as string | null) ?? null,
  request: json(r.request) as Record<string, unknown>,
  hits: json(r.hits) as HoldRow['hits'],
  status: r.status as HoldRow['status'],
  decidedBy: (r.decided_by as string | null) ?? null,
  reason: (r.reason as string | null) ?? null,
  resultId: (r.result_id as string | null) ?? null,
  createdAt: new Date(r.created_at as string),
  decidedAt: r.decided_at ? new Date(r.decided_at as string) : null,
})

/** SQL of the parties module (PGlite and PostgreSQL). Every function takes the executor to run on. */
export const partiesStore = {
  async insert(tx: Db, tenant: string, p: PartyRow): Promise<boolean> {
    const r = await sql`
      INSERT INTO parties (tenant_id, party_id, kind, roles, status, details_ct, products, risk_level, risk_score,
        risk_reasons, monitoring_alerts, screening_status, screened_at, screening_hits, version, idempotency_key, request_hash,
        created_at, updated_at)
      VALUES (${tenant}, ${p.partyId}, ${p.kind}, ${p.roles}::text[], ${p.status}, ${p.detailsCt},
        ${p.products}::text[], ${p.riskLevel}, ${p.riskScore}, ${JSON.stringify(p.riskReasons)}::jsonb,
        ${p.monitoringAlerts}, ${p.screeningStatus}, ${p.screenedAt}, ${JSON.stringify(p.screeningHits)}::jsonb,
        ${p.version}, ${p.idempotencyKey},
        ${p.requestHash}, ${p.createdAt}, ${p.updatedAt})
      ON CONFLICT DO NOTHING`.execute(tx)
    return Number(r.numAffectedRows ?? 0) === 1
  },

  async get(tx: Db, tenant: string, id: string, forUpdate = false): Promise<PartyRow | undefined> {
    const r = forUpdate
      ? await sql<Record<string, unknown>>`
          SELECT * FROM parties WHERE tenant_id = ${tenant} AND party_id = ${id} FOR UPDATE`.execute(tx)
      : await sql<Record<string, unknown>>`
          SELECT * FROM parties WHERE tenant_id = ${tenant} AND party_id = ${id}`.execute(tx)
    return r.rows[0] ? toParty(r.rows[0]) : undefined
  },

  async byIdempotencyKey(tx: Db, tenant: string, key: string): Promise<PartyRow | undefined> {
    const r = await sql<Record<string, unknown>>`
      SELECT * FROM parties WHERE tenant_id = ${tenant} AND idempotency_key = ${key}`.execute(tx)
    return r.rows[0] ? toParty(r.rows[0]) : undefined
  },

  async update(tx: Db, tenant: string, p: PartyRow): Promise<void> {
    await sql`
      UPDATE parties SET roles = ${p.roles}::text[], status = ${p.status}, details_ct = ${p.detailsCt},
        products = ${p.products}::text[], risk_level = ${p.riskLevel}, risk_score = ${p.riskScore},
        risk_reasons = ${JSON.stringify(p.riskReasons)}::jsonb, monitoring_alerts = ${p.monitoringAlerts},
        screening_status = ${p.screeningStatus}, screened_at = ${p.screenedAt},
        screening_hits = ${JSON.stringify(p.screeningHits)}::jsonb, version = ${p.version},
        updated_at = ${p.updatedAt}
      WHERE tenant_id = ${tenant} AND party_id = ${p.partyId}`.execute(tx)
  },

  async list(tx: Db, tenant: string, f: PartyFilter): Promise<PartyRow[]> {
    const r = await sql<Record<string, unknown>>`
      SELECT p.* FROM parties p
      WHERE p.tenant_id = ${tenant}
        AND (${f.status ?? null}::text IS NULL OR p.status = ${f.status ?? null})
        AND (${f.kind ?? null}::text IS NULL OR p.kind = ${f.kind ?? null})
        AND (${f.role ?? null}::text IS NULL OR ${f.role ?? null} = ANY (p.roles))
        AND (${f.riskLevel ?? null}::text IS NULL OR p.risk_level = ${f.riskLevel ?? null})
        AND (${f.screeningStatus ?? null}::text IS NULL OR p.screening_status = ${f.screeningStatus ?? null})
        AND (${f.after ?? null}::text IS NULL OR p.party_id > ${f.after ?? null})
        AND (${f.search?.field ?? null}::text IS NULL OR EXISTS (
          SELECT 1 FROM party_search s WHERE s.tenant_id = p.tenant_id AND s.party_id = p.party_id
            AND s.field = ${f.search?.field ?? null} AND s.bidx = ${f.search?.bidx ?? null}))
      ORDER BY p.party_id LIMIT ${f.limit}`.execute(tx)
    return r.rows.map(toParty)
  },

  /** Replaces a party's blind indexes (names and identifiers). */
  async replaceSearch(
    tx: Db,
    tenant: string,
    partyId: string,
    keys: readonly { field: 'name' | 'identifier'; bidx: Buffer }[],
    opts: { newParty?: boolean } = {},
  ): Promise<void> {
    // A party inserted in this transaction has no keys to remove yet (one round trip less at onboarding).
    if (!opts.newParty)
      await sql`DELETE FROM party_search WHERE tenant_id = ${tenant} AND party_id = ${partyId}`.execute(tx)
    if (keys.length === 0) return
    await sql`
      INSERT INTO party_search (tenant_id, field, bidx, party_id)
      SELECT ${tenant}, f, b, ${partyId} FROM unnest(${keys.map((k) => k.field)}::text[], ${keys.map((k) => k.bidx)}::bytea[]) AS x(f, b)
      ON CONFLICT DO NOTHING`.execute(tx)
  },

  async link(
    tx: Db,
    tenant: string,
    l: { partyId: string; objectKind: string; objectId: string; role: string; at: Date },
  ): Promise<void> {
    await sql`
      INSERT INTO party_links (tenant_id, party_id, object_kind, object_id, role, created_at)
      VALUES (${tenant}, ${l.partyId}, ${l.objectKind}, ${l.objectId}, ${l.role}, ${l.at})
      ON CONFLICT DO NOTHING`.execute(tx)
  },

  async links(tx: Db, tenant: string, partyId: string) {
    const r = await sql<{ object_kind: string; object_id: string; role: string; created_at: Date }>`
      SELECT object_kind, object_id, role, created_at FROM party_links
      WHERE tenant_id = ${tenant} AND party_id = ${partyId} ORDER BY created_at, object_id`.execute(tx)
    return r.rows.map((x) => ({
      objectKind: x.object_kind,
      objectId: x.object_id,
      role: x.role,
      createdAt: new Date(x.created_at),
    }))
  },

  async insertHold(tx: Db, tenant: string, h: HoldRow): Promise<HoldRow> {
    const r = await sql<Record<string, unknown>>`
      INSERT INTO screening_holds (tenant_id, hold_id, kind, party_id, idempotency_key, request, hits, status,
        created_at)
      VALUES (${tenant}, ${h.holdId}, ${h.kind}, ${h.partyId}, ${h.idempotencyKey},
        ${JSON.stringify(h.request)}::jsonb, ${JSON.stringify(h.hits)}::jsonb, 'held', ${h.createdAt})
      ON CONFLICT DO NOTHING RETURNING *`.execute(tx)
    if (r.rows[0]) return toHold(r.rows[0])
    // The same idempotency key was held before (a client retry): that hold stands.
    const again = await partiesStore.holdByKey(tx, tenant, h.kind, h.idempotencyKey ?? '')
    return again!
  },

  async holdByKey(tx: Db, tenant: string, kind: string, key: string): Promise<HoldRow | undefined> {
    const r = await sql<Record<string, unknown>>`
      SELECT * FROM screening_holds WHERE tenant_id = ${tenant} AND kind = ${kind}
        AND idempotency_key = ${key}`.execute(tx)
    return r.rows[0] ? toHold(r.rows[0]) : undefined
  },

  async hold(tx: Db, tenant: string, id: string, forUpdate = false): Promise<HoldRow | undefined> {
    const r = forUpdate
      ? await sql<Record<string, unknown>>`
          SELECT * FROM screening_holds WHERE tenant_id = ${tenant} AND hold_id = ${id} FOR UPDATE`.execute(
          tx,
        )
      : await sql<Record<string, unknown>>`
          SELECT * FROM screening_holds WHERE tenant_id = ${tenant} AND hold_id = ${id}`.execute(tx)
    return r.rows[0] ? toHold(r.rows[0]) : undefined
  },

  async holds(
    tx: Db,
    tenant: string,
    f: { status?: string | undefined; partyId?: string | undefined; limit: number },
  ) {
    const r = await sql<Record<string, unknown>>`
      SELECT * FROM screening_holds WHERE tenant_id = ${tenant}
        AND (${f.status ?? null}::text IS NULL OR status = ${f.status ?? null})
        AND (${f.partyId ?? null}::text IS NULL OR party_id = ${f.partyId ?? null})
      ORDER BY hold_id LIMIT ${f.limit}`.execute(tx)
    return r.rows.map(toHold)
  },

  async decideHold(
    tx: Db,
    tenant: string,
    id: string,
    d: { status: 'released' | 'rejected'; decidedBy: string; reason: string; at: Date },
  ): Promise<void> {
    await sql`
      UPDATE screening_holds SET status = ${d.status}, decided_by = ${d.decidedBy}, reason = ${d.reason},
        decided_at = ${d.at}
      WHERE tenant_id = ${tenant} AND hold_id = ${id}`.execute(tx)
  },

  async setHoldResult(tx: Db, tenant: string, id: string, resultId: string): Promise<void> {
    await sql`UPDATE screening_holds SET result_id = ${resultId}
      WHERE tenant_id = ${tenant} AND hold_id = ${id}`.execute(tx)
  },

  async openHoldsOf(tx: Db, tenant: string, partyId: string): Promise<HoldRow[]> {
    const r = await sql<Record<string, unknown>>`
      SELECT * FROM screening_holds WHERE tenant_id = ${tenant} AND party_id = ${partyId} AND status = 'held'
      ORDER BY hold_id`.execute(tx)
    return r.rows.map(toHold)
  },
}
