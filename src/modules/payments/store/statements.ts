/** What every part of the payments store shares: where a statement runs, amounts, batches as JSON. */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../../shared/db/schema.js'

export type Exec = Kysely<Database> | Transaction<Database>

/**
 * The tenants a sweeper works on: every tenant unless it names some (`moneta payments sweep
 * --tenant`, and each test, whose harness has gateways of its own and must not sweep another's).
 */
export type TenantScope = readonly string[] | undefined

/** `AND tenant_id IN (…)` for a sweeper scoped to some tenants (none: nothing); empty for one that sweeps all. */
export const inScope = (tenants: TenantScope) =>
  tenants === undefined ? sql`` : sql`AND tenant_id IN (${sql.join(tenants.length > 0 ? tenants : [''])})`

export const big = (v: bigint | string | number): bigint => BigInt(v)

/**
 * A batch's rows as one JSON parameter, read back with json_to_recordset (which keeps the array's
 * order). pg sends a JavaScript array as an array literal, escaping every element in JavaScript —
 * the payments' metadata, transitions and Idempotency-Key answers are JSON already, so each of their
 * quotes was escaped once more: about a tenth of the process's CPU at 64 clients, much of it while a
 * booking holds the merchant's accounts (issue #18, session 15). One JSON.stringify is native.
 */
export const asJson = (rows: readonly object[]) => JSON.stringify(rows)
