import { describe, expect, it } from 'vitest'
import { paymentDocument } from './payments.source.js'

const row = (amount: string, currency: string) => ({
  payment_id: 'pay_01hxamount',
  status: 'succeeded',
  amount,
  currency,
  payment_method: 'pm_card_visa',
  customer: 'cus_ada',
  description: null,
  metadata: {},
  gateway: 'sandbox',
  gateway_ref: 'sbx_pi_1',
  card_brand: null,
  created_at: new Date('2026-03-01T10:00:00Z'),
  bin: null,
  last4: null,
})

describe('payment search documents', () => {
  it('are found by the amount as shown ("12.50") and in minor units ("1250")', () => {
    const doc = paymentDocument('ten_a', row('1250', 'EUR'))
    expect(doc.title).toContain('12.50 EUR')
    expect(doc.keys).toContain('1250')
    expect(doc.keys).not.toContain('12')
  })

  it('are found by a whole amount as typed ("99" for 99.00) and in minor units ("9900")', () => {
    const doc = paymentDocument('ten_a', row('9900', 'USD'))
    expect(doc.keys).toEqual(expect.arrayContaining(['99', '9900']))
  })

  it('keep the card and references as exact keys', () => {
    const doc = paymentDocument('ten_a', row('9900', 'USD'))
    expect(doc.keys).toEqual(expect.arrayContaining(['PAY01HXAMOUNT', '4242', 'SBXPI1', 'CUSADA']))
  })
})
