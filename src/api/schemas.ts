import { Type, type StringOptions } from '@sinclair/typebox'

/** The largest value a PostgreSQL bigint (and so every money column) holds. */
export const INT64_MAX = 9_223_372_036_854_775_807n

/**
 * The largest amount one payment, capture, refund or payout may carry: 14 digits (999,999,999,999.99
 * in a two-decimal currency). A single payment of 2^63−1 fits its own column but fills the gateway's
 * ledger account, so that every later payment's booking overflows after the gateway has charged it;
 * at this cap that takes ~92,000 maximal payments instead of one.
 */
export const MAX_PAYMENT_AMOUNT = 99_999_999_999_999n

/**
 * A regular expression source for the decimal integers 1..max without leading zeros, so that a
 * schema can refuse "99999999999999999999" before it reaches a bigint column (which answers 500).
 * For max = 9223372036854775807: up to 18 digits freely, 19 digits only when not above max.
 */
export function positiveIntegerUpTo(max: bigint): string {
  const digits = max.toString()
  const n = digits.length
  const alternatives = n > 1 ? [`[1-9][0-9]{0,${n - 2}}`] : []
  for (let i = 0; i < n; i++) {
    const d = Number(digits[i])
    const low = i === 0 ? 1 : 0
    if (d > low) alternatives.push(`${digits.slice(0, i)}[${low}-${d - 1}][0-9]{${n - i - 1}}`)
  }
  alternatives.push(digits)
  return alternatives.join('|')
}

const readable = new Map<string, string>()

/** What to say instead of a pattern nobody can read, for the patterns this file builds. */
export function describePattern(pattern: string): string | undefined {
  return readable.get(pattern)
}

/** An integer string in minor units that fits its column ("0" allowed unless `positive`). */
export function MinorUnits(opts: StringOptions & { positive?: boolean; max?: bigint } = {}) {
  const { positive, max = INT64_MAX, ...rest } = opts
  const pattern = `^(?:${positive ? '' : '0|'}${positiveIntegerUpTo(max)})$`
  readable.set(pattern, `must be an integer string from ${positive ? 1 : 0} to ${max}`)
  return Type.String({
    pattern,
    description: `Integer minor units as a string, at most ${max}`,
    ...rest,
  })
}
