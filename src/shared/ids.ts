import { randomFillSync } from 'node:crypto'

// Random bytes are drawn 4 KiB at a time: one call into the CSPRNG per 256 ids instead of one per
// id (a 1,000-transfer ledger batch names 1,000 new ids; per-id calls were most of their cost).
const POOL_BYTES = 4096
const pool = Buffer.alloc(POOL_BYTES)
let poolOffset = POOL_BYTES

function random16(): Buffer {
  if (poolOffset + 16 > POOL_BYTES) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + 16))
  poolOffset += 16
  return out
}

/**
 * Prefixed, time-sortable ids: `acc_…`, `txn_…`. The body is a UUIDv7 (48-bit ms time,
 * 74 random bits) in lowercase hex without dashes, so ids sort by creation time as plain text.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  const bytes = random16()
  bytes.writeUIntBE(nowMs, 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70 // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80 // RFC 4122 variant
  return `${prefix}_${bytes.toString('hex')}`
}

export type IdGenerator = (prefix: string) => string

export const systemIds: IdGenerator = (prefix) => newId(prefix)
