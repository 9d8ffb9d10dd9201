import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { freshTenant, openTestDb, testDbTargets } from '../../../test/support/db.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { createEventBackbone } from './backbone.js'

/**
 * The relay's LISTEN connection is a pool client: stop() hands it back. Its 'error' handler used to
 * stay on it, so when that backend went away later (here terminated; in the e2e suites a scratch
 * database dropped WITH (FORCE) while the client was closing) the handler released a client already
 * in the pool: pg threw "Release called on client which has already been released" (an uncaught
 * error that failed search-api's run, session 20) before the pool's own handler could drop the client.
 */
const postgres = testDbTargets().find((t) => t.name === 'postgres')
describe.skipIf(!postgres)('outbox relay listener connection (PostgreSQL)', () => {
  let admin: DbHandle
  beforeAll(async () => {
    admin = await openTestDb(postgres!)
  })
  afterAll(async () => {
    await admin.close()
  })

  it("a stopped relay's former listener connection dying is the pool's to handle: dropped, and the pool serves on", async () => {
    // A pool of its own, named, so only its backends are terminated (other suites share the server).
    const app = `relay_listener_${randomBytes(4).toString('hex')}`
    const url = new URL(postgres!.url!)
    url.searchParams.set('application_name', app)
    const own = await openTestDb({ name: 'postgres', url: url.toString() })
    const bb = createEventBackbone({
      db: own,
      bus: { kind: 'memory' },
      relay: { pollMs: 60_000, tenants: [freshTenant()] },
    })
    await bb.start()
    await vi.waitFor(() => expect(bb.relay.stats().lanes).toBe(16))
    await bb.close() // the listener's client is back in the pool, idle

    const uncaught: unknown[] = []
    const onUncaught = (err: unknown) => uncaught.push(err)
    process.on('uncaughtException', onUncaught)
    try {
      const r = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM (
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${app}) t`.execute(
        admin.db,
      )
      expect(r.rows[0]!.n).toBeGreaterThan(0)
      // The pool drops its dead idle clients (the relay's handler threw first, so the pool's never ran
      // and the dead client stayed, to be handed to the next query).
      await vi.waitFor(() => expect(own.pool!.totalCount).toBe(0), { timeout: 5000 })
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(own.db)).rows).toEqual([{ one: 1 }])
    } finally {
      process.off('uncaughtException', onUncaught)
    }
    expect(uncaught).toEqual([])
    await own.close()
  })
})
