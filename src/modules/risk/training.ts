import { runSteps, type Steps } from '../../shared/time-slice.js'
import {
  DAY_MS,
  type CompiledRuleSet,
  type HistorySeeds,
  type MonTxn,
  type Party,
  combinedScoreOf,
} from '../monitoring/index.js'
import {
  alertBudgetOf,
  confidenceOf,
  rulesBySubject,
  rulesPrecisionOf,
  type TrainedAlertBudget,
} from './alert-budget.js'
import { confirmedInRow, FEATURE_COUNT, FEATURE_NAMES } from './features.js'
import type { TrainParams } from './gbdt.js'
import { SUBJECT_ROW_DISCOUNT, SUBJECT_TOP_ROWS } from './combine.js'
import {
  averagePrecision,
  scoreRow,
  scoresRow,
  subjectRowDiscount,
  subjectTopRows,
  trainModelSteps,
  type LabelledRows,
  type TrainOptions,
  type RiskModel,
} from './model.js'
import { liveQueueSteps } from './live-queue.js'
import { replay, rowsInTimeOrder, type ReplayOptions, type ReplayResult, type RiskLabel } from './replay.js'
import { SUBJECT_DAY_MARGINS, type SubjectDayMargins } from './score.store.js'
import { SUBJECT_WINDOW_MS, SubjectScores } from './subject-score.js'

/**
 * Training on a tenant's stored history, time-split in three: the first half trains the trees, the
 * next quarter calibrates them and sets the alert threshold, the last quarter (the holdout) is only
 * ever used by the promotion gate, which compares the candidate with the live configuration there.
 */

export interface TrainingHistory {
  readonly txns: readonly MonTxn[]
  readonly parties: readonly Party[]
  readonly highRisk: readonly string[]
  readonly labels: readonly RiskLabel[]
  readonly ruleSet?: CompiledRuleSet | undefined
  /** What the entities had formed before the window (ReplayOptions.seeds). */
  readonly seeds?: HistorySeeds | undefined
}

export interface Split {
  readonly from: number
  readonly validationFrom: number
  readonly holdoutFrom: number
  readonly to: number
}

export function timeSplit(from: number, to: number): Split {
  const span = to - from
  return { from, validationFrom: from + span * 0.5, holdoutFrom: from + span * 0.75, to }
}

/**
 * The time split of the stored history by its transactions (`at`, in time order): the cut points are
 * the times of the transactions at half and three quarters of the count, so each part holds that
 * share of the history whatever its shape. Halving the time span instead let a thin old tail decide:
 * 66 transactions of dormant accounts two years back (of 204,000, the rest in the last 90 days) put
 * the whole training half into the empty years, and training refused with 0 positive rows (the
 * issue-17 checker flow). On history spread evenly over the window both give the same cuts.
 * Falls back to timeSplit when there are too few transactions to cut.
 */
export function countSplit(at: readonly number[], from: number, to: number): Split {
  const inside = at.filter((t) => t >= from && t < to)
  if (inside.length < 4) return timeSplit(from, to)
  const cut = (q: number): number => inside[Math.floor(inside.length * q)]!
  const validationFrom = cut(0.5)
  const holdoutFrom = Math.max(validationFrom + 1, cut(0.75))
  return holdoutFrom < to ? { from, validationFrom, holdoutFrom, to } : timeSplit(from, to)
}

/** Rows of [lo, hi) of a replay. */
export function rowsBetween(
  r: ReplayResult,
  lo: number,
  hi: number,
): { rows: LabelledRows; index: number[] } {
  return runSteps(rowsBetweenSteps(r, lo, hi))
}

