import { describe, expect, it } from 'vitest'
import {
  decimalToMinor,
  institutionChecks,
  normalizeOwnerName,
  ownerMatches,
  type LiveAccountView,
} from './banking.js'

describe('owner names', () => {
  it('normalises case, accents, punctuation, order and honorifics', () => {
    expect(normalizeOwnerName("Dr. José  O'Brien Jr.")).toBe('jose obrien')
    expect(normalizeOwnerName('OBRIEN, jose')).toBe('jose obrien')
    expect(ownerMatches('Alex Morgan', ['Morgan Alex'])).toBe(true)
    expect(ownerMatches('Alex Morgan', ['Alexandra Morgan', 'Sam Morgan'])).toBe(false)
    expect(ownerMatches('', [''])).toBe(false)
  })
})

describe('decimal amounts', () => {
  it('converts exactly, with sign, and refuses precision it would lose', () => {
    expect(decimalToMinor(12.34, 2)).toBe(1234n)
    expect(decimalToMinor(0.1 + 0.2, 2)).toBe(30n)
    expect(decimalToMinor('-86.46', 2)).toBe(-8646n)
    expect(decimalToMinor('5', 2)).toBe(500n)
    expect(decimalToMinor('1.5', 0 + 2)).toBe(150n)
    expect(() => decimalToMinor('1.234', 2)).toThrow(/decimals/)
    expect(() => decimalToMinor('abc', 2)).toThrow()
  })
})

describe('institution checks', () => {
  const captured = {
    institutionId: 'ins_1',
    institutionName: 'Bank',
    routingNumber: '011000015',
    mask: '0000',
    ownerNames: ['Alex Morgan'],
    verification: 'verified' as const,
  }
  const account: NonNullable<LiveAccountView['account']> = {
    status: 'open',
    verification: 'verified',
    routingNumber: '011000015',
    ownerNames: ['Alex Morgan'],
    available: 10_000n,
    current: 10_000n,
    currency: 'USD',
  }
  const live = (
    patch: Partial<NonNullable<LiveAccountView['account']>> = {},
    institutionId = 'ins_1',
  ): LiveAccountView => ({
    institutionId,
    account: { ...account, ...patch },
  })
  const codes = (v: LiveAccountView, amount = 5_000n, direction: 'debit' | 'credit' = 'debit') =>
    institutionChecks(captured, v, 'Alex Morgan', { direction, amount }).map((f) => f.code)

  it('passes when nothing changed and the balance covers the pull', () => {
    expect(codes(live())).toEqual([])
    expect(codes(live(), 10_000n)).toEqual([])
  })
  it('names each failing check', () => {
    expect(codes(live({}, 'ins_2'))).toEqual(['BANK_INSTITUTION_CHANGED'])
    expect(codes(live({ routingNumber: '021000021' }))).toEqual(['BANK_ROUTING_CHANGED'])
    expect(codes(live({ verification: 'pending' }))).toEqual(['BANK_ACCOUNT_NOT_VERIFIED'])
    expect(codes(live({ status: 'closed' }))).toEqual(['BANK_ACCOUNT_CLOSED'])
    expect(codes({ institutionId: 'ins_1', account: undefined })).toEqual(['BANK_ACCOUNT_CLOSED'])
    expect(codes(live(), 10_001n)).toEqual(['BANK_INSUFFICIENT_BALANCE'])
    expect(codes(live({ available: null, current: null }))).toEqual(['BANK_INSUFFICIENT_BALANCE'])
    expect(codes(live({ ownerNames: ['Jordan Lee'] }))).toEqual(['BANK_OWNER_MISMATCH'])
  })
  it('uses the current balance when available is not reported, and skips the balance for payouts', () => {
    expect(codes(live({ available: null, current: 6_000n }))).toEqual([])
    expect(codes(live({ available: 0n }), 5_000n, 'credit')).toEqual([])
  })
  it('a revoked authorisation fails verification whatever the institution says', () => {
    const failures = institutionChecks({ ...captured, verification: 'revoked' }, live(), 'Alex Morgan', {
      direction: 'debit',
      amount: 1n,
    })
    expect(failures.map((f) => f.code)).toEqual(['BANK_ACCOUNT_NOT_VERIFIED'])
  })
})
