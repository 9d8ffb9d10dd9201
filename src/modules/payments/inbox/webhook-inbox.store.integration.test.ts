/**
 * The inbox's statements. Receipt batches written at once (the API's group commit keeps several in flight): a gateway's
 * retries of one event can sit in two of them, in any order. Both must commit, each key stored once.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../../test/support/db.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import { newId } from '../../../shared/ids.js'
import { claimRows, insertRows, listRows, peekDue, rowKey, type NewInboxRow } from './webhook-inbox.store.js'

describeEachDb('webhook inbox store: concurrent receipt batches', (target) => {
  let h: DbHandle
  beforeAll(async () => {
    h = await openTestDb(target)
  }, 180_000)
  afterAll(async () => {
    await h.close()
  })

  const row = (tenantId: string, eventId: string): NewInboxRow => ({
    tenantId,
    gateway: 'sandbox',
    event: { id: eventId, type: 'ignored', vendorType: 'test.event', occurredAt: '2026-05-01T10:00:00.000Z' },
    rawBody: Buffer.from(`{"id":"${eventId}"}`),
    headers: { 'content-type': 'application/json' },
    receivedAt: new Date('2026-05-01T10:00:00Z'),
  })

  it('two batches with the same events in opposite orders both commit, each event stored once', async () => {
    // Opposite orders meet in the middle: written in the order given, each statement would hold the
    // keys the other one waits for (PostgreSQL: "deadlock detected", a 503 to the gateway).
    for (let round = 0; round < 3; round++) {
      const tenant = freshTenant()
      const ids = Array.from({ length: 1500 }, () => newId('evt'))
      const forward = ids.map((id) => row(tenant, id))
      const backward = [...forward].reverse()
      try {
        const [a, b] = await Promise.all([insertRows(h.db, forward), insertRows(h.db, backward)])
        expect(a.size + b.size).toBe(ids.length)
        for (const id of ids) {
          const key = rowKey(tenant, 'sandbox', id)
          expect(a.has(key) !== b.has(key)).toBe(true)
        }
      } finally {
        // Pending rows would sit ahead of other suites' rows in their processing rounds (same database).
        await sql`DELETE FROM payment_webhook_inbox WHERE tenant_id = ${tenant}`.execute(h.db)
      }
    }
  }, 120_000)

  it.skipIf(target.name === 'pglite')(
    "a redelivery is answered while a worker's round holds its row updated, without waiting for that round",
    async () => {
      // A round writes its rows' marks and holds them until its commit; ON CONFLICT alone waits for
      // such a transaction, and the receipt batch with the gateway's retry waited out the whole round.
      const tenant = freshTenant()
      const id = newId('evt')
      const round = await h.pool!.connect()
      try {
        await insertRows(h.db, [row(tenant, id)])
        await round.query('BEGIN')
        await round.query(
          `UPDATE payment_webhook_inbox SET status = 'processed', attempts = attempts + 1
           WHERE tenant_id = $1 AND event_id = $2`,
          [tenant, id],
        )
        const again = insertRows(h.db, [row(tenant, id)]).then((fresh) => fresh.size)
        const waited = new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 3000))
        expect(await Promise.race([again, waited])).toBe(0)
        await round.query('COMMIT')
      } finally {
        await round.query('ROLLBACK').catch(() => undefined)
        round.release()
        await sql`DELETE FROM payment_webhook_inbox WHERE tenant_id = ${tenant}`.execute(h.db)
      }
    },
  )

  it("a round's claim marks the row as expected, re-reads its attempts and reuses the event its peek read", async () => {
    // The event never changes once stored, so the claim does not fetch it again (a detoast, a jsonb
    // output and a JSON parse per row and round); the attempts may have moved since the peek.
    const tenant = freshTenant()
    const id = newId('evt')
    try {
      await insertRows(h.db, [row(tenant, id)])
      const now = new Date('2026-05-01T10:00:01Z')
      const [peeked] = await peekDue(h.db, now, 1, { gateway: 'sandbox', eventId: id })
      expect(peeked?.attempts).toBe(0)
      await sql`
        UPDATE payment_webhook_inbox SET attempts = 2, event = event || '{"vendorType":"changed"}'::jsonb
        WHERE tenant_id = ${tenant} AND event_id = ${id}`.execute(h.db)
      const claimed = await h.db
        .transaction()
        .execute((tx) => claimRows(tx, [{ row: peeked!, outcome: 'ignored', appliedTenantId: tenant }], now))
      expect(claimed).toHaveLength(1)
      expect(claimed[0]!.attempts).toBe(2)
      expect(claimed[0]!.event.vendorType).toBe('test.event')
      // The claim marked the row with the outcome its round expects, in the round's transaction.
      const [stored] = await listRows(h.db, { eventId: id, gateway: 'sandbox' })
      expect(stored).toMatchObject({
        status: 'processed',
        outcome: 'ignored',
        appliedTenantId: tenant,
        attempts: 3,
      })
      expect(stored!.processedAt?.toISOString()).toBe(now.toISOString())
    } finally {
      await sql`DELETE FROM payment_webhook_inbox WHERE tenant_id = ${tenant}`.execute(h.db)
    }
  })
})
