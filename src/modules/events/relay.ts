import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { DbHandle } from '../../shared/db/connect.js'
import type { EventCatalogue } from './catalogue.js'
import { partitionOf, type EventBus } from './events.js'
import { OUTBOX_CHANNEL } from './outbox.js'
import {
  afterGapCheck,
  afterScan,
  gapsToCheck,
  opensGap,
  startCursor,
  type Gap,
  type RelayCursor,
} from './relay-cursor.js'

const LANES = 16
const LOCK_CLASS = 0x6d6f6e // advisory lock namespace for relay lanes ("mon")
const PROGRESS_EVERY_MS = 1000

export interface OutboxRelayOptions {
  readonly db: DbHandle
  readonly bus: EventBus
  readonly catalogue: EventCatalogue
  readonly logger?: Logger
  /** Rows read and published per round. Default 1000. */
  readonly batchSize?: number
  /** Polling interval: the only wake-up on PGlite, a safety net next to LISTEN on PostgreSQL. */
  readonly pollMs?: number
  /** Relayed rows are kept this long so they can be republished. Default 7 days. */
  readonly retentionMs?: number
  /** Inbox rows are kept this long (must exceed retentionMs so republished events stay deduplicated). */
  readonly inboxRetentionMs?: number
  /**
   * Relay only these tenants' rows (default: all). Relays with different scopes run side by side,
   * each with its own cursor; used to split the work by tenant, and by tests sharing one database.
   */
  readonly tenants?: readonly string[]
  /** Lanes (0–15) this relay serves; default all. Relays with disjoint lanes run in parallel. */
  readonly lanes?: readonly number[]
  /** Test hook: runs after the bus accepted a batch and before the cursor advances. */
  readonly afterPublish?: (eventIds: readonly string[]) => Promise<void>
}

export interface RelayStats {
  readonly published: number
  readonly rounds: number
  /** Lanes held: all of this relay's lanes, or 0 while another relay holds them (hot standby). */
  readonly lanes: number
  readonly poisoned: number
  /** Sequence values given up because their transaction rolled back. */
  readonly deadSeqs: number
}

export interface OutboxRelay {
  /** Starts the background loop (LISTEN/NOTIFY on PostgreSQL, polling on PGlite). */
  start(): Promise<void>
  stop(): Promise<void>
  /** One round: look up open gaps, read forward, publish, advance the cursor. Returns rows published. */
  runOnce(): Promise<number>
  /** Wakes the loop now (after an in-process enqueue). */
  kick(): void
  /** Queues retained relayed rows to be published again (rows relayed since `since`). Returns the count. */
  republish(filter: { since?: Date; topic?: string; tenantId?: string }): Promise<number>
  /** Deletes relayed rows past retention and inbox rows past theirs. */
  purge(): Promise<{ outbox: number; inbox: number }>
  /** Committed rows in this relay's scope it has not published yet. */
  backlog(): Promise<number>
  stats(): RelayStats
}

interface Row {
  tenant_id: string | null
  seq: string | null
  event_id: string | null
  topic: string | null
  partition_key: string | null
  /** The payload as JSON text: parsed once to validate it, and put on the wire as read. */
  payload: string | null
  headers: Record<string, string> | null
  /** created_at in epoch ms (a float8 parses far cheaper than a timestamptz). */
  created_ms: number | null
  mine: boolean | null
  failed?: boolean | null
}

const big = (v: string | number | bigint): bigint => BigInt(v)
const createdMs = (alias: string) =>
  sql`(extract(epoch FROM ${sql.ref(`${alias}.created_at`)}) * 1000)::float8`

