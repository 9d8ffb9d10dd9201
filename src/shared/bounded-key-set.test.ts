import { describe, expect, it } from 'vitest'
import { BoundedKeySet } from './bounded-key-set.js'

describe('BoundedKeySet', () => {
  it('remembers what was added, up to its capacity, forgetting the oldest first', () => {
    const s = new BoundedKeySet(3)
    for (const k of ['a', 'b', 'c']) s.add(k)
    expect(['a', 'b', 'c'].every((k) => s.has(k))).toBe(true)
    s.add('a') // already there: no eviction, and no refresh of its age
    expect(s.size).toBe(3)
    s.add('d')
    expect(s.has('a')).toBe(false)
    expect(['b', 'c', 'd'].every((k) => s.has(k))).toBe(true)
    expect(s.size).toBe(3)
  })

  it('refuses a capacity that could hold nothing', () => {
    expect(() => new BoundedKeySet(0)).toThrow(RangeError)
    expect(() => new BoundedKeySet(1.5)).toThrow(RangeError)
  })
})
