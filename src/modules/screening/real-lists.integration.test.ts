import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseListSource, readListSource } from './loaders/source.js'
import { ScreeningIndex } from './matcher.js'
import type { ParsedList } from './screening.js'

// The one test that reads a real published list: the complete 2021-07-07 SDN set (sdn, add, alt, comments).
const DIR = resolve('../shared/data/sanctions/ofac/sdn-full-2021-07-07')

describe('real OFAC SDN set (2021-07-07)', () => {
  let parsed: ParsedList
  const index = new ScreeningIndex()
  beforeAll(() => {
    expect(existsSync(DIR), `${DIR} must exist (the shared data folder beside the repository)`).toBe(true)
    parsed = parseListSource(readListSource(DIR))
    for (const e of parsed.entries) index.add(e)
    index.build()
  })

  it('parses every entry with its aliases, dates of birth and crypto addresses', () => {
    expect(parsed.format).toBe('ofac-csv')
    expect(parsed.entries).toHaveLength(8976)
    expect(parsed.warnings).toEqual([])
    expect(index.nameCount).toBeGreaterThan(17000)
    const yan = parsed.entries.find((e) => e.key === '25308')!
    expect(yan.dobs).toEqual(['1977-03-25'])
    expect(yan.countries).toContain('CN')
    expect(yan.cryptoAddresses.map((c) => c.address)).toContain('12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h')
    const people = parsed.entries.filter((e) => e.type === 'person')
    expect(people.filter((p) => p.dobs.length > 0).length / people.length).toBeGreaterThan(0.8)
  })

  it('finds listed people from misspelt, reordered and transliterated queries, and an address exactly', () => {
    expect(index.screen({ name: 'Xiaobing Yan', dob: '1977-03-25' })[0]?.entryKey).toBe('25308')
    expect(index.screen({ name: 'Mohamad Gorbaniyan', dob: '1987' })[0]?.entryKey).toBe('26138')
    expect(index.screen({ name: 'Banco Nacional de Cuba', type: 'entity' })[0]?.entryKey).toBe('306')
    expect(
      index.screen({ name: 'x', cryptoAddresses: ['1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo'] })[0],
    ).toMatchObject({ entryKey: '25308', score: 1 })
    expect(index.screen({ name: 'Emma Johansson', dob: '1991-05-02', countries: ['Sweden'] })).toEqual([])
  })
})
