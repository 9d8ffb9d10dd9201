import { describe, expect, it } from 'vitest'
import { prefixQuery } from './postgres.js'

/**
 * The full-text part of a search at 1M documents: only the piece being typed is a prefix. The head of
 * an identifier (`cus` of cus_123) as a prefix read every document's postings (p99 2.8 s at 1M payments).
 */
describe('prefixQuery', () => {
  it('keeps the pieces before the last one whole and makes the last a prefix', () => {
    expect(prefixQuery(['cus_123'])).toBe(`'cus' & '123':*`)
    expect(prefixQuery(['pay_019abc', 'visa'])).toBe(`'pay' & '019abc':* & 'visa':*`)
  })

  it('a word ending in punctuation is typed to its end: no prefix', () => {
    expect(prefixQuery(['cus_'])).toBe(`'cus'`)
  })

  it('a single word stays a prefix; nothing to match gives an empty query', () => {
    expect(prefixQuery(['4242'])).toBe(`'4242':*`)
    expect(prefixQuery(['--'])).toBe('')
  })
})
