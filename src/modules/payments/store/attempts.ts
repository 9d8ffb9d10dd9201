/**
 * What a payment was routed by and what it tried: its card (read again to route a confirmation) and
 * its gateway attempts, one appended per call (failover and the timeline read them).
 */
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { Exec } from './statements.js'

export function attemptsStore(db: Db) {
  return {
    async appendAttempt(
      tx: Exec,
      tenant: string,
      id: string,
      attempt: Record<string, string>,
    ): Promise<void> {
      await sql`UPDATE payments SET attempts = attempts || ${JSON.stringify([attempt])}::jsonb
        WHERE tenant_id = ${tenant} AND payment_id = ${id}`.execute(tx)
    },

    async cardOf(tenant: string, id: string): Promise<{ brand?: string; country?: string }> {
      const r = await sql<{ card_brand: string | null; card_country: string | null }>`
        SELECT card_brand, card_country FROM payments WHERE tenant_id = ${tenant} AND payment_id = ${id}`.execute(
        db,
      )
      const row = r.rows[0]
      return {
        ...(row?.card_brand ? { brand: row.card_brand } : {}),
        ...(row?.card_country ? { country: row.card_country } : {}),
      }
    },

    async attempts(tenant: string, id: string): Promise<Record<string, string>[]> {
      const r = await sql<{ attempts: Record<string, string>[] }>`SELECT attempts FROM payments
        WHERE tenant_id = ${tenant} AND payment_id = ${id}`.execute(db)
      return r.rows[0]?.attempts ?? []
    },
  }
}
