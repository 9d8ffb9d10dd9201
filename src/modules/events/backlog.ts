import { sql, type Kysely, type RawBuilder } from 'kysely'

export interface OutboxBacklog {
  /** Events committed and not yet published by the relays. */
  readonly pending: number
  /** When the oldest of them was written (null when none wait). */
  readonly oldestCreatedAt: Date | null
}

/**
 * What the relays have not published yet, read from the database alone (metrics, the console).
 *
 * Since ADR 0101 the relay keeps a cursor instead of marking rows sent, so `sent_at IS NULL` holds
 * for every row it relayed since: counting those counted the whole retention window, through a scan
 * of the outbox on every scrape. A row is out once a relay serving it has saved a watermark at or
 * above its seq. A relay's key says whom it serves: `tenants|lanes` ('*' for every tenant, lanes
 * joined by '.'). Rows written before ADR 0101 carry sent_at and stay counted as sent. The count
 * can be high, never low: a relay holds its watermark below an open gap until the snapshot xmin has
 * passed the gap's xid ceiling (relay-cursor.ts), and the xmin is the cluster's — any transaction
 * older than the ceiling, in any database, holds it. Meanwhile rows it already published above the
 * gap still count; a relay new to a scope that starts above seq 1 begins with such a gap below it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function outboxBacklog(db: Kysely<any>, tenantId?: string): Promise<OutboxBacklog> {
  const tenant = tenantId ?? null
  const tenants = sql`split_part(c.relay_key, '|', 1)`
  const lanes = sql`string_to_array(split_part(c.relay_key, '|', 2), '.')::smallint[]`
  const servesTenant = (t: RawBuilder<unknown>) =>
    sql`(${tenants} = '*' OR ${t} = ANY(string_to_array(${tenants}, ',')))`
  // The read starts above a bound the seq index serves: the lowest watermark of the relays that
  // serve the tenant (every tenant, for the platform) when together they serve all 16 lanes — no
  // row they serve waits below it — else 0 (some rows have no relay: they wait from the start).
  const servesScope = servesTenant(tenant === null ? sql`NULL::text` : sql`${tenant}::text`)
  const r = await sql<{ pending: number; oldest: Date | string | null }>`
    WITH bound AS (
      SELECT CASE WHEN (SELECT count(DISTINCT l) FROM event_relay_cursors c, unnest(${lanes}) AS l
                        WHERE ${servesScope}) = 16
                  THEN (SELECT min(c.watermark) FROM event_relay_cursors c WHERE ${servesScope})
                  ELSE 0 END AS seq)
    SELECT count(*)::int AS pending, min(o.created_at) AS oldest
    FROM event_outbox o
    WHERE o.seq > (SELECT seq FROM bound)
      AND o.seq > coalesce((
        SELECT max(c.watermark) FROM event_relay_cursors c
        WHERE ${servesTenant(sql`o.tenant_id`)} AND o.lane = ANY(${lanes})), 0)
      AND o.sent_at IS NULL AND o.failed_at IS NULL
      AND (${tenant}::text IS NULL OR o.tenant_id = ${tenant}::text)`.execute(db)
  const row = r.rows[0]
  return { pending: row?.pending ?? 0, oldestCreatedAt: row?.oldest ? new Date(row.oldest) : null }
}
