import { runSteps, type Steps } from '../../shared/time-slice.js'
import type { TrainedAlertBudget } from './alert-budget.js'
import { calibrate, fitIsotonic, type Calibration } from './calibration.js'
import {
  DEFAULT_TRAIN,
  predictMargin,
  gbdtSteps,
  type Ensemble,
  type TrainParams,
  type Tree,
} from './gbdt.js'
import { referenceBinsSteps, type FeatureBins } from './psi.js'
import { baseValue, treeShap } from './treeshap.js'
import { buildShapTables, tableShap, type ShapTables } from './treeshap-tables.js'

/**
 * A trained risk model: the tree ensemble (margin = log-odds), its calibration, the training data's
 * feature bins (drift) and the figures measured on its validation split. Training is a pure
 * function of the rows in their order (no randomness): the same rows give the same model.
 */

export interface LabelledRows {
  readonly rows: number
  readonly cols: number
  /** Row-major feature values. */
  readonly x: Float64Array
  /** 1 = the subject took part in a confirmed case at that time. */
  readonly y: Uint8Array
  /** Epoch ms of each row's transaction. */
  readonly at: Float64Array
  /**
   * The confirmed case each positive row comes from (an index; -1 or absent: none known). When
   * given and `perCase` is set, every case weighs the same in training, whatever its row count.
   */
  readonly group?: Int32Array
}

export interface ModelMetrics {
  readonly trainRows: number
  readonly trainPositives: number
  readonly validationRows: number
  readonly validationPositives: number
  /** Average precision (area under the precision-recall curve) on the validation split. */
  readonly averagePrecision: number
  /** Brier score of the calibrated probabilities on the validation split. */
  readonly brier: number
  readonly positiveWeight: number
  /** Trained on (and so scores only) rows whose subject is a known party (TrainOptions.customersOnly). */
  readonly customersOnly?: boolean
  /** Each case weighed the same (TrainOptions.perCase). */
  readonly perCase?: boolean
  /** Learned without the rows of subjects already confirmed (TrainOptions.unconfirmedOnly). */
  readonly unconfirmedOnly?: boolean
  /** Features the trees were not allowed to split on (TrainOptions.exclude). */
  readonly excluded?: readonly string[]
  /**
   * How many of a subject's highest rows make its score in production (SubjectScores, training's
   * threshold, the promotion gate). Absent in models stored before session 19: their threshold was
   * chosen on the highest row alone, so they keep being scored that way (subjectTopRows).
   */
  readonly subjectTopRows?: number
  /**
   * Log-odds taken off a subject's score per unit of ln(its rows in the window) (SubjectScores;
   * combine.ts SUBJECT_ROW_DISCOUNT). Absent in models stored before session 21: no discount, as their
   * threshold was chosen (subjectRowDiscount).
   */
  readonly subjectRowDiscount?: number
  /** Ensembles averaged (TrainOptions.bags); absent: one. */
  readonly bags?: number
  /**
   * The starting model its trees were boosted from (TrainOptions.start): its name and how many of
   * the ensemble's first trees are its. Absent: trained from nothing.
   */
  readonly startedFrom?: { readonly name: string; readonly trees: number }
  /**
   * Rules and model together keep to the rules' volume (alert-budget.ts, monitoring's AlertBudget).
   * Absent in models trained before session 31, and when the rules alerted on nobody in validation:
   * the model alerts at its threshold beside every rule alert.
   */
  readonly alertBudget?: TrainedAlertBudget
}

export interface RiskModel {
  readonly ensemble: Ensemble
  readonly calibration: Calibration
  readonly reference: readonly FeatureBins[]
  readonly baseValue: number
  readonly metrics: ModelMetrics
}

