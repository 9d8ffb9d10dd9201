import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { combine, DEFAULT_PARAMS, dobEffect, ScreeningIndex, scoreNames, TokenStats } from './matcher.js'
import { listEntry } from './testing.js'

const entry = listEntry

function buildIndex(): ScreeningIndex {
  const index = new ScreeningIndex()
  index.add(
    entry('1', ['PUTIN, Vladimir Vladimirovich', 'Владимир Владимирович Путин'], {
      dobs: ['1952-10-07'],
      countries: ['RU'],
    }),
  )
  index.add(
    entry('2', ['ABDURAKHMANOV, Maghomed Maghomedzakirovich'], { dobs: ['1974-11-24'], countries: ['RU'] }),
  )
  index.add(entry('3', ['AREFULLAH AREF GHAZI MOHAMMAD'], { dobs: ['1958'], countries: ['AF'] }))
  index.add(
    entry('4', ['BANCO NACIONAL DE CUBA', 'NATIONAL BANK OF CUBA'], { type: 'entity', countries: ['CU'] }),
  )
  index.add(
    entry('5', ['LAZARUS GROUP'], {
      type: 'entity',
      cryptoAddresses: [{ currency: 'ETH', address: '0x098B716B8Aaf21512996dC57EB0615e2383E2f96' }],
    }),
  )
  index.add(
    entry('6', ['SMITH, John'], {
      dobs: ['1960-01-01'],
      identifiers: [{ type: 'Passport', value: 'X-1234567' }],
    }),
  )
  // Common tokens: many listed people named Mohammad / Ali, so those weigh little.
  for (let i = 0; i < 40; i++)
    index.add(entry(`c${i}`, [`MOHAMMAD ALI ZZZ${String.fromCharCode(97 + (i % 26))}${i}`]))
  return index
}

const index = buildIndex()
const top = (q: Parameters<ScreeningIndex['screen']>[0], threshold = 0.5) => index.screen(q, { threshold })[0]

