import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Db, DbHandle } from '../../shared/db/connect.js'
import type { EventCatalogue } from './catalogue.js'
import { partitionOf, type EventBus, type OutgoingEvent } from './events.js'
import { invalidEvent } from './events.errors.js'

export const OUTBOX_CHANNEL = 'moneta_outbox'
const LANES = 16
const LOCK_CLASS = 0x6d6f6e // advisory lock namespace for relay lanes ("mon")

/** Writes events to the outbox inside the caller's transaction. */
export interface Outbox {
  /** Inserts the events in `tx` (the producer's transaction); they are relayed after commit. */
  enqueue(tx: Db, events: readonly OutgoingEvent[]): Promise<readonly string[]>
}

export function createOutbox(catalogue: EventCatalogue, onEnqueue?: () => void): Outbox {
  return {
    async enqueue(tx, events) {
      if (events.length === 0) return []
      for (const e of events) {
        if (!e.key) throw invalidEvent(`Event ${e.topic} needs a partition key.`)
        catalogue.validate(e.topic, e.payload)
      }
      const r = await sql<{ event_id: string }>`
        INSERT INTO event_outbox (tenant_id, topic, partition_key, payload, headers, event_id)
        SELECT x.tenant_id, x.topic, x.partition_key, x.payload::jsonb, x.headers::jsonb,
               coalesce(x.event_id, 'evt_' || replace(gen_random_uuid()::text, '-', ''))
        FROM unnest(${events.map((e) => e.tenantId)}::text[], ${events.map((e) => e.topic)}::text[],
                    ${events.map((e) => e.key)}::text[], ${events.map((e) => JSON.stringify(e.payload))}::text[],
                    ${events.map((e) => JSON.stringify(e.headers ?? {}))}::text[], ${events.map((e) => e.id ?? null)}::text[])
             WITH ORDINALITY AS x(tenant_id, topic, partition_key, payload, headers, event_id, n)
        ORDER BY x.n
        RETURNING event_id`.execute(tx)
      onEnqueue?.()
      return r.rows.map((row) => row.event_id)
    },
  }
}

export interface OutboxRelayOptions {
  readonly db: DbHandle
  readonly bus: EventBus
  readonly catalogue: EventCatalogue
  readonly logger?: Logger
  /** Rows claimed and published per round. Default 1000. */
  readonly batchSize?: number
  /** Polling interval: the only wake-up on PGlite, a safety net next to LISTEN on PostgreSQL. */
  readonly pollMs?: number
  /** Sent rows are kept this long so they can be republished. Default 7 days. */
  readonly retentionMs?: number
  /** Inbox rows are kept this long (must exceed retentionMs so republished events stay deduplicated). */
  readonly inboxRetentionMs?: number
  /**
   * Relay only these tenants' rows (default: all). Relays with different scopes run side by side
   * (each holds its own lanes); used to split the work by tenant, and by tests sharing one database.
   */
  readonly tenants?: readonly string[]
  /** Lanes (0–15) this relay may take; default all. Several relays with disjoint lanes run in parallel. */
  readonly lanes?: readonly number[]
  /** Test hook: runs after the bus accepted a batch and before the rows are marked sent. */
  readonly afterPublish?: (eventIds: readonly string[]) => Promise<void>
}

export interface RelayStats {
  readonly published: number
  readonly rounds: number
  readonly lanes: number
  readonly poisoned: number
}

export interface OutboxRelay {
  /** Starts the background loop (LISTEN/NOTIFY on PostgreSQL, polling on PGlite). */
  start(): Promise<void>
  stop(): Promise<void>
  /** One round: claim, publish, mark sent. Returns how many rows were published. */
  runOnce(): Promise<number>
  /** Wakes the loop now (after an in-process enqueue). */
  kick(): void
  /** Marks retained sent rows unsent again so the relay publishes them anew. Returns the count. */
  republish(filter: { since?: Date; topic?: string; tenantId?: string }): Promise<number>
  /** Deletes sent rows past retention and inbox rows past theirs. */
  purge(): Promise<{ outbox: number; inbox: number }>
  stats(): RelayStats
}

interface Row {
  tenant_id: string
  seq: bigint | number | string
  event_id: string
  topic: string
  partition_key: string
  payload: unknown
  headers: Record<string, string>
  created_at: Date | string
}

