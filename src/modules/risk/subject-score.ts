import { DAY_MS } from '../monitoring/index.js'
import { calibrate, type Calibration } from './calibration.js'
import { subjectMargin } from './combine.js'

/**
 * A customer's model score, as production computes it one transaction at a time: the mean log-odds
 * (trees' margin) of its `top` highest rows among its rows of the last SUBJECT_WINDOW_MS up to and
 * including this one (fewer rows: the lowest repeats — subjectBest's rule in combine.ts), mapped
 * through the model's row calibration (monotone, so the ranking is the margin mean's). With `top` 1
 * (models stored before session 19) it is this row's probability alone, exactly the score before
 * — their threshold was chosen so — and nothing is kept. Only rows already seen count: the score at
 * a transaction never reads the future.
 *
 * Since session 21 the mean is discounted by `discount` × ln(the subject's rows in the window): a
 * subject's strongest rows are the best of as many tries as it made payments, so an account with
 * thousands of ordinary payments reaches a few high rows by chance, while a dormant account waking
 * up or a pass-through hub makes its case in a handful (SUBJECT_ROW_DISCOUNT, combine.ts). Rows are
 * counted per UTC day, a day counting whole while any of it lies in the window (at most 61 counts
 * per subject; the score store keeps the same per-day counts for a warm start).
 *
 * Memory per subject is bounded: a row is dropped once `top` rows at least as high and no older
 * exist (they leave the window after it and outrank it while they stay), so only the "skyline" of
 * the window is kept; a subject whose margins fall steadily could grow it, so it is capped at
 * MAX_KEPT rows (the lowest goes first — then, and only then, the score is approximate: a row that
 * would have re-entered the top once the higher ones expired is missing). Subjects with no row in
 * the window are swept once a day of transaction time. Rows are expected in time order (the engine's
 * order); a late row is counted as if it were the newest.
 */

/** How far back a subject's rows count: the bench's evaluation period (days 30–89) is 60 days. */
export const SUBJECT_WINDOW_MS = 60 * DAY_MS

/** Rows kept per subject at most (see above; 3 suffice while margins do not fall steadily). */
export const MAX_KEPT = 16

interface Kept {
  /** The subject's row counts per UTC day (day index, oldest first) still in the window. */
  readonly days: number[]
  readonly counts: number[]
  /** Sum of `counts`. */
  rows: number
  /** Kept rows, highest margin first. */
  readonly margin: number[]
  readonly at: number[]
  /** How many kept rows are at least as high and no older (a row goes at `top`). */
  readonly dominated: number[]
  newest: number
}

/** A subject-day as the score store keeps it (SubjectScores.warm). */
export interface StoredSubjectDay {
  readonly subject: string
  readonly day: number
  readonly margins: readonly number[]
  readonly at?: readonly number[]
  readonly scored?: number
}

export class SubjectScores {
  private readonly kept = new Map<string, Kept>()
  private nextSweep = -Infinity
  /**
   * Whether the last `add`'s row entered its subject's top rows, at least as high as the lowest of
   * them (new evidence; the only way a score can rise). A later payment that scores lower leaves a high score where it was — raised by older
   * rows, already looked at — and must not raise a new alert by itself (decision-model.ts withModel).
   * With `top` 1 every row is its own score, so it is always new evidence.
   */
  lastRaised = true

  /**
   * `discount`: log-odds taken off per unit of ln(rows in the window) — the model's
   * `subjectRowDiscount` (combine.ts SUBJECT_ROW_DISCOUNT; 0 for models stored before session 21).
   */
  constructor(
    readonly top: number,
    private readonly calibration: Calibration,
    private readonly windowMs = SUBJECT_WINDOW_MS,
    readonly discount = 0,
  ) {}

