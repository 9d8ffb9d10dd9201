import { afterAll, beforeAll, describe } from 'vitest'
import { connect, type DbHandle } from '../../src/shared/db/connect.js'
import { migrateToLatest } from '../../src/shared/db/migrate.js'
import { allMigrations, allRoutines } from '../../src/migrations.js'
import { newId } from '../../src/shared/ids.js'
import { migratedPgliteImage } from './pglite-image.js'

export interface TestDbTarget {
  readonly name: 'pglite' | 'postgres'
  readonly url?: string
}

/** PGlite always; real PostgreSQL too when MONETA_TEST_DATABASE_URL is set (and then it must connect). */
export function testDbTargets(): TestDbTarget[] {
  const url = process.env.MONETA_TEST_DATABASE_URL
  return url ? [{ name: 'pglite' }, { name: 'postgres', url }] : [{ name: 'pglite' }]
}

/** Opens a migrated database. Tests isolate themselves by tenant id, so a shared server is safe. */
export async function openTestDb(target: TestDbTarget, poolSize?: number): Promise<DbHandle> {
  const handle = await connect({
    databaseUrl: target.url,
    ...(poolSize ? { poolSize } : {}),
    ...(target.url ? {} : { pgliteImage: await migratedPgliteImage() }),
  })
  await migrateToLatest(handle.db, allMigrations, allRoutines)
  return handle
}

/** Runs a suite once per configured database. */
export function describeEachDb(title: string, suite: (target: TestDbTarget) => void): void {
  for (const target of testDbTargets()) describe(`${title} [${target.name}]`, () => suite(target))
}

/**
 * describeEachDb with one migrated database per target, opened before the suite's tests and closed
 * after them: `db()` is it (the open/close hooks every such suite otherwise repeats).
 */
export function describeEachOpenDb(
  title: string,
  suite: (db: () => DbHandle, target: TestDbTarget) => void,
): void {
  describeEachDb(title, (target) => {
    let h: DbHandle | undefined
    beforeAll(async () => {
      h = await openTestDb(target)
    }, 180_000)
    afterAll(async () => {
      await h?.close()
    })
    suite(() => {
      if (!h) throw new Error('the test database is not open yet')
      return h
    }, target)
  })
}

export const freshTenant = (): string => newId('ten')
