/**
 * Losing database connections (failover, pg_terminate_backend, a network blip) must not end the
 * process: the pool replaces dead clients and idempotent work is retried. Only this pool's own
 * backends are terminated, found by their pids, so suites sharing the server are not disturbed.
 */
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDbTargets } from '../../../test/support/db.js'
import { connect, type DbHandle } from './connect.js'
import { isConnectionLoss, retryTransient } from './retry.js'

const postgres = testDbTargets().find((x) => x.name === 'postgres')

describe.skipIf(!postgres)('pooled connections terminated under us [postgres]', () => {
  let h: DbHandle
  let admin: pg.Client
  const lost: Error[] = []
  beforeAll(async () => {
    h = await connect({ databaseUrl: postgres!.url, poolSize: 4, onConnectionError: (e) => lost.push(e) })
    admin = new pg.Client({ connectionString: postgres!.url })
    await admin.connect()
  })
  afterAll(async () => {
    await admin.end()
    await h.close()
  })

  const terminate = (pids: readonly number[]) =>
    admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids])

  /** The pids of every connection the pool holds now (checked out together, then returned). */
  async function poolPids(n: number): Promise<number[]> {
    const clients = await Promise.all(Array.from({ length: n }, () => h.pool!.connect()))
    const pids = await Promise.all(
      clients.map(
        async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid,
      ),
    )
    for (const c of clients) c.release()
    return pids
  }

  it('idle connections killed: the process lives on and the next queries reconnect', async () => {
    const pids = await poolPids(4)
    await terminate(pids)
    await new Promise((r) => setTimeout(r, 200)) // let the 'error' events arrive
    expect(lost.length).toBeGreaterThan(0)
    const r = await retryTransient(() => sql<{ one: number }>`SELECT 1 AS one`.execute(h.db), {
      onConnectionLoss: true,
    })
    expect(r.rows[0]?.one).toBe(1)
  })

  it('a connection killed inside a transaction fails that attempt; an idempotent retry succeeds', async () => {
    let attempts = 0
    const r = await retryTransient(
      () =>
        h.db.transaction().execute(async (tx) => {
          attempts++
          const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx)
          if (attempts === 1) {
            await terminate([rows[0]!.pid])
            await new Promise((r) => setTimeout(r, 100))
          }
          return (await sql<{ two: number }>`SELECT 2 AS two`.execute(tx)).rows[0]?.two
        }),
      { onConnectionLoss: true },
    )
    expect(r).toBe(2)
    expect(attempts).toBe(2)
  })

  it('tells a lost connection from an error of the request', async () => {
    const failed = await h.db
      .transaction()
      .execute(async (tx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx)
        await terminate([rows[0]!.pid])
        await new Promise((r) => setTimeout(r, 100))
        await sql`SELECT 1`.execute(tx)
      })
      .catch((e: unknown) => e)
    expect(isConnectionLoss(failed)).toBe(true)
    const bad = await sql`SELECT * FROM no_such_table`.execute(h.db).catch((e: unknown) => e)
    expect(isConnectionLoss(bad)).toBe(false)
  })
})

describe.skipIf(!postgres)('session settings [postgres]', () => {
  const jitOf = async (url: string) => {
    const h = await connect({ databaseUrl: url, poolSize: 1 })
    try {
      return (await sql<{ jit: string }>`SHOW jit`.execute(h.db)).rows[0]?.jit
    } finally {
      await h.close()
    }
  }

  it('turns JIT compilation off for our sessions (ADR 0009)', async () => {
    expect(await jitOf(postgres!.url!)).toBe('off')
  })

  it("leaves the operator's own server options alone", async () => {
    const url = new URL(postgres!.url!)
    url.searchParams.set('options', '-c jit=on')
    expect(await jitOf(url.toString())).toBe('on')
  })
})
