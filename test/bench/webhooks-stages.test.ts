import { describe, expect, it } from 'vitest'
import { stageFigures } from '../../bench/webhooks-stages.js'

describe('webhooks bench: stages from receipt to effect', () => {
  it('splits each event at its round start and tells full rounds (a backlog) from partial ones', () => {
    // Round A starts at 1,000 with 3 rows (full for a claim batch of 3); round B at 2,000 with 1 row.
    const samples = [
      { receivedAt: 900, roundAt: 1000, effectAt: 1300 },
      { receivedAt: 950, roundAt: 1000, effectAt: 1300 },
      { receivedAt: 990, roundAt: 1000, effectAt: 1300 },
      { receivedAt: 1500, roundAt: 2000, effectAt: 2050 },
    ]
    const f = stageFigures(samples, 3)
    expect(f.rounds).toBe(2)
    expect(f.meanRoundRows).toBe(2)
    expect(f.inFullRounds).toBe(0.75)
    // receipt → round start: 10, 50, 100, 500 ms
    expect(f.toRoundP50Ms).toBe(100)
    expect(f.toRoundP99Ms).toBe(500)
    // round start → effect seen: 50, 300, 300, 300 ms
    expect(f.inRoundP50Ms).toBe(300)
    expect(f.inRoundP99Ms).toBe(300)
  })

  it('reports zeros, not NaN, when nothing was applied', () => {
    expect(stageFigures([], 500)).toEqual({
      toRoundP50Ms: 0,
      toRoundP99Ms: 0,
      inRoundP50Ms: 0,
      inRoundP99Ms: 0,
      rounds: 0,
      meanRoundRows: 0,
      inFullRounds: 0,
    })
  })
})
