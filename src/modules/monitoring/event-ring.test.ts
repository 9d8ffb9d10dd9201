import { describe, expect, it } from 'vitest'
import { EventRing } from './event-ring.js'

describe('EventRing', () => {
  it('keeps the newest `cap` events, scanned newest first, the oldest overwritten', () => {
    const r = new EventRing(3)
    for (let t = 1; t <= 5; t++) r.push(t * 10, t)
    expect(r.size).toBe(3)
    expect([0, 1, 2].map((k) => r.at[r.slot(k)])).toEqual([50, 40, 30])
    expect(r.maxAmount()).toBe(5)
  })

  it('counts and sums only the events after the window start, stopping at the first older one', () => {
    const r = new EventRing(8)
    r.push(100, 7)
    r.push(200, 11)
    r.push(300, 13)
    expect(r.countOrSumAfter(150, false)).toBe(2)
    expect(r.countOrSumAfter(150, true)).toBe(24)
    // the window start itself is outside (an event exactly `window` ago has left it)
    expect(r.countOrSumAfter(200, false)).toBe(1)
    expect(r.countOrSumAfter(300, true)).toBe(0)
  })

  it('tells whether a newer event has the same counterparty, across the wrap-around', () => {
    const r = new EventRing(4, true, true)
    // six pushes into four slots: held, newest first, are counterparties 9, 8, 9, 7
    for (const [at, cp] of [
      [1, 5],
      [2, 6],
      [3, 7],
      [4, 9],
      [5, 8],
      [6, 9],
    ] as const)
      r.push(at, 1, cp, at - 1)
    expect([0, 1, 2, 3].map((k) => r.counterpartySeenNewer(k))).toEqual([false, false, true, false])
    expect(r.since![r.slot(0)]).toBe(5)
  })

  it('allocates the optional columns only when asked', () => {
    const r = new EventRing(2)
    expect(r.cp).toBeUndefined()
    expect(r.since).toBeUndefined()
    expect(r.maxAmount()).toBe(0)
    expect(r.countOrSumAfter(-Infinity, false)).toBe(0)
  })
})
