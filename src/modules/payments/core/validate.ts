import { MAX_AMOUNT } from '../../../shared/money.js'
import { paymentError } from '../payments.errors.js'

const METADATA_MAX_KEYS = 50

export function validateMetadata(m: Record<string, string> | undefined): void {
  if (!m) return
  const keys = Object.keys(m)
  if (keys.length > METADATA_MAX_KEYS)
    throw paymentError('INVALID_METADATA', `metadata has at most ${METADATA_MAX_KEYS} keys.`)
  for (const k of keys) {
    if (k.length === 0 || k.length > 64)
      throw paymentError('INVALID_METADATA', 'metadata keys are 1 to 64 characters.')
    const v = m[k]
    if (typeof v !== 'string' || v.length > 500)
      throw paymentError('INVALID_METADATA', `metadata.${k} must be a string of at most 500 characters.`)
  }
}

export function validateAmount(amount: bigint, field = 'amount'): void {
  if (amount <= 0n) throw paymentError('INVALID_AMOUNT', `${field} must be greater than zero.`)
  if (amount > MAX_AMOUNT)
    throw paymentError('AMOUNT_OUT_OF_RANGE', `${field} exceeds the maximum ${MAX_AMOUNT}.`)
}
