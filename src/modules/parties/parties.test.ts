import { describe, expect, it } from 'vitest'
import {
  checkDetails,
  leiValid,
  nextStatus,
  partyOfSubject,
  rateRisk,
  screeningQueries,
  type PartyDetails,
} from './parties.js'

const base: PartyDetails = {
  names: [{ value: 'Ana Lima', kind: 'legal' }],
  nationalities: [],
  addresses: [],
  identifiers: [],
}
const today = new Date('2026-11-22T00:00:00Z')

describe('party status machine', () => {
  it('allows only the documented moves, with typed errors', () => {
    expect(nextStatus({ status: 'onboarding', screeningStatus: 'clear' }, 'active')).toBe('active')
    expect(nextStatus({ status: 'active', screeningStatus: 'clear' }, 'restricted')).toBe('restricted')
    expect(nextStatus({ status: 'restricted', screeningStatus: 'clear' }, 'active')).toBe('active')
    expect(nextStatus({ status: 'restricted', screeningStatus: 'clear' }, 'exited')).toBe('exited')
    expect(() => nextStatus({ status: 'exited', screeningStatus: 'clear' }, 'active')).toThrow(
      expect.objectContaining({ code: 'PARTY_TRANSITION_INVALID' }),
    )
    expect(() => nextStatus({ status: 'onboarding', screeningStatus: 'clear' }, 'restricted')).toThrow(
      expect.objectContaining({ code: 'PARTY_TRANSITION_INVALID' }),
    )
    expect(() => nextStatus({ status: 'onboarding', screeningStatus: 'possible_match' }, 'active')).toThrow(
      expect.objectContaining({ code: 'PARTY_SCREENING_UNRESOLVED' }),
    )
    // Restricting or exiting a party with open hits is always possible.
    expect(nextStatus({ status: 'active', screeningStatus: 'confirmed_match' }, 'restricted')).toBe(
      'restricted',
    )
  })
})

describe('risk rating', () => {
  it('names each factor and its points, without personal data', () => {
    const low = rateRisk({ details: base, products: [], screeningStatus: 'clear', monitoringAlerts: 0 })
    expect(low).toEqual({ level: 'low', score: 0, reasons: [] })
    const r = rateRisk({
      details: { ...base, nationalities: ['IR'] },
      products: ['crypto', 'cards'],
      screeningStatus: 'clear',
      monitoringAlerts: 6,
    })
    expect(r.reasons.map((x) => [x.factor, x.points])).toEqual([
      ['jurisdiction', 50],
      ['monitoring', 30],
      ['product', 20],
    ])
    expect(r.level).toBe('high')
    expect(JSON.stringify(r.reasons)).not.toMatch(/IR|Iran/)
    expect(
      rateRisk({ details: base, products: [], screeningStatus: 'possible_match', monitoringAlerts: 0 }).level,
    ).toBe('high')
    expect(
      rateRisk({ details: base, products: [], screeningStatus: 'confirmed_match', monitoringAlerts: 0 })
        .level,
    ).toBe('prohibited')
    expect(
      rateRisk({
        details: { ...base, country: 'NG' },
        products: [],
        screeningStatus: 'clear',
        monitoringAlerts: 0,
      }).level,
    ).toBe('medium')
  })
})

describe('party fields', () => {
  it('checks LEIs by their ISO 17442 check digits', () => {
    expect(leiValid('5493001KJTIIGC8Y1R12')).toBe(true)
    expect(leiValid('5493001KJTIIGC8Y1R11')).toBe(false)
    expect(leiValid('5493001KJTIIGC8Y1R1')).toBe(false)
  })

  it('normalises countries and refuses impossible dates and organisation nationalities', () => {
    const d = checkDetails(
      'person',
      { ...base, nationalities: ['Germany', 'fr'], birthDate: '1990-02-28' },
      today,
    )
    expect(d.nationalities).toEqual(['DE', 'FR'])
    for (const birthDate of ['1990-02-30', '2027-01-01', '90-01-01'])
      expect(() => checkDetails('person', { ...base, birthDate }, today)).toThrow(
        expect.objectContaining({ code: 'PARTY_INVALID' }),
      )
    expect(() => checkDetails('organisation', { ...base, nationalities: ['DE'] }, today)).toThrow(
      expect.objectContaining({ code: 'PARTY_INVALID' }),
    )
  })

  it('screens every name as its own subject and maps subjects back to the party', () => {
    const qs = screeningQueries('person', 'pty_0190abc', {
      ...base,
      names: [
        { value: 'Ana Lima', kind: 'legal' },
        { value: 'Анна Лима', kind: 'transliteration' },
      ],
      birthDate: '1990-01-02',
      country: 'BR',
    })
    expect(qs.map((q) => q.subjectId)).toEqual(['pty_0190abc:0', 'pty_0190abc:1'])
    expect(qs[1]!.query).toMatchObject({
      name: 'Анна Лима',
      dob: '1990-01-02',
      countries: ['BR'],
      type: 'person',
    })
    expect(partyOfSubject('pty_0190abc:1')).toBe('pty_0190abc')
    expect(partyOfSubject('cus_9')).toBeUndefined()
  })
})
