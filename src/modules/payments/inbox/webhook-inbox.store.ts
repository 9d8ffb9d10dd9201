import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { GatewayEventType, GatewayName } from '../gateway.js'
import type { InboxEntry, InboxOutcome, InboxStatus, StoredEvent } from './webhook-inbox.js'

/** A verified event on its way into the inbox. */
export interface NewInboxRow {
  readonly tenantId: string
  readonly gateway: GatewayName
  readonly event: StoredEvent
  readonly rawBody: Buffer
  readonly headers: Readonly<Record<string, string>>
  readonly receivedAt: Date
}

/** A row claimed for processing. */
export interface ClaimedRow {
  readonly tenantId: string
  readonly gateway: GatewayName
  readonly eventId: string
  readonly event: StoredEvent
  readonly attempts: number
}

export interface ProcessedMark {
  readonly row: ClaimedRow
  readonly outcome: InboxOutcome
  readonly appliedTenantId: string | undefined
}

export interface FailedMark {
  readonly row: ClaimedRow
  readonly error: string
  readonly nextAttemptAt: Date
  readonly dead: boolean
}

export const rowKey = (tenantId: string, gateway: string, eventId: string): string =>
  `${tenantId}\u0000${gateway}\u0000${eventId}`

interface Row {
  tenant_id: string
  gateway: string
  event_id: string
  event_type: string
  vendor_type: string
  payment_ref: string | null
  payment_id: string | null
  status: string
  outcome: string | null
  applied_tenant_id: string | null
  attempts: number
  next_attempt_at: Date | string
  last_error: string | null
  received_at: Date | string
  processed_at: Date | string | null
}

const toEntry = (r: Row): InboxEntry => ({
  tenantId: r.tenant_id,
  gateway: r.gateway as GatewayName,
  eventId: r.event_id,
  type: r.event_type as GatewayEventType,
  vendorType: r.vendor_type,
  paymentRef: r.payment_ref ?? undefined,
  paymentId: r.payment_id ?? undefined,
  status: r.status as InboxStatus,
  outcome: (r.outcome ?? undefined) as InboxOutcome | undefined,
  appliedTenantId: r.applied_tenant_id ?? undefined,
  attempts: r.attempts,
  nextAttemptAt: new Date(r.next_attempt_at),
  lastError: r.last_error ?? undefined,
  receivedAt: new Date(r.received_at),
  processedAt: r.processed_at === null ? undefined : new Date(r.processed_at),
})

const ENTRY_COLUMNS = sql.raw(`tenant_id, gateway, event_id, event_type, vendor_type, payment_ref, payment_id,
  status, outcome, applied_tenant_id, attempts, next_attempt_at, last_error, received_at, processed_at`)

export interface ListFilter {
  readonly status?: InboxStatus
  readonly gateway?: string
  readonly tenantId?: string
  readonly eventId?: string
  readonly limit?: number
}

const keyOf = (r: NewInboxRow) => rowKey(r.tenantId, r.gateway, r.event.id)

/**
 * Inserts a batch in one statement (one commit, one WAL flush for every waiting request).
 * Returns the keys that were new; the others were already in the inbox. The rows are written in one
 * order (their key) whatever order they came in: batches in flight at once that share keys (a
 * gateway's retries of one event) then take the unique index's entries in the same order, so one
 * waits for the other instead of the two deadlocking (each holding a key the other wants), which
 * answered some deliveries 503 under a burst.
 */
