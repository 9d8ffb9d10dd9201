import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keywordMatcher } from './keywords.js'

describe('keywordMatcher', () => {
  it('finds every case-insensitive occurrence, as indexOf on the lower-cased text would', () => {
    const kws = ['sk_live_', 'secret', '://', 'eyj', 'se']
    const m = keywordMatcher(kws)
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('s', 'S', 'e', 'k', '_', 'l', 'i', 'v', ':', '/', 'E', 'y', 'J', 'x', 'é'),
        }),
        (text) => {
          const lower = text.toLowerCase()
          const hits = m.find(text)
          for (const k of kws) {
            const expected: number[] = []
            for (let i = lower.indexOf(k); i !== -1; i = lower.indexOf(k, i + 1)) expected.push(i)
            expect(hits.get(k) ?? []).toEqual(expected)
          }
        },
      ),
    )
  })

  it('refuses keywords it could not match', () => {
    expect(() => keywordMatcher(['Secret'])).toThrow(/lower-case/)
  })
})
