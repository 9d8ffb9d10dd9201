import { describe, expect, it } from 'vitest'
import { newId } from './ids.js'

describe('newId', () => {
  it('gives UUIDv7 bodies: prefix, 32 hex digits, version 7, RFC 4122 variant', () => {
    const id = newId('txn')
    expect(id).toMatch(/^txn_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/)
  })

  it('never repeats across many refills of the random pool', () => {
    const ids = Array.from({ length: 5000 }, () => newId('acc', 1_700_000_000_000))
    expect(new Set(ids).size).toBe(5000)
  })

  it('sorts by creation time as plain text', () => {
    const earlier = newId('acc', 1_700_000_000_000)
    const later = newId('acc', 1_700_000_000_001)
    expect(earlier < later).toBe(true)
  })
})
