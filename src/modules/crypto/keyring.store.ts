import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'

export const SYSTEM_TENANT = '_system'

export type KeyPurpose = 'field' | 'system'
export type KeyStatus = 'primary' | 'active' | 'retired'

export interface KeyRow {
  key_id: number
  purpose: KeyPurpose
  status: KeyStatus
  kek_id: string
  wrapped: Buffer
  usage_reserved: bigint
  usage_limit: bigint
  created_at: Date
  rotated_at: Date | null
}

type Executor = Pick<Db, 'executeQuery'> & Db

export async function listKeys(db: Executor, kekId?: string): Promise<KeyRow[]> {
  const r = await sql<KeyRow>`
    SELECT key_id, purpose, status, kek_id, wrapped, usage_reserved, usage_limit, created_at, rotated_at
    FROM crypto_keys WHERE tenant_id = ${SYSTEM_TENANT} ${kekId === undefined ? sql`` : sql`AND kek_id = ${kekId}`}
    ORDER BY key_id`.execute(db)
  return r.rows.map((row) => ({ ...row, wrapped: Buffer.from(row.wrapped) }))
}

/** Serialises keyring changes (creation, rotation) across processes. */
export async function lockKeys(db: Executor): Promise<void> {
  await sql`LOCK TABLE crypto_keys IN SHARE ROW EXCLUSIVE MODE`.execute(db)
}

export async function nextKeyId(db: Executor): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT coalesce(max(key_id), 0) + 1 AS n FROM crypto_keys WHERE tenant_id = ${SYSTEM_TENANT}`.execute(db)
  return Number(r.rows[0]!.n)
}

export async function insertKey(
  db: Executor,
  k: {
    keyId: number
    purpose: KeyPurpose
    status: KeyStatus
    kekId: string
    wrapped: Buffer
    usageLimit: bigint
    at: Date
  },
): Promise<void> {
  await sql`
    INSERT INTO crypto_keys (tenant_id, key_id, purpose, status, kek_id, wrapped, usage_limit, created_at)
    VALUES (${SYSTEM_TENANT}, ${k.keyId}, ${k.purpose}, ${k.status}, ${k.kekId}, ${k.wrapped}, ${k.usageLimit}, ${k.at})`.execute(
    db,
  )
}

export async function demotePrimary(db: Executor, kekId: string, at: Date): Promise<number | undefined> {
  const r = await sql<{ key_id: number }>`
    UPDATE crypto_keys SET status = 'active', rotated_at = ${at}
    WHERE tenant_id = ${SYSTEM_TENANT} AND kek_id = ${kekId} AND purpose = 'field' AND status = 'primary'
    RETURNING key_id`.execute(db)
  return r.rows[0]?.key_id
}

/**
 * Reserves up to `n` encryptions on the primary key, never granting beyond its limit. One UPDATE
 * (no SELECT … FOR UPDATE first): it takes its locks in the same order as a rotation, so the two
 * cannot deadlock. The counter may overshoot the limit by less than `n`; grants never do.
 * Returns how many were granted (0 = budget spent or key no longer primary).
 */
export async function reserveUsage(
  db: Db,
  keyId: number,
  n: number,
): Promise<{ granted: number; status: KeyStatus | undefined }> {
  const r = await sql<{ usage_reserved: bigint; usage_limit: bigint }>`
    UPDATE crypto_keys SET usage_reserved = usage_reserved + ${n}
    WHERE tenant_id = ${SYSTEM_TENANT} AND key_id = ${keyId} AND status = 'primary' AND usage_reserved < usage_limit
    RETURNING usage_reserved, usage_limit`.execute(db)
  const row = r.rows[0]
  if (!row) {
    const cur = await sql<{ status: KeyStatus }>`
      SELECT status FROM crypto_keys WHERE tenant_id = ${SYSTEM_TENANT} AND key_id = ${keyId}`.execute(db)
    return { granted: 0, status: cur.rows[0]?.status }
  }
  const before = BigInt(row.usage_reserved) - BigInt(n)
  const left = BigInt(row.usage_limit) - before
  return { granted: left < BigInt(n) ? Number(left) : n, status: 'primary' }
}

export async function setStatus(db: Executor, keyId: number, status: KeyStatus): Promise<void> {
  await sql`UPDATE crypto_keys SET status = ${status} WHERE tenant_id = ${SYSTEM_TENANT} AND key_id = ${keyId}`.execute(
    db,
  )
}