/** rowsBetween, a step every 16,384 rows read and copied. */
export function* rowsBetweenSteps(
  r: ReplayResult,
  lo: number,
  hi: number,
): Steps<{ rows: LabelledRows; index: number[] }> {
  const index: number[] = []
  for (let i = 0; i < r.rows.rows; i++) {
    if (r.rows.at[i]! >= lo && r.rows.at[i]! < hi) index.push(i)
    if ((i & 16383) === 16383) yield
  }
  const x = new Float64Array(index.length * FEATURE_COUNT)
  for (let k = 0; k < index.length; k++) {
    const src = index[k]!
    x.set(r.rows.x.subarray(src * FEATURE_COUNT, (src + 1) * FEATURE_COUNT), k * FEATURE_COUNT)
    if ((k & 16383) === 16383) yield
  }
  return {
    rows: {
      rows: index.length,
      cols: FEATURE_COUNT,
      x,
      y: Uint8Array.from(index, (i) => r.rows.y[i]!),
      at: Float64Array.from(index, (i) => r.rows.at[i]!),
      ...(r.rows.group ? { group: Int32Array.from(index, (i) => r.rows.group![i]!) } : {}),
    },
    index,
  }
}

/**
 * Each subject's peak score over rows [lo, hi) as production would have computed it (SubjectScores:
 * the model's `subjectTopRows` highest rows of the window so far), rows of the window before `lo`
 * folded in first so the period starts warm — the score a subject reached in the decision path, so
 * a threshold chosen on it alerts as many subjects there. `positives`: subjects with a labelled row
 * in [lo, hi). `candidates`: only the rows on which the model could raise an alert of its own count
 * for the peak (not a subject already confirmed: confirmedInRow, ADR 1413) — what the threshold, the
 * alert budget and the gate rank; without it, every score the decision path stores.
 */
export function subjectScores(
  model: RiskModel,
  r: ReplayResult,
  lo: number,
  hi: number,
  candidates = false,
): { best: Map<string, number>; positives: Set<string> } {
  return runSteps(subjectScoresSteps(model, r, lo, hi, candidates))
}

/** Rows scored between two steps of subjectScoresSteps. */
const ROWS_PER_STEP = 4096

function* subjectScoresSteps(
  model: RiskModel,
  r: ReplayResult,
  lo: number,
  hi: number,
  candidates: boolean,
): Steps<{ best: Map<string, number>; positives: Set<string> }> {
  const best = new Map<string, number>()
  const positives = new Set<string>()
  const scores = new SubjectScores(
    subjectTopRows(model),
    model.calibration,
    SUBJECT_WINDOW_MS,
    subjectRowDiscount(model),
  )
  const order = rowsInTimeOrder(r, lo - SUBJECT_WINDOW_MS, hi)
  let n = 0
  for (const i of order) {
    if (++n % ROWS_PER_STEP === 0) yield
    const s = r.subjects[i]!
    const inPeriod = r.rows.at[i]! >= lo
    if (inPeriod && r.rows.y[i] === 1) positives.add(s)
    const x = r.rows.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)
    // a customers-only model is not asked about outside accounts (as in the decision path)
    if (!scoresRow(model, x)) continue
    const p = scores.add(s, r.rows.at[i]!, scoreRow(model, x).margin)
    // a subject already confirmed is no candidate for the model's own alert (confirmedInRow): its
    // later rows neither set the threshold nor count as the model's places in the budget
    if (candidates && confirmedInRow(x)) continue
    if (inPeriod && (best.get(s) ?? -1) < p) best.set(s, p)
  }
  return { best, positives }
}

/**
 * What a new model's subjects start from in the decision path: the replay's rows of the last
 * SUBJECT_WINDOW_MS before `to` (whole UTC days) as the model scores them, per subject and day — the
 * day's highest margins with their rows' times and how many rows it scored, the shape the score
 * store keeps for the decision path's own rows. Without it a model's first weeks counted each
 * subject's rows from zero: no row-count discount, a lone ordinary payment's margin standing for the
 * subject's score — not the score its threshold was chosen on (subjectScores folds the window in).
 */
export function subjectSeeds(model: RiskModel, r: ReplayResult, to: number): SubjectDayMargins[] {
  return runSteps(subjectSeedsSteps(model, r, to))
}

