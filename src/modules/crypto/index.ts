/**
 * Data protection: envelope AES-256-GCM field encryption with rotation, blind indexes,
 * the card vault and log redaction. The one file other modules import.
 *
 *   await services.crypto.fieldCipher.encrypt(tenant, { table, column, row }, plaintext) → Buffer (bytea)
 *   await services.crypto.fieldCipher.decryptString(tenant, { table, column, row }, ciphertext)
 *   services.crypto.fieldCipher.blindIndex(tenant, { table, column }, value)            → Buffer (8 bytes)
 *   services.crypto.fieldCipher.registerField({ table, column, idColumn })            (for `moneta keys reencrypt`)
 */
export { createCrypto, masterKeyStore } from './crypto.service.js'
export type { Crypto, CryptoDeps } from './crypto.service.js'
export type { FieldCipher, EncryptedField, BlindIndexOptions, BoundField } from './field-cipher.js'
export type { FieldContext } from './envelope.js'
export type { Keyring, KeyInfo, AuditKeys, AuditSigner } from './keyring.service.js'
export { DEFAULT_USAGE_LIMIT, auditSigner } from './keyring.service.js'
export { localKeyStore, loadLocalKeyStore, parseMasterKey } from './keystore.js'
export type { KeyStore } from './keystore.js'
export type { ReencryptOptions, ReencryptProgress, ReencryptResult } from './reencrypt.js'
export type { Vault, CardToken, Caller, AuditSink, TokenizeInput } from './vault.service.js'
export { VAULT_PAN_FIELD } from './vault.service.js'
export { luhnValid, normalizePan, maskPans, cardBrand } from './pan.js'
export { redactValue, loggerRedaction, REDACTED, SENSITIVE_KEYS } from './redact.js'
export { ed25519FromSeed, ed25519PublicKey } from './ed25519.js'
export { CRYPTO_ERRORS } from './crypto.errors.js'
export { cryptoMigrations } from './crypto.migrations.js'