export interface TrainOptions {
  /** Rows at or after this time are the validation split (calibration and metrics). */
  readonly validationFrom: number
  readonly params?: Partial<TrainParams>
  /** Share of negative training rows kept (weighted back up by 1 / rate). Default 1. */
  readonly negativeRate?: number
  /**
   * Split the positives' weight equally between cases (`data.group`), then between a case's rows.
   * Why: the trees' loss counts rows, detection counts cases — a velocity burst plants 10–35 rows,
   * a dormant reactivation 2–4, so row weights let the typologies with many rows shape the trees
   * and a reactivation's few rows barely move a split. Total positive weight is unchanged.
   */
  readonly perCase?: boolean
  /**
   * Keep only rows whose subject is one of the institution's customers (`self_party.known`). Why: a
   * third of the rows name an account outside it (an external payee or sender with no party
   * record), which no case can name and which has 0–1 payees, so the trees learned "few payees:
   * an outside account, never suspicious" — and a dormant account waking up or a new mule account
   * has few payees too (session 12's per-feature look: `self.out_distinct_30d` pushed their best
   * rows down by 0.9–2.1 log-odds). The model is about customers; it is asked only about them.
   */
  readonly customersOnly?: boolean
  /**
   * Leave out the rows (training and calibration) whose subject was already named in a confirmed
   * case when the row was read (`graph.self_bad_distance` 0). Why (session 61): such a row is
   * positive only if a *new* case covers it, and analysts open none on a customer already confirmed,
   * so the trees learned that being known-bad makes a customer innocent — on holdout60xw that feature
   * took 2.85–2.95 log-odds off confirmed schemes still running, and 4 of the 6 active cases below
   * the model alone's top 2 % were such schemes. Without those rows the trees never split on 0, and a
   * confirmed customer is scored on what it does (as a neighbour of known-bad, the nearest value
   * they saw). Its own alerts stay off (confirmedInRow, ADR 1413): this changes its rank, not that.
   */
  readonly unconfirmedOnly?: boolean
  /**
   * Features the trees may not split on (held constant in the training copy, so no tree reads them
   * and their TreeSHAP value is 0). Default EXCLUDED_FEATURES. The row keeps every column, so stored
   * models keep their feature indices.
   */
  readonly exclude?: readonly string[]
  /**
   * Ensembles averaged, each fitted on its own sample of the negative rows (the positives are in
   * every one); default 1. The result is one ensemble (every bag's trees, leaf values divided by the
   * number of bags), so scoring, TreeSHAP and storage are unchanged. Why (session 22): with
   * negatives sampled at 5 %, which rows the sample holds moved the model alone's top 2 % on
   * tuning_business 16001 by 9 of 83 cases (dormant reactivations 8 → 2 of 8) for the same data and
   * settings — more than any change of features or settings moved it. Averaging samples keeps what
   * they agree on. Bag 0 draws the sample a single model draws.
   */
  readonly bags?: number
  /**
   * The first bag's sample of negatives (bag b draws sample `sampleSeed + b`); default 0. Benches
   * vary it to measure how much the sample alone moves a figure.
   */
  readonly sampleSeed?: number
  /**
   * A starting model (starting-model.ts): the trees are boosted from its margin on each row, and the
   * model is its trees followed by the new ones. Why (session 58): a tenant's first models learn from
   * a few dozen cases, and on tuning data they ranked few of the later suspicious customers in their
   * top 2 %; a model trained on many generated cases starts them from what it knows.
   */
  readonly start?: { readonly name: string; readonly ensemble: Ensemble }
}

/**
 * Absolute sums of money over windows (session 20): not learned from by default either. Why (session
 * 17's per-row look, session 18's trial): trees cannot extrapolate past the amounts they were trained
 * on, and on tuning the largest 30- and 90-day sums belong to innocent businesses, so they pushed
 * pass-through and fan-in hubs moving larger sums down 1.1–1.6 log-odds. The same facts reach the
 * trees as the account against itself (features.ts SCALE_FREE). The transaction's own amount stays.
 */
