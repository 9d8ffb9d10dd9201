import { QueueVolume, withinBudget } from '../src/modules/monitoring/index.js'
import { AlertVolume } from './risk-alert-volume.js'
import {
  confidenceOf,
  SUBJECT_WINDOW_MS,
  SubjectScores,
  type Calibration,
  type RowScores,
  type RuleAlert,
  type TrainedAlertBudget,
} from '../src/modules/risk/index.js'

/** An alert as the bench's customer scoring reads it (monitoring's scoreCustomers). */
export interface QueuedAlert {
  readonly subject: string
  readonly at: number
  readonly ruleId: string
  readonly typology?: string | undefined
}

/**
 * The logistic function as a calibration table (every 0.01 of log-odds from -20 to 20): the bench's
 * customer scores (combine.ts subjectBest) and the budget fitted on them are on that scale, not on
 * the model's isotonic one.
 */
const LOGISTIC: Calibration = (() => {
  const x = Array.from({ length: 4001 }, (_, i) => -20 + i / 100)
  return { kind: 'isotonic', x, p: x.map((v) => 1 / (1 + Math.exp(-v))) }
})()

/**
 * Each subject's highest score over the slice as the decision path reaches it, row by row in time
 * order (SubjectScores: the top rows of its last 60 days, discounted by their number) — what training
 * fits the budget on (training.ts subjectScoresSteps). subjectBest's whole-period score discounts by
 * every row of the period, so it sits below the running one: a budget fitted on it let the replayed
 * queue grow past the rules' volume (session 35).
 */
export function runningPeaks(
  rows: RowScores,
  scoring: { readonly top: number; readonly discount: number },
): Map<string, number> {
  const margin = rows.margin
  if (!margin) throw new Error('runningPeaks needs the rows’ margins')
  const subjects = new SubjectScores(scoring.top, LOGISTIC, SUBJECT_WINDOW_MS, scoring.discount)
  const peaks = new Map<string, number>()
  const order = [...rows.prob.keys()].sort((i, j) => rows.at[i]! - rows.at[j]! || i - j)
  for (const i of order) {
    const subject = rows.subjects[i]!
    const p = subjects.add(subject, rows.at[i]!, margin[i]!)
    if ((peaks.get(subject) ?? -1) < p) peaks.set(subject, p)
  }
  return peaks
}

/** A model alert is not raised on a subject a rule alerted on this recently (the rules' dedup window). */
const COVERED_MS = 30 * 24 * 3_600_000

/**
 * The case queue the decision path builds, replayed transaction by transaction in time order
 * (session 34): each row's side is scored as production scores it (SubjectScores, the champion's
 * top rows and discount), a rule alert enters the queue when its subject is within the budget at
 * that moment, and the model raises its own alert on a row that raised its subject's score within
 * the budget with no recent rule alert on it. Without `adapt`, the trained cut (what the service
 * runs); with it, the cut refitted once a day to the rules' volume of the window (AlertVolume, a
 * rejected design: ADR 1402).
 * With `cap` (session 55, as the decision path since then: QueueVolume), the model raises its own
 * alert only while fewer customers entered the queue in the last 30 days than the rules alerted on.
 * The older "production" reading of bench/risk.ts applies the trained cut to each customer's peak
 * over the whole period instead, which no decision ever saw at once.
 */
export function queueOverTime(
  rows: RowScores,
  rules: readonly RuleAlert[],
  budget: TrainedAlertBudget,
  /** The bench's customer score (subjectBest's top rows and discount, on the logistic scale). */
  scoring: { readonly top: number; readonly discount: number },
  adapt: boolean,
  cap = false,
): { queue: QueuedAlert[]; raised: QueuedAlert[] } {
  const margin = rows.margin
  if (!margin) throw new Error('queueOverTime needs the rows’ margins')
  const subjects = new SubjectScores(scoring.top, LOGISTIC, SUBJECT_WINDOW_MS, scoring.discount)
  const volume = adapt ? new AlertVolume(budget) : undefined
  const queueVolume = cap ? new QueueVolume() : undefined
  const byTxn = new Map<string, RuleAlert[]>()
  for (const a of rules) {
    const list = byTxn.get(a.txnId)
    if (list) list.push(a)
    else byTxn.set(a.txnId, [a])
  }
  const queue: QueuedAlert[] = []
  const raised: QueuedAlert[] = []
  const lastRuled = new Map<string, number>()
  const handled = new Set<RuleAlert>()
  const order = [...rows.prob.keys()].sort((i, j) => rows.at[i]! - rows.at[j]! || i - j)
  const ruleAlertsBefore = rules.slice().sort((a, b) => a.at - b.at)
  let r = 0
  // a rule alert on a subject the model does not score keeps its place, as in the service
  const unscored = (a: RuleAlert): void => {
    handled.add(a)
    volume?.ruled(a.subject, a.at)
    lastRuled.set(a.subject, a.at)
    queueVolume?.ruled(a.subject, a.at, true)
    queue.push(a)
    raised.push(a)
  }
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!
    const at = rows.at[i]!
    const subject = rows.subjects[i]!
    while (r < ruleAlertsBefore.length && ruleAlertsBefore[r]!.at < at) {
      const a = ruleAlertsBefore[r++]!
      if (!handled.has(a)) unscored(a)
    }
    const p = subjects.add(subject, at, margin[i]!)
    const fresh = subjects.lastRaised
    const confidence = confidenceOf(budget, p)
    volume?.observe(subject, at, confidence, p)
    const b = volume ? volume.budgetAt(at) : budget
    const mine = (byTxn.get(rows.txnIds[i]!) ?? []).filter((a) => a.subject === subject)
    // as the decision path judges them: with the best record among the rules alerting on this transaction
    const ruleIds = mine.map((a) => a.ruleId)
    for (const a of mine) {
      handled.add(a)
      volume?.ruled(subject, at)
      lastRuled.set(subject, at)
      raised.push(a)
      const within = withinBudget(b, confidence, p, ruleIds)
      queueVolume?.ruled(subject, at, within)
      if (within) queue.push(a)
    }
    const covered = mine.length > 0 || at - (lastRuled.get(subject) ?? -Infinity) < COVERED_MS
    // room is asked last, as the decision path asks it: only for an alert the model would raise
    const room = (): boolean => !queueVolume || queueVolume.hasRoom(at)
    if (!covered && fresh && withinBudget(b, confidence, p, []) && room()) {
      queueVolume?.modelQueued(subject, at)
      const own = { subject, at, ruleId: 'risk.model', typology: 'model' }
      queue.push(own)
      raised.push(own)
    }
  }
  for (; r < ruleAlertsBefore.length; r++)
    if (!handled.has(ruleAlertsBefore[r]!)) unscored(ruleAlertsBefore[r]!)
  return { queue, raised }
}
