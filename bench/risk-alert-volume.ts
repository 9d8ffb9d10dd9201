import { DAY_MS, type AlertBudget } from '../src/modules/monitoring/index.js'

/**
 * A rejected design, kept to reproduce its measurement (docs/adr/1402-risk-alert-volume.md):
 * the alert budget's cut refitted once a day of transaction time so that the queue holds as many of
 * the window's customers as the rules alerted on in it.
 *
 * The trained budget (src/modules/risk/alert-budget.ts) fixes its cut on the validation period. Here,
 * of the customers the champion scored in the last WINDOW_MS, as many as the rules alerted on in that
 * window are ranked by combined score (monitoring's AlertBudget) then model score, and the last of
 * them sets the cut. The rules' precision and the confidence map stay the trained ones. Until the
 * window holds MIN_RULED rule-alerted customers the trained cut applies. A subject's peak is the
 * highest combined score seen since its peak was last more than WINDOW_MS old (one entry per
 * subject). On holdout21 the queue it gives caught fewer cases than the trained cut's (ADR 1402).
 */

/** The rules' volume is counted over this much transaction time (the validation period's length). */
export const VOLUME_WINDOW_MS = 30 * DAY_MS

/** Rule-alerted customers the window needs before its own cut replaces the trained one. */
export const MIN_RULED = 10

interface Peak {
  /** Combined-score inputs at the subject's peak; NaN while the model never scored it. */
  confidence: number
  probability: number
  at: number
  /** Last rule alert on the subject (-Infinity: none). */
  ruledAt: number
}

export class AlertVolume {
  private readonly peaks = new Map<string, Peak>()
  private nextRefresh = -Infinity
  private current: AlertBudget

  constructor(
    private readonly trained: AlertBudget,
    private readonly windowMs = VOLUME_WINDOW_MS,
    private readonly minRuled = MIN_RULED,
  ) {
    this.current = trained
  }

  /** A side the champion scored at `at`. */
  observe(subject: string, at: number, confidence: number, probability: number): void {
    const p = this.peaks.get(subject)
    if (!p) {
      this.peaks.set(subject, { confidence, probability, at, ruledAt: -Infinity })
      return
    }
    const stale = Number.isNaN(p.confidence) || p.at <= at - this.windowMs
    if (stale || confidence > p.confidence || (confidence === p.confidence && probability >= p.probability)) {
      p.confidence = confidence
      p.probability = probability
      p.at = at
    }
  }

  /** A rule raised a new alert on `subject` at `at`. */
  ruled(subject: string, at: number): void {
    const p = this.peaks.get(subject)
    if (p) p.ruledAt = Math.max(p.ruledAt, at)
    else this.peaks.set(subject, { confidence: NaN, probability: NaN, at, ruledAt: at })
  }

  /** The budget to decide with at `at`: the window's own cut, refitted once a day of transaction time. */
  budgetAt(at: number): AlertBudget {
    if (at >= this.nextRefresh) {
      this.refit(at)
      this.nextRefresh = (Math.floor(at / DAY_MS) + 1) * DAY_MS
    }
    return this.current
  }

  private refit(now: number): void {
    const from = now - this.windowMs
    const scoredIn = (p: Peak): boolean => !Number.isNaN(p.confidence) && p.at > from
    let ruled = 0
    let unscoredRuled = 0
    for (const [subject, p] of this.peaks) {
      if (p.at <= from && p.ruledAt <= from) this.peaks.delete(subject)
      else if (p.ruledAt > from) {
        ruled++
        // a rule-alerted subject the model did not score in the window keeps its place (as in
        // alertBudgetOf: its alert is never marked), so it takes one of the places
        if (!scoredIn(p)) unscoredRuled++
      }
    }
    if (ruled < this.minRuled) {
      this.current = this.trained
      return
    }
    const places = ruled - unscoredRuled
    const top = new TopPairs()
    const rP = this.trained.rulesPrecision
    if (places > 0)
      for (const p of this.peaks.values())
        if (scoredIn(p))
          top.offer(p.ruledAt > from ? Math.max(p.confidence, rP) : p.confidence, p.probability, places)
    // no place left for a scored customer: 2 is above any score (as alertBudgetOf says it); fewer
    // scored customers than places: every one of them is within (0 is below any score)
    const cut =
      places <= 0
        ? { cut: 2, cutModel: 2 }
        : top.size < places
          ? { cut: 0, cutModel: 0 }
          : { cut: top.lowest().c, cutModel: top.lowest().m }
    this.current = { ...this.trained, ...cut, customers: ruled }
  }
}

/**
 * The `k` highest (c, m) pairs seen, by c then m: a binary min-heap, so that a refit over a
 * million subjects costs n·log k comparisons, not a sort of them all.
 */
class TopPairs {
  private readonly c: number[] = []
  private readonly m: number[] = []

  private less(i: number, j: number): boolean {
    return this.c[i]! < this.c[j]! || (this.c[i] === this.c[j] && this.m[i]! < this.m[j]!)
  }

  private swap(i: number, j: number): void {
    ;[this.c[i], this.c[j]] = [this.c[j]!, this.c[i]!]
    ;[this.m[i], this.m[j]] = [this.m[j]!, this.m[i]!]
  }

  offer(c: number, m: number, k: number): void {
    if (this.c.length < k) {
      this.c.push(c)
      this.m.push(m)
      let i = this.c.length - 1
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (!this.less(i, parent)) break
        this.swap(i, parent)
        i = parent
      }
      return
    }
    if (c < this.c[0]! || (c === this.c[0] && m <= this.m[0]!)) return
    this.c[0] = c
    this.m[0] = m
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let least = i
      if (l < this.c.length && this.less(l, least)) least = l
      if (r < this.c.length && this.less(r, least)) least = r
      if (least === i) return
      this.swap(i, least)
      i = least
    }
  }

  get size(): number {
    return this.c.length
  }

  /** The lowest pair kept (call only when size > 0). */
  lowest(): { c: number; m: number } {
    return { c: this.c[0]!, m: this.m[0]! }
  }
}
