import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'

/**
 * Every module contributes named migrations; names start with a sortable prefix
 * (`0001_ledger_core`) so one ordered list spans modules. The same SQL runs on PGlite and PostgreSQL.
 */
export type NamedMigrations = Readonly<Record<string, Migration>>

export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  sets: readonly NamedMigrations[],
  routines: readonly string[] = [],
): Promise<{ applied: string[] }> {
  const all: Record<string, Migration> = {}
  for (const set of sets) {
    for (const [name, m] of Object.entries(set)) {
      if (all[name]) throw new Error(`Duplicate migration name ${name}`)
      all[name] = m
    }
  }
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(all) }
  // Modules own number ranges and their migrations are independent of each other's, so a module
  // that lands later with a lower range must still apply on an existing database (ADR 0005).
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider,
    migrationTableName: 'moneta_migrations',
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrateRetryingIntrospection(migrator)
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')
    throw new Error(
      `Migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      { cause: error },
    )
  }
  await applyRoutines(db as Kysely<unknown>, routines)
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) }
}

/**
 * Before it migrates, Kysely looks for its own tables by introspecting every table in the database,
 * and its catalog query resolves each table by name: a table another process drops in between fails
 * the whole migrate with 42P01 although nothing of ours is wrong (seen in CI, where suites share a
 * database and one creates and drops a scratch table). Nothing has run at that point, so it is safe
 * to look again.
 */
async function migrateRetryingIntrospection(
  migrator: Migrator,
): Promise<Awaited<ReturnType<Migrator['migrateToLatest']>>> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await migrator.migrateToLatest()
    const beforeAnyMigration = outcome.results === undefined
    if (!outcome.error || !beforeAnyMigration || !isUndefinedTable(outcome.error) || attempt >= 8)
      return outcome
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
  }
}

function isUndefinedTable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '42P01'
}

/**
 * SQL functions are "repeatable": their CREATE OR REPLACE text is applied on every migrate, so a
 * changed function body needs no new migration. An advisory lock keeps concurrent starts from
 * racing on the catalog ("tuple concurrently updated").
 */
async function applyRoutines(db: Kysely<unknown>, routines: readonly string[]): Promise<void> {
  if (routines.length === 0) return
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(7262535)`.execute(trx)
    for (const routine of routines) await sql.raw(routine).execute(trx)
  })
}

/**
 * Runs DDL one statement at a time: PGlite's extended protocol (like pg with parameters)
 * accepts a single statement per query, and function bodies make splitting on ';' unsafe.
 */
export async function runStatements(db: Kysely<unknown>, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
