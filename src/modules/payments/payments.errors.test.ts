import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { PAYMENT_ERRORS, paymentError } from './payments.errors.js'

const errorsDoc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')

describe('payments error catalogue', () => {
  it.each(Object.keys(PAYMENT_ERRORS))('%s is documented in docs/errors.md', (code) => {
    expect(errorsDoc).toContain(`\`${code}\``)
  })

  it('an error carries the kind of its code and the default message unless told more', () => {
    const e = paymentError('PAYMENT_NOT_FOUND')
    expect(e.kind).toBe('not_found')
    expect(e.message).toBe(PAYMENT_ERRORS.PAYMENT_NOT_FOUND[1])
    expect(paymentError('PAYOUT_EXCEEDS_BALANCE', 'short', { available: '1' }).details).toEqual({
      available: '1',
    })
  })
})
