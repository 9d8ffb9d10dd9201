import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { tenantRelay } from '../../../test/support/relay.js'
import type { EventBackbone } from './backbone.js'
import type { EventMessage } from './events.js'

const PROBE = 'events.probe.sent.v1'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * No trigger wakes the relay any more (migration 0104): the writer does, after its transaction
 * committed. The relay here polls once a minute, so only that wake-up can deliver within the test.
 */
describeEachDb('outbox relay woken after commit', (target) => {
  let db: DbHandle
  beforeAll(async () => {
    db = await openTestDb(target)
  })
  afterAll(async () => {
    await db.close()
  })

  const started = async (tenantId: string) => {
    const { bb, seen } = await tenantRelay(db, tenantId, PROBE)
    await bb.start()
    // The start-up round has run and the relay sleeps: from here only a wake-up makes it read again.
    await vi.waitFor(() => expect(bb.relay.stats().rounds).toBeGreaterThan(0))
    await sleep(50)
    return { bb, seen }
  }
  const probe = (tenantId: string, n: number) => ({ topic: PROBE, key: 'k', tenantId, payload: { n } })
  const ns = (seen: readonly EventMessage[]) => seen.map((m) => (m.payload as { n: number }).n)

  /** Delivered within a second of the commit (the relay's poll is a minute away). */
  const deliveredPromptly = async (seen: readonly EventMessage[], count: number) => {
    const committed = Date.now()
    await vi.waitFor(() => expect(seen).toHaveLength(count), { timeout: 2000, interval: 5 })
    expect(Date.now() - committed).toBeLessThan(1000)
  }

  it('delivers an event promptly once its transaction commits, however long the transaction stayed open', async () => {
    const tenantId = freshTenant()
    const { bb, seen } = await started(tenantId)
    let b: EventBackbone | undefined = bb
    try {
      await db.db.transaction().execute(async (tx) => {
        await bb.outbox.enqueue(tx, [probe(tenantId, 1)])
        // A wake-up sent now (before the commit) would find nothing and leave the row for the poll.
        await sleep(300)
      })
      await deliveredPromptly(seen, 1)

      // The statement form a producer embeds in its own SQL.
      await db.db.transaction().execute(async (tx) => {
        await (await bb.outbox.insertOf(tx, [probe(tenantId, 2)])).execute(tx)
        await sleep(100)
      })
      await deliveredPromptly(seen, 2)

      // A producer writing the rows in its own SQL (the ledger's ledger_apply) asks for the wake-up.
      await db.db.transaction().execute(async (tx) => {
        await sql`INSERT INTO event_outbox (tenant_id, topic, partition_key, payload)
                  VALUES (${tenantId}, ${PROBE}, 'k', ${JSON.stringify({ n: 3 })}::jsonb)`.execute(tx)
        await bb.outbox.relayAfterCommit(tx)
      })
      await deliveredPromptly(seen, 3)
      expect(ns(seen)).toEqual([1, 2, 3])
      await b.close()
      b = undefined
    } finally {
      await b?.close()
    }
  })

  it('never delivers an event whose transaction rolled back', async () => {
    const tenantId = freshTenant()
    const { bb, seen } = await started(tenantId)
    try {
      const rounds = bb.relay.stats().rounds
      await expect(
        db.db.transaction().execute(async (tx) => {
          await bb.outbox.enqueue(tx, [probe(tenantId, 99)])
          await (await bb.outbox.insertOf(tx, [probe(tenantId, 98)])).execute(tx)
          throw new Error('rolled back')
        }),
      ).rejects.toThrow('rolled back')
      await sleep(300)
      // PGlite: no wake-up at all. (A shared server's other suites NOTIFY the channel too.)
      if (target.name === 'pglite') expect(bb.relay.stats().rounds).toBe(rounds)
      await db.db.transaction().execute((tx) => bb.outbox.enqueue(tx, [probe(tenantId, 1)]))
      await deliveredPromptly(seen, 1)
      await bb.relay.runOnce()
      expect(ns(seen)).toEqual([1])
      expect(await bb.relay.backlog()).toBe(0)
    } finally {
      await bb.close()
    }
  })

  it('the outbox has no NOTIFY trigger left', async () => {
    const r = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'event_outbox'::regclass AND NOT tgisinternal`.execute(
      db.db,
    )
    expect(r.rows[0]!.n).toBe(0)
  })
})
