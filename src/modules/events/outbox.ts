import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { EventCatalogue } from './catalogue.js'
import type { OutgoingEvent } from './events.js'
import { invalidEvent } from './events.errors.js'

export const OUTBOX_CHANNEL = 'moneta_outbox'

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