export const ABSOLUTE_SUMS: readonly string[] = [
  'self.in_sum_7d',
  'self.out_sum_7d',
  'self.in_max_7d',
  'self.out_max_7d',
  'self.all_sum_30d',
  'self.all_sum_90d',
  'self.flow_in_amount',
  'self.usual_amount',
  'self.in_sum_30d',
  'self.out_sum_30d',
  'self_customer.in_sum_7d',
  'self_customer.out_sum_7d',
]

/**
 * How busy the account was over 30 days, as plain counts (session 39): not learned from by default
 * either. Why (the bench's per-feature look, sessions 12 and 39): on the training data most planted
 * customers are busy ones (fan-out, velocity, scatter), so the trees read "few payees, few payments"
 * as innocent and pushed every quiet-account typology down — the left-out mules by −0.95 and −0.39
 * log-odds on average at their best rows, dormant reactivations by −0.79 and −0.61 — however unusual
 * the payment was for that account. The same activity reaches the trees as the account against
 * itself (ratio.burst_7d, ratio.in_vs_out_degree_30d, the new-payee counts). Measured with
 * `npm run bench -- risk-transfer` on tuning seeds (docs/risk.md, "Session 39") before the
 * held-out sets were read.
 */
export const ABSOLUTE_ACTIVITY: readonly string[] = ['self.out_distinct_30d', 'self.all_count_30d']

/**
 * Not learned from by default: `txn.hour`. Why (session 17, per-feature look on tuning): it was the
 * trees' strongest feature, +6 to +8 log-odds on the planted rows' best rows, because our generator
 * starts planted schemes at any hour while ordinary customers pay in waking hours (7–22) — a fact of
 * our generator, not of money laundering, which data generated elsewhere (the issue's check) need
 * not share. The rules' night-time rule still reads the hour; the model ranks on behaviour.
 */
export const EXCLUDED_FEATURES: readonly string[] = ['txn.hour', ...ABSOLUTE_SUMS, ...ABSOLUTE_ACTIVITY]

/** Deterministic per-row keep/drop for negative downsampling (a hash of the row index). */
const keep = (i: number, rate: number, bag = 0): boolean => {
  let h = Math.imul((i ^ 0x9e3779b9) + Math.imul(bag, 0x632be5ab), 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) / 4294967296 < rate
}

export class NotEnoughLabels extends Error {}

export function trainModel(data: LabelledRows, features: readonly string[], opts: TrainOptions): RiskModel {
  return runSteps(trainModelSteps(data, features, opts))
}

