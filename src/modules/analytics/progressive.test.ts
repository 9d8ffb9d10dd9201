import { describe, expect, it } from 'vitest'
import { firstRowsByTime, literalOf, microsOf } from './progressive.js'

const DAY = 86_400_000_000n
const START = microsOf('2025-01-01 00:00:00.000000')

/** A prefix-closed query over instants: the rows in [from, to) whose index passes `keep`, in time order. */
function query(instants: readonly bigint[], keep: (i: number) => boolean, limit: number) {
  const calls: string[] = []
  const rowsBefore = (to: bigint) =>
    instants
      .map((at, i) => ({ at, i }))
      .filter((r) => r.at < to && keep(r.i))
      .slice(0, limit)
  return {
    calls,
    windows: {
      range: () => Promise.resolve(instants.length ? { lo: instants[0]!, hi: instants.at(-1)! } : null),
      run: (to: string) => {
        calls.push(to)
        return Promise.resolve(rowsBefore(microsOf(to)))
      },
    },
    whole: () => rowsBefore(microsOf('9999-12-31 00:00:00.000000')),
  }
}

const params = (limit: number) => ({
  from: '1970-01-01 00:00:00.000000',
  to: '9999-12-31 00:00:00.000000',
  limit,
})

describe('firstRowsByTime', () => {
  // one instant every 5 minutes for a year, some repeated (ties at one instant)
  const instants = Array.from(
    { length: 105_120 },
    (_, i) => START + BigInt(Math.floor(i / 2) * 2) * 300_000_000n,
  )

  it.each([1, 7, 100, 5_000, 200_000])(
    'returns exactly the first %i rows of the whole answer',
    async (limit) => {
      const q = query(instants, (i) => i % 13 === 0 || i % 97 === 5, limit)
      expect(await firstRowsByTime(params(limit), q.windows)).toEqual(q.whole())
    },
  )

  it('stops at the first window that fills the limit instead of running the whole period', async () => {
    const q = query(instants, () => true, 10)
    expect(await firstRowsByTime(params(10), q.windows)).toHaveLength(10)
    expect(q.calls).toHaveLength(1)
    expect(microsOf(q.calls[0]!) - START).toBeLessThan(7n * DAY)
  })

  it('grows the window when rows are sparse early on and still finds late ones', async () => {
    // only the last month's rows qualify
    const late = START + 335n * DAY
    const q = query(instants, (i) => instants[i]! >= late, 50)
    const rows = await firstRowsByTime(params(50), q.windows)
    expect(rows).toEqual(q.whole())
    expect(rows).toHaveLength(50)
    expect(q.calls.length).toBeGreaterThan(1)
  })

  /** The same query when it names its candidates (`cand`, a superset of the rows kept): TimeRange.nth. */
  function withCandidates(keep: (i: number) => boolean, cand: (i: number) => boolean, limit: number) {
    const q = query(instants, (i) => cand(i) && keep(i), limit)
    const at = instants.filter((_, i) => cand(i))
    return {
      ...q,
      windows: {
        ...q.windows,
        range: () =>
          Promise.resolve(at.length ? { lo: at[0]!, hi: at.at(-1)!, nth: at[limit - 1] ?? null } : null),
      },
    }
  }

  it.each([1, 7, 100, 5_000, 200_000])(
    'with candidates, still returns exactly the first %i rows when some candidates are not answers',
    async (limit) => {
      // candidates: every 11th row; answers: those of them not also a multiple of 3 (and ties)
      const q = withCandidates(
        (i) => i % 3 !== 0,
        (i) => i % 11 === 0,
        limit,
      )
      expect(await firstRowsByTime(params(limit), q.windows)).toEqual(q.whole())
    },
  )

  it('with candidates, the first window ends just after the limit-th candidate', async () => {
    const q = withCandidates(
      () => true,
      (i) => i % 50 === 0,
      100,
    )
    const rows = await firstRowsByTime(params(100), q.windows)
    expect(rows).toEqual(q.whole())
    // the 100th candidate is row 4,950: one window, ending one microsecond after its instant
    expect(q.calls).toEqual([literalOf(instants[4_950]! + 1n)])
  })

  it('with fewer candidates than the limit, runs the whole period at once', async () => {
    const q = withCandidates(
      () => true,
      (i) => i % 10_000 === 0,
      100,
    )
    expect(await firstRowsByTime(params(100), q.windows)).toEqual(q.whole())
    expect(q.calls).toEqual(['9999-12-31 00:00:00.000000'])
  })

  it('runs the period as asked when there are no rows', async () => {
    const q = query([], () => true, 10)
    expect(await firstRowsByTime(params(10), q.windows)).toEqual([])
    expect(q.calls).toEqual(['9999-12-31 00:00:00.000000'])
  })
})

describe('instant literals', () => {
  it.each([
    '2025-03-04 05:06:07.891234',
    '1970-01-01 00:00:00.000000',
    '9999-12-31 00:00:00.000001',
    '1969-12-31 23:59:59.999999',
  ])('round-trips %s through microseconds', (s) => expect(literalOf(microsOf(s))).toBe(s))
})
