/** What every part of the payments store shares: where a statement runs, amounts, batches as JSON. */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../../shared/db/schema.js'

export type Exec = Kysely<Database> | Transaction<Database>

export const big = (v: bigint | string | number): bigint => BigInt(v)

/**
 * A batch's rows as one JSON parameter, read back with json_to_recordset (which keeps the array's
 * order). pg sends a JavaScript array as an array literal, escaping every element in JavaScript —
 * the payments' metadata, transitions and Idempotency-Key answers are JSON already, so each of their
 * quotes was escaped once more: about a tenth of the process's CPU at 64 clients, much of it while a
 * booking holds the merchant's accounts (issue #18, session 15). One JSON.stringify is native.
 */
export const asJson = (rows: readonly object[]) => JSON.stringify(rows)
