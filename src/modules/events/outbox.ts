import { sql, type Kysely, type RawBuilder } from 'kysely'
import { afterCommit } from '../../shared/db/commit-hooks.js'
import type { Db } from '../../shared/db/connect.js'
import type { EventCatalogue } from './catalogue.js'
import type { OutgoingEvent } from './events.js'
import { invalidEvent } from './events.errors.js'

export const OUTBOX_CHANNEL = 'moneta_outbox'

/**
 * Writes events to the outbox inside the caller's transaction, and wakes the relay once that
 * transaction has committed (never if it rolls back). The wake-up is the caller's process's, sent
 * after the commit: no trigger NOTIFYs inside the producer's transaction (that serialised every
 * commit writing events on PostgreSQL's notify lock, issue #18).
 */
export interface Outbox {
  /** Inserts the events in `tx` (the producer's transaction); they are relayed after commit. */
  enqueue(tx: Db, events: readonly OutgoingEvent[]): Promise<readonly string[]>
  /**
   * The same insert, validated, as a statement for the producer to run inside one of its own (a
   * common table expression): a writer that already makes one statement writes its events without a
   * round trip more. The producer runs it in `tx`, the transaction the relay is woken after.
   */
  insertOf(tx: Db, events: readonly OutgoingEvent[]): Promise<RawBuilder<{ event_id: string }>>
  /** Wakes the relay after `tx` commits: for a producer that writes outbox rows in its own SQL (the ledger). */
  relayAfterCommit<DB>(tx: Kysely<DB>): Promise<void>
}

/** `wake`: tells the relays a commit wrote events (in-process kick, cross-process NOTIFY). */
export function createOutbox(catalogue: EventCatalogue, wake?: () => void): Outbox {
  const relayAfterCommit = async <DB>(tx: Kysely<DB>) => {
    if (wake) await afterCommit(tx, wake)
  }
  function insert(events: readonly OutgoingEvent[]) {
    for (const e of events) {
      if (!e.key) throw invalidEvent(`Event ${e.topic} needs a partition key.`)
      catalogue.validate(e.topic, e.payload)
    }
    // One JSON parameter for the batch: as text[] elements, every payload's quotes were escaped once
    // more by pg in JavaScript (issue #18, session 17: a webhook round writes 500 events).
    const batch = JSON.stringify(
      events.map((e) => ({
        t: e.tenantId,
        tp: e.topic,
        k: e.key,
        p: e.payload,
        h: e.headers ?? {},
        id: e.id ?? null,
      })),
    )
    return sql<{ event_id: string }>`
      INSERT INTO event_outbox (tenant_id, topic, partition_key, payload, headers, event_id)
      SELECT x.t, x.tp, x.k, x.p, x.h, coalesce(x.id, 'evt_' || replace(gen_random_uuid()::text, '-', ''))
      FROM ROWS FROM (json_to_recordset(${batch}::json) AS (t text, tp text, k text, p jsonb, h jsonb, id text))
           WITH ORDINALITY AS x(t, tp, k, p, h, id, n)
      ORDER BY x.n
      RETURNING event_id`
  }
  return {
    async enqueue(tx, events) {
      if (events.length === 0) return []
      const r = await insert(events).execute(tx)
      await relayAfterCommit(tx)
      return r.rows.map((row) => row.event_id)
    },
    async insertOf(tx, events) {
      const statement = insert(events)
      await relayAfterCommit(tx)
      return statement
    },
    relayAfterCommit,
  }
}
