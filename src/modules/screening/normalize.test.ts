import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { countryCode } from './countries.js'
import { normalizeCryptoAddress, normalizeIdentifier, normalizeName } from './normalize.js'

const text = (s: string, type?: Parameters<typeof normalizeName>[1]): string => normalizeName(s, type).text

describe('normalizeName', () => {
  it('folds accents, case and punctuation', () => {
    expect(text('José  MARÍA Núñez-Ortíz')).toBe('jose maria nunez ortiz')
    expect(text('‘ABD AL-RAHMAN BIN ‘UMAYR AL-NU’AYMI')).toBe('abd al rahman bin umayr al nuaymi')
    expect(text('Rišo Æsir Straße')).toBe('riso aesir strasse')
  })

  it('transliterates Cyrillic, Greek, Arabic and splits Chinese into syllables', () => {
    expect(text('Владимир Путин')).toBe('vladimir putin')
    expect(text('Αλέξανδρος')).toBe('alexandros')
    const arabic = normalizeName('محمد علي')
    expect(arabic.tokens.map((t) => t.text)).toEqual(['mhmd', 'ly'])
    expect(arabic.tokens.every((t) => t.consonantal)).toBe(true)
    expect(text('习近平')).toBe('xi jin ping')
    expect(normalizeName('习近平').tokens.every((t) => t.syllable)).toBe(true)
    expect(text('김정은')).toBe('kim jong un')
    expect(text('강철수')).toBe('kang chol su')
  })

  it('reorders "LAST, First" for people but not "NAME, S.A." for companies', () => {
    expect(text('PUTIN, Vladimir Vladimirovich', 'person')).toBe('vladimir vladimirovich putin')
    expect(text('SALEK, ABDULHAI')).toBe('abdulhai salek')
    expect(text('CIMEX, S.A.', 'entity')).toBe('cimex')
    expect(text('ANGLO-CARIBBEAN CO., LTD.')).toBe('anglo caribbean')
  })

  it('drops honorifics and legal forms, and says which', () => {
    const n = normalizeName('Dr. Sheikh Ahmed Hassan', 'person')
    expect(n.text).toBe('ahmed hassan')
    expect(n.removed).toEqual(['dr', 'sheikh'])
    expect(text('OOO Stroygazmontazh', 'entity')).toBe('stroygazmontazh')
    expect(text('Volkswagen Gesellschaft mit beschränkter Haftung', 'entity')).toBe('volkswagen')
    expect(text('COMERCIAL CIMEX, S.A. DE C.V.', 'entity')).toBe('comercial cimex')
    expect(text('Siemens Aktiengesellschaft', 'entity')).toBe('siemens')
  })

  it('keeps ambiguous legal-form words inside a name of unknown type', () => {
    expect(text('Co Tae Hun')).toBe('co tae hun')
    expect(text('Acme Trading Co')).toBe('acme trading')
  })

  it('recognises a misspelt long legal form, but keeps real words one slip from a short one', () => {
    expect(text('Acme Trading LIMTED', 'entity')).toBe('acme trading')
    expect(text('Acme Corporatoin', 'entity')).toBe('acme')
    expect(text('Lazarus Grup', 'entity')).toBe('lazarus')
    // "good" is one slip from "godo" (kaisha), "core" from "corp", "point" from "joint": names, not forms.
    expect(text('Good Hope Shipping Ltd', 'entity')).toBe('good hope shipping')
    expect(text('Core Capital Corp', 'entity')).toBe('core capital')
    expect(text('Point Energy', 'entity')).toBe('point energy')
    expect(text('Into Africa Trading', 'entity')).toBe('into africa trading')
  })

  it('never strips a name to nothing', () => {
    expect(text('Limited', 'entity')).toBe('limited')
    expect(text('General')).toBe('general')
  })

  it('always yields lower-case ASCII tokens and never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const n = normalizeName(s)
        for (const t of n.tokens) expect(t.text).toMatch(/^[a-z0-9]+$/)
        expect(normalizeName(n.text).text).toBe(n.text)
      }),
      { numRuns: 300 },
    )
  })
})

describe('identifiers, crypto addresses and countries', () => {
  it('normalises identifiers to upper-case alphanumerics', () => {
    expect(normalizeIdentifier(' a-123 456/7 ')).toBe('A1234567')
  })

  it('lower-cases hex and bech32 addresses but keeps base58 case', () => {
    expect(normalizeCryptoAddress('0x8589427373D6D84E98730D7795D8f6f8731FDA16')).toBe(
      '0x8589427373d6d84e98730d7795d8f6f8731fda16',
    )
    expect(normalizeCryptoAddress('BC1QSAMPLE')).toBe('bc1qsample')
    expect(normalizeCryptoAddress('1AbCdEf')).toBe('1AbCdEf')
  })

  it('maps country names and codes to ISO alpha-2', () => {
    expect(countryCode('Iran (Islamic Republic of)')).toBe('IR')
    expect(countryCode('Korea, North')).toBe('KP')
    expect(countryCode("Democratic People's Republic of Korea")).toBe('KP')
    expect(countryCode('Russian Federation')).toBe('RU')
    expect(countryCode('af')).toBe('AF')
    expect(countryCode('Ivory Coast')).toBe('CI')
    expect(countryCode('Atlantis')).toBeUndefined()
  })
})
