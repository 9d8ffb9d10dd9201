import { AppError } from '../../shared/errors.js'

/** Stable error codes of the crypto module (docs/security-crypto.md lists them). */
export const CRYPTO_ERRORS = {
  /** The value is not a Moneta ciphertext (too short, unknown version). */
  MALFORMED: 'CRYPTO_MALFORMED_CIPHERTEXT',
  /** The ciphertext names a key this process does not hold (another master key, or deleted). */
  KEY_UNAVAILABLE: 'CRYPTO_KEY_UNAVAILABLE',
  /** Tag, commitment or bound context (tenant/table/column/row) did not verify. */
  INTEGRITY: 'CRYPTO_INTEGRITY',
  /** The master key could not be loaded or does not unwrap the stored data keys. */
  MASTER_KEY: 'CRYPTO_MASTER_KEY',
  /** The card number is not a valid PAN (length or Luhn check). */
  INVALID_PAN: 'VAULT_INVALID_PAN',
  TOKEN_NOT_FOUND: 'VAULT_TOKEN_NOT_FOUND',
  DETOKENIZE_FORBIDDEN: 'VAULT_DETOKENIZE_FORBIDDEN',
  UNKNOWN_FIELD: 'CRYPTO_UNKNOWN_FIELD',
} as const

export const cryptoError = (
  code: (typeof CRYPTO_ERRORS)[keyof typeof CRYPTO_ERRORS],
  kind: AppError['kind'],
  message: string,
  opts: { cause?: unknown; details?: Record<string, unknown> } = {},
): AppError => new AppError(code, kind, message, opts)
