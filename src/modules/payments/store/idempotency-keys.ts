/**
 * Idempotency-Key records (payment_idempotency): a request claims its key, binds it to what it
 * created, stores its answer, and releases it after an error so it can be retried.
 */
import { sql } from 'kysely'
import { asJson, type Exec } from './statements.js'

export const idempotencyKeysStore = {
  /**
   * Claims a key in `tx`. An existing row gives its hash, its stored response (null while in
   * progress or after a failure), when it was claimed, and the resource a failed create left behind.
   */
  async claimKey(
    tx: Exec,
    tenant: string,
    key: string,
    operation: string,
    hash: string,
    at: Date,
  ): Promise<
    | { claimed: true }
    | { claimed: false; hash: string; response: unknown; claimedAt: Date; resourceId: string | null }
  > {
    const ins =
      await sql`INSERT INTO payment_idempotency (tenant_id, idem_key, operation, request_hash, created_at)
      VALUES (${tenant}, ${key}, ${operation}, ${hash}, ${at}) ON CONFLICT DO NOTHING`.execute(tx)
    if (Number(ins.numAffectedRows ?? 0n) === 1) return { claimed: true }
    const r = await sql<{
      request_hash: string
      response: unknown
      created_at: Date
      resource_id: string | null
    }>`
      SELECT request_hash, response, created_at, resource_id FROM payment_idempotency
      WHERE tenant_id = ${tenant} AND idem_key = ${key} FOR UPDATE`.execute(tx)
    const row = r.rows[0]!
    return {
      claimed: false,
      hash: row.request_hash,
      response: row.response,
      claimedAt: new Date(row.created_at),
      resourceId: row.resource_id,
    }
  },

  /** Claims a key never seen before in one statement; false when it exists (then claimKey decides). */
  async tryClaimKey(
    ex: Exec,
    tenant: string,
    key: string,
    operation: string,
    hash: string,
    at: Date,
  ): Promise<boolean> {
    const ins =
      await sql`INSERT INTO payment_idempotency (tenant_id, idem_key, operation, request_hash, created_at)
      VALUES (${tenant}, ${key}, ${operation}, ${hash}, ${at}) ON CONFLICT DO NOTHING`.execute(ex)
    return Number(ins.numAffectedRows ?? 0n) === 1
  },

  /**
   * Claims many new keys, each already bound to the resource its request creates, in the
   * resource's own transaction. Returns the claims that were new ("tenant\0key"); a key already
   * known (a replay, a conflict, a request in progress) is left as it was, for the caller to examine.
   */
  async claimBoundKeys(
    tx: Exec,
    claims: readonly {
      tenantId: string
      key: string
      operation: string
      hash: string
      resourceId: string
    }[],
    at: Date,
  ): Promise<Set<string>> {
    if (claims.length === 0) return new Set()
    const col = <T>(f: (c: (typeof claims)[number]) => T) => claims.map(f)
    const r = await sql<{ tenant_id: string; idem_key: string }>`
      INSERT INTO payment_idempotency (tenant_id, idem_key, operation, request_hash, resource_id, created_at)
      SELECT x.tenant_id, x.idem_key, x.operation, x.request_hash, x.resource_id, ${at}
      FROM unnest(${col((c) => c.tenantId)}::text[], ${col((c) => c.key)}::text[],
        ${col((c) => c.operation)}::text[], ${col((c) => c.hash)}::text[], ${col((c) => c.resourceId)}::text[])
        AS x(tenant_id, idem_key, operation, request_hash, resource_id)
      ON CONFLICT DO NOTHING RETURNING tenant_id, idem_key`.execute(tx)
    return new Set(r.rows.map((row) => `${row.tenant_id}\u0000${row.idem_key}`))
  },

  /** Takes back claims this transaction made (for requests refused after their key was claimed). */
  async dropClaims(tx: Exec, keys: readonly { tenantId: string; key: string }[]): Promise<void> {
    if (keys.length === 0) return
    await sql`DELETE FROM payment_idempotency WHERE (tenant_id, idem_key) IN
      (SELECT * FROM unnest(${keys.map((k) => k.tenantId)}::text[], ${keys.map((k) => k.key)}::text[]))`.execute(
      tx,
    )
  },

  async reclaimKey(tx: Exec, tenant: string, key: string, at: Date): Promise<void> {
    await sql`UPDATE payment_idempotency SET created_at = ${at}
      WHERE tenant_id = ${tenant} AND idem_key = ${key}`.execute(tx)
  },

  /** Ties the key to the resource its request created (in the resource's own transaction). */
  async bindKey(tx: Exec, tenant: string, key: string, resourceId: string): Promise<void> {
    await sql`UPDATE payment_idempotency SET resource_id = ${resourceId}
      WHERE tenant_id = ${tenant} AND idem_key = ${key}`.execute(tx)
  },

  async completeKey(ex: Exec, tenant: string, key: string, response: unknown): Promise<void> {
    await sql`UPDATE payment_idempotency SET response = ${JSON.stringify(response)}::jsonb
      WHERE tenant_id = ${tenant} AND idem_key = ${key}`.execute(ex)
  },

  /** After an error: forgotten, unless bound to a resource; then free to retry at once. */
  async releaseKey(ex: Exec, tenant: string, key: string): Promise<void> {
    await sql`DELETE FROM payment_idempotency
      WHERE tenant_id = ${tenant} AND idem_key = ${key} AND resource_id IS NULL`.execute(ex)
    await sql`UPDATE payment_idempotency SET created_at = 'epoch'
      WHERE tenant_id = ${tenant} AND idem_key = ${key} AND resource_id IS NOT NULL`.execute(ex)
  },
}

/** Stores several requests' responses (in the transaction that made them). */
export function keysAnswer(done: readonly { tenantId: string; key: string; response: unknown }[]) {
  // The response as JSON text cast to jsonb, as before: a JSON null in a recordset is read as SQL NULL,
  // which would turn an answer of null into "not answered yet".
  const json = done.map((d) => ({ t: d.tenantId, k: d.key, r: JSON.stringify(d.response) }))
  return sql`UPDATE payment_idempotency AS k SET response = x.r::jsonb
    FROM json_to_recordset(${asJson(json)}::json) AS x(t text, k text, r text)
    WHERE k.tenant_id = x.t AND k.idem_key = x.k`
}
