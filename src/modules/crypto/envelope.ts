import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomFillSync,
  timingSafeEqual,
  type KeyObject,
  createSecretKey,
} from 'node:crypto'
import { CRYPTO_ERRORS, cryptoError } from './crypto.errors.js'

/**
 * Field ciphertext, format version 1 (all integers big-endian):
 *
 *   offset  size  field
 *   0       1     version = 0x01
 *   1       4     key id (uint32) — which data key; readable without any key
 *   5       12    nonce (random, 96 bits)
 *   17      32    key commitment = HKDF(dataKey, info "moneta/field/v1/commit")
 *   49      n     AES-256-GCM ciphertext
 *   49+n    16    GCM tag (always 16 bytes; shorter tags are rejected)
 *
 * The additional authenticated data is the 49-byte header followed by the bound context
 * (tenant, table, column, row), so a value copied to another row, column, table or tenant,
 * or re-labelled with another key id, fails to decrypt.
 */
export const FORMAT_VERSION = 0x01
export const HEADER_BYTES = 49
export const TAG_BYTES = 16
export const NONCE_BYTES = 12
export const COMMIT_BYTES = 32
export const MIN_CIPHERTEXT_BYTES = HEADER_BYTES + TAG_BYTES

/** Where a value lives; bound into the ciphertext. */
export interface FieldContext {
  readonly table: string
  readonly column: string
  /** The row's primary key (without tenant); a string, as ids are. */
  readonly row: string
}

/** A usable data key: the encryption subkey and its commitment, derived once from the raw key. */
export interface DataKey {
  readonly id: number
  readonly encKey: KeyObject
  readonly commitment: Buffer
}

export function deriveDataKey(id: number, raw: Buffer): DataKey {
  if (raw.length !== 32) throw new Error('data keys are 32 bytes')
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new Error('key ids are uint32 > 0')
  const salt = Buffer.alloc(4)
  salt.writeUInt32BE(id)
  const enc = Buffer.from(hkdfSync('sha256', raw, salt, 'moneta/field/v1/enc', 32))
  const commitment = Buffer.from(hkdfSync('sha256', raw, salt, 'moneta/field/v1/commit', COMMIT_BYTES))
  return { id, encKey: createSecretKey(enc), commitment }
}

/** Length-prefixed so that no two different contexts encode to the same bytes. */
export function encodeContext(tenant: string, ctx: FieldContext): Buffer {
  return Buffer.from(contextString(tenant, ctx), 'utf8')
}

// Nonces come from a pooled CSPRNG buffer: one getrandom call per 4096 encryptions.
const NONCE_POOL = 4096
let pool = Buffer.alloc(NONCE_BYTES * NONCE_POOL)
let poolPos = pool.length

function writeNonce(target: Buffer, offset: number): void {
  if (poolPos >= pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(NONCE_BYTES * NONCE_POOL))
    poolPos = 0
  }
  pool.copy(target, offset, poolPos, poolPos + NONCE_BYTES)
  poolPos += NONCE_BYTES
}

// AAD scratch: header ‖ context, rebuilt per call (setAAD consumes it synchronously).
let scratch = Buffer.allocUnsafe(1024)

export function contextString(tenant: string, ctx: FieldContext): string {
  return `${tenant.length}:${tenant}|${ctx.table.length}:${ctx.table}|${ctx.column.length}:${ctx.column}|${ctx.row.length}:${ctx.row}`
}

/** header ‖ context in the shared scratch buffer; returns the view to pass to setAAD. */
function aadFor(header: Buffer, context: string | Buffer): Buffer {
  const max = HEADER_BYTES + (typeof context === 'string' ? context.length * 3 : context.length)
  if (scratch.length < max) scratch = Buffer.allocUnsafe(max * 2)
  header.copy(scratch, 0, 0, HEADER_BYTES)
  const n =
    typeof context === 'string'
      ? scratch.write(context, HEADER_BYTES, 'utf8')
      : context.copy(scratch, HEADER_BYTES)
  return scratch.subarray(0, HEADER_BYTES + n)
}

