import { DAY_MS, LABEL_SLACK_MS } from '../monitoring/index.js'
import type { RiskLabel } from './replay.js'
import type { SubjectDay } from './score.store.js'

/**
 * Champion/challenger metrics over time, from the scores kept in the decision path. For one model
 * and each period: the subjects it scored, the alerts it raised or would have raised (subjects whose
 * highest probability reached its threshold), how many of those a confirmed case or labelled history
 * names, and precision at the live budget — of its top-N subjects by probability, N being how many
 * the champion alerted on in that period, the share confirmed. That last figure compares a challenger
 * and the champion at the same number of analyst reviews.
 */

export type Period = 'day' | 'week' | 'month'
export const PERIODS: readonly Period[] = ['day', 'week', 'month']

export interface PeriodMetrics {
  readonly from: string
  readonly to: string
  /** champion, challenger, or mixed (promoted or retired within the period). */
  readonly role: 'champion' | 'challenger' | 'mixed'
  readonly subjects: number
  readonly alerts: number
  readonly confirmed: number
  /** confirmed / alerts (a subject nobody has confirmed yet counts against it). */
  readonly precision: number | null
  /** Subjects the champion alerted on in the period. */
  readonly budget: number
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

export function periodMetrics(input: {
  readonly scores: readonly SubjectDay[]
  readonly championAlerts: readonly SubjectDay[]
  readonly threshold: number
  readonly labels: readonly RiskLabel[]
  readonly period: Period
  readonly from: number
  readonly to: number
}): PeriodMetrics[] {
  const out: PeriodMetrics[] = []
  const positive = input.labels.filter((l) => l.positive)
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
    const budget = new Set(
      input.championAlerts.filter((s) => s.day >= start && s.day < end).map((s) => s.subject),
    ).size
    const ranked = [...best].sort((a, b) => b[1] - a[1])
    const isConfirmed = (subject: string) => confirmedIn(positive, subject, start, end)
    const alerted = ranked.filter(([, p]) => p >= input.threshold)
    const confirmed = alerted.filter(([s]) => isConfirmed(s)).length
    const confirmedAtBudget = ranked.slice(0, budget).filter(([s]) => isConfirmed(s)).length
    if (days > 0)
      out.push({
        from: new Date(start).toISOString(),
        to: new Date(end).toISOString(),
        role: asChampion === days ? 'champion' : asChampion === 0 ? 'challenger' : 'mixed',
        subjects: best.size,
        alerts: alerted.length,
        confirmed,
        precision: alerted.length > 0 ? confirmed / alerted.length : null,
        budget,
        confirmedAtBudget,
        precisionAtBudget: budget > 0 ? confirmedAtBudget / budget : null,
      })
    start = end
  }
  return out
}
