import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { BatchHandler, EventMessage } from './events.js'

/**
 * Consumer inbox: a handler's effect and the ids of the messages it consumed commit in one
 * transaction, so a redelivered message (same event id, same group) has no second effect.
 */
export interface ConsumerInbox {
  /**
   * In one transaction: records the messages this group has not processed yet and runs `effect`
   * with exactly those (in order). Returns how many were new.
   */
  apply(
    group: string,
    messages: readonly EventMessage[],
    effect: (tx: Db, fresh: readonly EventMessage[]) => Promise<void>,
  ): Promise<number>
  /** A batch handler for `subscribe` that wraps `effect` in the inbox. */
  handler(group: string, effect: (tx: Db, fresh: readonly EventMessage[]) => Promise<void>): BatchHandler
  /** Whether this group has processed the event (for diagnostics and tests). */
  seen(tenantId: string, group: string, eventId: string): Promise<boolean>
}

const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === '23505'

export function createInbox(db: Db): ConsumerInbox {
  const apply: ConsumerInbox['apply'] = (group, messages, effect) =>
    db.transaction().execute(async (tx) => {
      if (messages.length === 0) return 0
      const tenants = messages.map((m) => m.tenantId)
      const ids = messages.map((m) => m.id)
      // Usually every message is new, so the fast path is a plain INSERT (ON CONFLICT's speculative
      // insertion costs PostgreSQL twice as much per row) returning nothing (parsing a returned row
      // per message cost more than the insert). Only when some id was seen before does the unique
      // key refuse it; the insert is then redone behind the savepoint, reporting which rows are new.
      await sql`SAVEPOINT inbox`.execute(tx)
      let fresh: readonly EventMessage[] = messages
      try {
        await sql`
          INSERT INTO event_inbox (tenant_id, consumer_group, event_id)
          SELECT t, ${group}, e FROM unnest(${tenants}::text[], ${ids}::text[]) AS x(t, e)`.execute(tx)
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
        await sql`ROLLBACK TO SAVEPOINT inbox`.execute(tx)
        const r = await sql<{ tenant_id: string; event_id: string }>`
          INSERT INTO event_inbox (tenant_id, consumer_group, event_id)
          SELECT t, ${group}, e FROM unnest(${tenants}::text[], ${ids}::text[]) AS x(t, e)
          ON CONFLICT DO NOTHING
          RETURNING tenant_id, event_id`.execute(tx)
        const isNew = new Set(r.rows.map((row) => `${row.tenant_id}\u0000${row.event_id}`))
        fresh = messages.filter((m) => isNew.delete(`${m.tenantId}\u0000${m.id}`)) // first occurrence only
      }
      if (fresh.length > 0) await effect(tx, fresh)
      return fresh.length
    })
  return {
    apply,
    handler: (group, effect) => async (messages) => {
      await apply(group, messages, effect)
    },
    async seen(tenantId, group, eventId) {
      const r =
        await sql`SELECT 1 FROM event_inbox WHERE tenant_id = ${tenantId} AND consumer_group = ${group} AND event_id = ${eventId}`.execute(
          db,
        )
      return r.rows.length > 0
    },
  }
}