export async function insertRows(db: Db, given: readonly NewInboxRow[]): Promise<Set<string>> {
  // A redelivery of an event already stored is filtered by a plain read (NOT EXISTS) before the
  // insert: ON CONFLICT alone waits for any transaction that has the existing row updated and not yet
  // committed — a worker's round, which writes its rows' marks and holds them to its commit — so a
  // whole receipt batch would wait out a round for one gateway retry (issue #18, session 15). The
  // read sees the committed row and the key is skipped; ON CONFLICT still settles two receipt
  // batches racing on a new key.
  if (given.length === 0) return new Set()
  const rows = given
    .map((r) => ({ r, key: keyOf(r) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.r)
  // The batch travels as one JSON parameter (one JSON.stringify, native) rather than eleven text
  // arrays: pg escapes every element of an array literal in JavaScript, and the event and headers
  // were stringified once more inside them — together ~7 % of the intake's CPU (issue #18, session 14).
  // json_to_recordset keeps the array's (sorted) order.
  const batch = JSON.stringify(
    rows.map((w) => ({
      t: w.tenantId,
      g: w.gateway,
      e: w.event.id,
      ty: w.event.type,
      vt: w.event.vendorType,
      pr: w.event.paymentRef ?? null,
      pi: w.event.paymentId ?? null,
      ev: w.event,
      rb: w.rawBody.toString('base64'),
      h: w.headers,
      at: w.receivedAt,
    })),
  )
  const r = await sql<{ tenant_id: string; gateway: string; event_id: string }>`
    INSERT INTO payment_webhook_inbox (tenant_id, gateway, event_id, event_type, vendor_type, payment_ref, payment_id,
                                       event, raw_body, headers, received_at, next_attempt_at)
    SELECT x.t, x.g, x.e, x.ty, x.vt, x.pr, x.pi, x.ev, decode(x.rb, 'base64'), x.h, x.at, x.at
    FROM json_to_recordset(${batch}::json)
         AS x(t text, g text, e text, ty text, vt text, pr text, pi text, ev jsonb, rb text, h jsonb, at timestamptz)
    WHERE NOT EXISTS (SELECT 1 FROM payment_webhook_inbox i WHERE i.tenant_id = x.t AND i.gateway = x.g AND i.event_id = x.e)
    ON CONFLICT DO NOTHING
    RETURNING tenant_id, gateway, event_id`.execute(db)
  return new Set(r.rows.map((row) => rowKey(row.tenant_id, row.gateway, row.event_id)))
}

/**
 * Due pending rows, oldest first, that no other worker holds right now (the row locks of this
 * short transaction end with it; the round resolves tenants, then claims for real).
 *
 * Read in the order of the due index, never sorted: a burst fills the inbox faster than the table's
 * statistics follow (a fresh table has none until autovacuum's next pass), and on a handful of
 * estimated rows the planner read every due row with a bitmap scan and sorted them, events
 * included — 10,000 rows spilled to disk to return 500, ~45 ms per round at the start of a 10,000-event
 * drain against ~1 ms in index order (issue #18, session 17). `enable_sort = off` for this statement
 * alone (SET LOCAL) leaves the index as the only way to the order; it still sorts if none existed.
 */
export async function peekDue(db: Db, now: Date, limit: number, only?: ListFilter): Promise<ClaimedRow[]> {
  const r = await db.transaction().execute(async (tx) => {
    await sql`SET LOCAL enable_sort = off`.execute(tx)
    return sql<ClaimRow>`
      SELECT tenant_id, gateway, event_id, event, attempts FROM payment_webhook_inbox
      WHERE status = 'pending' AND next_attempt_at <= ${now.toISOString()}::timestamptz
        AND (${only?.gateway ?? null}::text IS NULL OR gateway = ${only?.gateway ?? null})
        AND (${only?.eventId ?? null}::text IS NULL OR event_id = ${only?.eventId ?? null})
      ORDER BY next_attempt_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED`.execute(tx)
  })
  return r.rows.map(toClaimed)
}

/** What a row will be marked with if its round applies it as expected (see claimRows). */
export interface ExpectedMark {
  readonly row: ClaimedRow
  /** null: the row is expected to fail (its tenant could not be told); markFailed overwrites the mark. */
  readonly outcome: InboxOutcome | null
  readonly appliedTenantId: string | undefined
}

/**
 * Locks those of `expected` that are still pending and due, skipping rows another worker holds, and
 * marks them processed with the outcome the round expects — in one statement, inside the round's
 * transaction, so nothing of it is visible unless the round commits. The mark used to be written
 * after the round's effects, while the round held its merchant's ledger accounts (locked from the
 * ledger call to the commit, which every other round of that merchant waits for); now only rows
 * whose outcome differs from the expected one are written there (`correctOutcomes`, usually none),
 * and failures (`markFailed`). Returns the rows as locked, with the attempts they had before.
 *
 * Each expected row is one primary-key probe (a lateral lookup): joined as a set, the planner, short
 * of statistics during a burst, hashed every due row of the inbox to find the round's 500 (issue #18,
 * session 17). The `LIMIT 1` (at most one row per key anyway) is what keeps it a probe: a plain
 * lateral subquery is pulled up into an ordinary join, and the plan was again the hash of every due
 * row — a bitmap scan of the 10,000 due rows, ~75 ms of the first round's 110 (session 18). The
 * update then finds each locked row by the ctid the probe read, as the ledger does for the rows it
 * locked (`ctid = ANY (…)`: one TID scan; joined by key or by `ctid = c.rid` alone, the planner
 * hashed the whole inbox, a sequential scan, for the round's 500). A row locked by this transaction
 * stays where it is until the transaction ends; the key columns are compared too, so a row the lock
 * followed to a newer version is matched or skipped, never another row — and only the rows the
 * update returns are the round's. Replayed on a 10,000-row backlog: 108 ms → 25 ms.
 *
 * The stored event is not read again: a row's event never changes once stored, so the peek's copy is
 * reused — reading it twice cost PostgreSQL a detoast and a jsonb output, and the worker a JSON parse,
 * per row and round (issue #18, session 15).
 */
export async function claimRows(tx: Db, expected: readonly ExpectedMark[], now: Date): Promise<ClaimedRow[]> {
  if (expected.length === 0) return []
  const peeked = new Map(expected.map((m) => [rowKey(m.row.tenantId, m.row.gateway, m.row.eventId), m.row]))
  const at = now.toISOString()
  const r = await sql<{ tenant_id: string; gateway: string; event_id: string; attempts: number }>`
    WITH c AS MATERIALIZED (
      SELECT i.tenant_id, i.gateway, i.event_id, i.ctid AS rid, x.o, x.at
      FROM unnest(${expected.map((m) => m.row.tenantId)}::text[], ${expected.map((m) => m.row.gateway)}::text[],
                  ${expected.map((m) => m.row.eventId)}::text[], ${expected.map((m) => m.outcome)}::text[],
                  ${expected.map((m) => m.appliedTenantId ?? null)}::text[]) AS x(t, g, e, o, at)
      CROSS JOIN LATERAL (
        SELECT r.tenant_id, r.gateway, r.event_id, r.next_attempt_at, r.ctid FROM payment_webhook_inbox r
        WHERE r.tenant_id = x.t AND r.gateway = x.g AND r.event_id = x.e
          AND r.status = 'pending' AND r.next_attempt_at <= ${at}::timestamptz
        LIMIT 1) i
      ORDER BY i.next_attempt_at
      FOR UPDATE OF i SKIP LOCKED)
    UPDATE payment_webhook_inbox i
    SET status = 'processed', outcome = c.o, applied_tenant_id = c.at, processed_at = ${at}::timestamptz,
        attempts = i.attempts + 1, last_error = NULL
    FROM c
    WHERE i.ctid = ANY (ARRAY(SELECT rid FROM c)) AND i.ctid = c.rid
      AND i.tenant_id = c.tenant_id AND i.gateway = c.gateway AND i.event_id = c.event_id
    RETURNING i.tenant_id, i.gateway, i.event_id, i.attempts - 1 AS attempts`.execute(tx)
  return r.rows.map((row) => ({
    ...peeked.get(rowKey(row.tenant_id, row.gateway, row.event_id))!,
    attempts: row.attempts,
  }))
}

interface ClaimRow {
  tenant_id: string
  gateway: string
  event_id: string
  event: StoredEvent
  attempts: number
}

const toClaimed = (row: ClaimRow): ClaimedRow => ({
  tenantId: row.tenant_id,
  gateway: row.gateway as GatewayName,
  eventId: row.event_id,
  event: row.event,
  attempts: row.attempts,
})

/**
 * Rows claimed with an expected outcome that the round settled otherwise (a duplicate, an event
 * payments ignored): their outcome and tenant, in the round's transaction. Usually none.
 */
export async function correctOutcomes(tx: Db, marks: readonly ProcessedMark[]): Promise<void> {
  if (marks.length === 0) return
  await sql`
    UPDATE payment_webhook_inbox i
    SET outcome = x.o, applied_tenant_id = x.at
    FROM unnest(${marks.map((m) => m.row.tenantId)}::text[], ${marks.map((m) => m.row.gateway)}::text[],
                ${marks.map((m) => m.row.eventId)}::text[], ${marks.map((m) => m.outcome)}::text[],
                ${marks.map((m) => m.appliedTenantId ?? null)}::text[]) AS x(t, g, e, o, at)
    WHERE i.tenant_id = x.t AND i.gateway = x.g AND i.event_id = x.e`.execute(tx)
}

/** A claimed row that failed: back to pending (or dead), as if the claim's mark had never been written. */
export async function markFailed(tx: Db, m: FailedMark): Promise<void> {
  await sql`
    UPDATE payment_webhook_inbox
    SET attempts = ${m.row.attempts + 1}, last_error = ${m.error}, next_attempt_at = ${m.nextAttemptAt.toISOString()}::timestamptz,
        status = ${m.dead ? 'dead' : 'pending'}, outcome = NULL, applied_tenant_id = NULL, processed_at = NULL
    WHERE tenant_id = ${m.row.tenantId} AND gateway = ${m.row.gateway} AND event_id = ${m.row.eventId}`.execute(
    tx,
  )
}

export async function listRows(db: Db, f: ListFilter): Promise<InboxEntry[]> {
  const r = await sql<Row>`
    SELECT ${ENTRY_COLUMNS} FROM payment_webhook_inbox
    WHERE (${f.status ?? null}::text IS NULL OR status = ${f.status ?? null})
      AND (${f.gateway ?? null}::text IS NULL OR gateway = ${f.gateway ?? null})
      AND (${f.tenantId ?? null}::text IS NULL OR tenant_id = ${f.tenantId ?? null}
           OR applied_tenant_id = ${f.tenantId ?? null})
      AND (${f.eventId ?? null}::text IS NULL OR event_id = ${f.eventId ?? null})
    ORDER BY received_at, event_id
    LIMIT ${f.limit ?? 100}`.execute(db)
  return r.rows.map(toEntry)
}

/** Puts dead rows back in the queue, due now, with a fresh attempt budget. Returns them. */
export async function reviveDead(db: Db, f: ListFilter, now: Date): Promise<InboxEntry[]> {
  const r = await sql<Row>`
    UPDATE payment_webhook_inbox
    SET status = 'pending', attempts = 0, next_attempt_at = ${now.toISOString()}::timestamptz
    WHERE status = 'dead'
      AND (${f.gateway ?? null}::text IS NULL OR gateway = ${f.gateway ?? null})
      AND (${f.eventId ?? null}::text IS NULL OR event_id = ${f.eventId ?? null})
      AND (${f.tenantId ?? null}::text IS NULL OR tenant_id = ${f.tenantId ?? null})
    RETURNING ${ENTRY_COLUMNS}`.execute(db)
  return r.rows.map(toEntry)
}

/** Counts by status (for the worker's log line and the bench). */
export async function countByStatus(db: Db, tenantId?: string): Promise<Record<InboxStatus, number>> {
  const r = await sql<{ status: InboxStatus; n: string | number | bigint }>`
    SELECT status, count(*) AS n FROM payment_webhook_inbox
    WHERE ${tenantId ?? null}::text IS NULL OR tenant_id = ${tenantId ?? null} OR applied_tenant_id = ${tenantId ?? null}
    GROUP BY status`.execute(db)
  const out: Record<InboxStatus, number> = { pending: 0, processed: 0, dead: 0 }
  for (const row of r.rows) out[row.status] = Number(row.n)
  return out
}