/** trainModel in steps: rows copied, each feature's reference bins, then the trees' (gbdtSteps). */
export function* trainModelSteps(
  data: LabelledRows,
  features: readonly string[],
  opts: TrainOptions,
): Steps<RiskModel> {
  const rate = opts.negativeRate ?? 1
  const bags = Math.max(1, Math.floor(opts.bags ?? 1))
  const seed = opts.sampleSeed ?? 0
  const { cols } = data
  const posIdx: number[] = []
  const negIdx: number[] = []
  const valIdx: number[] = []
  const known = opts.customersOnly ? features.indexOf(CUSTOMER_FEATURE) : -1
  const badDistance = opts.unconfirmedOnly ? features.indexOf(BAD_DISTANCE_FEATURE) : -1
  for (let i = 0; i < data.rows; i++) {
    if (known >= 0 && data.x[i * cols + known] !== 1) continue
    if (badDistance >= 0 && data.x[i * cols + badDistance] === 0) continue
    if (data.at[i]! >= opts.validationFrom) valIdx.push(i)
    else if (data.y[i] === 1) posIdx.push(i)
    else negIdx.push(i)
  }
  const pos = posIdx.length
  // each bag's training rows in their original order: its sample of the negatives and every positive
  const sampleOf = (bag: number): number[] => {
    const out: number[] = []
    let p = 0
    for (const i of negIdx) {
      if (!keep(i, rate, seed + bag)) continue
      while (p < pos && posIdx[p]! < i) out.push(posIdx[p++]!)
      out.push(i)
    }
    while (p < pos) out.push(posIdx[p++]!)
    return out
  }
  yield
  const first = sampleOf(0)
  yield
  const neg = first.length - pos
  const valPos = valIdx.reduce((s, i) => s + data.y[i]!, 0)
  if (pos < 2 || neg < 2)
    throw new NotEnoughLabels(`training split has ${pos} positive and ${neg} negative rows`)
  if (valPos < 1 || valIdx.length - valPos < 1)
    throw new NotEnoughLabels(`validation split has ${valPos} positive rows of ${valIdx.length}`)
  // class imbalance: positives weighted by the square root of the (reweighted) imbalance — enough
  // for the rare class to shape the splits without every tree chasing it; calibration restores
  // true probabilities afterwards
  const negWeight = 1 / rate
  const weightOf = (negatives: number): number => Math.max(1, Math.sqrt((negatives * negWeight) / pos))
  const positiveWeight = weightOf(neg)
  const excluded = (opts.exclude ?? EXCLUDED_FEATURES).map((f) => features.indexOf(f)).filter((f) => f >= 0)
  const params = { ...DEFAULT_TRAIN, ...opts.params }
  let reference: FeatureBins[] = []
  let caseWeighted = false
  const fitted: Ensemble[] = []
  for (let bag = 0; bag < bags; bag++) {
    const trainIdx = bag === 0 ? first : sampleOf(bag)
    const caseWeight = opts.perCase && data.group ? perCaseWeights(data.group, data.y, trainIdx) : undefined
    caseWeighted = caseWeight !== undefined
    const n = trainIdx.length
    // each bag is the single model of its sample (its own imbalance)
    const posWeight = weightOf(n - pos)
    const x = new Float64Array(n * cols)
    const y = new Uint8Array(n)
    const w = new Float64Array(n)
    for (let r = 0; r < n; r++) {
      const src = trainIdx[r]!
      x.set(data.x.subarray(src * cols, src * cols + cols), r * cols)
      y[r] = data.y[src]!
      w[r] = y[r] === 1 ? posWeight * (caseWeight?.get(src) ?? 1) : negWeight
      if ((r & 16383) === 16383) yield
    }
    // drift reference from the real values, before the excluded columns are blanked for the trees
    if (bag === 0) reference = yield* referenceBinsSteps(x, n, cols, features)
    for (let r = 0; r < n; r++) for (const f of excluded) x[r * cols + f] = 0
    fitted.push(yield* gbdtSteps({ rows: n, cols, x, y, w }, features, params, opts.start?.ensemble))
  }
  const ensemble = averageEnsembles(fitted)
  // calibration and metrics on the later split, at true class proportions
  const vm = new Float64Array(valIdx.length)
  const vy = new Uint8Array(valIdx.length)
  for (let r = 0; r < valIdx.length; r++) {
    const src = valIdx[r]!
    vm[r] = predictMargin(ensemble, data.x.subarray(src * cols, src * cols + cols))
    vy[r] = data.y[src]!
    if ((r & 4095) === 4095) yield
  }
  const calibration = fitIsotonic(vm, vy, new Float64Array(valIdx.length).fill(1))
  let brier = 0
  for (let r = 0; r < vm.length; r++) brier += (calibrate(calibration, vm[r]!) - vy[r]!) ** 2
  return {
    ensemble,
    calibration,
    reference,
    baseValue: baseValue(ensemble),
    metrics: {
      trainRows: first.length,
      trainPositives: pos,
      validationRows: valIdx.length,
      validationPositives: valPos,
      averagePrecision: averagePrecision(vm, vy),
      brier: brier / Math.max(1, vm.length),
      positiveWeight,
      ...(known >= 0 ? { customersOnly: true } : {}),
      ...(caseWeighted ? { perCase: true } : {}),
      ...(badDistance >= 0 ? { unconfirmedOnly: true } : {}),
      ...(excluded.length ? { excluded: excluded.map((f) => features[f]!) } : {}),
      ...(bags > 1 ? { bags } : {}),
      ...(opts.start
        ? { startedFrom: { name: opts.start.name, trees: opts.start.ensemble.trees.length } }
        : {}),
    },
  }
}