/** Encrypts `plaintext` bound to `context` (from encodeContext, or tenant + FieldContext). */
export function seal(key: DataKey, context: Buffer | string, plaintext: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + plaintext.length + TAG_BYTES)
  out[0] = FORMAT_VERSION
  out.writeUInt32BE(key.id, 1)
  writeNonce(out, 5)
  key.commitment.copy(out, 17)
  const cipher = createCipheriv('aes-256-gcm', key.encKey, out.subarray(5, 17), { authTagLength: TAG_BYTES })
  cipher.setAAD(aadFor(out, context))
  const body = cipher.update(plaintext)
  body.copy(out, HEADER_BYTES)
  const fin = cipher.final()
  if (fin.length > 0) fin.copy(out, HEADER_BYTES + body.length)
  cipher.getAuthTag().copy(out, HEADER_BYTES + plaintext.length)
  return out
}

/** The key id of a ciphertext, or undefined when it is not one of ours. */
export function keyIdOf(ciphertext: Uint8Array): number | undefined {
  if (ciphertext.length < MIN_CIPHERTEXT_BYTES || ciphertext[0] !== FORMAT_VERSION) return undefined
  return Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength).readUInt32BE(1)
}

export function checkShape(ciphertext: Uint8Array): Buffer {
  const buf = Buffer.isBuffer(ciphertext)
    ? ciphertext
    : Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength)
  if (buf.length < MIN_CIPHERTEXT_BYTES) {
    throw cryptoError(
      CRYPTO_ERRORS.MALFORMED,
      'internal',
      `Ciphertext is ${buf.length} bytes; a version-1 value has at least ${MIN_CIPHERTEXT_BYTES} (header and a 16-byte tag).`,
    )
  }
  if (buf[0] !== FORMAT_VERSION) {
    throw cryptoError(CRYPTO_ERRORS.MALFORMED, 'internal', `Unknown ciphertext version ${buf[0]}.`)
  }
  return buf
}

export function open(key: DataKey, context: Buffer | string, ciphertext: Buffer): Buffer {
  const buf = checkShape(ciphertext)
  if (buf.readUInt32BE(1) !== key.id) throw new Error('open() called with the wrong key')
  // Key commitment: the value names exactly one key; a ciphertext crafted to open under two keys fails here.
  if (!timingSafeEqual(buf.subarray(17, HEADER_BYTES), key.commitment)) {
    throw cryptoError(
      CRYPTO_ERRORS.INTEGRITY,
      'internal',
      `Ciphertext key commitment does not match key ${key.id}.`,
    )
  }
  const tagAt = buf.length - TAG_BYTES
  const decipher = createDecipheriv('aes-256-gcm', key.encKey, buf.subarray(5, 17), {
    authTagLength: TAG_BYTES,
  })
  decipher.setAuthTag(buf.subarray(tagAt))
  decipher.setAAD(aadFor(buf, context))
  const body = decipher.update(buf.subarray(HEADER_BYTES, tagAt))
  try {
    const fin = decipher.final()
    return fin.length === 0 ? body : Buffer.concat([body, fin])
  } catch (cause) {
    throw cryptoError(
      CRYPTO_ERRORS.INTEGRITY,
      'internal',
      'Ciphertext failed authentication: it was altered, truncated, or belongs to another tenant, table, column or row.',
      { cause },
    )
  }
}

/**
 * Blind index: HMAC-SHA256 under a key separate from the encryption keys, over the bound
 * (tenant, table, column) and the normalised value, truncated to `bytes`. Equal inputs give equal
 * indexes; the width is planned per field (shorter = more false positives, less leakage).
 */
export function blindIndex(
  key: Buffer,
  tenant: string,
  table: string,
  column: string,
  value: string,
  bytes: number,
): Buffer {
  if (!Number.isInteger(bytes) || bytes < 4 || bytes > 32) throw new Error('blind index width is 4..32 bytes')
  return createHmac('sha256', key)
    .update(`${tenant.length}:${tenant}|${table.length}:${table}|${column.length}:${column}|`)
    .update(value, 'utf8')
    .digest()
    .subarray(0, bytes)
}
