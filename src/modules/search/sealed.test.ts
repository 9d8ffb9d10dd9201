import { describe, expect, it } from 'vitest'
import { documentFeatures, queryFeatures } from './sealed.js'

const shares = (query: string, doc: string): boolean => {
  const d = new Set(documentFeatures(doc))
  return queryFeatures(query).some((f) => d.has(f))
}

describe('sealed search features', () => {
  it('match transliterations that differ in v, w and f: Petroff, Petrow and Petrov', () => {
    expect(shares('petroff', 'petrov')).toBe(true)
    expect(shares('petrow', 'petrov')).toBe(true)
    expect(shares('petrov', 'petroff')).toBe(true)
  })

  it('match an initial only from a one-letter query word', () => {
    expect(shares('j', 'john')).toBe(true)
    expect(shares('j', 'smith')).toBe(false)
    // A longer query word is not an initial: "jo" does not find every J name.
    expect(shares('ja', 'john')).toBe(false)
  })

  it('do not match unrelated names', () => {
    expect(shares('petrov', 'peterson')).toBe(false)
    expect(shares('smith', 'jones')).toBe(false)
  })
})
