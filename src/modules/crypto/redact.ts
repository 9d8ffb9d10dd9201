import type { LoggerOptions } from 'pino'
import { maskPans } from './pan.js'

export const REDACTED = '<redacted>'

/** Field names whose values are secrets or personal data wherever they appear in a log object. */
export const SENSITIVE_KEYS = [
  'password',
  'passphrase',
  'secret',
  'clientSecret',
  'webhookSecret',
  'apiKey',
  'api_key',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'token',
  'authorization',
  'cookie',
  'pan',
  'cardNumber',
  'card_number',
  'number',
  'cvv',
  'cvc',
  'pin',
  'masterKey',
  'privateKey',
  'iban',
  'accountNumber',
  'account_number',
  'ssn',
  'taxId',
  'dateOfBirth',
  'dob',
  'name',
  'firstName',
  'lastName',
  'fullName',
  'email',
  'phone',
  'address',
] as const

const SENSITIVE = new Set<string>(SENSITIVE_KEYS.map((k) => k.toLowerCase()))

/**
 * Deep copy with sensitive keys replaced by `<redacted>` and card numbers masked inside every
 * string. Used for audit details, error details and as pino's log formatter.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPans(value)
  if (value === null || typeof value !== 'object') return value
  if (depth > 8) return '[depth]'
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.byteLength} bytes>`
  if (value instanceof Date) return value
  if (value instanceof Error) {
    return {
      type: value.name,
      message: maskPans(value.message),
      ...(redactValue({ ...value }, depth + 1) as object),
    }
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      SENSITIVE.has(k.toLowerCase()) && v !== undefined && v !== null ? REDACTED : redactValue(v, depth + 1)
  }
  return out
}

/**
 * pino options that redact by path (fast, for known places such as the Authorization header),
 * then scrub every log object and message for sensitive keys and card numbers:
 *   pino({ level, ...loggerRedaction() })
 */
export function loggerRedaction(
  extraPaths: readonly string[] = [],
): Pick<LoggerOptions, 'redact' | 'formatters' | 'hooks'> {
  return {
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', ...extraPaths],
      censor: REDACTED,
    },
    formatters: {
      log: (obj) => redactValue(obj) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskPans(a) : a))
        method.apply(this, masked as Parameters<typeof method>)
      },
    },
  }
}