  /** Folds a row of `subject` at `at` in and returns the subject's score with it. */
  add(subject: string, at: number, margin: number): number {
    if (this.top <= 1) {
      this.lastRaised = true
      return calibrate(this.calibration, margin)
    }
    this.sweep(at)
    let k = this.kept.get(subject)
    if (!k)
      this.kept.set(
        subject,
        (k = { days: [], counts: [], rows: 0, margin: [], at: [], dominated: [], newest: at }),
      )
    this.expire(k, at)
    this.count(k, at, 1)
    // the row enters the subject's top rows (a tie included: a repeat of its most suspicious payment)
    const n = k.margin.length
    this.lastRaised = n === 0 || margin >= k.margin[Math.min(this.top, n) - 1]!
    k.newest = Math.max(k.newest, at)
    // the new row is the newest: it dominates every kept row it is at least as high as
    let j = 0
    while (j < k.margin.length && k.margin[j]! > margin) j++
    for (let i = k.margin.length - 1; i >= j; i--) {
      if (++k.dominated[i]! >= this.top) this.remove(k, i)
    }
    k.margin.splice(j, 0, margin)
    k.at.splice(j, 0, at)
    k.dominated.splice(j, 0, 0)
    if (k.margin.length > MAX_KEPT) this.remove(k, k.margin.length - 1)
    return this.meanOfTop(k.margin, k.rows)
  }

  /**
   * Starts from stored subject-days (the score store's highest row margins per day, oldest first,
   * and how many rows the day had, `scored`; absent: its margins alone): a margin counts from its
   * row's time where the day keeps it (`at`, training seeds), else from the day's start, so it leaves
   * the window up to a day early.
   */
  warm(days: readonly StoredSubjectDay[]): void {
    for (const d of days) this.warmDay(d)
  }

  /** One stored subject-day of warm (the scorer's rebuild folds them in slices between requests). */
  warmDay(d: StoredSubjectDay): void {
    // highest first within a day: a later-added row never outranks (dominates) one of its own day
    d.margins.forEach((m, i) => this.add(d.subject, d.at?.[i] ?? d.day, m))
    const more = (d.scored ?? 0) - d.margins.length
    const k = this.kept.get(d.subject)
    if (k && more > 0 && this.top > 1) this.count(k, d.day, more)
  }

  /** The score `subject` would have with this row, without keeping it (a what-if score). */
  peek(subject: string, at: number, margin: number): number {
    if (this.top <= 1) return calibrate(this.calibration, margin)
    const k = this.kept.get(subject)
    const high: number[] = [margin]
    let rows = 1
    if (k) {
      for (let i = 0; i < k.margin.length; i++) if (k.at[i]! > at - this.windowMs) high.push(k.margin[i]!)
      const first = this.firstDay(at)
      for (let i = 0; i < k.days.length; i++) if (k.days[i]! >= first) rows += k.counts[i]!
    }
    high.sort((a, b) => b - a)
    return this.meanOfTop(high, rows)
  }

  /** Subjects currently kept (for tests and metrics). */
  get size(): number {
    return this.kept.size
  }

  /** The calibrated mean of the top margins, less the discount for the subject's number of rows. */
  private meanOfTop(desc: readonly number[], rows: number): number {
    return calibrate(this.calibration, subjectMargin(desc, this.top, this.discount, rows))
  }

  /**
   * The first UTC day whose rows still count at `now`: a day counts whole while any of it lies in
   * the window (the store keeps counts per day, so a rebuilt scorer counts the same way).
   */
  private firstDay(now: number): number {
    return Math.floor((now - this.windowMs) / DAY_MS)
  }

  /** Adds `n` rows to the subject's count of the day of `at`. */
  private count(k: Kept, at: number, n: number): void {
    const day = Math.floor(at / DAY_MS)
    const last = k.days.length - 1
    if (last >= 0 && k.days[last]! >= day)
      k.counts[last] = k.counts[last]! + n // a late row counts on the newest day
    else {
      k.days.push(day)
      k.counts.push(n)
    }
    k.rows += n
  }

  /** Mean of the `top` highest margins (highest first; fewer: the lowest repeats). */
  private expire(k: Kept, now: number): void {
    for (let i = k.margin.length - 1; i >= 0; i--) if (k.at[i]! <= now - this.windowMs) this.remove(k, i)
    const first = this.firstDay(now)
    let gone = 0
    while (gone < k.days.length && k.days[gone]! < first) k.rows -= k.counts[gone++]!
    if (gone > 0) {
      k.days.splice(0, gone)
      k.counts.splice(0, gone)
    }
  }

  private remove(k: Kept, i: number): void {
    k.margin.splice(i, 1)
    k.at.splice(i, 1)
    k.dominated.splice(i, 1)
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return
    this.nextSweep = now + DAY_MS
    for (const [s, k] of this.kept) if (k.newest <= now - this.windowMs) this.kept.delete(s)
  }
}
