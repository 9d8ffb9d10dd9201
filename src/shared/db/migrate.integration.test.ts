import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { connect } from './connect.js'
import { migrateToLatest } from './migrate.js'
import { allMigrations, allRoutines } from '../../migrations.js'

const url = process.env.MONETA_TEST_DATABASE_URL

// Suites share one PostgreSQL database in CI; one creates and drops a scratch table while others
// start. Kysely's pre-migration introspection resolved the dropped table by name and failed the
// migrate with 42P01 (a lost CI run). The churn below makes that window wide.
describe.skipIf(!url)('migrateToLatest beside concurrent DDL [postgres]', () => {
  it('does not fail when other sessions create and drop tables while it starts', async () => {
    const churn = await connect({ databaseUrl: url, poolSize: 2 })
    const starter = await connect({ databaseUrl: url, poolSize: 2 })
    let stop = false
    const churning = (async () => {
      for (let i = 0; !stop; i++) {
        const table = `migrate_churn_${process.pid}_${i}`
        await sql`CREATE TABLE ${sql.id(table)} (id serial PRIMARY KEY, a text)`.execute(churn.db)
        await sql`DROP TABLE ${sql.id(table)}`.execute(churn.db)
      }
    })()
    try {
      for (let i = 0; i < 15; i++) {
        const { applied } = await migrateToLatest(starter.db, allMigrations, allRoutines)
        expect(Array.isArray(applied)).toBe(true)
      }
    } finally {
      stop = true
      await churning
      await churn.close()
      await starter.close()
    }
  }, 120_000)
})