/**
 * The mean of several ensembles over the same features as one ensemble: every tree of each, its
 * leaf values divided by their number, the base the mean of theirs. Its margin is the mean of
 * their margins, and TreeSHAP over it the mean of theirs (exact: SHAP values add over trees).
 */
export function averageEnsembles(list: readonly Ensemble[]): Ensemble {
  if (list.length === 1) return list[0]!
  const k = list.length
  return {
    base: list.reduce((s, e) => s + e.base, 0) / k,
    features: list[0]!.features,
    trees: list.flatMap((e) => e.trees.map((t) => ({ ...t, value: t.value.map((v) => v / k) }))),
  }
}

/** The feature that says a row's subject is a known party (features.ts). */
const CUSTOMER_FEATURE = 'self_party.known'
/** The subject's hops to known-bad: 0 when it is itself confirmed (features.ts confirmedInRow). */
const BAD_DISTANCE_FEATURE = 'graph.self_bad_distance'

/** Whether a model scores this row: every row, or a customer's for a customers-only model. */
/** The number of highest rows a subject's score is made of for this model (1: the highest row). */
export const subjectTopRows = (m: RiskModel): number => m.metrics.subjectTopRows ?? 1
/** The discount per ln(rows) of this model's subject score (0: none, models stored before session 21). */
export const subjectRowDiscount = (m: RiskModel): number => m.metrics.subjectRowDiscount ?? 0

export function scoresRow(m: RiskModel, x: ArrayLike<number>, offset = 0): boolean {
  if (!m.metrics.customersOnly) return true
  return x[offset + m.ensemble.features.indexOf(CUSTOMER_FEATURE)] === 1
}

/**
 * Per positive training row, the factor that gives each case the same total weight (rows of no
 * known case count as a case of their own), normalised so the factors average 1 over positives.
 */
function perCaseWeights(group: Int32Array, y: Uint8Array, rows: readonly number[]): Map<number, number> {
  const size = new Map<number, number>()
  const key = (i: number): number => (group[i]! >= 0 ? group[i]! : -1 - i)
  let pos = 0
  for (const i of rows)
    if (y[i] === 1) {
      size.set(key(i), (size.get(key(i)) ?? 0) + 1)
      pos++
    }
  const out = new Map<number, number>()
  for (const i of rows) if (y[i] === 1) out.set(i, pos / size.size / size.get(key(i))!)
  return out
}

/** Area under the precision-recall curve by the step-wise (average precision) rule. */
export function averagePrecision(score: ArrayLike<number>, y: ArrayLike<number>): number {
  const order = Array.from({ length: score.length }, (_, i) => i).sort(
    (a, b) => score[b]! - score[a]! || a - b,
  )
  const total = order.reduce((s, i) => s + y[i]!, 0)
  if (total === 0) return 0
  let tp = 0
  let sum = 0
  order.forEach((i, k) => {
    if (y[i] === 1) {
      tp++
      sum += tp / (k + 1)
    }
  })
  return sum / total
}

export interface Score {
  /** Log-odds from the trees (what the explanation decomposes). */
  readonly margin: number
  /** Calibrated probability that the subject is part of a confirmed case. */
  readonly probability: number
}

export function scoreRow(m: RiskModel, x: ArrayLike<number>): Score {
  const margin = predictMargin(m.ensemble, x)
  return { margin, probability: calibrate(m.calibration, margin) }
}

export interface Contribution {
  readonly feature: string
  readonly value: number
  /** Change in log-odds this feature's value caused (positive: pushed the score up). */
  readonly shap: number
}

