import { randomBytes } from 'node:crypto'

/**
 * Prefixed, time-sortable ids: `acc_…`, `txn_…`. The body is a UUIDv7 (48-bit ms time,
 * 74 random bits) in lowercase hex without dashes, so ids sort by creation time as plain text.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  const bytes = randomBytes(16)
  bytes.writeUIntBE(nowMs, 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70 // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80 // RFC 4122 variant
  return `${prefix}_${bytes.toString('hex')}`
}

export type IdGenerator = (prefix: string) => string

export const systemIds: IdGenerator = (prefix) => newId(prefix)
