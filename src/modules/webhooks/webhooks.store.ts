import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { Attempt, Delivery, DeliveryStatus, Endpoint } from './webhooks.js'

/** PostgreSQL / PGlite storage of outgoing webhooks (raw SQL through Kysely). */

interface EndpointRow {
  endpoint_id: string
  url: string
  description: string
  event_types: string[]
  enabled: boolean
  disabled_reason: string | null
  disabled_at: Date | null
  failing_since: Date | null
  last_success_at: Date | null
  previous_secret_expires_at: Date | null
  created_at: Date
  updated_at: Date
}

export interface EndpointSecrets {
  readonly version: number
  readonly current: Uint8Array
  readonly previous: Uint8Array | null
  readonly previousExpiresAt: Date | null
}

const ENDPOINT_COLUMNS = sql.raw(`endpoint_id, url, description, event_types, enabled, disabled_reason,
  disabled_at, failing_since, last_success_at, previous_secret_expires_at, created_at, updated_at`)

const toEndpoint = (r: EndpointRow): Endpoint => ({
  id: r.endpoint_id,
  url: r.url,
  description: r.description,
  eventTypes: r.event_types,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  disabledAt: r.disabled_at,
  failingSince: r.failing_since,
  lastSuccessAt: r.last_success_at,
  previousSecretExpiresAt: r.previous_secret_expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

interface DeliveryRow {
  delivery_id: string
  endpoint_id: string
  event_id: string
  event_type: string
  status: DeliveryStatus
  attempts: number
  next_attempt_at: Date | null
  created_at: Date
  delivered_at: Date | null
  replay_of: string | null
  last_attempt_at: Date | null
  last_status_code: number | null
  last_latency_ms: number | null
  last_error: string | null
  last_response_body: string | null
}

const DELIVERY_COLUMNS = sql.raw(`delivery_id, endpoint_id, event_id, event_type, status, attempts,
  next_attempt_at, created_at, delivered_at, replay_of, last_attempt_at, last_status_code, last_latency_ms,
  last_error, last_response_body`)

const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.delivery_id,
  endpointId: r.endpoint_id,
  eventId: r.event_id,
  eventType: r.event_type,
  status: r.status,
  attempts: r.attempts,
  // A claimed row's due time is its lease; only pending rows have a next attempt.
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
  replayOf: r.replay_of,
  lastAttempt: r.last_attempt_at
    ? {
        attempt: r.attempts,
        at: r.last_attempt_at,
        statusCode: r.last_status_code,
        latencyMs: r.last_latency_ms ?? 0,
        error: r.last_error,
        responseBody: r.last_response_body,
      }
    : null,
})

export interface NewEndpoint {
  readonly id: string
  readonly url: string
  readonly description: string
  readonly eventTypes: readonly string[]
  readonly enabled: boolean
  readonly secretCt: Uint8Array
  readonly at: Date
}

export interface EndpointPatch {
  readonly url?: string
  readonly description?: string
  readonly eventTypes?: readonly string[]
}

export interface NewDelivery {
  readonly tenantId: string
  readonly id: string
  readonly endpointId: string
  readonly eventId: string
  readonly eventType: string
  readonly body: string
  readonly at: Date
  readonly replayOf?: string
  readonly isTest?: boolean
  /** The event's partition key (a payment's id for payment events): a replay takes its original's. */
  readonly eventKey?: string
}

/** A claimed delivery with what the worker needs to send it. */
export interface DueDelivery {
  readonly tenantId: string
  readonly deliveryId: string
  readonly endpointId: string
  readonly eventId: string
  readonly body: string
  readonly attempts: number
  readonly isTest: boolean
  readonly url: string
  readonly secrets: EndpointSecrets
}

/** The outcome of one attempt, as the worker records it. */
export interface AttemptResult extends Attempt {
  readonly tenantId: string
  readonly deliveryId: string
  readonly endpointId: string
  readonly isTest: boolean
  readonly status: DeliveryStatus
  readonly nextAttemptAt: Date | null
}

export interface DisabledEndpoint {
  readonly tenantId: string
  readonly endpointId: string
  readonly url: string
  readonly failingSince: Date
}

