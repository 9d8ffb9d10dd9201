import type { Steps } from '../../shared/time-slice.js'
import { DEDUP_WINDOW_MS, QUEUE_VOLUME_WINDOW_MS, QueueVolume, withinBudget } from '../monitoring/index.js'
import { confidenceOf, type TrainedAlertBudget } from './alert-budget.js'
import { confirmedInRow, FEATURE_COUNT } from './features.js'
import { scoreRow, scoresRow, subjectRowDiscount, subjectTopRows, type RiskModel } from './model.js'
import { rowsInTimeOrder, type ReplayResult } from './replay.js'
import { SUBJECT_WINDOW_MS, SubjectScores } from './subject-score.js'

/** Rows scored between two steps. */
const ROWS_PER_STEP = 4096

export interface LiveQueue {
  /** Subjects in the case queue over [lo, hi): rule alerts within the budget, and the model's own. */
  readonly queued: Set<string>
  /** Each subject's highest customer score over [lo, hi), as subjectScores computes it. */
  readonly best: Map<string, number>
}

/**
 * The case queue a live model with an alert budget builds over [lo, hi), replayed row by row in time
 * order as the decision path decides (monitoring's withModel, session 56). A rule alert enters the
 * queue when its subject is within the budget at that moment, or when the model does not score the
 * subject. The model raises an alert of its own on a row that raised its subject's score within the
 * budget, with no rule alert on the subject in the dedup window before, while the queue has room
 * (QueueVolume: fewer customers queued in the last 30 days than the rules alerted on, ADR 1409).
 * The queue's count starts a window before `lo`, as a restarted engine's starts from the stored
 * alerts. Until session 56 the gate took every subject within the budget at its peak score over the
 * whole period, without the cap, and so compared a candidate with more alerts than the live model
 * raises.
 */
export function* liveQueueSteps(
  model: RiskModel,
  budget: TrainedAlertBudget,
  r: ReplayResult,
  lo: number,
  hi: number,
): Steps<LiveQueue> {
  const scores = new SubjectScores(
    subjectTopRows(model),
    model.calibration,
    SUBJECT_WINDOW_MS,
    subjectRowDiscount(model),
  )
  const queue = new QueueVolume()
  const queued = new Set<string>()
  const best = new Map<string, number>()
  const lastRuled = new Map<string, number>()
  const lastOwn = new Map<string, number>()
  // the rules' alerts of each transaction and side
  const alertsOf = new Map<string, string[]>()
  for (const a of r.alerts) {
    if (a.at < lo - QUEUE_VOLUME_WINDOW_MS || a.at >= hi) continue
    const key = `${a.txnId}|${a.subject}`
    const rules = alertsOf.get(key)
    if (rules) rules.push(a.ruleId)
    else alertsOf.set(key, [a.ruleId])
  }
  const start = Math.min(lo - SUBJECT_WINDOW_MS, lo - QUEUE_VOLUME_WINDOW_MS)
  let n = 0
  for (const i of rowsInTimeOrder(r, start, hi)) {
    if (++n % ROWS_PER_STEP === 0) yield
    const at = r.rows.at[i]!
    const subject = r.subjects[i]!
    const x = r.rows.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)
    const scored = scoresRow(model, x)
    const p = scored ? scores.add(subject, at, scoreRow(model, x).margin) : undefined
    const fresh = scores.lastRaised
    const inPeriod = at >= lo
    // a confirmed subject is scored (its recent rows stay as the decision path keeps them) but is
    // no candidate for the model's own alert
    const confirmed = confirmedInRow(x)
    if (p !== undefined && !confirmed && inPeriod && (best.get(subject) ?? -1) < p) best.set(subject, p)
    const counted = at >= lo - QUEUE_VOLUME_WINDOW_MS
    const rules = alertsOf.get(`${r.txnIds[i]!}|${subject}`)
    if (rules && counted) {
      // as the decision path judges them: with the best record among the rules alerting on it
      const within = p === undefined || withinBudget(budget, confidenceOf(budget, p), p, rules)
      queue.ruled(subject, at, within)
      lastRuled.set(subject, at)
      if (within && inPeriod) queued.add(subject)
      continue
    }
    if (p === undefined || !fresh || !counted || confirmed) continue
    if (at - (lastRuled.get(subject) ?? -Infinity) < DEDUP_WINDOW_MS) continue
    if (!withinBudget(budget, confidenceOf(budget, p), p, []) || !queue.hasRoom(at)) continue
    // an own alert still open takes the hit (a repeat, not a new alert in the queue)
    if (at - (lastOwn.get(subject) ?? -Infinity) < DEDUP_WINDOW_MS) continue
    lastOwn.set(subject, at)
    queue.modelQueued(subject, at)
    if (inPeriod) queued.add(subject)
  }
  return { queued, best }
}
