import { describe, expect, it } from 'vitest'
import { nameScore } from './rank.js'
import { foldText, wordsOf } from './search.js'

const score = (query: string, ...names: string[]) => nameScore(wordsOf(foldText(query)), names)

describe('nameScore', () => {
  it('accounts for the name in both directions: a record holding two query words exactly beats one matching a repeated common word', () => {
    const q = 'Akhtar Mohammad Mansour Shah Mohammed'
    expect(score(q, 'Akhtar Mansour')).toBeGreaterThan(score(q, 'Mohammed Malhotra'))
    expect(score('Jon Smyth', 'John Smith')).toBeGreaterThan(score('Jon Smyth', 'Lauren Jonathan Smith'))
  })

  it('scores one query word as a word looked for: a prefix of a longer name is not penalised', () => {
    expect(score('Smithe', 'Waylon Smithers')).toBeGreaterThan(score('Smithe', 'John Smith'))
  })

  it('counts an initial only when the name is written with it', () => {
    expect(score('Ali Khamenei', 'A. Khamenei')).toBeGreaterThan(0.9)
    // A Korean name folds to one-letter words: they are not initials of the query's words.
    expect(score('Usama Ibn', '우 이')).toBeLessThan(0.8)
  })

  it('counts words run together and abbreviations, and the best of a record’s names', () => {
    expect(score('Rami Makhlouf', 'RamiMakhlouf')).toBeGreaterThan(0.95)
    expect(score('People’s Liberation Army', 'PLA')).toBeGreaterThanOrEqual(0.9)
    expect(score('Blackrock Capital', 'Black Rock Capital')).toBeGreaterThan(0.9)
    expect(score('Ivan Petrov', 'Acme Holdings', 'Ivan Petrov')).toBe(1)
  })
})