/**
 * Reads the outbox forward by seq and keeps its position in a cursor (watermark + open gaps) instead
 * of updating every row it relays (ADR 0101): a round is a read, a publish and at most one small
 * UPDATE. A crash before the cursor is saved republishes from the saved watermark; consumers
 * deduplicate through the inbox. Order per partition key: a key maps to one of 16 lanes, and on
 * PostgreSQL a relay runs only while it holds all of its lanes (session advisory locks), so one
 * relay at a time serves a key; others are hot standbys.
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
    ? [...new Set(o.lanes)].filter((l) => l >= 0 && l < LANES).sort((a, b) => a - b)
    : Array.from({ length: LANES }, (_, i) => i)
  const allLanes = allowed.length === LANES
  const relayKey = `${tenants ? tenants.join(',') : '*'}|${allowed.join('.')}`
  let held = o.db.engine === 'pglite'
  let cursor: RelayCursor | undefined
  let running = false
  let wake: (() => void) | undefined
  let loopDone: Promise<void> | undefined
  let listener: import('pg').PoolClient | undefined
  /** Hands the listener's client back to the pool (once) with this relay's handlers off it. */
  let releaseListener: ((broken: boolean) => void) | undefined
  let lastPurge = 0
  let lastProgress = 0
  /** The snapshot xmin seen by the last read: wide gaps are looked up once it has passed them. */
  let lastXmin = 0n
  /** The next batch, read while the previous one was being published. */
  let readAhead: { after: bigint; rows: ReturnType<typeof scan> } | undefined
  /** What event_relay_cursors holds for this relay (undefined: no row yet). */
  let savedWatermark: bigint | undefined
  const stats = { published: 0, rounds: 0, poisoned: 0, deadSeqs: 0 }

  // A wake-up that arrives while a round is running is remembered, not lost.
  let kicked = false
  const kick = () => {
    kicked = true
    wake?.()
  }

  // Scope predicates, shared by every query (null = no restriction).
  const lanesParam = allLanes ? null : allowed
  const inScope = (alias: string) =>
    sql`(${lanesParam}::smallint[] IS NULL OR ${sql.ref(`${alias}.lane`)} = ANY(${lanesParam}::smallint[]))
        AND (${tenants}::text[] IS NULL OR ${sql.ref(`${alias}.tenant_id`)} = ANY(${tenants}::text[]))`

  /** All of this relay's lanes or none: two relays never serve one key. */
  const takeLanes = async () => {
    if (!listener || held) return
    const got: number[] = []
    for (const lane of allowed) {
      const r = await listener.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
        lockClass,
        lane,
      ])
      if (!r.rows[0]?.ok) break
      got.push(lane)
    }
    if (got.length === allowed.length) {
      held = true
      cursor = undefined // another relay may have moved the saved cursor while we waited
      return
    }
    for (const lane of got) await listener.query('SELECT pg_advisory_unlock($1, $2)', [lockClass, lane])
  }

  const connectListener = async () => {
    const pool = o.db.pool
    if (!pool) return
    const client = await pool.connect()
    let released = false
    // The handlers come off before the client goes back: once pooled, a failure of its connection is
    // the pool's to handle. Left on, a backend that went away after stop() (a database dropped, a
    // failover) made this handler release a client already in the pool: pg throws, uncaught.
    const release = (broken: boolean) => {
      if (released) return
      released = true
      client.off('notification', onNotification)
      client.off('error', onError)
      if (listener === client) {
        listener = undefined
        held = false
      }
      client.release(broken)
    }
    const onNotification = () => kick()
    const onError = (err: Error) => {
      o.logger?.warn({ err }, 'outbox listener connection lost')
      release(true)
    }
    client.on('notification', onNotification)
    client.on('error', onError)
    try {
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`)
    } catch (err) {
      release(true)
      throw err
    }
    listener = client
    releaseListener = release
  }

  /**
   * An xid above that of every transaction holding a seq read so far: one handed out now, to this
   * statement (it writes nothing, so its commit waits for no flush). A snapshot's xmax is not such a
   * bound: it is one past the newest *completed* xid, so a transaction that took its xid after the
   * newest one that ended is at or above it while still open — its gap was given up as dead before it
   * committed (a fresh database's first event, whose transaction was the newest: search e2e, session 20).
   */
  const xidCeiling = async (): Promise<bigint> => {
    const r = await sql<{ x: string }>`SELECT pg_current_xact_id()::text AS x`.execute(db)
    return big(r.rows[0]!.x)
  }

  /**
   * The saved watermark, or where a new cursor starts: below the first unrelayed row in scope
   * (rows relayed before ADR 0101 carry sent_at), else at the sequence's last value. Either way
   * everything below is one open gap, so a row still in flight there is not skipped.
   */
  const loadCursor = async (): Promise<RelayCursor> => {
    const saved = await sql<{ watermark: string }>`
      SELECT watermark::text AS watermark FROM event_relay_cursors WHERE relay_key = ${relayKey}`.execute(db)
    if (saved.rows[0]) {
      savedWatermark = big(saved.rows[0].watermark)
      return startCursor(savedWatermark)
    }
    const r = await sql<{ first: string | null; last: string }>`
      SELECT (SELECT min(seq) FROM event_outbox o
              WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND ${inScope('o')})::text AS first,
             -- The last value handed out: a fresh (or setval'd, not yet called) sequence has not handed out last_value.
             (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM event_outbox_seq_gen)::text AS last`.execute(
      db,
    )
    const row = r.rows[0]!
    const watermark = row.first !== null ? big(row.first) - 1n : big(row.last)
    const start = startCursor(watermark)
    // The ceiling after the read: the sequence is read outside any snapshot, so its holders may even
    // have taken their xids after this statement's snapshot.
    return watermark > 0n
      ? { ...start, gaps: [{ from: 1n, to: watermark, xidCeiling: await xidCeiling() }], watermark: 0n }
      : start
  }

  const saveWatermark = async (watermark: bigint) => {
    await sql`INSERT INTO event_relay_cursors (relay_key, watermark, updated_at)
              VALUES (${relayKey}, ${watermark.toString()}::bigint, now())
              ON CONFLICT (relay_key) DO UPDATE SET watermark = EXCLUDED.watermark, updated_at = now()`.execute(
      db,
    )
    savedWatermark = watermark
    if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return
    lastProgress = Date.now()
    // When each watermark was reached: republish(since) turns a time into a seq with it.
    await sql`INSERT INTO event_relay_progress (relay_key, at, watermark)
              VALUES (${relayKey}, clock_timestamp(), ${watermark.toString()}::bigint)`.execute(db)
  }

  /** Rows in open gaps that have committed since, and the snapshot's xmin to retire the rest. */
  const checkGaps = async (gaps: readonly Gap[]) => {
    const r = await sql<Row & { snap_xmin: string }>`
      WITH snap AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS snap_xmin)
      SELECT snap.snap_xmin, o.tenant_id, o.seq::text AS seq, o.event_id, o.topic, o.partition_key,
             o.payload::text AS payload, o.headers, ${createdMs('o')} AS created_ms, true AS mine
      FROM snap LEFT JOIN LATERAL (
        SELECT o.* FROM unnest(${gaps.map((g) => g.from.toString())}::bigint[],
                               ${gaps.map((g) => g.to.toString())}::bigint[]) AS g(f, t)
        CROSS JOIN LATERAL (
          SELECT o.* FROM event_outbox o
          WHERE o.seq BETWEEN g.f AND g.t AND o.sent_at IS NULL AND o.failed_at IS NULL AND ${inScope('o')}
        ) o
      ) o ON true
      ORDER BY o.seq`.execute(db)
    const xmin = big(r.rows[0]!.snap_xmin)
    return { xmin, rows: r.rows.filter((row) => row.seq !== null) }
  }

  /** The next rows past the cursor (every scope's, so other rows are not mistaken for gaps). */
  const scan = async (after: bigint) => {
    const r = await sql<Row & { snap_xmin: string }>`
      WITH snap AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS snap_xmin)
      SELECT snap.snap_xmin, o.* FROM snap LEFT JOIN LATERAL (
        SELECT o.seq::text AS seq, ${inScope('o')} AS mine,
               o.tenant_id, o.event_id, o.topic, o.partition_key, o.failed_at IS NOT NULL AS failed,
               CASE WHEN ${inScope('o')} THEN o.payload::text END AS payload,
               CASE WHEN ${inScope('o')} THEN o.headers END AS headers, ${createdMs('o')} AS created_ms
        FROM event_outbox o
        WHERE o.seq > ${after.toString()}::bigint
        ORDER BY o.seq LIMIT ${batchSize}
      ) o ON true`.execute(db)
    lastXmin = big(r.rows[0]!.snap_xmin)
    return { rows: r.rows.filter((row) => row.seq !== null) }
  }

  const publish = async (rows: readonly Row[]) => {
    const good: { row: Row; payload: unknown }[] = []
    for (const row of rows) {
      const payload = JSON.parse(row.payload ?? 'null') as unknown
      const problem = o.catalogue.problem(row.topic!, payload)
      if (!problem) {
        good.push({ row, payload })
        continue
      }
      // A row the catalogue rejects is set aside (kept, with the reason) instead of blocking its key.
      await sql`UPDATE event_outbox SET failed_at = now(), last_error = ${problem}
                WHERE tenant_id = ${row.tenant_id} AND seq = ${row.seq}::bigint`.execute(db)
      o.logger?.error(
        { eventId: row.event_id, topic: row.topic, problem },
        'outbox row rejected by the catalogue',
      )
      stats.poisoned++
    }
    if (good.length === 0) return 0
    await o.bus.publish(
      good.map(({ row, payload }) => ({
        id: row.event_id!,
        topic: row.topic!,
        key: row.partition_key!,
        tenantId: row.tenant_id!,
        payload,
        payloadJson: row.payload ?? 'null',
        occurredAt: new Date(row.created_ms!),
        headers: row.headers ?? {},
      })),
    )
    if (o.afterPublish) await o.afterPublish(good.map(({ row }) => row.event_id!))
    stats.published += good.length
    return good.length
  }

  /** Rows queued by republish(): claimed, published and unmarked in one transaction. */
  const republishRound = async (): Promise<number> =>
    db.transaction().execute(async (tx) => {
      const rows = (
        await sql<Row>`
          SELECT o.tenant_id, o.seq::text AS seq, o.event_id, o.topic, o.partition_key, o.payload::text AS payload,
                 o.headers, ${createdMs('o')} AS created_ms, true AS mine
          FROM event_outbox o
          WHERE o.republish_at IS NOT NULL AND ${inScope('o')}
          ORDER BY o.seq LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED`.execute(tx)
      ).rows
      if (rows.length === 0) return 0
      const n = await publish(rows)
      await sql`UPDATE event_outbox SET republish_at = NULL, publish_count = publish_count + 1
                WHERE seq = ANY(${rows.map((r) => r.seq!)}::bigint[])`.execute(tx)
      return n
    })

  const round = async (): Promise<{ published: number; more: boolean }> => {
    if (!held) return { published: 0, more: false }
    stats.rounds++
    let next = cursor ?? (await loadCursor())
    const out: Row[] = []
    const wide = BigInt(batchSize)
    if (next.gaps.some((g) => g.to - g.from >= wide && g.xidCeiling > lastXmin)) {
      // A wide gap waits for its transactions to end: ask whether they have, now, in one small query.
      const r = await sql<{ x: string }>`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x`.execute(
        db,
      )
      lastXmin = big(r.rows[0]!.x)
    }
    const due = gapsToCheck(next, lastXmin, wide, 1000)
    if (due.length > 0) {
      const { xmin, rows } = await checkGaps(due)
      const looked = new Set(due)
      const checked = afterGapCheck(
        next,
        rows.map((r) => big(r.seq!)),
        xmin,
        (g) => looked.has(g),
      )
      for (const g of checked.dead) stats.deadSeqs += Number(g.to - g.from + 1n)
      out.push(...rows)
      next = checked.cursor
    }
    const ahead = readAhead?.after === next.scanned ? readAhead.rows : undefined
    readAhead = undefined
    const { rows } = await (ahead ?? scan(next.scanned))
    const seqs = rows.map((r) => big(r.seq!))
    // A ceiling only when the read left a seq missing: the holders took their seqs before the scan.
    next = afterScan(next, seqs, opensGap(next, seqs) ? await xidCeiling() : 0n)
    out.push(...rows.filter((r) => r.mine && !r.failed))
    // A full batch means more is waiting: read the next one while this one is published (the cursor
    // logic takes a scan from any snapshot; only the order in which scans are applied matters).
    if (rows.length >= batchSize && running) {
      const after = next.scanned
      const pending = scan(after)
      pending.catch(() => undefined) // a failed read-ahead is read again by the next round
      readAhead = { after, rows: pending }
    }
    const published = out.length > 0 ? await publish(out) : 0
    // Only now, after the bus took the batch: a crash before this line republishes from the old cursor.
    // A new cursor whose opening gap is still open saves nothing: a restart would start it anew.
    if (next.watermark !== savedWatermark && !(savedWatermark === undefined && next.watermark === 0n))
      await saveWatermark(next.watermark)
    cursor = next
    const again = await republishRound()
    return { published: published + again, more: rows.length >= batchSize || again >= batchSize }
  }

  const purge = async () => {
    const watermark = (cursor ?? (await loadCursor())).watermark
    // `ctid = ANY(ARRAY(…))`: the rows are chosen once, then deleted by address. With `(key) IN
    // (SELECT … LIMIT n)` and stale statistics (a table that just grew from empty) the planner ran
    // the subquery once per outer row: a purge of 300,000 rows took minutes of CPU.
    const outbox = await sql`
      DELETE FROM event_outbox WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM event_outbox o
        WHERE o.created_at < now() - ${retentionMs} * interval '1 millisecond'
          AND o.seq <= ${watermark.toString()}::bigint AND o.failed_at IS NULL AND ${inScope('o')}
        LIMIT 10000))`.execute(db)
    const inbox = await sql`
      DELETE FROM event_inbox WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM event_inbox
        WHERE processed_at < now() - ${inboxRetentionMs} * interval '1 millisecond'
          AND (${tenants}::text[] IS NULL OR tenant_id = ANY(${tenants}::text[])) LIMIT 10000))`.execute(db)
    await sql`DELETE FROM event_relay_progress
              WHERE relay_key = ${relayKey} AND at < now() - ${retentionMs} * interval '1 millisecond'`.execute(
      db,
    )
    return { outbox: Number(outbox.numAffectedRows ?? 0n), inbox: Number(inbox.numAffectedRows ?? 0n) }
  }

  // Rounds run one at a time: an explicit runOnce() (tests, the CLI) that met a round of the loop
  // would read from the same cursor and publish the same rows twice.
  let lastRound: Promise<unknown> = Promise.resolve()
  const runOnce = (): Promise<{ published: number; more: boolean }> => {
    const next = lastRound.then(async () => {
      if (o.db.engine === 'postgres' && !listener) await connectListener()
      await takeLanes()
      return round()
    })
    lastRound = next.catch(() => undefined)
    return next
  }

  const loop = async () => {
    while (running) {
      let more = false
      kicked = false
      try {
        more = (await runOnce()).more
        if (held && Date.now() - lastPurge > 60_000) {
          lastPurge = Date.now()
          await purge()
        }
      } catch (err) {
        o.logger?.warn({ err }, 'outbox relay round failed; retrying')
        cursor = undefined // reload the saved cursor: what this round published goes out again
      }
      if (more || !running || kicked) continue
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
      await readAhead?.rows.catch(() => undefined)
      readAhead = undefined
      const client = listener
      if (client) {
        await client.query(`UNLISTEN ${OUTBOX_CHANNEL}`).catch(() => undefined)
        await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined)
        releaseListener?.(false)
        cursor = undefined
      }
    },
    async runOnce() {
      try {
        return (await runOnce()).published
      } catch (err) {
        cursor = undefined
        throw err
      }
    },
    kick,
    async republish(filter) {
      // The lowest watermark any relay had reached before `since`: rows above it were relayed later.
      // No upper bound: a relay publishes rows above its saved watermark too (those above a gap still
      // open, held by a transaction in flight), so "up to the watermark" lost them (issue 15, fault 5).
      // Rows not relayed yet go out twice at worst; consumers deduplicate.
      const since = filter.since ?? null
      const r = await sql`
        UPDATE event_outbox o SET republish_at = now()
        WHERE o.failed_at IS NULL AND o.republish_at IS NULL
          AND o.seq > coalesce((
            SELECT min(w) FROM (SELECT max(watermark) AS w FROM event_relay_progress
                                WHERE ${since}::timestamptz IS NOT NULL AND at <= ${since}::timestamptz
                                GROUP BY relay_key) x), 0)
          AND (${filter.topic ?? null}::text IS NULL OR o.topic = ${filter.topic ?? null})
          AND (${filter.tenantId ?? null}::text IS NULL OR o.tenant_id = ${filter.tenantId ?? null})
          AND ${inScope('o')}`.execute(db)
      kick()
      return Number(r.numAffectedRows ?? 0n)
    },
    purge,
    async backlog() {
      const c = cursor ?? (await loadCursor())
      const r = await sql<{ n: string }>`
        SELECT count(*)::text AS n FROM event_outbox o
        WHERE o.failed_at IS NULL AND ${inScope('o')}
          AND (o.seq > ${c.scanned.toString()}::bigint OR EXISTS (
            SELECT 1 FROM unnest(${c.gaps.map((g) => g.from.toString())}::bigint[],
                                 ${c.gaps.map((g) => g.to.toString())}::bigint[]) AS g(f, t)
            WHERE o.seq BETWEEN g.f AND g.t))`.execute(db)
      return Number(r.rows[0]!.n)
    },
    stats: () => ({ ...stats, lanes: held ? allowed.length : 0 }),
  }
}