export interface Explanation {
  readonly baseValue: number
  readonly margin: number
  readonly probability: number
  /** Non-zero contributions, largest effect first; they sum to margin − baseValue. */
  readonly contributions: readonly Contribution[]
}

/** Each ensemble's TreeSHAP tables and their scratch, built once (null: too large, recursive form). */
const shapTables = new WeakMap<Ensemble, { tables: ShapTables; pattern: Int32Array } | null>()

function tablesOf(e: Ensemble): { tables: ShapTables; pattern: Int32Array } | null {
  let t = shapTables.get(e)
  if (t === undefined) {
    const tables = buildShapTables(e)
    t = tables ? { tables, pattern: new Int32Array(tables.nodeFeature.length) } : null
    shapTables.set(e, t)
  }
  return t
}

/**
 * Builds the model's TreeSHAP tables now (a fraction of a second for the default ensemble), so that
 * the first alert explained in a monitoring decision does not pay for them.
 */
export function prepareExplanations(m: RiskModel): void {
  tablesOf(m.ensemble)
}

/** Exact TreeSHAP values of one row: from the precomputed tables when the model has them. */
export function shapValues(m: RiskModel, x: ArrayLike<number>): Float64Array {
  const t = tablesOf(m.ensemble)
  return t ? tableShap(t.tables, x, new Float64Array(t.tables.features), t.pattern) : treeShap(m.ensemble, x)
}

export function explainRow(m: RiskModel, x: ArrayLike<number>): Explanation {
  const phi = shapValues(m, x)
  const s = scoreRow(m, x)
  const contributions: Contribution[] = []
  m.ensemble.features.forEach((feature, i) => {
    if (phi[i] !== 0) contributions.push({ feature, value: x[i]!, shap: phi[i]! })
  })
  contributions.sort((a, b) => Math.abs(b.shap) - Math.abs(a.shap) || a.feature.localeCompare(b.feature))
  return { baseValue: m.baseValue, margin: s.margin, probability: s.probability, contributions }
}

// ---- serialisation (the registry stores models as JSON) ----

interface TreeJson {
  f: number[]
  t: number[]
  l: number[]
  r: number[]
  v: number[]
  c: number[]
  d: number
}

export interface ModelJson {
  readonly base: number
  readonly features: readonly string[]
  readonly trees: readonly TreeJson[]
  readonly calibration: Calibration
  readonly reference: readonly FeatureBins[]
  readonly baseValue: number
  readonly metrics: ModelMetrics
}

const finite = (v: number): number => (Number.isFinite(v) ? v : v > 0 ? 1e308 : -1e308)

export function modelToJson(m: RiskModel): ModelJson {
  return {
    base: m.ensemble.base,
    features: m.ensemble.features,
    trees: m.ensemble.trees.map((t) => ({
      f: [...t.feature],
      t: [...t.threshold].map(finite),
      l: [...t.left],
      r: [...t.right],
      v: [...t.value],
      c: [...t.cover],
      d: t.maxDepth,
    })),
    calibration: m.calibration,
    reference: m.reference.map((r) => ({ ...r, edges: r.edges.map(finite) })),
    baseValue: m.baseValue,
    metrics: m.metrics,
  }
}

export function modelFromJson(j: ModelJson): RiskModel {
  const trees: Tree[] = j.trees.map((t) => ({
    feature: Int32Array.from(t.f),
    threshold: Float64Array.from(t.t),
    left: Int32Array.from(t.l),
    right: Int32Array.from(t.r),
    value: Float64Array.from(t.v),
    cover: Float64Array.from(t.c),
    maxDepth: t.d,
  }))
  return {
    ensemble: { base: j.base, features: j.features, trees },
    calibration: j.calibration,
    reference: j.reference,
    baseValue: j.baseValue,
    metrics: j.metrics,
  }
}
