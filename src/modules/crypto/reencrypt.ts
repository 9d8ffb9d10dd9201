import { sql } from 'kysely'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import { isAppError } from '../../shared/errors.js'
import { CRYPTO_ERRORS } from './crypto.errors.js'
import type { EncryptedField } from './field-cipher.js'
import type { Keyring } from './keyring.service.js'
import { SYSTEM_TENANT } from './keyring.store.js'

export interface ReencryptProgress {
  readonly field: string
  /** Rows still under an older key when the pass started (the progress bar's total). */
  readonly total: number
  readonly done: number
  readonly pass: number
}

export interface ReencryptOptions {
  /** Only this tenant's rows (default: every tenant). */
  readonly tenant?: string | undefined
  readonly batchSize?: number
  /** Stop after this many batches (the job stays resumable); for tests and throttled runs. */
  readonly maxBatches?: number
  /** Passes over the table before giving up on rows that writers keep producing under old keys. */
  readonly maxPasses?: number
  readonly onProgress?: (p: ReencryptProgress) => void
  /** Stops cleanly after the current batch (Ctrl-C); the job stays resumable. */
  readonly signal?: AbortSignal | undefined
}

export interface ReencryptResult {
  readonly field: string
  readonly targetKeyId: number
  readonly reencrypted: number
  /** Rows skipped because their key is held by another master key. */
  readonly unavailable: number
  /** Rows a concurrent writer changed between our read and our write (left to them, recounted). */
  readonly raced: number
  /** Rows still under an older key (0 = finished). */
  readonly remaining: number
  readonly finished: boolean
  readonly resumed: boolean
}

interface Row {
  tenant_id: string
  row_id: string
  ct: Buffer
}

const keyBytes = (id: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(id)
  return b
}

/**
 * Re-encrypts one registered column under the keyring's primary key, in keyset-ordered batches.
 * Each batch's updates and the job cursor commit together, so an interrupted run resumes where it
 * stopped. Updates are compare-and-set on the old ciphertext: a row a writer changed meanwhile is
 * left alone (its new value is already under a current key, or the next pass takes it), so
 * concurrent writes are never lost or overwritten.
 */
