import { describe, expect, it } from 'vitest'
import { DAY_MS } from '../monitoring/index.js'
import type { Calibration } from './calibration.js'
import { subjectBest } from './combine.js'
import { MAX_KEPT, SUBJECT_WINDOW_MS, SubjectScores } from './subject-score.js'

/** No calibration blocks: scores read as the logistic of the mean margin (as subjectBest's). */
const logistic: Calibration = { kind: 'isotonic', x: [], p: [] }
const sigmoid = (m: number): number => 1 / (1 + Math.exp(-m))

/** The definition, computed from every row: mean of the top `top` margins of the window up to `at`. */
function bruteForce(rows: readonly { at: number; m: number }[], upTo: number, top: number): number {
  const at = rows[upTo]!.at
  const window = rows
    .slice(0, upTo + 1)
    .filter((r) => r.at > at - SUBJECT_WINDOW_MS)
    .map((r) => r.m)
    .sort((a, b) => b - a)
  let sum = 0
  for (let j = 0; j < top; j++) sum += window[Math.min(j, window.length - 1)]!
  return sigmoid(sum / top)
}

describe('a subject scored by its recent top rows (SubjectScores)', () => {
  it('is the mean log-odds of its top 3 rows so far: one odd payment weighs less than a repeated one', () => {
    const s = new SubjectScores(3, logistic)
    for (let d = 0; d < 10; d++) s.add('innocent', d * DAY_MS, -4)
    const odd = s.add('innocent', 10 * DAY_MS, 3)
    expect(odd).toBeCloseTo(sigmoid((3 - 4 - 4) / 3), 12)
    let hub = 0
    for (let d = 0; d < 10; d++) s.add('hub', d * DAY_MS, -4)
    for (let k = 0; k < 3; k++) hub = s.add('hub', (10 + k) * DAY_MS, 2)
    expect(hub).toBeCloseTo(sigmoid(2), 12)
    expect(hub).toBeGreaterThan(odd)
    // with the highest row alone (models stored before session 19) the odd payment scores higher
    const one = new SubjectScores(1, logistic)
    expect(one.add('innocent', 0, 3)).toBeGreaterThan(one.add('hub', 0, 2))
    expect(one.add('innocent', DAY_MS, -1)).toBeCloseTo(sigmoid(-1), 12) // the row alone, as before
    expect(one.size).toBe(0)
  })

  it('reads only rows already seen, and forgets rows older than the window', () => {
    const s = new SubjectScores(3, logistic)
    expect(s.add('a', 0, 5)).toBeCloseTo(sigmoid(5), 12) // alone: its only row repeats
    expect(s.add('a', DAY_MS, -1)).toBeCloseTo(sigmoid((5 - 1 - 1) / 3), 12)
    // the first row leaves the window: only the second and the new one remain
    expect(s.add('a', SUBJECT_WINDOW_MS + DAY_MS / 2, -2)).toBeCloseTo(sigmoid((-1 - 2 - 2) / 3), 12)
  })

  it('equals the definition on every row of long random histories, keeping a few rows per subject', () => {
    let seed = 7
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const s = new SubjectScores(3, logistic)
    const rows: { at: number; m: number }[] = []
    let at = 0
    for (let i = 0; i < 3000; i++) {
      at += rand() * DAY_MS
      rows.push({ at, m: rand() * 8 - 6 })
      const got = s.add('x', at, rows[i]!.m)
      expect(got).toBeCloseTo(bruteForce(rows, i, 3), 12)
    }
    // a steadily falling subject is the worst case for the skyline: bounded all the same
    const falling = new SubjectScores(3, logistic)
    for (let i = 0; i < 1000; i++) falling.add('f', i * 3600_000, -i / 100)
    const kept = (falling as unknown as { kept: Map<string, { margin: number[] }> }).kept.get('f')!
    expect(kept.margin.length).toBeLessThanOrEqual(MAX_KEPT)
  })

  it('matches the bench’s period score (subjectBest) when the window covers the period', () => {
    const subjects = ['a', 'b', 'a', 'a', 'c', 'b', 'a']
    const margin = Float64Array.from([1, -2, 3, 0.5, -1, 4, 2])
    const at = subjects.map((_, i) => i * DAY_MS)
    const period = subjectBest({ subjects, txnIds: subjects, at, prob: margin.map(sigmoid), margin })
    const s = new SubjectScores(3, logistic)
    const last = new Map<string, number>()
    subjects.forEach((sub, i) => last.set(sub, s.add(sub, at[i]!, margin[i]!)))
    for (const [sub, b] of period) expect(last.get(sub)).toBeCloseTo(b.probability, 12)
  })

  it('peeks without keeping, forgets idle subjects, and starts warm from stored subject-days', () => {
    const s = new SubjectScores(3, logistic)
    s.add('a', 0, 1)
    expect(s.peek('a', DAY_MS, 4)).toBeCloseTo(sigmoid((4 + 1 + 1) / 3), 12)
    expect(s.add('a', DAY_MS, -5)).toBeCloseTo(sigmoid((1 - 5 - 5) / 3), 12) // the peeked 4 was not kept
    s.add('b', SUBJECT_WINDOW_MS + 2 * DAY_MS, 0)
    expect(s.size).toBe(1) // 'a' had no row in the window any more
    const warm = new SubjectScores(3, logistic)
    warm.warm([
      { subject: 'h', day: 0, margins: [2, 2] },
      { subject: 'h', day: DAY_MS, margins: [2] },
    ])
    expect(warm.add('h', 2 * DAY_MS, -3)).toBeCloseTo(sigmoid(2), 12)
  })
})
