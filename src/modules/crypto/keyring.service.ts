import { createHash, hkdfSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { ed25519FromSeed } from './ed25519.js'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import { CRYPTO_ERRORS, cryptoError } from './crypto.errors.js'
import {
  contextString,
  deriveDataKey,
  open,
  seal,
  checkShape,
  type DataKey,
  type FieldContext,
} from './envelope.js'
import type { KeyStore } from './keystore.js'
import {
  demotePrimary,
  insertKey,
  listKeys,
  lockKeys,
  nextKeyId,
  reserveUsage,
  type KeyPurpose,
  type KeyRow,
  type KeyStatus,
} from './keyring.store.js'

/** NIST SP 800-38D caps random-nonce GCM at 2^32 encryptions per key; we rotate at 2^30 by default. */
export const DEFAULT_USAGE_LIMIT = 2n ** 30n
const DEFAULT_BLOCK = 16_384

export interface KeyInfo {
  readonly keyId: number
  readonly purpose: KeyPurpose
  readonly status: KeyStatus
  readonly kekId: string
  /** Encryptions granted so far (an upper bound of encryptions done; never above the limit). */
  readonly usage: bigint
  readonly usageLimit: bigint
  readonly createdAt: Date
  readonly rotatedAt: Date | null
  /** False when the key is wrapped by a master key this process does not hold. */
  readonly available: boolean
}

/** Secrets derived from the keyring's system key for other modules (audit MAC and signatures). */
export interface AuditKeys {
  /** Identifies the signing key in checkpoints: first 16 hex digits of SHA-256(public key). */
  readonly keyId: string
  readonly signingKey: KeyObject
  readonly publicKey: KeyObject
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKeyRaw: Buffer
  /** HMAC key that authenticates each audit entry to its position. */
  readonly macKey: Buffer
}

/** Signs with the audit key, so one pinned public key checks checkpoints, evidence bundles and PCI reports. */
export interface AuditSigner {
  readonly keyId: string
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer
  sign(data: Buffer): Buffer
}

export function auditSigner(keys: AuditKeys): AuditSigner {
  return {
    keyId: keys.keyId,
    publicKey: keys.publicKeyRaw,
    sign: (data) => sign(null, data, keys.signingKey),
  }
}

export interface Keyring {
  readonly kekId: string
  primaryKeyId(): number
  /** Encrypts under the primary data key, counting the use against the key's budget. */
  encrypt(tenant: string, ctx: FieldContext, plaintext: Buffer): Promise<Buffer>
  decrypt(tenant: string, ctx: FieldContext, ciphertext: Uint8Array): Promise<Buffer>
  /** Makes a new primary data key; older keys keep decrypting. */
  rotate(reason?: string): Promise<KeyInfo>
  /** Reloads keys created by other processes (a rotation done by `moneta keys rotate`). */
  refresh(): Promise<void>
  list(): Promise<KeyInfo[]>
  blindIndexKey(): Buffer
  auditKeys(): AuditKeys
}

export interface KeyringDeps {
  readonly db: Db
  readonly keyStore: KeyStore
  readonly clock: Clock
  readonly logger?: Logger | undefined
  /** Encryptions allowed per key before a forced rotation (default 2^30). */
  readonly usageLimit?: bigint
  /** Encryptions reserved from the database at a time (default 16,384). */
  readonly reserveBlock?: number
  /** Called after every rotation (manual or forced), e.g. to write an audit entry. */
  readonly onRotate?: (info: { from: number | undefined; to: number; reason: string }) => void
}

const ctxOf = (row: Pick<KeyRow, 'key_id' | 'purpose'>): string => `moneta/${row.purpose}/${row.key_id}`

function toInfo(row: KeyRow, available: boolean): KeyInfo {
  return {
    keyId: row.key_id,
    purpose: row.purpose,
    status: row.status,
    kekId: row.kek_id,
    usage:
      BigInt(row.usage_reserved) < BigInt(row.usage_limit)
        ? BigInt(row.usage_reserved)
        : BigInt(row.usage_limit),
    usageLimit: BigInt(row.usage_limit),
    createdAt: new Date(row.created_at),
    rotatedAt: row.rotated_at ? new Date(row.rotated_at) : null,
    available,
  }
}

export async function createKeyring(deps: KeyringDeps): Promise<Keyring> {
  const { db, keyStore, clock } = deps
  const kekId = keyStore.kekId
  const usageLimit = deps.usageLimit ?? DEFAULT_USAGE_LIMIT
  const block = deps.reserveBlock ?? DEFAULT_BLOCK

  const dataKeys = new Map<number, DataKey>()
  let primary: DataKey | undefined
  let systemSecret: Buffer | undefined
  let remaining = 0
  let reserving: Promise<void> | undefined
  let derived: { blind: Buffer; audit: AuditKeys } | undefined

  async function ensureBaseKeys(): Promise<void> {
    const rows = await listKeys(db, kekId)
    const hasSystem = rows.some((r) => r.purpose === 'system')
    const hasPrimary = rows.some((r) => r.purpose === 'field' && r.status === 'primary')
    if (hasSystem && hasPrimary) return
    await db.transaction().execute(async (trx) => {
      await lockKeys(trx)
      const again = await listKeys(trx, kekId)
      for (const purpose of ['system', 'field'] as const) {
        const present = again.some(
          (r) => r.purpose === purpose && (purpose === 'system' || r.status === 'primary'),
        )
        if (present) continue
        const keyId = await nextKeyId(trx)
        const wrapped = await keyStore.wrap(randomBytes(32), ctxOf({ key_id: keyId, purpose }))
        await insertKey(trx, {
          keyId,
          purpose,
          status: purpose === 'system' ? 'active' : 'primary',
          kekId,
          wrapped,
          usageLimit: purpose === 'system' ? 0n : usageLimit,
          at: clock.now(),
        })
      }
    })
  }

  async function load(): Promise<void> {
    const rows = await listKeys(db, kekId)
    for (const row of rows) {
      if (row.purpose === 'system') {
        if (!systemSecret) systemSecret = await keyStore.unwrap(row.wrapped, ctxOf(row))
        continue
      }
      if (!dataKeys.has(row.key_id))
        dataKeys.set(row.key_id, deriveDataKey(row.key_id, await keyStore.unwrap(row.wrapped, ctxOf(row))))
      if (row.status === 'primary' && primary?.id !== row.key_id) {
        primary = dataKeys.get(row.key_id)
        remaining = 0 // the budget is per key: reserve afresh
      }
    }
    if (!primary || !systemSecret)
      throw new Error('keyring has no primary or system key after initialisation')
  }

  async function rotate(reason: string): Promise<KeyInfo> {
    let from: number | undefined
    let created: KeyRow | undefined
    await db.transaction().execute(async (trx) => {
      await lockKeys(trx)
      const at = clock.now()
      from = await demotePrimary(trx, kekId, at)
      const keyId = await nextKeyId(trx)
      const wrapped = await keyStore.wrap(randomBytes(32), ctxOf({ key_id: keyId, purpose: 'field' }))
      await insertKey(trx, { keyId, purpose: 'field', status: 'primary', kekId, wrapped, usageLimit, at })
      created = (await listKeys(trx, kekId)).find((r) => r.key_id === keyId)
    })
    await load()
    deps.logger?.info({ from, to: created!.key_id, reason }, 'crypto: data key rotated')
    deps.onRotate?.({ from, to: created!.key_id, reason })
    return toInfo(created!, true)
  }

  async function reserve(): Promise<void> {
    const key = primary!
    const r = await reserveUsage(db, key.id, block)
    if (r.status !== 'primary') {
      await load() // rotated elsewhere: pick up the new primary
      return
    }
    const granted = r.granted
    if (granted <= 0) {
      // Budget spent: rotation is forced, not optional.
      try {
        await rotate(`usage limit reached on key ${key.id}`)
      } catch (e) {
        // Another process rotated at the same moment (unique primary index): use its key.
        deps.logger?.warn({ err: e }, 'crypto: forced rotation raced; reloading')
        await load()
      }
      return
    }
    if (primary?.id === key.id) remaining += granted
  }

  function reserveOnce(): Promise<void> {
    reserving ??= reserve().finally(() => {
      reserving = undefined
    })
    return reserving
  }

  function keysDerived(): { blind: Buffer; audit: AuditKeys } {
    if (derived) return derived
    const sys = systemSecret!
    const blind = Buffer.from(hkdfSync('sha256', sys, Buffer.alloc(0), 'moneta/blind-index/v1', 32))
    const macKey = Buffer.from(hkdfSync('sha256', sys, Buffer.alloc(0), 'moneta/audit/mac/v1', 32))
    const seed = Buffer.from(hkdfSync('sha256', sys, Buffer.alloc(0), 'moneta/audit/ed25519/v1', 32))
    const { privateKey: signingKey, publicKey, publicKeyRaw } = ed25519FromSeed(seed)
    const keyId = hashHex(publicKeyRaw).slice(0, 16)
    derived = { blind, audit: { keyId, signingKey, publicKey, publicKeyRaw, macKey } }
    return derived
  }

  await ensureBaseKeys()
  await load()

  return {
    kekId,
    primaryKeyId: () => primary!.id,
    encrypt(tenant, ctx, plaintext) {
      if (remaining > 0) {
        // Fast path: budget in hand, no await.
        remaining--
        if (remaining < block / 4 && !reserving)
          void reserveOnce().catch((err: unknown) =>
            deps.logger?.error({ err }, 'crypto: usage reservation failed'),
          )
        try {
          return Promise.resolve(seal(primary!, contextString(tenant, ctx), plaintext))
        } catch (e) {
          return Promise.reject(e instanceof Error ? e : new Error(String(e)))
        }
      }
      return (async () => {
        while (remaining <= 0) await reserveOnce()
        remaining--
        return seal(primary!, contextString(tenant, ctx), plaintext)
      })()
    },
    async decrypt(tenant, ctx, ciphertext) {
      const buf = checkShape(ciphertext)
      const id = buf.readUInt32BE(1) // checkShape: a version-1 value, long enough
      let key = dataKeys.get(id)
      if (key) return open(key, contextString(tenant, ctx), buf)
      await load() // a key created by another process since we loaded
      key = dataKeys.get(id)
      if (!key) {
        throw cryptoError(
          CRYPTO_ERRORS.KEY_UNAVAILABLE,
          'internal',
          `Data key ${id} is not held by master key ${kekId} (wrapped by another master key, or unknown).`,
        )
      }
      return open(key, contextString(tenant, ctx), buf)
    },
    rotate: (reason = 'manual') => rotate(reason),
    refresh: load,
    async list() {
      return (await listKeys(db)).map((r) => toInfo(r, r.kek_id === kekId))
    },
    blindIndexKey: () => keysDerived().blind,
    auditKeys: () => keysDerived().audit,
  }
}

function hashHex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}
