import type { Transaction } from 'kysely'
import type { Database } from './db/schema.js'

/** Options every command takes, so modules can share one database transaction. */
export interface CommandOptions {
  readonly idempotencyKey?: string
  readonly dryRun?: boolean
  readonly tx?: Transaction<Database>
}