/** subjectSeeds, in steps of a few thousand rows. */
export function* subjectSeedsSteps(
  model: RiskModel,
  r: ReplayResult,
  to: number,
): Steps<SubjectDayMargins[]> {
  const from = Math.floor((to - SUBJECT_WINDOW_MS) / DAY_MS) * DAY_MS
  const days = new Map<string, { subject: string; day: number; rows: [number, number][]; scored: number }>()
  for (let i = 0; i < r.rows.rows; i++) {
    if (i % ROWS_PER_STEP === ROWS_PER_STEP - 1) yield
    const at = r.rows.at[i]!
    if (at < from || at >= to) continue
    const x = r.rows.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)
    if (!scoresRow(model, x)) continue
    const subject = r.subjects[i]!
    const day = Math.floor(at / DAY_MS) * DAY_MS
    const key = `${day}|${subject}`
    let d = days.get(key)
    if (!d) days.set(key, (d = { subject, day, rows: [], scored: 0 }))
    d.scored++
    d.rows.push([scoreRow(model, x).margin, at])
  }
  yield
  const ordered = [...days.values()].sort((a, b) => a.day - b.day || (a.subject < b.subject ? -1 : 1))
  yield
  const out: SubjectDayMargins[] = []
  for (const { subject, day, rows, scored } of ordered) {
    const top = rows.sort((a, b) => b[0] - a[0]).slice(0, SUBJECT_DAY_MARGINS)
    out.push({ subject, day, margins: top.map((r) => r[0]), at: top.map((r) => r[1]), scored })
    if (out.length % ROWS_PER_STEP === 0) yield
  }
  return out
}

/** Subjects the rules alerted on in [lo, hi). */
export const ruleSubjects = (r: ReplayResult, lo: number, hi: number): Set<string> =>
  new Set(r.alerts.filter((a) => a.at >= lo && a.at < hi).map((a) => a.subject))

/** Subjects the rules alerted on in [lo, hi), each with the ids of the rules that did. */
const rulesOnSubjects = (r: ReplayResult, lo: number, hi: number): Map<string, string[]> =>
  rulesBySubject(r.alerts.filter((a) => a.at >= lo && a.at < hi))

/**
 * How training samples negatives: all of them up to 400,000 rows; above, a quarter, in one ensemble.
 * Averaged bags (TrainOptions.bags) steadied the bench's leave-one-configuration-out runs, where the
 * sample was 5 % (docs/risk.md, session 22: a single sample moved the model alone's top 2 % by up to
 * 11 of 83 cases, 4 bags by 2), but they were not measured at production's 25 %, whose sampling
 * varies far less, and they cost what the issue budgets: 4 times the fit on the 1M-transaction
 * history that must train in under 5 minutes (features 61–120 s + fit 40 s × 4) and 4 times the
 * trees in the decision path (model part p99 0.41 ms against 0.15 ms). Kept at one until measured.
 */
/**
 * What production learns from (session 54, docs/adr/1408): the customers' rows only, each confirmed
 * case weighing the same. Why: on development data (bench/risk-transfer.ts, three evaluation sets,
 * two negative samples) this put 220–225 of 255 primaries in the model alone's top 2 % where every
 * row at row weights put 204–214, with as many cases detected by rules + model; the accounts outside
 * the institution (a third of the rows, never in a case) taught the trees that few payees means
 * innocent, and a velocity burst's 10–35 rows outweighed a reactivation's 2–4. Sessions 12–13 chose
 * otherwise on the features of then.
 */
export const PRODUCTION_TARGET = { customersOnly: true, perCase: true, unconfirmedOnly: true } as const

export const negativeSampling = (rows: number): { negativeRate: number; bags: number } =>
  rows > 400_000 ? { negativeRate: 0.25, bags: 1 } : { negativeRate: 1, bags: 1 }

export interface Trained {
  readonly model: RiskModel
  /** Probability at or above which the model alerts (the budget of the live configuration on validation). */
  readonly threshold: number
  readonly replay: ReplayResult
}

