import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { editDistance, jaro, jaroWinkler, phoneticKey, skeleton } from './similarity.js'

describe('string similarity', () => {
  it('matches the textbook Jaro and Jaro-Winkler values', () => {
    expect(jaro('martha', 'marhta')).toBeCloseTo(0.9444, 4)
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.9611, 4)
    expect(jaroWinkler('dixon', 'dicksonx')).toBeCloseTo(0.8133, 4)
    expect(jaroWinkler('abc', 'xyz')).toBe(0)
  })

  it('counts adjacent transpositions as one edit', () => {
    expect(editDistance('maghomed', 'amghomed')).toBe(1)
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
  })

  it('is symmetric, bounded and 1 only on equal strings', () => {
    const word = fc.stringMatching(/^[a-z]{0,12}$/)
    fc.assert(
      fc.property(word, word, (a, b) => {
        const s = jaroWinkler(a, b)
        expect(s).toBeGreaterThanOrEqual(0)
        expect(s).toBeLessThanOrEqual(1)
        expect(jaroWinkler(b, a)).toBeCloseTo(s, 12)
        expect(editDistance(a, b)).toBe(editDistance(b, a))
        if (a !== b && a.length > 0) expect(editDistance(a, b)).toBeGreaterThan(0)
        expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length))
      }),
      { numRuns: 500 },
    )
  })

  it('gives transliteration variants one phonetic key', () => {
    expect(phoneticKey('mohammed')).toBe(phoneticKey('muhamad'))
    expect(phoneticKey('khaled')).toBe(phoneticKey('haled'))
    expect(phoneticKey('qasim')).toBe(phoneticKey('kasim'))
    expect(phoneticKey('abdel')).not.toBe(phoneticKey('mahmoud'))
    expect(skeleton('muhammad')).toBe(skeleton('mhmd'))
  })
})
