import { CURRENCY_EXPONENTS } from './currencies.js'
import { invalid } from './errors.js'

/** Money is always bigint minor units; JSON carries it as an integer string. */
export const MAX_AMOUNT = 2n ** 63n - 1n // fits PostgreSQL bigint

export interface Currency {
  readonly code: string
  readonly exponent: number
}

export function currency(code: string): Currency {
  const exponent = CURRENCY_EXPONENTS.get(code)
  if (exponent === undefined) {
    throw invalid('UNKNOWN_CURRENCY', `Unknown currency "${code}": use an ISO 4217 code such as USD or EUR.`)
  }
  return { code, exponent }
}

const INTEGER = /^(0|[1-9][0-9]*)$/

/** Parses a positive amount in minor units from its integer-string form. */
export function parseAmount(value: string, field = 'amount'): bigint {
  if (!INTEGER.test(value)) {
    throw invalid(
      'INVALID_AMOUNT',
      `${field} must be a positive integer string in minor units, got "${value}".`,
    )
  }
  const amount = BigInt(value)
  if (amount === 0n) throw invalid('INVALID_AMOUNT', `${field} must be greater than zero.`)
  if (amount > MAX_AMOUNT) throw invalid('AMOUNT_OUT_OF_RANGE', `${field} exceeds the maximum ${MAX_AMOUNT}.`)
  return amount
}

/** Formats minor units for people, e.g. 1050n USD → "10.50". */
export function formatMinor(amount: bigint, cur: Currency): string {
  const negative = amount < 0n
  const digits = (negative ? -amount : amount).toString().padStart(cur.exponent + 1, '0')
  const whole = digits.slice(0, digits.length - cur.exponent)
  const frac = cur.exponent > 0 ? `.${digits.slice(digits.length - cur.exponent)}` : ''
  return `${negative ? '-' : ''}${whole}${frac}`
}
