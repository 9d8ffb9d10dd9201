import { blindIndex as computeBlindIndex, type FieldContext } from './envelope.js'
import { CRYPTO_ERRORS, cryptoError } from './crypto.errors.js'
import type { Keyring } from './keyring.service.js'

/** A column holding field ciphertexts; registering it lets `moneta keys reencrypt` find it. */
export interface EncryptedField {
  readonly table: string
  readonly column: string
  /** Column holding the row id bound into the ciphertext (with tenant_id). */
  readonly idColumn: string
}

export interface BlindIndexOptions {
  /** Truncated width in bytes (4..32). Plan it per field: default 8 (64 bits). */
  readonly bytes?: number
  /** Normalisation before hashing; default: trim + lower case. */
  readonly normalize?: (value: string) => string
}

/** One encrypted column, bound: what a module keeps after `fieldCipher.field(...)`. */
export interface BoundField {
  readonly spec: EncryptedField
  encrypt(tenant: string, row: string, plaintext: string | Uint8Array): Promise<Buffer>
  decrypt(tenant: string, row: string, ciphertext: Uint8Array): Promise<Buffer>
  decryptString(tenant: string, row: string, ciphertext: Uint8Array): Promise<string>
  /** Blind index of a value for this column's equality lookups (its own planned width). */
  index(tenant: string, value: string): Buffer
}

/**
 * What other modules use to protect a column:
 *   const ct = await fieldCipher.encrypt(tenant, { table, column, row }, plaintext)
 *   const pt = await fieldCipher.decryptString(tenant, { table, column, row }, ct)
 *   const ix = fieldCipher.blindIndex(tenant, { table, column }, email)   // equality lookups
 */
export interface FieldCipher {
  encrypt(tenant: string, ctx: FieldContext, plaintext: string | Uint8Array): Promise<Buffer>
  decrypt(tenant: string, ctx: FieldContext, ciphertext: Uint8Array): Promise<Buffer>
  decryptString(tenant: string, ctx: FieldContext, ciphertext: Uint8Array): Promise<string>
  blindIndex(
    tenant: string,
    field: { table: string; column: string },
    value: string,
    opts?: BlindIndexOptions,
  ): Buffer
  /** Declares a column for re-encryption after rotation. Idempotent. */
  registerField(field: EncryptedField): void
  fields(): readonly EncryptedField[]
  /**
   * Registers a column and returns it bound, e.g. in a module's factory:
   *   const accessToken = fieldCipher.field({ table: 'bank_items', column: 'access_token_ct', idColumn: 'item_id' })
   *   await accessToken.encrypt(tenant, itemId, token)
   */
  field(spec: EncryptedField, index?: BlindIndexOptions): BoundField
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/
const defaultNormalize = (v: string): string => v.trim().toLowerCase()

export function createFieldCipher(keyring: Keyring): FieldCipher {
  const registry = new Map<string, EncryptedField>()
  const toBuf = (p: string | Uint8Array): Buffer =>
    typeof p === 'string'
      ? Buffer.from(p, 'utf8')
      : Buffer.isBuffer(p)
        ? p
        : Buffer.from(p.buffer, p.byteOffset, p.byteLength)
  return {
    encrypt: (tenant, ctx, plaintext) => keyring.encrypt(tenant, ctx, toBuf(plaintext)),
    decrypt: (tenant, ctx, ct) => keyring.decrypt(tenant, ctx, ct),
    async decryptString(tenant, ctx, ct) {
      return (await keyring.decrypt(tenant, ctx, ct)).toString('utf8')
    },
    blindIndex(tenant, field, value, opts = {}) {
      const normalize = opts.normalize ?? defaultNormalize
      return computeBlindIndex(
        keyring.blindIndexKey(),
        tenant,
        field.table,
        field.column,
        normalize(value),
        opts.bytes ?? 8,
      )
    },
    registerField(field) {
      for (const name of [field.table, field.column, field.idColumn]) {
        if (!IDENT.test(name)) {
          throw cryptoError(
            CRYPTO_ERRORS.UNKNOWN_FIELD,
            'invalid',
            `"${name}" is not a plain SQL identifier.`,
          )
        }
      }
      registry.set(`${field.table}.${field.column}`, field)
    },
    fields: () => [...registry.values()],
    field(spec, index = {}) {
      this.registerField(spec)
      const ctx = (row: string) => ({ table: spec.table, column: spec.column, row })
      return {
        spec,
        encrypt: (tenant, row, plaintext) => keyring.encrypt(tenant, ctx(row), toBuf(plaintext)),
        decrypt: (tenant, row, ct) => keyring.decrypt(tenant, ctx(row), ct),
        decryptString: async (tenant, row, ct) =>
          (await keyring.decrypt(tenant, ctx(row), ct)).toString('utf8'),
        index: (tenant, value) =>
          computeBlindIndex(
            keyring.blindIndexKey(),
            tenant,
            spec.table,
            spec.column,
            (index.normalize ?? defaultNormalize)(value),
            index.bytes ?? 8,
          ),
      }
    },
  }
}
