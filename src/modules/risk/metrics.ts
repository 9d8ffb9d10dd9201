import { DAY_MS, LABEL_SLACK_MS, type AlertedSubjectDay } from '../monitoring/index.js'
import type { RiskLabel } from './replay.js'
import type { SubjectDay } from './score.store.js'

/**
 * Champion/challenger metrics over time, from the scores kept in the decision path. For one model
 * and each period: the subjects it scored, the alerts it raised or would have raised, how many of
 * those a confirmed case or labelled history names, and precision at the live budget — of its top-N
 * subjects by probability, N being how many subjects the live configuration (the rules and the
 * champion) alerted on in that period, the share confirmed, beside how many of the live alerts were
 * confirmed. Those two figures compare a model and what runs live at the same number of analyst
 * reviews (until session 26 N counted the champion's alerts only: 0 before any promotion).
 *
 * An alert is counted as the decision path raises it: a subject at or above the threshold is alerted
 * once per dedup window (monitoring's, 30 days), not again every period it stays there (session 25:
 * a 10,000-customer tenant's first model showed ~60 "alerts" a week against the rules' ~15, most of
 * them the same subjects week after week; `aboveThreshold` keeps that count).
 * On the days a model was champion its alerts are the ones it raised, as stored (session 56): the
 * decision path also holds one back when the queue is full (QueueVolume) or a rule alerted on the
 * subject, which its scores cannot tell, so counting them at the threshold overstated a live model's
 * alerts and the live budget.
 */

export type Period = 'day' | 'week' | 'month'
export const PERIODS: readonly Period[] = ['day', 'week', 'month']

export interface PeriodMetrics {
  readonly from: string
  readonly to: string
  /** champion, challenger, or mixed (promoted or retired within the period). */
  readonly role: 'champion' | 'challenger' | 'mixed'
  readonly subjects: number
  /** Subjects alerted in the period: at or above the threshold, not alerted within the dedup window before. */
  readonly alerts: number
  /** Subjects whose highest probability in the period reached the threshold (alerted or not). */
  readonly aboveThreshold: number
  readonly confirmed: number
  /** confirmed / alerts (a subject nobody has confirmed yet counts against it). */
  readonly precision: number | null
  /**
   * Subjects the live configuration alerted on in the period: the rules' alerts and the champion's
   * (before any promotion, the rules' alone). The analysts' review volume a model is compared at.
   */
  readonly budget: number
  /** Of those, confirmed: what the live configuration found with that many reviews. */
  readonly liveConfirmed: number
  /** Of the model's top `budget` subjects by probability, confirmed: what it would have found. */
  readonly confirmedAtBudget: number
  readonly precisionAtBudget: number | null
}

/** Start of the period holding `t` (weeks start on Monday, UTC). */
export function periodStart(t: number, p: Period): number {
  const d = new Date(Math.floor(t / DAY_MS) * DAY_MS)
  if (p === 'day') return d.getTime()
  if (p === 'week') return d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY_MS
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

export function nextPeriod(start: number, p: Period): number {
  if (p === 'day') return start + DAY_MS
  if (p === 'week') return start + 7 * DAY_MS
  const d = new Date(start)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}

/** Is `subject` named by a positive label whose activity touches [from, to)? */
function confirmedIn(labels: readonly RiskLabel[], subject: string, from: number, to: number): boolean {
  return labels.some(
    (l) => l.positive && l.from < to && l.to + LABEL_SLACK_MS >= from && l.accounts.includes(subject),
  )
}

/**
 * The subject-days on which an alert is raised: the first day at or above the threshold, then the
 * first again once `dedupMs` has passed since the last one (the engine's sliding dedup window).
 * Days before the metrics' range are read only to know what is already open.
 */
export function raisedDays(
  days: readonly SubjectDay[],
  threshold: number,
  dedupMs: number,
): { subject: string; day: number }[] {
  const last = new Map<string, number>()
  const out: { subject: string; day: number }[] = []
  const above = days.filter((d) => d.maxProbability >= threshold).sort((a, b) => a.day - b.day)
  for (const d of above) {
    const prev = last.get(d.subject)
    if (prev !== undefined && d.day - prev < dedupMs) continue
    last.set(d.subject, d.day)
    out.push({ subject: d.subject, day: d.day })
  }
  return out
}

export function periodMetrics(input: {
  /** The model's subject-days from `dedupMs` before `from` (earlier days only open alerts). */
  readonly scores: readonly SubjectDay[]
  /**
   * The subjects monitoring alerted on (every rule, the champion's `risk_model` included), per day;
   * `modelId` on a model's own alerts.
   */
  readonly liveAlerts: readonly AlertedSubjectDay[]
  /** The model whose metrics these are: its own stored alerts count on the days it was champion. */
  readonly modelId: string
  readonly threshold: number
  readonly labels: readonly RiskLabel[]
  readonly period: Period
  readonly from: number
  readonly to: number
  readonly dedupMs: number
}): PeriodMetrics[] {
  const out: PeriodMetrics[] = []
  const positive = input.labels.filter((l) => l.positive)
  // as a challenger, what it would have raised; as champion, what it raised
  const raised = [
    ...raisedDays(
      input.scores.filter((s) => !s.champion),
      input.threshold,
      input.dedupMs,
    ),
    ...input.liveAlerts.filter((a) => a.modelId === input.modelId),
  ]
  for (let start = periodStart(input.from, input.period); start < input.to;) {
    const end = nextPeriod(start, input.period)
    const best = new Map<string, number>()
    let asChampion = 0
    let days = 0
    for (const s of input.scores) {
      if (s.day < start || s.day >= end) continue
      days++
      if (s.champion) asChampion++
      if (s.maxProbability > (best.get(s.subject) ?? -1)) best.set(s.subject, s.maxProbability)
    }
    const inPeriod = (d: { day: number }) => d.day >= start && d.day < end
    const live = new Set(input.liveAlerts.filter(inPeriod).map((d) => d.subject))
    const budget = live.size
    const ranked = [...best].sort((a, b) => b[1] - a[1])
    const isConfirmed = (subject: string) => confirmedIn(positive, subject, start, end)
    const alerted = [...new Set(raised.filter(inPeriod).map((d) => d.subject))]
    const confirmed = alerted.filter((s) => isConfirmed(s)).length
    const confirmedAtBudget = ranked.slice(0, budget).filter(([s]) => isConfirmed(s)).length
    if (days > 0)
      out.push({
        from: new Date(start).toISOString(),
        to: new Date(end).toISOString(),
        role: asChampion === days ? 'champion' : asChampion === 0 ? 'challenger' : 'mixed',
        subjects: best.size,
        alerts: alerted.length,
        aboveThreshold: ranked.filter(([, p]) => p >= input.threshold).length,
        confirmed,
        precision: alerted.length > 0 ? confirmed / alerted.length : null,
        budget,
        liveConfirmed: [...live].filter((s) => isConfirmed(s)).length,
        confirmedAtBudget,
        precisionAtBudget: budget > 0 ? confirmedAtBudget / budget : null,
      })
    start = end
  }
  return out
}
