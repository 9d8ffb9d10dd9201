import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { afterCommit } from './commit-hooks.js'
import type { DbHandle } from './connect.js'

describeEachDb('afterCommit', (target) => {
  let db: DbHandle
  beforeAll(async () => {
    db = await openTestDb(target)
    await sql`CREATE TABLE IF NOT EXISTS test_commit_hooks (tenant_id text NOT NULL, n int NOT NULL)`.execute(
      db.db,
    )
  })
  afterAll(async () => {
    await db.close()
  })
  const count = async (tenant: string) =>
    (
      await sql<{
        n: number
      }>`SELECT count(*)::int AS n FROM test_commit_hooks WHERE tenant_id = ${tenant}`.execute(db.db)
    ).rows[0]!.n

  it('runs once the transaction committed (its rows visible to others), once however often registered', async () => {
    const tenant = freshTenant()
    const seen: Promise<number>[] = []
    const fn = () => seen.push(count(tenant)) // read through another connection of the pool
    await db.db.transaction().execute(async (tx) => {
      await sql`INSERT INTO test_commit_hooks VALUES (${tenant}, 1)`.execute(tx)
      await afterCommit(tx, fn)
      await afterCommit(tx, fn)
      expect(seen).toHaveLength(0)
    })
    expect(seen).toHaveLength(1)
    expect(await seen[0]).toBe(1)
  })

  it('never runs for a rolled-back transaction, nor for a later one on the same connection', async () => {
    const tenant = freshTenant()
    let runs = 0
    await expect(
      db.db.transaction().execute(async (tx) => {
        await afterCommit(tx, () => runs++)
        throw new Error('rolled back')
      }),
    ).rejects.toThrow('rolled back')
    // A pool of one connection on PGlite; on PostgreSQL enough transactions to reuse that connection.
    for (let i = 0; i < 12; i++) await db.db.transaction().execute((tx) => sql`SELECT 1`.execute(tx))
    expect(runs).toBe(0)
    expect(await count(tenant)).toBe(0)
  })

  it('outside a transaction runs at once; a controlled transaction and its savepoints work through the wrapped driver', async () => {
    let runs = 0
    await afterCommit(db.db, () => runs++)
    expect(runs).toBe(1)
    const tenant = freshTenant()
    // A controlled transaction commits through the wrapped driver too.
    const trx = await db.db.startTransaction().execute()
    await sql`INSERT INTO test_commit_hooks VALUES (${tenant}, 1)`.execute(trx)
    // PostgresDriver has savepoints (kept by the wrapper); PGliteDialect's driver has none (nor does the wrapper).
    if (target.name === 'postgres') {
      const sp = await trx.savepoint('inner').execute()
      await sql`INSERT INTO test_commit_hooks VALUES (${tenant}, 2)`.execute(sp)
      await sp.rollbackToSavepoint('inner').execute()
    }
    await afterCommit(trx, () => runs++)
    expect(runs).toBe(1)
    await trx.commit().execute()
    expect(runs).toBe(2)
    expect(await count(tenant)).toBe(1)
  })
})
