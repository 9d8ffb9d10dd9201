import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { currency, formatMinor, MAX_AMOUNT, parseAmount } from './money.js'
import { newId } from './ids.js'

describe('money', () => {
  it('knows ISO 4217 exponents', () => {
    expect(currency('USD').exponent).toBe(2)
    expect(currency('JPY').exponent).toBe(0)
    expect(currency('KWD').exponent).toBe(3)
    expect(currency('CLF').exponent).toBe(4)
    expect(() => currency('usd')).toThrow(/Unknown currency/)
    expect(() => currency('XXX1')).toThrow(/Unknown currency/)
  })

  it('parses only positive integer strings within bigint range', () => {
    expect(parseAmount('1050')).toBe(1050n)
    expect(parseAmount(MAX_AMOUNT.toString())).toBe(MAX_AMOUNT)
    for (const bad of ['0', '-1', '1.5', '01', ' 1', '1e3', '', 'abc']) {
      expect(() => parseAmount(bad), bad).toThrow()
    }
    expect(() => parseAmount((MAX_AMOUNT + 1n).toString())).toThrow(/exceeds/)
  })

  it('round-trips any amount through its string form', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: MAX_AMOUNT }), (a) => parseAmount(a.toString()) === a))
  })

  it('formats minor units for people', () => {
    expect(formatMinor(1050n, currency('USD'))).toBe('10.50')
    expect(formatMinor(5n, currency('USD'))).toBe('0.05')
    expect(formatMinor(-1234n, currency('KWD'))).toBe('-1.234')
    expect(formatMinor(700n, currency('JPY'))).toBe('700')
  })
})

describe('ids', () => {
  it('are prefixed and sort by creation time', () => {
    const a = newId('txn', 1_700_000_000_000)
    const b = newId('txn', 1_700_000_000_001)
    expect(a).toMatch(/^txn_[0-9a-f]{32}$/)
    expect(a < b).toBe(true)
    expect(a.charAt(16)).toBe('7') // UUID version nibble
  })
})
