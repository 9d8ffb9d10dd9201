import { describe, expect, it } from 'vitest'
import { DAY_MS } from '../monitoring/index.js'
import type { Calibration } from './calibration.js'
import { subjectBest } from './combine.js'
import { MAX_KEPT, SUBJECT_WINDOW_MS, SubjectScores } from './subject-score.js'

/** No calibration blocks: scores read as the logistic of the mean margin (as subjectBest's). */
const logistic: Calibration = { kind: 'isotonic', x: [], p: [] }
const sigmoid = (m: number): number => 1 / (1 + Math.exp(-m))

/**
 * The definition, computed from every row: mean of the top `top` margins of the window up to `at`,
 * less `discount` × ln(rows of the window's days so far — a day counts whole while any of it is in
 * the window).
 */
function bruteForce(
  rows: readonly { at: number; m: number }[],
  upTo: number,
  top: number,
  discount = 0,
): number {
  const at = rows[upTo]!.at
  const window = rows
    .slice(0, upTo + 1)
    .filter((r) => r.at > at - SUBJECT_WINDOW_MS)
    .map((r) => r.m)
    .sort((a, b) => b - a)
  const firstDay = Math.floor((at - SUBJECT_WINDOW_MS) / DAY_MS)
  const n = rows.slice(0, upTo + 1).filter((r) => Math.floor(r.at / DAY_MS) >= firstDay).length
  let sum = 0
  for (let j = 0; j < top; j++) sum += window[Math.min(j, window.length - 1)]!
  return sigmoid(sum / top - discount * Math.log(n))
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

  it('discounts the score by ln(rows in the window): a quiet account’s few high rows outrank a busy one’s (session 21)', () => {
    // the same three high rows; 'busy' made 300 ordinary payments besides, 'quiet' none
    const plain = new SubjectScores(3, logistic)
    const discounted = new SubjectScores(3, logistic, SUBJECT_WINDOW_MS, 1)
    let busy = [0, 0]
    let quiet = [0, 0]
    for (let i = 0; i < 300; i++)
      for (const s of [plain, discounted]) s.add('busy', i * 3600_000, -5 + (i % 7) / 10)
    for (let k = 0; k < 3; k++) {
      const at = 20 * DAY_MS + k * 3600_000
      busy = [plain.add('busy', at, 2.5), discounted.add('busy', at, 2.5)]
      quiet = [plain.add('quiet', at, 2), discounted.add('quiet', at, 2)]
    }
    expect(busy[0]).toBeGreaterThan(quiet[0]!) // without the discount the busy account ranks first
    expect(busy[1]).toBeCloseTo(sigmoid(2.5 - Math.log(303)), 12)
    expect(quiet[1]).toBeCloseTo(sigmoid(2 - Math.log(3)), 12)
    expect(quiet[1]).toBeGreaterThan(busy[1]!)
    // a peek counts the row it asks about
    expect(discounted.peek('quiet', 20 * DAY_MS + 4 * 3600_000, -1)).toBeCloseTo(sigmoid(2 - Math.log(4)), 12)
  })

  it('counts the rows of the window by day: equals the definition on long random histories', () => {
    let seed = 11
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const s = new SubjectScores(3, logistic, SUBJECT_WINDOW_MS, 1)
    const rows: { at: number; m: number }[] = []
    let at = 0
    for (let i = 0; i < 2000; i++) {
      // bursts and silences: some days many rows, some weeks none
      at += rand() < 0.05 ? rand() * 20 * DAY_MS : rand() * DAY_MS * 0.3
      rows.push({ at, m: rand() * 8 - 6 })
      expect(s.add('x', at, rows[i]!.m)).toBeCloseTo(bruteForce(rows, i, 3, 1), 12)
    }
    const kept = (s as unknown as { kept: Map<string, { days: number[] }> }).kept.get('x')!
    expect(kept.days.length).toBeLessThanOrEqual(SUBJECT_WINDOW_MS / DAY_MS + 1)
  })

  it('starts warm with each stored day’s row count, as if the day’s rows had been seen', () => {
    const seen = new SubjectScores(3, logistic, SUBJECT_WINDOW_MS, 1)
    for (let i = 0; i < 40; i++) seen.add('h', DAY_MS + i * 60_000, i < 2 ? 3 : -4)
    const warm = new SubjectScores(3, logistic, SUBJECT_WINDOW_MS, 1)
    warm.warm([{ subject: 'h', day: DAY_MS, margins: [3, 3, -4], scored: 40 }])
    const w = warm.add('h', 2 * DAY_MS, 1)
    expect(w).toBeCloseTo(seen.add('h', 2 * DAY_MS, 1), 12)
    expect(w).toBeCloseTo(sigmoid((3 + 3 + 1) / 3 - Math.log(41)), 12)
    // a stored day without a count (or a model without discount) counts its margins alone
    const bare = new SubjectScores(3, logistic, SUBJECT_WINDOW_MS, 1)
    bare.warm([{ subject: 'h', day: DAY_MS, margins: [3, 3, -4] }])
    expect(bare.add('h', 2 * DAY_MS, 1)).toBeCloseTo(sigmoid((3 + 3 + 1) / 3 - Math.log(4)), 12)
  })
})
