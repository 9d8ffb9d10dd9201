import {
  DEFAULT_MIGRATION_LOCK_TABLE,
  Migrator,
  sql,
  type DatabaseIntrospector,
  type Kysely,
  type Migration,
  type MigrationProvider,
} from 'kysely'

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
    db: withOwnTablesIntrospection(db as Kysely<unknown>, [MIGRATION_TABLE, DEFAULT_MIGRATION_LOCK_TABLE]),
    provider,
    migrationTableName: MIGRATION_TABLE,
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrator.migrateToLatest()
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

const MIGRATION_TABLE = 'moneta_migrations'

/**
 * Before it migrates, Kysely asks whether its two tables exist by introspecting every table and
 * column of the database, and that catalog query resolves each table by name
 * (`pg_get_serial_sequence`): a table another session drops meanwhile fails the whole migrate with
 * 42P01 although nothing of ours is wrong. CI's suites share a database and create and drop scratch
 * tables; retrying the introspection was not enough once that DDL was frequent (a lost CI run in
 * session 13: eight attempts in a row overlapped a drop). The migrator only needs its own tables, so
 * it gets a view of `db` whose introspection lists just those, by name, from pg_class — a query no
 * other table's DDL can fail.
 */
function withOwnTablesIntrospection(db: Kysely<unknown>, names: readonly string[]): Kysely<unknown> {
  const introspection: DatabaseIntrospector = {
    getSchemas: () => db.introspection.getSchemas(),
    getTables: async () => {
      const { rows } = await sql<{ schema: string; name: string }>`
        SELECT ns.nspname AS schema, c.relname AS name
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
        WHERE c.relname = ANY(${[...names]}) AND c.relkind IN ('r', 'p')
          AND ns.nspname !~ '^pg_' AND ns.nspname <> 'information_schema'`.execute(db)
      return rows.map((r) => ({ name: r.name, schema: r.schema, isView: false, columns: [] }))
    },
    getMetadata: async () => ({ tables: await introspection.getTables() }),
  }
  // Kysely's methods use private fields, so they run bound to the real instance.
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
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