/** What training replays `h` with (the service replays it in slices and hands the result in). */
export function historyReplayOptions(h: TrainingHistory): ReplayOptions {
  return {
    parties: h.parties,
    highRisk: h.highRisk,
    ...(h.ruleSet ? { ruleSet: h.ruleSet } : {}),
    ...(h.seeds ? { seeds: h.seeds } : {}),
  }
}

export function trainOnHistory(
  h: TrainingHistory,
  split: Split,
  params?: Partial<TrainParams>,
  r: ReplayResult = replay(h.txns, h.labels, historyReplayOptions(h)),
  start?: TrainOptions['start'],
): Trained {
  return runSteps(trainOnHistorySteps(split, r, params, start))
}

/** trainOnHistory on a replay of its history, in steps (a tree, a few thousand rows scored). */
export function* trainOnHistorySteps(
  split: Split,
  r: ReplayResult,
  params?: Partial<TrainParams>,
  start?: TrainOptions['start'],
): Steps<Trained> {
  const { rows } = yield* rowsBetweenSteps(r, split.from, split.holdoutFrom)
  const trees = yield* trainModelSteps(rows, FEATURE_NAMES, {
    validationFrom: split.validationFrom,
    ...negativeSampling(rows.rows),
    ...PRODUCTION_TARGET,
    ...(params ? { params } : {}),
    ...(start ? { start } : {}),
  })
  // a customer is scored by its top rows (combine.ts SUBJECT_TOP_ROWS), discounted by its number of
  // rows (SUBJECT_ROW_DISCOUNT), in the decision path, so the threshold below is chosen on that
  // score; the model carries the choice so that it is scored the way its threshold was chosen
  // (models stored before carry none: the highest row, no discount)
  const model: RiskModel = {
    ...trees,
    metrics: {
      ...trees.metrics,
      subjectTopRows: SUBJECT_TOP_ROWS,
      subjectRowDiscount: SUBJECT_ROW_DISCOUNT,
    },
  }
  // threshold: the model alone alerts on as many subjects as the rules did on validation — the
  // promotion gate's budget (as many as there were suspicious subjects only where the rules alerted
  // on none). Until session 24 it was the larger of the two: on the issue-17 checker flow's tenant
  // (20 imported cases, rules 9/9 precise on validation) that chose a threshold for 58 subjects and
  // the model put ~45 subjects a week above it where the rules alerted on ~2 (docs/risk.md)
  const { best, positives } = yield* subjectScoresSteps(
    model,
    r,
    split.validationFrom,
    split.holdoutFrom,
    true,
  )
  const ruledSet = ruleSubjects(r, split.validationFrom, split.holdoutFrom)
  const ruled = ruledSet.size
  const budget = ruled > 0 ? ruled : Math.max(1, positives.size)
  const ranked = [...best.values()].sort((a, b) => b - a)
  const threshold = ranked[Math.min(budget, ranked.length) - 1] ?? 1
  // session 31: rules and model together keep to the rules' volume (alert-budget.ts); the threshold
  // above stays what the model alone would alert at (metrics, the case queue's priority 2)
  // a rule alert's record and the model's confidence combine as two witnesses (noisy-or, session
  // 36: on two held-out sets scored whole it caught 4 and 1 more cases at about the same volume)
  const alertBudget = alertBudgetOf(
    best,
    rulesOnSubjects(r, split.validationFrom, split.holdoutFrom),
    positives,
    true,
    'noisy_or',
  )
  const budgeted: RiskModel = alertBudget ? { ...model, metrics: { ...model.metrics, alertBudget } } : model
  return { model: budgeted, threshold, replay: r }
}