export function createWebhooksStore(db: Db) {
  return {
    async insertEndpoint(tenant: string, e: NewEndpoint): Promise<Endpoint> {
      const r = await sql<EndpointRow>`
        INSERT INTO webhook_endpoints (tenant_id, endpoint_id, url, description, event_types, enabled,
          disabled_reason, disabled_at, secret_ct, created_at, updated_at)
        VALUES (${tenant}, ${e.id}, ${e.url}, ${e.description}, ${[...e.eventTypes]}::text[], ${e.enabled},
          ${e.enabled ? null : 'manual'}, ${e.enabled ? null : e.at}, ${e.secretCt}, ${e.at}, ${e.at})
        RETURNING ${ENDPOINT_COLUMNS}`.execute(db)
      return toEndpoint(r.rows[0]!)
    },

    async getEndpoint(tenant: string, id: string, tx: Db = db): Promise<Endpoint | undefined> {
      const r = await sql<EndpointRow>`
        SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
        WHERE tenant_id = ${tenant} AND endpoint_id = ${id} AND deleted_at IS NULL`.execute(tx)
      return r.rows[0] ? toEndpoint(r.rows[0]) : undefined
    },

    async getSecrets(tenant: string, id: string, tx: Db = db): Promise<EndpointSecrets | undefined> {
      const r = await sql<{
        secret_version: number
        secret_ct: Uint8Array
        previous_secret_ct: Uint8Array | null
        previous_secret_expires_at: Date | null
      }>`
        SELECT secret_version, secret_ct, previous_secret_ct, previous_secret_expires_at FROM webhook_endpoints
        WHERE tenant_id = ${tenant} AND endpoint_id = ${id} AND deleted_at IS NULL FOR UPDATE`.execute(tx)
      const row = r.rows[0]
      if (!row) return undefined
      return {
        version: row.secret_version,
        current: row.secret_ct,
        previous: row.previous_secret_ct,
        previousExpiresAt: row.previous_secret_expires_at,
      }
    },

    async listEndpoints(tenant: string): Promise<Endpoint[]> {
      const r = await sql<EndpointRow>`
        SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
        WHERE tenant_id = ${tenant} AND deleted_at IS NULL ORDER BY endpoint_id`.execute(db)
      return r.rows.map(toEndpoint)
    },

    async updateEndpoint(
      tenant: string,
      id: string,
      p: EndpointPatch,
      at: Date,
    ): Promise<Endpoint | undefined> {
      const r = await sql<EndpointRow>`
        UPDATE webhook_endpoints SET
          url = coalesce(${p.url ?? null}, url),
          description = coalesce(${p.description ?? null}, description),
          event_types = coalesce(${p.eventTypes ? [...p.eventTypes] : null}::text[], event_types),
          updated_at = ${at}
        WHERE tenant_id = ${tenant} AND endpoint_id = ${id} AND deleted_at IS NULL
        RETURNING ${ENDPOINT_COLUMNS}`.execute(db)
      return r.rows[0] ? toEndpoint(r.rows[0]) : undefined
    },

    /** Enables (clearing the failure streak) or disables; a disable cancels pending deliveries. */
    async setEnabled(
      tx: Db,
      tenant: string,
      id: string,
      enabled: boolean,
      reason: string | null,
      at: Date,
    ): Promise<Endpoint | undefined> {
      const r = await sql<EndpointRow>`
        UPDATE webhook_endpoints SET enabled = ${enabled},
          disabled_reason = ${enabled ? null : reason}, disabled_at = ${enabled ? null : at},
          failing_since = CASE WHEN ${enabled} THEN NULL ELSE failing_since END, updated_at = ${at}
        WHERE tenant_id = ${tenant} AND endpoint_id = ${id} AND deleted_at IS NULL
        RETURNING ${ENDPOINT_COLUMNS}`.execute(tx)
      if (r.rows[0] && !enabled) await this.cancelPending(tx, tenant, id, `endpoint disabled (${reason})`, at)
      return r.rows[0] ? toEndpoint(r.rows[0]) : undefined
    },

    async cancelPending(tx: Db, tenant: string, endpointId: string, why: string, at: Date): Promise<void> {
      await sql`
        UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL, last_error = ${why},
          last_attempt_at = coalesce(last_attempt_at, ${at})
        WHERE tenant_id = ${tenant} AND endpoint_id = ${endpointId} AND status = 'pending'`.execute(tx)
    },

    async deleteEndpoint(tenant: string, id: string, at: Date): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const r = await sql`
          UPDATE webhook_endpoints SET deleted_at = ${at}, enabled = false, updated_at = ${at},
            secret_ct = NULL, previous_secret_ct = NULL, previous_secret_expires_at = NULL
          WHERE tenant_id = ${tenant} AND endpoint_id = ${id} AND deleted_at IS NULL`.execute(tx)
        if (Number(r.numAffectedRows ?? 0) === 0) return false
        await this.cancelPending(tx, tenant, id, 'endpoint deleted', at)
        return true
      })
    },

    async rotate(
      tx: Db,
      tenant: string,
      id: string,
      next: { current: Uint8Array; previous: Uint8Array; previousExpiresAt: Date; at: Date },
    ): Promise<Endpoint> {
      const r = await sql<EndpointRow>`
        UPDATE webhook_endpoints SET secret_ct = ${next.current}, previous_secret_ct = ${next.previous},
          previous_secret_expires_at = ${next.previousExpiresAt}, secret_version = secret_version + 1,
          updated_at = ${next.at}
        WHERE tenant_id = ${tenant} AND endpoint_id = ${id}
        RETURNING ${ENDPOINT_COLUMNS}`.execute(tx)
      return toEndpoint(r.rows[0]!)
    },

    /** Live endpoints of these tenants, for the fan-out. */
    async liveEndpoints(
      tx: Db,
      tenants: readonly string[],
    ): Promise<{ tenantId: string; endpointId: string; eventTypes: string[] }[]> {
      const r = await sql<{ tenant_id: string; endpoint_id: string; event_types: string[] }>`
        SELECT tenant_id, endpoint_id, event_types FROM webhook_endpoints
        WHERE tenant_id = ANY(${[...tenants]}::text[]) AND enabled AND deleted_at IS NULL`.execute(tx)
      return r.rows.map((row) => ({
        tenantId: row.tenant_id,
        endpointId: row.endpoint_id,
        eventTypes: row.event_types,
      }))
    },

    /**
     * Inserts pending deliveries due at their `at`; an (endpoint, event) pair already present is skipped.
     * Test pings are never due: the request that made one sends it, and no worker may send it twice.
     */
    async insertDeliveries(tx: Db, rows: readonly NewDelivery[]): Promise<number> {
      if (rows.length === 0) return 0
      const r = await sql`
        INSERT INTO webhook_deliveries (tenant_id, delivery_id, endpoint_id, event_id, event_type, body,
          status, next_attempt_at, created_at, replay_of, is_test, event_key)
        SELECT t, d, e, ev, ty, b, 'pending', CASE WHEN it THEN NULL ELSE a END, a, rp, it,
          COALESCE(k, (SELECT o.event_key FROM webhook_deliveries o WHERE o.tenant_id = t AND o.delivery_id = rp))
        FROM unnest(${rows.map((x) => x.tenantId)}::text[], ${rows.map((x) => x.id)}::text[],
          ${rows.map((x) => x.endpointId)}::text[], ${rows.map((x) => x.eventId)}::text[],
          ${rows.map((x) => x.eventType)}::text[], ${rows.map((x) => x.body)}::text[],
          ${rows.map((x) => x.at.toISOString())}::timestamptz[], ${rows.map((x) => x.replayOf ?? null)}::text[],
          ${rows.map((x) => x.isTest ?? false)}::boolean[], ${rows.map((x) => x.eventKey ?? null)}::text[])
          AS x(t, d, e, ev, ty, b, a, rp, it, k)
        ON CONFLICT DO NOTHING`.execute(tx)
      return Number(r.numAffectedRows ?? 0)
    },

    /**
     * Claims up to `limit` pending deliveries due at `now` and leases them until `leaseUntil`
     * (a worker that dies mid-attempt leaves them to be retried after the lease).
     */
    async claimDue(
      now: Date,
      limit: number,
      leaseUntil: Date,
      tenants?: readonly string[],
    ): Promise<DueDelivery[]> {
      const r = await sql<{
        tenant_id: string
        delivery_id: string
        endpoint_id: string
        event_id: string
        body: string
        attempts: number
        is_test: boolean
        url: string
        secret_version: number
        secret_ct: Uint8Array
        previous_secret_ct: Uint8Array | null
        previous_secret_expires_at: Date | null
      }>`
        WITH due AS (
          SELECT tenant_id, delivery_id FROM webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= ${now}
            ${tenants ? sql`AND tenant_id = ANY(${[...tenants]}::text[])` : sql``}
          ORDER BY next_attempt_at LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        UPDATE webhook_deliveries d SET next_attempt_at = ${leaseUntil}
        FROM due, webhook_endpoints e
        WHERE d.tenant_id = due.tenant_id AND d.delivery_id = due.delivery_id
          AND e.tenant_id = d.tenant_id AND e.endpoint_id = d.endpoint_id
        RETURNING d.tenant_id, d.delivery_id, d.endpoint_id, d.event_id, d.body, d.attempts, d.is_test, e.url,
          e.secret_version, e.secret_ct, e.previous_secret_ct, e.previous_secret_expires_at`.execute(db)
      return r.rows.map((row) => ({
        tenantId: row.tenant_id,
        deliveryId: row.delivery_id,
        endpointId: row.endpoint_id,
        eventId: row.event_id,
        body: row.body,
        attempts: row.attempts,
        isTest: row.is_test,
        url: row.url,
        secrets: {
          version: row.secret_version,
          current: row.secret_ct,
          previous: row.previous_secret_ct,
          previousExpiresAt: row.previous_secret_expires_at,
        },
      }))
    },

    /**
     * Records attempts and moves deliveries on, then updates each endpoint's failure streak:
     * a success clears it, a failure starts it. Returns endpoints whose streak began at or before
     * `disableBefore` (the caller disables them). Test pings leave the streak alone.
     */
    async recordResults(
      tx: Db,
      results: readonly AttemptResult[],
      disableBefore: Date,
    ): Promise<DisabledEndpoint[]> {
      if (results.length === 0) return []
      const col = <T>(f: (x: AttemptResult) => T): T[] => results.map(f)
      await sql`
        INSERT INTO webhook_attempts (tenant_id, delivery_id, attempt, endpoint_id, attempted_at, status_code,
          latency_ms, error, response_body)
        SELECT * FROM unnest(${col((x) => x.tenantId)}::text[], ${col((x) => x.deliveryId)}::text[],
          ${col((x) => x.attempt)}::int[], ${col((x) => x.endpointId)}::text[],
          ${col((x) => x.at.toISOString())}::timestamptz[], ${col((x) => x.statusCode)}::int[],
          ${col((x) => x.latencyMs)}::int[], ${col((x) => x.error)}::text[], ${col((x) => x.responseBody)}::text[])
        ON CONFLICT DO NOTHING`.execute(tx)
      await sql`
        UPDATE webhook_deliveries d SET status = x.status, attempts = x.attempt, next_attempt_at = x.next,
          delivered_at = CASE WHEN x.status = 'delivered' THEN x.at END, last_attempt_at = x.at,
          last_status_code = x.code, last_latency_ms = x.latency, last_error = x.error, last_response_body = x.body
        FROM unnest(${col((x) => x.tenantId)}::text[], ${col((x) => x.deliveryId)}::text[],
          ${col((x) => x.status)}::text[], ${col((x) => x.attempt)}::int[],
          ${col((x) => x.nextAttemptAt?.toISOString() ?? null)}::timestamptz[], ${col((x) => x.at.toISOString())}::timestamptz[],
          ${col((x) => x.statusCode)}::int[], ${col((x) => x.latencyMs)}::int[], ${col((x) => x.error)}::text[],
          ${col((x) => x.responseBody)}::text[]) AS x(t, id, status, attempt, next, at, code, latency, error, body)
        WHERE d.tenant_id = x.t AND d.delivery_id = x.id AND d.status = 'pending'`.execute(tx)
      // Per endpoint: the latest success, else the earliest failure of this batch.
      const health = new Map<
        string,
        { tenantId: string; endpointId: string; success?: Date; failure?: Date }
      >()
      for (const x of results) {
        if (x.isTest) continue
        const k = `${x.tenantId}\u0000${x.endpointId}`
        const h = health.get(k) ?? { tenantId: x.tenantId, endpointId: x.endpointId }
        if (x.status === 'delivered') {
          if (!h.success || x.at > h.success) h.success = x.at
        } else if (!h.failure || x.at < h.failure) h.failure = x.at
        health.set(k, h)
      }
      const ok = [...health.values()].filter((h) => h.success)
      const bad = [...health.values()].filter((h) => !h.success && h.failure)
      if (ok.length > 0)
        await sql`
          UPDATE webhook_endpoints e SET failing_since = NULL,
            last_success_at = greatest(e.last_success_at, x.at)
          FROM unnest(${ok.map((h) => h.tenantId)}::text[], ${ok.map((h) => h.endpointId)}::text[],
            ${ok.map((h) => h.success!.toISOString())}::timestamptz[]) AS x(t, id, at)
          WHERE e.tenant_id = x.t AND e.endpoint_id = x.id`.execute(tx)
      if (bad.length === 0) return []
      const r = await sql<{
        tenant_id: string
        endpoint_id: string
        url: string
        failing_since: Date
        enabled: boolean
      }>`
        UPDATE webhook_endpoints e SET failing_since = coalesce(e.failing_since, x.at)
        FROM unnest(${bad.map((h) => h.tenantId)}::text[], ${bad.map((h) => h.endpointId)}::text[],
          ${bad.map((h) => h.failure!.toISOString())}::timestamptz[]) AS x(t, id, at)
        WHERE e.tenant_id = x.t AND e.endpoint_id = x.id
        RETURNING e.tenant_id, e.endpoint_id, e.url, e.failing_since, e.enabled`.execute(tx)
      return r.rows
        .filter((row) => row.enabled && row.failing_since <= disableBefore)
        .map((row) => ({
          tenantId: row.tenant_id,
          endpointId: row.endpoint_id,
          url: row.url,
          failingSince: row.failing_since,
        }))
    },

    /** Deletes finished deliveries created before `before` and their attempts, in chunks. */
    async purge(before: Date, tenants?: readonly string[]): Promise<number> {
      let total = 0
      for (;;) {
        const n = await db.transaction().execute(async (tx) => {
          const r = await sql<{ tenant_id: string; delivery_id: string }>`
            DELETE FROM webhook_deliveries WHERE ctid = ANY(ARRAY(
              SELECT ctid FROM webhook_deliveries
              WHERE created_at < ${before} AND status <> 'pending'
                ${tenants ? sql`AND tenant_id = ANY(${[...tenants]}::text[])` : sql``}
              LIMIT 5000))
            RETURNING tenant_id, delivery_id`.execute(tx)
          if (r.rows.length === 0) return 0
          await sql`
            DELETE FROM webhook_attempts a USING unnest(${r.rows.map((x) => x.tenant_id)}::text[],
              ${r.rows.map((x) => x.delivery_id)}::text[]) AS x(t, id)
            WHERE a.tenant_id = x.t AND a.delivery_id = x.id`.execute(tx)
          return r.rows.length
        })
        total += n
        if (n < 5000) return total
      }
    },

    async listDeliveries(
      tenant: string,
      endpointId: string,
      q: { status?: DeliveryStatus; limit: number; before?: string },
    ): Promise<Delivery[]> {
      const r = await sql<DeliveryRow>`
        SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
        WHERE tenant_id = ${tenant} AND endpoint_id = ${endpointId}
          ${q.status ? sql`AND status = ${q.status}` : sql``}
          ${q.before ? sql`AND delivery_id < ${q.before}` : sql``}
        ORDER BY delivery_id DESC LIMIT ${q.limit}`.execute(db)
      return r.rows.map(toDelivery)
    },

    async getDelivery(
      tenant: string,
      id: string,
      tx: Db = db,
    ): Promise<(Delivery & { body: string }) | undefined> {
      const r = await sql<DeliveryRow & { body: string }>`
        SELECT ${DELIVERY_COLUMNS}, body FROM webhook_deliveries
        WHERE tenant_id = ${tenant} AND delivery_id = ${id}`.execute(tx)
      return r.rows[0] ? { ...toDelivery(r.rows[0]), body: r.rows[0].body } : undefined
    },

    async attemptsOf(tenant: string, deliveryId: string): Promise<Attempt[]> {
      const r = await sql<{
        attempt: number
        attempted_at: Date
        status_code: number | null
        latency_ms: number
        error: string | null
        response_body: string | null
      }>`
        SELECT attempt, attempted_at, status_code, latency_ms, error, response_body FROM webhook_attempts
        WHERE tenant_id = ${tenant} AND delivery_id = ${deliveryId} ORDER BY attempt`.execute(db)
      return r.rows.map((row) => ({
        attempt: row.attempt,
        at: row.attempted_at,
        statusCode: row.status_code,
        latencyMs: row.latency_ms,
        error: row.error,
        responseBody: row.response_body,
      }))
    },
  }
}

export type WebhooksStore = ReturnType<typeof createWebhooksStore>