describe('ScreeningIndex', () => {
  it('finds reordered, transliterated and misspelt names, with an explanation', () => {
    const h = top({ name: 'Vladimir Putin', type: 'person' })
    expect(h?.entryKey).toBe('1')
    expect(h!.score).toBeGreaterThan(0.85)
    expect(h!.explanation.parts.map((p) => p.list).sort()).toEqual(['putin', 'vladimir'])
    expect(h!.explanation.unmatchedList).toEqual(['vladimirovich'])
    expect(h!.explanation.summary).toContain('vladimirovich')
    expect(top({ name: 'Владимир Путин' })?.entryKey).toBe('1')
    expect(top({ name: 'ПУТИН Владимир Владимирович' })?.explanation.nameScore).toBe(1)
    expect(top({ name: 'Vladimir Poutine' })?.entryKey).toBe('1')
  })

  it('still retrieves a name whose first letters are mistyped', () => {
    const h = top({ name: 'Amghomed Maghomedzakirovich Abdurakhmanov' })
    expect(h?.entryKey).toBe('2')
    expect(h!.score).toBeGreaterThan(0.9)
    expect(top({ name: 'Bdurakhmanov Maghomed' })?.entryKey).toBe('2')
  })

  it('forgives a doubled letter or two swapped neighbours even in short names, but not another short name', () => {
    const small = new ScreeningIndex()
    small.add(entry('k1', ['HAN YU-RO']))
    small.add(entry('f1', ['FAIZ'], { dobs: ['1969'] }))
    for (let i = 0; i < 60; i++)
      small.add(entry(`h${i}`, [`HAFIZ ${String.fromCharCode(97 + (i % 26))}${i}XQ`]))
    small.add(entry('c1', ['CHEN, Zhu']))
    expect(small.screen({ name: 'HAN YYU-RO' })[0]?.entryKey).toBe('k1')
    // "afiz" is one deletion away from sixty "hafiz" names; ranking must still surface FAIZ.
    expect(small.screen({ name: 'AFIZ', dob: '1969' })[0]?.entryKey).toBe('f1')
    // In Latin script "Cheng" vs "Chen" is only a near match: scored well below an exact name.
    expect(small.screen({ name: 'Cheng Zhu' })[0]!.score).toBeLessThan(0.95)
    expect(small.screen({ name: 'Chen Zhu' })[0]!.score).toBe(1)
    // Han characters transliterate to exact pinyin: a different syllable is a different name. (A
    // two-character Han name against a Latin listing is capped below the default threshold:
    // romanisation merges many names, see matcher.kinds.test.ts; hence the lower threshold here.)
    expect(small.screen({ name: '朱成' }, { threshold: 0.7 })).toEqual([])
    expect(small.screen({ name: '朱辰' }, { threshold: 0.7 })[0]?.entryKey).toBe('c1')
  })

  it('handles moved token boundaries ("AREFULLAHA REF")', () => {
    expect(top({ name: 'AREFULLAHA REF GHAZI MOHAMMAD' })!.score).toBeGreaterThan(0.9)
  })

  it('ignores legal forms when matching entities', () => {
    const h = top({ name: 'Banco Nacional de Cuba S.A.', type: 'entity' })
    expect(h?.entryKey).toBe('4')
    expect(h!.explanation.ignoredWords).toContain('sa')
  })

  it('weighs rare tokens above common ones', () => {
    const common = scoreNames('Mohammad Ali Peterson', 'MOHAMMAD ALI ZZZA0', 'person', index.stats)
    const rare = scoreNames('Vladimir Putin Peterson', 'Vladimir Putin', 'person', index.stats)
    expect(rare).toBeGreaterThan(common)
  })

  it('lowers the score for a different date of birth or entity type and raises it for matching ones', () => {
    const plain = top({ name: 'Vladimir Putin' })!.score
    const sameDob = top({ name: 'Vladimir Putin', dob: '1952-10-07' })!
    const otherDob = top({ name: 'Vladimir Putin', dob: '1955-01-01' })!
    expect(sameDob.score).toBeGreaterThan(plain)
    expect(otherDob.score).toBeLessThan(plain)
    expect(otherDob.explanation.attributes[0]).toMatchObject({ attribute: 'dob' })
    expect(top({ name: 'Vladimir Putin', type: 'entity' })?.score ?? 0).toBeLessThan(plain)
    expect(top({ name: 'Vladimir Putin', countries: ['Russia'] })!.score).toBeGreaterThan(plain)
  })

  it('matches identifiers and crypto addresses exactly, whatever the name', () => {
    const byId = top({ name: 'Someone Else', identifiers: ['x1234567'] })
    expect(byId).toMatchObject({ entryKey: '6', score: 1 })
    expect(byId!.explanation.exact).toEqual({ kind: 'identifier', value: 'X1234567' })
    const byAddr = top({ name: 'Nobody', cryptoAddresses: ['0x098b716b8aaf21512996dc57eb0615e2383e2f96'] })
    expect(byAddr).toMatchObject({ entryKey: '5', score: 1 })
    expect(top({ name: 'Nobody', identifiers: ['X1234568'] })).toBeUndefined()
  })

  it('does not alert on unrelated or partly related names at the default threshold', () => {
    expect(index.screen({ name: 'Olaf Scholz' })).toEqual([])
    expect(index.screen({ name: 'Mohammad Ali' }).every((h) => h.score < 1)).toBe(true)
    expect(index.screen({ name: 'Mohammad Peterson' })).toEqual([])
  })

  it('a small index sharing the corpus statistics scores like the full one', () => {
    const small = new ScreeningIndex(DEFAULT_PARAMS, index.stats)
    small.add(index.entries[1]!)
    const q = { name: 'Maghomed Abdurakhmanov', dob: '1974' }
    expect(small.screen(q)[0]?.score).toBeCloseTo(index.screen(q)[0]!.score, 6)
  })

  it('scores are bounded, symmetric in spirit and 1 for identical names', () => {
    const stats = new TokenStats()
    const name = fc.stringMatching(/^[A-Za-z]{2,8}( [A-Za-z]{2,8}){0,3}$/)
    fc.assert(
      fc.property(name, name, (a, b) => {
        const s = scoreNames(a, b, 'person', stats)
        expect(s).toBeGreaterThanOrEqual(0)
        expect(s).toBeLessThanOrEqual(1)
        expect(scoreNames(a, a, 'person', stats)).toBe(1)
      }),
      { numRuns: 300 },
    )
  })
})

describe('secondary attributes', () => {
  it('rates dates of birth by agreement', () => {
    expect(dobEffect('1952-10-07', ['1952-10-07'])!.effect).toBeGreaterThan(0)
    expect(dobEffect('1952', ['1952-10-07'])!.effect).toBeGreaterThan(0)
    expect(dobEffect('1953-1-1', ['1952-10-07'])!.effect).toBeLessThan(0)
    expect(dobEffect('1990-01-01', ['1952-10-07'])!.effect).toBeLessThan(
      dobEffect('1953-01-01', ['1952-10-07'])!.effect,
    )
    expect(dobEffect('1961', ['1960/1965'])!.effect).toBeGreaterThan(0)
    expect(dobEffect('1990', [])).toBeUndefined()
  })

  it('combines evidence in log-odds and lets agreement lift only names that already look alike', () => {
    const match = { attribute: 'dob' as const, effect: 1.2, detail: '' }
    expect(combine(0.9, [match])).toBeGreaterThan(0.9)
    expect(combine(0.6, [match])).toBe(0.6)
    expect(combine(1, [match])).toBe(1)
    expect(combine(1, [{ attribute: 'dob', effect: -3, detail: '' }])).toBeLessThan(0.95)
  })
})