export async function reencryptField(
  deps: { db: Db; keyring: Keyring; clock: Clock },
  field: EncryptedField,
  opts: ReencryptOptions = {},
): Promise<ReencryptResult> {
  const { db, keyring, clock } = deps
  const batchSize = opts.batchSize ?? 500
  const maxPasses = opts.maxPasses ?? 5
  const name = `${field.table}.${field.column}`
  const job = opts.tenant ? `${name}@${opts.tenant}` : name
  const t = sql.id(field.table)
  const col = sql.id(field.column)
  const idc = sql.id(field.idColumn)
  const scope = opts.tenant ? sql`AND tenant_id = ${opts.tenant}` : sql``
  await keyring.refresh()
  const target = keyring.primaryKeyId()
  const targetBytes = keyBytes(target)

  const existing = await sql<{
    target_key_id: number
    cursor_tenant: string | null
    cursor_row: string | null
    passes: number
    finished_at: Date | null
  }>`
    SELECT target_key_id, cursor_tenant, cursor_row, passes, finished_at FROM crypto_reencrypt_progress
    WHERE tenant_id = ${SYSTEM_TENANT} AND job = ${job}`.execute(db)
  const prev = existing.rows[0]
  const resumed = !!prev && prev.target_key_id === target && !prev.finished_at && prev.cursor_tenant !== null
  let cursor: { tenant: string; row: string } | undefined =
    resumed && prev.cursor_tenant !== null && prev.cursor_row !== null
      ? { tenant: prev.cursor_tenant, row: prev.cursor_row }
      : undefined
  let pass = resumed ? prev.passes : 1
  const now = clock.now()
  await sql`
    INSERT INTO crypto_reencrypt_progress (tenant_id, job, target_key_id, cursor_tenant, cursor_row, passes, rows_done, started_at, updated_at)
    VALUES (${SYSTEM_TENANT}, ${job}, ${target}, ${cursor?.tenant ?? null}, ${cursor?.row ?? null}, ${pass}, 0, ${now}, ${now})
    ON CONFLICT (tenant_id, job) DO UPDATE SET target_key_id = EXCLUDED.target_key_id, cursor_tenant = EXCLUDED.cursor_tenant,
      cursor_row = EXCLUDED.cursor_row, passes = EXCLUDED.passes, finished_at = NULL, updated_at = EXCLUDED.updated_at,
      rows_done = CASE WHEN ${resumed} THEN crypto_reencrypt_progress.rows_done ELSE 0 END,
      started_at = CASE WHEN ${resumed} THEN crypto_reencrypt_progress.started_at ELSE EXCLUDED.started_at END`.execute(
    db,
  )

  const countRemaining = async (): Promise<number> => {
    const r = await sql<{ n: bigint }>`
      SELECT count(*) AS n FROM ${t} WHERE ${col} IS NOT NULL AND substring(${col} from 2 for 4) <> ${targetBytes} ${scope}`.execute(
      db,
    )
    return Number(r.rows[0]?.n ?? 0n)
  }

  let total = await countRemaining()
  let done = 0
  let reencrypted = 0
  let unavailable = 0
  let raced = 0
  let batches = 0
  // What the run reports when it stops: cut short (maxBatches, signal), out of passes, or done.
  const result = (remaining: number, finished: boolean): ReencryptResult => ({
    field: name,
    targetKeyId: target,
    reencrypted,
    unavailable,
    raced,
    remaining,
    finished,
    resumed,
  })
  opts.onProgress?.({ field: name, total, done, pass })

  for (;;) {
    if ((opts.maxBatches !== undefined && batches >= opts.maxBatches) || opts.signal?.aborted) {
      return result(await countRemaining(), false)
    }
    const after = cursor ? sql`AND (tenant_id, ${idc}) > (${cursor.tenant}, ${cursor.row})` : sql``
    const page = await sql<Row>`
      SELECT tenant_id, ${idc} AS row_id, ${col} AS ct FROM ${t}
      WHERE ${col} IS NOT NULL AND substring(${col} from 2 for 4) <> ${targetBytes} ${scope} ${after}
      ORDER BY tenant_id, ${idc} LIMIT ${batchSize}`.execute(db)
    batches++
    if (page.rows.length === 0) {
      const left = await countRemaining()
      // Rows under keys this master key cannot open can never move; everything else must.
      if (left <= unavailable || pass >= maxPasses) {
        const finished = left <= unavailable
        await sql`
          UPDATE crypto_reencrypt_progress SET finished_at = ${finished ? clock.now() : null}, cursor_tenant = NULL, cursor_row = NULL, updated_at = ${clock.now()}
          WHERE tenant_id = ${SYSTEM_TENANT} AND job = ${job}`.execute(db)
        return result(left, finished)
      }
      // Writers in other processes may still have used the old key: sweep again.
      pass++
      cursor = undefined
      total = left
      done = 0
      unavailable = 0
      opts.onProgress?.({ field: name, total, done, pass })
      continue
    }
    const updates: { tenant: string; row: string; old: Buffer; next: Buffer }[] = []
    for (const r of page.rows) {
      const ctx = { table: field.table, column: field.column, row: String(r.row_id) }
      let plain: Buffer
      try {
        plain = await keyring.decrypt(r.tenant_id, ctx, r.ct)
      } catch (e) {
        if (isAppError(e) && e.code === CRYPTO_ERRORS.KEY_UNAVAILABLE) {
          unavailable++
          continue
        }
        throw e
      }
      updates.push({
        tenant: r.tenant_id,
        row: String(r.row_id),
        old: Buffer.from(r.ct),
        next: await keyring.encrypt(r.tenant_id, ctx, plain),
      })
    }
    const last = page.rows[page.rows.length - 1]!
    cursor = { tenant: last.tenant_id, row: String(last.row_id) }
    const at = clock.now()
    const changed = await db.transaction().execute(async (trx) => {
      let n = 0
      if (updates.length > 0) {
        const values = sql.join(
          updates.map((u) => sql`(${u.tenant}, ${u.row}, ${u.old}::bytea, ${u.next}::bytea)`),
        )
        const r = await sql`
          UPDATE ${t} AS x SET ${col} = v.next FROM (VALUES ${values}) AS v(tenant_id, row_id, old, next)
          WHERE x.tenant_id = v.tenant_id AND x.${idc} = v.row_id AND x.${col} = v.old`.execute(trx)
        n = Number(r.numAffectedRows ?? 0n)
      }
      await sql`
        UPDATE crypto_reencrypt_progress SET cursor_tenant = ${cursor!.tenant}, cursor_row = ${cursor!.row},
          passes = ${pass}, rows_done = rows_done + ${n}, updated_at = ${at}
        WHERE tenant_id = ${SYSTEM_TENANT} AND job = ${job}`.execute(trx)
      return n
    })
    reencrypted += changed
    raced += updates.length - changed
    done += page.rows.length
    opts.onProgress?.({ field: name, total: Math.max(total, done), done, pass })
  }
}