export interface GateResult {
  readonly passed: boolean
  /** Subjects alerted by the live configuration on the holdout = the candidate's budget. */
  readonly budget: number
  readonly suspicious: number
  /**
   * Subjects the candidate configuration alerts on: with an alert budget, its case queue replayed over
   * the holdout as the decision path builds it (session 58, ADR 1411); without one, the top `budget`
   * by combined score. Absent from gates computed before session 58.
   */
  readonly candidateAlerted?: number
  readonly candidateDetected: number
  readonly liveDetected: number
  readonly candidateAveragePrecision: number
  readonly liveAveragePrecision: number
  readonly live: 'model' | 'rules' | 'none'
  readonly reason: string
  /**
   * At promotion or evaluation: `replayed` (the window replayed now), or `unchanged since training`
   * (nothing the gate reads changed since the model was trained, so these are the figures stored
   * then; gate-inputs.ts). Absent on the gate computed at training.
   */
  readonly basis?: 'replayed' | 'unchanged since training'
}

/**
 * The shadow gate on the holdout period. The live configuration alerts on B subjects: the rules alone
 * when no model is live; with a live model that has an alert budget, its case queue replayed as the
 * decision path builds it (liveQueueSteps: rule alerts within the budget and its own alerts, held at
 * the rules' volume since session 56); with an older live model, every rule alert and its own at
 * its threshold. The
 * candidate configuration with an alert budget (every model trained since session 31) is its own
 * case queue replayed the same way (session 58, ADR 1411), counted up to B subjects (its highest by
 * combined score); without one, the top B subjects by the larger of its customer score (its peak
 * over the holdout as the decision path computes it, subjectScores) and, for subjects the rules
 * alerted on, the rules' precision measured on the validation period. It passes when it catches
 * more suspicious subjects, or as many on no more alerts (its queue no larger than B) with a better
 * subject-level average precision (every subject ranked by its combined score, rules and model).
 */
export function promotionGate(
  r: ReplayResult,
  split: Split,
  candidate: RiskModel,
  live: { model: RiskModel; threshold: number } | undefined,
): GateResult {
  return runSteps(promotionGateSteps(r, split, candidate, live))
}

