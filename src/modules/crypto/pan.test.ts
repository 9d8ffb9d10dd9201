import { describe, expect, it } from 'vitest'
import { cardBrand, luhnValid, maskPans, normalizePan } from './pan.js'

describe('PAN helpers', () => {
  it('Luhn-checks published test card numbers', () => {
    for (const pan of [
      '4111111111111111',
      '5555555555554444',
      '378282246310005',
      '6011111111111117',
      '4000056655665556',
    ]) {
      expect(luhnValid(pan)).toBe(true)
    }
    expect(luhnValid('4111111111111112')).toBe(false)
    expect(luhnValid('')).toBe(false)
  })
  it('normalises separators and rejects bad lengths', () => {
    expect(normalizePan('4111 1111-1111 1111')).toBe('4111111111111111')
    expect(normalizePan('41111111111')).toBeUndefined()
    expect(normalizePan('4111111111111112')).toBeUndefined()
    expect(normalizePan('41111111111111x1')).toBeUndefined()
  })
  it('names brands', () => {
    expect(cardBrand('4111111111111111')).toBe('visa')
    expect(cardBrand('5555555555554444')).toBe('mastercard')
    expect(cardBrand('2223003122003222')).toBe('mastercard')
    expect(cardBrand('378282246310005')).toBe('amex')
  })
  it('masks card numbers in free text, leaving other numbers', () => {
    expect(maskPans('card 4111111111111111 declined')).toBe('card 411111******1111 declined')
    expect(maskPans('card 4111 1111 1111 1111.')).toBe('card 411111******1111.')
    expect(maskPans('order 1795241220065 and id 123456789012')).toBe(
      'order 1795241220065 and id 123456789012',
    )
    // A mistyped card (wrong check digit) is still masked.
    expect(maskPans('typo 4111111111111112')).toBe('typo 411111******1112')
    expect(maskPans('x5555555555554444y')).toBe('x555555******4444y')
  })
  it('leaves digit runs inside a hex digest alone, and still masks a card beside one', () => {
    // A SHA-256 digest whose digit run 4111111111111111 is Luhn-valid: masking it corrupted the value.
    const digest = `ab${'4111111111111111'}cd${'0'.repeat(44)}`
    expect(digest).toHaveLength(64)
    expect(maskPans(`digest ${digest}`)).toBe(`digest ${digest}`)
    expect(maskPans(`${digest} card 4111111111111111`)).toBe(`${digest} card 411111******1111`)
    // A short hex-looking token is not a digest: a card glued to a few letters is still masked.
    expect(maskPans('ab4111111111111111cd')).toBe('ab411111******1111cd')
  })
})
