import type { NamedMigrations } from './shared/db/migrate.js'
import { platformMigrations } from './modules/platform/index.js'
import { ledgerMigrations } from './modules/ledger/index.js'

/** Every module's migrations, in the order their names sort. Add a module's set here. */
export const allMigrations: readonly NamedMigrations[] = [platformMigrations, ledgerMigrations]