/**
 * Claims unsent rows with FOR UPDATE SKIP LOCKED in seq order, publishes them, marks them sent,
 * all in one transaction: a crash before the commit leaves them unsent, so they are published
 * again (consumers deduplicate with the inbox). Rows are selected by state (sent_at IS NULL),
 * never by a "last seq" cursor, so a sequence value that commits late is still picked up.
 * Order per partition key: a key maps to one of 16 lanes, and on PostgreSQL each lane is held
 * by one relay at a time (session advisory lock); other relays are hot standbys.
 */
export function createOutboxRelay(o: OutboxRelayOptions): OutboxRelay {
  const batchSize = o.batchSize ?? 1000
  const pollMs = o.pollMs ?? (o.db.engine === 'postgres' ? 1000 : 100)
  const retentionMs = o.retentionMs ?? 7 * 24 * 3600_000
  const inboxRetentionMs = o.inboxRetentionMs ?? 2 * retentionMs
  const db = o.db.db
  const tenants = o.tenants && o.tenants.length > 0 ? [...o.tenants].sort() : null
  const lockClass = tenants ? partitionOf(tenants.join(','), 0x7fffffff) : LOCK_CLASS
  const allowed = o.lanes
    ? [...new Set(o.lanes)].filter((l) => l >= 0 && l < LANES)
    : Array.from({ length: LANES }, (_, i) => i)
  let lanes: number[] = o.db.engine === 'pglite' ? allowed : []
  let running = false
  let wake: (() => void) | undefined
  let loopDone: Promise<void> | undefined
  let listener: import('pg').PoolClient | undefined
  let lastPurge = 0
  const stats = { published: 0, rounds: 0, poisoned: 0 }

  // A wake-up that arrives while a round is running is remembered, not lost.
  let kicked = false
  const kick = () => {
    kicked = true
    wake?.()
  }

  const takeLanes = async () => {
    if (!listener || lanes.length === allowed.length) return
    const owned = new Set(lanes)
    for (const lane of allowed) {
      if (owned.has(lane)) continue
      const r = await listener.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
        lockClass,
        lane,
      ])
      if (r.rows[0]?.ok) owned.add(lane)
    }
    lanes = [...owned].sort((a, b) => a - b)
  }

  const connectListener = async () => {
    const pool = o.db.pool
    if (!pool) return
    const client = await pool.connect()
    client.on('notification', () => kick())
    client.on('error', (err) => {
      o.logger?.warn({ err }, 'outbox listener connection lost')
      lanes = []
      listener = undefined
      client.release(true)
    })
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`)
    listener = client
  }

  const runOnce = async (): Promise<number> => {
    if (lanes.length === 0) return 0
    stats.rounds++
    return db.transaction().execute(async (tx) => {
      // Losing a "sent" mark in a database crash only means a republish (consumers deduplicate),
      // so the relay's commits need not wait for the WAL flush; producers' and inboxes' commits do.
      // Walk the pending index in seq order and stop at the batch size: a bitmap scan + sort reads
      // every pending row each round, and never marks the dead entries that sent rows leave behind.
      await sql`SELECT set_config('synchronous_commit', 'off', true), set_config('enable_bitmapscan', 'off', true),
                       set_config('enable_sort', 'off', true)`.execute(tx)
      const rows = (
        await sql<Row>`
          SELECT tenant_id, seq, event_id, topic, partition_key, payload, headers, created_at
          FROM event_outbox
          WHERE sent_at IS NULL AND failed_at IS NULL AND lane = ANY(${lanes}::smallint[])
            AND (${tenants}::text[] IS NULL OR tenant_id = ANY(${tenants}::text[]))
          ORDER BY seq
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED`.execute(tx)
      ).rows
      if (rows.length === 0) return 0
      const good: Row[] = []
      const poison: { row: Row; problem: string }[] = []
      for (const row of rows) {
        const problem = o.catalogue.problem(row.topic, row.payload)
        if (problem) poison.push({ row, problem })
        else good.push(row)
      }
      if (good.length > 0) {
        await o.bus.publish(
          good.map((r) => ({
            id: r.event_id,
            topic: r.topic,
            key: r.partition_key,
            tenantId: r.tenant_id,
            payload: r.payload,
            occurredAt: new Date(r.created_at),
            headers: r.headers,
          })),
        )
        if (o.afterPublish) await o.afterPublish(good.map((r) => r.event_id))
        // seq is unique across tenants (one identity); the pending index finds the rows (a join on
        // unnest(tenant, seq) makes the planner hash the whole table).
        await sql`
          UPDATE event_outbox SET sent_at = now(), publish_count = publish_count + 1
          WHERE seq = ANY(${good.map((r) => String(r.seq))}::bigint[]) AND sent_at IS NULL AND failed_at IS NULL`.execute(
          tx,
        )
      }
      for (const { row, problem } of poison) {
        // A row the catalogue rejects is set aside (kept, with the reason) instead of blocking its key forever.
        await sql`UPDATE event_outbox SET failed_at = now(), last_error = ${problem}
                  WHERE tenant_id = ${row.tenant_id} AND seq = ${String(row.seq)}::bigint`.execute(tx)
        o.logger?.error(
          { eventId: row.event_id, topic: row.topic, problem },
          'outbox row rejected by the event catalogue',
        )
      }
      stats.published += good.length
      stats.poisoned += poison.length
      return rows.length
    })
  }

  const purge = async () => {
    const outbox = await sql`
      DELETE FROM event_outbox WHERE (tenant_id, seq) IN (
        SELECT tenant_id, seq FROM event_outbox
        WHERE created_at < now() - ${retentionMs} * interval '1 millisecond' AND sent_at IS NOT NULL
          AND (${tenants}::text[] IS NULL OR tenant_id = ANY(${tenants}::text[])) LIMIT 10000)`.execute(db)
    const inbox = await sql`
      DELETE FROM event_inbox WHERE (tenant_id, consumer_group, event_id) IN (
        SELECT tenant_id, consumer_group, event_id FROM event_inbox
        WHERE processed_at < now() - ${inboxRetentionMs} * interval '1 millisecond'
          AND (${tenants}::text[] IS NULL OR tenant_id = ANY(${tenants}::text[])) LIMIT 10000)`.execute(db)
    return { outbox: Number(outbox.numAffectedRows ?? 0n), inbox: Number(inbox.numAffectedRows ?? 0n) }
  }

  const loop = async () => {
    while (running) {
      let n = 0
      kicked = false
      try {
        if (!listener && o.db.engine === 'postgres') await connectListener()
        await takeLanes()
        n = await runOnce()
        if (Date.now() - lastPurge > 60_000) {
          lastPurge = Date.now()
          await purge()
        }
      } catch (err) {
        o.logger?.warn({ err }, 'outbox relay round failed; retrying')
        n = 0
      }
      if (n >= batchSize || !running || kicked) continue
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, pollMs).unref()
      })
      wake = undefined
    }
  }

  return {
    async start() {
      if (running) return
      running = true
      if (o.db.engine === 'postgres')
        await connectListener().catch((err: unknown) => o.logger?.warn({ err }, 'LISTEN failed'))
      loopDone = loop()
    },
    async stop() {
      running = false
      kick()
      await loopDone
      if (listener) {
        await listener.query(`UNLISTEN ${OUTBOX_CHANNEL}`).catch(() => undefined)
        await listener.query('SELECT pg_advisory_unlock_all()').catch(() => undefined)
        listener.release()
        listener = undefined
        lanes = []
      }
    },
    async runOnce() {
      if (o.db.engine === 'postgres' && !listener) await connectListener()
      await takeLanes()
      return runOnce()
    },
    kick,
    async republish(filter) {
      const r = await sql`
        UPDATE event_outbox SET sent_at = NULL
        WHERE sent_at IS NOT NULL
          AND (${filter.since ?? null}::timestamptz IS NULL OR sent_at >= ${filter.since ?? null}::timestamptz)
          AND (${filter.topic ?? null}::text IS NULL OR topic = ${filter.topic ?? null})
          AND (${filter.tenantId ?? null}::text IS NULL OR tenant_id = ${filter.tenantId ?? null})
          AND (${tenants}::text[] IS NULL OR tenant_id = ANY(${tenants}::text[]))`.execute(db)
      kick()
      return Number(r.numAffectedRows ?? 0n)
    },
    purge,
    stats: () => ({ ...stats, lanes: lanes.length }),
  }
}
