import { describe, expect, it } from 'vitest'
import { documentFeatures, queryFeatures, rawInitials, sealNames, sealQuery } from './sealed.js'
import { foldText, wordsOf } from './search.js'

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

  it('take initials from the name as written, not from one-letter words of a folded script', () => {
    expect([...rawInitials('A. Khamenei')]).toEqual(['a'])
    expect([...rawInitials('J.-C. Juncker')].sort()).toEqual(['c', 'j'])
    expect([...rawInitials('JC Juncker')].sort()).toEqual(['c', 'j'])
    // A Korean name folds to one-letter words ("이" → "i"); a capitalised word with a vowel is a name.
    expect(rawInitials('이 지은').size).toBe(0)
    expect(rawInitials('KO TAE HUN').size).toBe(0)
    expect(rawInitials('Stripe LLC').size).toBe(0)
  })

  it('match words run together, runs of words abbreviated to initials, and acronyms, both ways', () => {
    const finds = (query: string, name: string) => {
      const stored = new Set(sealNames([name], (f) => f))
      return sealQuery(wordsOf(foldText(query)), (f) => f).every((g) => g.some((f) => stored.has(f)))
    }
    expect(finds('Rami Makhlouf', 'RamiMakhlouf')).toBe(true)
    expect(finds('Blackrock Capital', 'Black Rock Capital')).toBe(true)
    expect(finds('Black Rock Capital', 'Blackrock Capital')).toBe(true)
    expect(finds('People’s Liberation Army', 'PLA')).toBe(true)
    expect(finds('PLA', 'People’s Liberation Army')).toBe(true)
    expect(finds('JC Juncker', 'Jean-Claude Juncker')).toBe(true)
    expect(finds('Ali Khamenei', 'A. Khamenei')).toBe(true)
    // A name's own word is not an acronym (lists write names in capitals): "Ahmed Latif Ibrahim"
    // does not find every Ali.
    expect(finds('Ahmed Latif Ibrahim', 'ALI HASSAN')).toBe(false)
    expect(finds('Ahmed Latif Ibrahim', 'Ali Hassan')).toBe(false)
    // Two letters with a vowel are a word, not initials: "li" does not find every "L… I…" pair.
    expect(finds('li', 'Lars Ingvar')).toBe(false)
    expect(finds('Rami Makhlouf', 'Rafi Makhzoum')).toBe(false)
  })
})
