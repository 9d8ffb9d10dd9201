import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { CRYPTO_ERRORS, cryptoError } from './crypto.errors.js'

/**
 * Key-store port: holds the key-encryption key (KEK) and wraps/unwraps data keys with it.
 * The KEK never leaves the store; a cloud KMS adapter maps wrap/unwrap to its Encrypt/Decrypt
 * calls with `context` as the encryption context.
 */
export interface KeyStore {
  /** Stable id of the KEK (stored next to each wrapped key), e.g. `local:1a2b3c4d5e6f7a8b`. */
  readonly kekId: string
  wrap(key: Buffer, context: string): Promise<Buffer>
  unwrap(wrapped: Buffer, context: string): Promise<Buffer>
}

const WRAP_VERSION = 0x01

/** Local adapter: AES-256-GCM under a 32-byte master key held in memory. */
export function localKeyStore(masterKey: Buffer): KeyStore {
  if (masterKey.length !== 32) {
    throw cryptoError(
      CRYPTO_ERRORS.MASTER_KEY,
      'internal',
      `The master key must be 32 bytes, got ${masterKey.length}.`,
    )
  }
  const kek = Buffer.from(masterKey)
  const kekId = `local:${createHash('sha256').update('moneta/kek-id/v1').update(kek).digest('hex').slice(0, 16)}`
  return {
    kekId,
    wrap(key, context) {
      const nonce = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', kek, nonce, { authTagLength: 16 })
      c.setAAD(Buffer.from(`moneta/wrap/v1|${context}`))
      const body = Buffer.concat([c.update(key), c.final()])
      return Promise.resolve(Buffer.concat([Buffer.from([WRAP_VERSION]), nonce, body, c.getAuthTag()]))
    },
    unwrap(wrapped, context) {
      if (wrapped.length < 1 + 12 + 16 || wrapped[0] !== WRAP_VERSION) {
        return Promise.reject(
          cryptoError(CRYPTO_ERRORS.MASTER_KEY, 'internal', 'Wrapped key has an unknown format.'),
        )
      }
      try {
        const d = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(1, 13), { authTagLength: 16 })
        d.setAAD(Buffer.from(`moneta/wrap/v1|${context}`))
        d.setAuthTag(wrapped.subarray(wrapped.length - 16))
        return Promise.resolve(
          Buffer.concat([d.update(wrapped.subarray(13, wrapped.length - 16)), d.final()]),
        )
      } catch (cause) {
        return Promise.reject(
          cryptoError(
            CRYPTO_ERRORS.MASTER_KEY,
            'internal',
            `Master key ${kekId} does not unwrap key "${context}".`,
            {
              cause,
            },
          ),
        )
      }
    },
  }
}

/** Accepts 32 bytes as 64 hex digits or base64 / base64url. */
export function parseMasterKey(text: string, source: string): Buffer {
  const t = text.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (key.length !== 32) {
    throw cryptoError(
      CRYPTO_ERRORS.MASTER_KEY,
      'internal',
      `${source} must hold 32 random bytes as 64 hex digits or base64 (generate one with \`openssl rand -base64 32\`).`,
    )
  }
  return key
}

export interface LocalKeySource {
  /** MONETA_MASTER_KEY: the key itself. */
  readonly masterKey?: string | undefined
  /** MONETA_MASTER_KEY_FILE: a file holding it. */
  readonly masterKeyFile?: string | undefined
  /** Where a key file is created on first start when neither is given (development installs). */
  readonly defaultKeyFile: string
}

/**
 * MONETA_MASTER_KEY wins, then MONETA_MASTER_KEY_FILE, then the default key file, which is
 * created (mode 0600) when missing — `generated` tells the caller to warn that production
 * installs should manage the key themselves.
 */
export function loadLocalKeyStore(src: LocalKeySource): {
  store: KeyStore
  source: string
  generated: boolean
} {
  if (src.masterKey)
    return {
      store: localKeyStore(parseMasterKey(src.masterKey, 'MONETA_MASTER_KEY')),
      source: 'env',
      generated: false,
    }
  const file = src.masterKeyFile || src.defaultKeyFile // empty = unset, as everywhere in config
  if (existsSync(file)) {
    return {
      store: localKeyStore(parseMasterKey(readFileSync(file, 'utf8'), file)),
      source: file,
      generated: false,
    }
  }
  if (src.masterKeyFile) {
    throw cryptoError(
      CRYPTO_ERRORS.MASTER_KEY,
      'internal',
      `MONETA_MASTER_KEY_FILE points to ${file}, which does not exist.`,
    )
  }
  mkdirSync(dirname(file), { recursive: true })
  const key = randomBytes(32)
  // Write a temporary file, then link it into place: atomic, and the first process wins.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  writeFileSync(tmp, `${key.toString('base64')}\n`, { mode: 0o600 })
  try {
    linkSync(tmp, file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    return {
      store: localKeyStore(parseMasterKey(readFileSync(file, 'utf8'), file)),
      source: file,
      generated: false,
    }
  } finally {
    unlinkSync(tmp)
  }
  chmodSync(file, 0o600)
  return { store: localKeyStore(key), source: file, generated: true }
}
