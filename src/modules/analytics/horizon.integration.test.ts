import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshTenant, openTestDb } from '../../../test/support/db.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { safeHorizon } from './horizon.js'

/**
 * The horizon waits for open writers of exported rows, and only for them (ADR 1200, "Horizon").
 * Needs concurrent transactions on separate connections: PostgreSQL only (PGlite has one).
 */
const url = process.env.MONETA_TEST_DATABASE_URL

describe.skipIf(!url)('analytics export horizon [postgres]', () => {
  let h: DbHandle
  const tenant = freshTenant()

  beforeAll(async () => {
    h = await openTestDb({ name: 'postgres', url: url! }, 4)
  })
  afterAll(async () => {
    await h?.close()
  })

  it('waits for an open transaction that took a seq, not for one that took only a transaction id', async () => {
    const writer = await h.pool!.connect()
    const bystander = await h.pool!.connect()
    try {
      await writer.query('BEGIN')
      const r = await writer.query<{ seq: string }>(
        `INSERT INTO monitoring_transactions (tenant_id, txn_id, at, amount, currency, kind, src, dst, outcome, score)
         VALUES ($1, 'txn_horizon', now(), 100, 'EUR', 'transfer', 'a', 'b', 'allow', 0)
         RETURNING analytics_seq::text AS seq`,
        [tenant],
      )
      const seq = BigInt(r.rows[0]!.seq)
      // open writer below the sequence's last value: no safe horizon within the wait
      expect(await safeHorizon(h.db, { waitMs: 300 })).toBeNull()

      // a transaction with an xid that wrote nothing exported (the cluster-wide xmin held it back)
      await bystander.query('BEGIN')
      await bystander.query('SELECT pg_current_xact_id()')
      await writer.query('COMMIT')
      const horizon = await safeHorizon(h.db, { waitMs: 5000 })
      expect(horizon).not.toBeNull()
      expect(horizon!).toBeGreaterThanOrEqual(seq)
      const visible = await sql<{ n: bigint }>`SELECT count(*) AS n FROM monitoring_transactions
        WHERE tenant_id = ${tenant} AND analytics_seq <= ${horizon!.toString()}`.execute(h.db)
      expect(Number(visible.rows[0]!.n)).toBe(1)
    } finally {
      await bystander.query('ROLLBACK').catch(() => undefined)
      await writer.query('ROLLBACK').catch(() => undefined)
      writer.release()
      bystander.release()
    }
  })
})
