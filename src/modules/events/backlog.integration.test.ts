import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/scratch-db.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { outboxBacklog } from './backlog.js'
import { createEventBackbone } from './backbone.js'

const PROBE = 'events.probe.sent.v1'

// A database of its own: the backlog is read against every relay's cursor, and suites sharing the
// test database leave cursors of relays that no longer run.
describeEachDb('outbox backlog', (target) => {
  let scratch: ScratchDatabase | undefined
  let db: DbHandle
  beforeAll(async () => {
    if (target.url) {
      scratch = scratchDatabase(target.url, 'backlog')
      await scratch.create()
    }
    db = await openTestDb(scratch ? { ...target, url: scratch.url } : target)
  }, 180_000)
  afterAll(async () => {
    await db.close()
    await scratch?.drop()
  })

  const write = async (tenantId: string, n: number) => {
    const bb = createEventBackbone({ db, bus: { kind: 'memory' } })
    await db.db.transaction().execute((tx) =>
      bb.outbox.enqueue(
        tx,
        Array.from({ length: n }, (_, i) => ({ topic: PROBE, key: 'k', tenantId, payload: { n: i } })),
      ),
    )
  }
  const relay = (tenants: string[]) =>
    createEventBackbone({ db, bus: { kind: 'memory' }, relay: { tenants }, delay: () => Promise.resolve() })
  /**
   * Runs a relay's rounds until `expected` holds (at most 60 s). A relay new to a scope that starts
   * above seq 1 holds its watermark below one open gap until the snapshot xmin passes the gap's xid
   * ceiling (relay-cursor.ts) — and xmin is cluster-wide: in CI another suite's open transaction, in
   * another database, keeps the watermark down for a while, and the rows it published still count.
   */
  const settled = (bb: ReturnType<typeof relay>, expected: () => Promise<void>) =>
    vi.waitFor(
      async () => {
        await bb.relay.runOnce()
        await expected()
      },
      { timeout: 60_000, interval: 50 },
    )

  it('counts what the relays serving a tenant have not published, not every row since ADR 0101', async () => {
    const a = freshTenant()
    const b = freshTenant()
    const before = new Date(Date.now() - 1000)
    await write(a, 3)
    await write(b, 2)
    // No relay has run: everything waits.
    expect((await outboxBacklog(db.db)).pending).toBe(5)
    expect(await outboxBacklog(db.db, a)).toMatchObject({ pending: 3 })
    expect((await outboxBacklog(db.db, a)).oldestCreatedAt!.getTime()).toBeGreaterThan(before.getTime())

    // A's relay publishes A's rows and saves its cursor; B's rows still wait for a relay serving B.
    const forA = relay([a])
    expect(await forA.relay.runOnce()).toBe(3)
    expect(await outboxBacklog(db.db, a)).toEqual({ pending: 0, oldestCreatedAt: null })
    expect((await outboxBacklog(db.db, b)).pending).toBe(2)
    expect((await outboxBacklog(db.db)).pending).toBe(2)

    // Rows the relay published stay in the outbox with sent_at NULL (ADR 0101): they are not a backlog.
    const unsent = await sql<{ n: number }>`SELECT count(*)::int AS n FROM event_outbox
      WHERE tenant_id = ${a} AND sent_at IS NULL`.execute(db.db)
    expect(unsent.rows[0]!.n).toBe(3)

    const forB = relay([b])
    expect(await forB.relay.runOnce()).toBe(2)
    await settled(forB, async () =>
      expect(await outboxBacklog(db.db)).toEqual({ pending: 0, oldestCreatedAt: null }),
    )

    await write(a, 1)
    expect((await outboxBacklog(db.db, a)).pending).toBe(1)
    expect((await outboxBacklog(db.db, b)).pending).toBe(0)
    await forA.relay.stop()
    await forB.relay.stop()

    // A relay serving every tenant: a new tenant's rows wait for it, and it alone clears them.
    const everyone = createEventBackbone({ db, bus: { kind: 'memory' }, delay: () => Promise.resolve() })
    const c = freshTenant()
    await write(c, 2)
    expect((await outboxBacklog(db.db, c)).pending).toBe(2)
    expect((await outboxBacklog(db.db)).pending).toBe(3)
    // (A new cursor starts below the first row not marked sent: it republishes A's and B's too.)
    expect(await everyone.relay.runOnce()).toBeGreaterThanOrEqual(3)
    expect(await outboxBacklog(db.db)).toEqual({ pending: 0, oldestCreatedAt: null })
    await everyone.relay.stop()

    // A relay serving half the lanes leaves the other half waiting.
    const d = freshTenant()
    const bb = createEventBackbone({ db, bus: { kind: 'memory' } })
    await db.db.transaction().execute((tx) =>
      bb.outbox.enqueue(
        tx,
        Array.from({ length: 20 }, (_, n) => ({ topic: PROBE, key: `k${n}`, tenantId: d, payload: { n } })),
      ),
    )
    const low = createEventBackbone({
      db,
      bus: { kind: 'memory' },
      relay: { tenants: [d], lanes: [0, 1, 2, 3, 4, 5, 6, 7] },
      delay: () => Promise.resolve(),
    })
    await low.relay.runOnce()
    const high = await sql<{ n: number }>`SELECT count(*)::int AS n FROM event_outbox
      WHERE tenant_id = ${d} AND lane >= 8`.execute(db.db)
    expect(high.rows[0]!.n).toBeGreaterThan(0)
    await settled(low, async () => expect((await outboxBacklog(db.db, d)).pending).toBe(high.rows[0]!.n))
    await low.relay.stop()
  })
})