/** promotionGate, in steps of a few thousand rows scored. */
export function* promotionGateSteps(
  r: ReplayResult,
  split: Split,
  candidate: RiskModel,
  live: { model: RiskModel; threshold: number } | undefined,
): Steps<GateResult> {
  const cand = yield* subjectScoresSteps(candidate, r, split.holdoutFrom, split.to + 1, true)
  const positives = cand.positives
  const rulesOn = rulesOnSubjects(r, split.holdoutFrom, split.to + 1)
  const ruled = new Set(rulesOn.keys())
  let alerted = new Set(ruled)
  let liveScores: Map<string, number> | undefined
  const b = live?.model.metrics.alertBudget
  if (live && b) {
    // a live model with a budget: what the case queue works (rule alerts outside the budget are
    // worked last), replayed as the decision path builds it, its own alerts held at the rules' volume
    const queue = yield* liveQueueSteps(live.model, b, r, split.holdoutFrom, split.to + 1)
    liveScores = queue.best
    alerted = queue.queued
  } else if (live) {
    liveScores = (yield* subjectScoresSteps(live.model, r, split.holdoutFrom, split.to + 1, true)).best
    for (const [s, p] of liveScores) if (p >= live.threshold) alerted.add(s)
  }
  // how often a rule alert named a suspicious subject on validation (the rules' own probability)
  // (the subjects only: copying the validation rows' features for it held the server ~1 s at 1.3M rows)
  const valPositives = new Set<string>()
  for (let i = 0; i < r.rows.rows; i++) {
    const at = r.rows.at[i]!
    if (r.rows.y[i] === 1 && at >= split.validationFrom && at < split.holdoutFrom)
      valPositives.add(r.subjects[i]!)
    if ((i & 16383) === 16383) yield
  }
  const valRuled = ruleSubjects(r, split.validationFrom, split.holdoutFrom)
  // the same definition as the budget's (smoothed); 0 when the rules alerted on nobody on validation
  const rulesPrecision = valRuled.size ? rulesPrecisionOf(valRuled, valPositives) : 0
  // a model with an alert budget (session 31) is compared as it would run: its customers' confidence
  // against the rules' precision as its budget stored it, ties broken by its score (the budget is
  // passed, never defaulted: a live model stored before has none, the candidate may)
  const combined = (scores: Map<string, number>, b: TrainedAlertBudget | undefined): Map<string, number> => {
    const out = new Map(b ? [...scores].map(([s, p]) => [s, confidenceOf(b, p)] as const) : scores)
    for (const s of ruled)
      out.set(
        s,
        b ? combinedScoreOf(b, out.get(s) ?? 0, rulesOn.get(s)!) : Math.max(out.get(s) ?? 0, rulesPrecision),
      )
    return out
  }
  const candScores = combined(cand.best, candidate.metrics.alertBudget)
  const budget = alerted.size > 0 ? alerted.size : Math.max(1, positives.size)
  const ranked = [...candScores.entries()].sort(
    (a, b) =>
      b[1] - a[1] || (cand.best.get(b[0]) ?? 0) - (cand.best.get(a[0]) ?? 0) || (a[0] < b[0] ? -1 : 1),
  )
  // a candidate with a budget is judged by the queue it would build live (session 58, ADR 1411): its
  // top B customers by combined score had counted customers that, live, its cut moves out of the
  // queue or its cap leaves no room for (the 10,000-customer checker flow: a tie at the gate, one
  // case fewer live). Over the holdout the cap (the rules' volume of the last 30 days) can run a
  // little past the live queue's size; the excess, the lowest by combined score, counts for nothing.
  const cb = candidate.metrics.alertBudget
  const candidateQueue = cb
    ? (yield* liveQueueSteps(candidate, cb, r, split.holdoutFrom, split.to + 1)).queued
    : undefined
  const counted = (candidateQueue ? ranked.filter(([s]) => candidateQueue.has(s)) : ranked).slice(0, budget)
  const candidateAlerted = candidateQueue ? candidateQueue.size : counted.length
  const candidateDetected = counted.filter(([s]) => positives.has(s)).length
  const liveDetected = [...alerted].filter((s) => positives.has(s)).length
  const subjects = [...candScores.keys()]
  const ap = (scores: Map<string, number>): number =>
    averagePrecision(
      subjects.map((s) => scores.get(s) ?? 0),
      subjects.map((s) => (positives.has(s) ? 1 : 0)),
    )
  const candidateAveragePrecision = ap(candScores)
  const liveAveragePrecision = ap(
    liveScores
      ? combined(liveScores, live?.model.metrics.alertBudget)
      : new Map([...alerted].map((s) => [s, 1] as [string, number])),
  )
  // as many caught is a tie, won by a better ranking only with no more alerts than the live queue:
  // a larger queue catching as many is a lower precision (the 10,000-customer checker flow of
  // session 58: 24 = 24 on 34 subjects against 32, passed on ranking, and cost a case live)
  const passed =
    positives.size > 0 &&
    (candidateDetected > liveDetected ||
      (candidateDetected === liveDetected &&
        candidateAlerted <= budget &&
        candidateAveragePrecision > liveAveragePrecision))
  const liveKind = live ? 'model' : alerted.size > 0 ? 'rules' : 'none'
  return {
    passed,
    budget,
    suspicious: positives.size,
    candidateAlerted,
    candidateDetected,
    liveDetected,
    candidateAveragePrecision,
    liveAveragePrecision,
    live: liveKind,
    reason:
      positives.size === 0
        ? 'no suspicious subject in the holdout period: nothing to compare on'
        : `rules + candidate alert on ${candidateAlerted} subjects and catch ${candidateDetected} of ${positives.size}, the live configuration (${liveKind === 'model' ? 'rules + live model' : liveKind}) on ${budget} catches ${liveDetected}`,
  }
}

/** Default time range: everything stored, up to a day after the last transaction. */
export const historyRange = (
  range: { from: number; to: number } | undefined,
): { from: number; to: number } => (range ? { from: range.from, to: range.to + DAY_MS } : { from: 0, to: 0 })
