import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import type { DeadLetterSink } from './bus.js'
import type { EventBus, EventMessage } from './events.js'
import { deadLetterNotFound } from './events.errors.js'

export interface DeadLetter {
  readonly id: string
  readonly tenantId: string
  readonly group: string
  readonly eventId: string
  readonly topic: string
  readonly key: string
  readonly payload: unknown
  readonly occurredAt: Date
  readonly error: string
  readonly attempts: number
  readonly failedAt: Date
  readonly retriedAt: Date | undefined
}

/** Dead letters live in the database, whatever the bus: they survive a broker restart. */
export interface DeadLetterStore extends DeadLetterSink {
  list(filter?: {
    group?: string
    tenantId?: string
    includeRetried?: boolean
    limit?: number
  }): Promise<readonly DeadLetter[]>
  /** Publishes the event again (same id) and marks the dead letter retried. */
  retry(id: string, bus: EventBus): Promise<DeadLetter>
}

interface Row {
  tenant_id: string
  dead_letter_id: string
  consumer_group: string
  event_id: string
  topic: string
  partition_key: string
  payload: unknown
  headers: Record<string, string>
  occurred_at: Date | string
  error: string
  attempts: number
  failed_at: Date | string
  retried_at: Date | string | null
}

const toDeadLetter = (r: Row): DeadLetter => ({
  id: r.dead_letter_id,
  tenantId: r.tenant_id,
  group: r.consumer_group,
  eventId: r.event_id,
  topic: r.topic,
  key: r.partition_key,
  payload: r.payload,
  occurredAt: new Date(r.occurred_at),
  error: r.error,
  attempts: r.attempts,
  failedAt: new Date(r.failed_at),
  retriedAt: r.retried_at === null ? undefined : new Date(r.retried_at),
})

export function createDeadLetterStore(db: Db): DeadLetterStore {
  return {
    async put(group: string, m: EventMessage, error: string, attempts: number) {
      await sql`
        INSERT INTO event_dead_letters (tenant_id, dead_letter_id, consumer_group, event_id, topic, partition_key,
                                        payload, headers, occurred_at, error, attempts)
        VALUES (${m.tenantId}, ${newId('dlq')}, ${group}, ${m.id}, ${m.topic}, ${m.key}, ${JSON.stringify(m.payload ?? null)}::jsonb,
                ${JSON.stringify(m.headers)}::jsonb, ${m.occurredAt.toISOString()}::timestamptz, ${error.slice(0, 4000)}, ${attempts})
        ON CONFLICT (tenant_id, consumer_group, event_id) WHERE retried_at IS NULL DO NOTHING`.execute(db)
    },
    async list(filter = {}) {
      const r = await sql<Row>`
        SELECT * FROM event_dead_letters
        WHERE (${filter.group ?? null}::text IS NULL OR consumer_group = ${filter.group ?? null})
          AND (${filter.tenantId ?? null}::text IS NULL OR tenant_id = ${filter.tenantId ?? null})
          AND (${filter.includeRetried ?? false} OR retried_at IS NULL)
        ORDER BY failed_at, dead_letter_id
        LIMIT ${filter.limit ?? 100}`.execute(db)
      return r.rows.map(toDeadLetter)
    },
    async retry(id, bus) {
      const r =
        await sql<Row>`SELECT * FROM event_dead_letters WHERE dead_letter_id = ${id} AND retried_at IS NULL`.execute(
          db,
        )
      const row = r.rows[0]
      if (!row) throw deadLetterNotFound(id)
      await bus.publish([
        {
          id: row.event_id,
          topic: row.topic,
          key: row.partition_key,
          tenantId: row.tenant_id,
          payload: row.payload,
          occurredAt: new Date(row.occurred_at),
          headers: { ...row.headers, 'x-moneta-retry-of': id },
        },
      ])
      const u = await sql<Row>`UPDATE event_dead_letters SET retried_at = now()
        WHERE tenant_id = ${row.tenant_id} AND dead_letter_id = ${id} RETURNING *`.execute(db)
      return toDeadLetter(u.rows[0]!)
    },
  }
}
