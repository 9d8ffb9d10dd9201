import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { freshTenant, openTestDb, testDbTargets } from '../../../test/support/db.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { tenantRelay } from '../../../test/support/relay.js'
import type { EventBackbone } from './backbone.js'
import type { EventMessage } from './events.js'

const PROBE = 'events.probe.sent.v1'

/**
 * A row whose transaction took its xid after the newest transaction that has ended is still open
 * when the relay first misses its seq. A snapshot's xmax is one past the highest *completed* xid, so
 * it is not above that transaction's xid: taking "xmin has passed the xmax" as "the holder ended"
 * gave the gap up while the row was about to commit, and the event was never relayed (the search
 * e2e's first party on a database of its own, session 20). Two plain connections hold the
 * transactions open; PostgreSQL only (PGlite runs one transaction at a time).
 */
const postgres = testDbTargets().find((t) => t.name === 'postgres')
describe.skipIf(!postgres)('outbox relay and transactions still open at the newest xid (PostgreSQL)', () => {
  let db: DbHandle
  const clients: pg.Client[] = []
  beforeAll(async () => {
    db = await openTestDb(postgres!)
  })
  afterAll(async () => {
    for (const c of clients) await c.end()
    await db.close()
  })

  const session = async () => {
    const c = new pg.Client({ connectionString: postgres!.url })
    await c.connect()
    clients.push(c)
    return c
  }
  const insert = (c: pg.Client, tenantId: string, n: number) =>
    c.query(
      `INSERT INTO event_outbox (tenant_id, topic, partition_key, payload) VALUES ($1, $2, $3, $4::jsonb)`,
      [tenantId, PROBE, `k${n}`, JSON.stringify({ n })],
    )
  const relayed = (tenantId: string) => tenantRelay(db, tenantId, PROBE)
  const numbers = (seen: readonly EventMessage[]) => seen.map((m) => (m.payload as { n: number }).n)
  /** Rounds until `expected` arrived: an open gap as wide as the shared outbox waits for older transactions. */
  const relayedAll = (bb: EventBackbone, seen: readonly EventMessage[], expected: number[]) =>
    vi.waitFor(
      async () => {
        await bb.relay.runOnce()
        expect(numbers(seen)).toEqual(expected)
      },
      { timeout: 10_000, interval: 50 },
    )

  it('a gap left by a transaction that took its xid after the committed row past it is relayed once it commits', async () => {
    const tenantId = freshTenant()
    const { bb, seen } = await relayed(tenantId)
    const [early, late] = [await session(), await session()]
    await insert(early, tenantId, 0)
    await bb.relay.runOnce() // the cursor exists and has relayed n=0
    // `early` takes its xid first, `late` its xid after and a seq before early's.
    await early.query('BEGIN')
    await early.query('SELECT pg_current_xact_id()')
    await late.query('BEGIN')
    await insert(late, tenantId, 1)
    await insert(early, tenantId, 2)
    await early.query('COMMIT')
    await bb.relay.runOnce() // relays n=2 and misses late's seq: a gap
    await bb.relay.runOnce() // looks the gap up while late is still open: it must stay open
    await late.query('COMMIT')
    await relayedAll(bb, seen, [0, 2, 1])
    await bb.close()
  })

  it("a relay whose cursor is made while the first event's transaction is open relays that event", async () => {
    const tenantId = freshTenant()
    const { bb, seen } = await relayed(tenantId)
    const holder = await session()
    await holder.query('BEGIN')
    await insert(holder, tenantId, 1) // the newest xid, its seq handed out, not committed
    await bb.relay.runOnce() // a new cursor: nothing of this tenant visible, the seq below `last`
    await bb.relay.runOnce()
    await holder.query('COMMIT')
    await relayedAll(bb, seen, [1])
    await bb.close()
  })
})
