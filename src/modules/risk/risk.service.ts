import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import { confidenceOf } from './alert-budget.js'
import { forEachInSlices, runStepsInSlices } from '../../shared/time-slice.js'
import {
  CASH,
  DAY_MS,
  DEDUP_WINDOW_MS,
  type CaseLabel,
  type DecisionModelPort,
  type DecisionScorer,
  type EvalContext,
  type MonTxn,
  type HistoryOptions,
  type StoredHistory,
} from '../monitoring/index.js'
import { extractRow, FEATURE_COUNT, FEATURE_NAMES, type FeatureInputs, type Side } from './features.js'
import { GateInputsHash } from './gate-inputs.js'
import { RiskGraph } from './graph.js'
import {
  explainRow,
  modelFromJson,
  modelToJson,
  NotEnoughLabels,
  scoreRow,
  subjectRowDiscount,
  subjectTopRows,
  type Explanation,
  type RiskModel,
} from './model.js'
import { periodMetrics, periodStart, type Period, type PeriodMetrics } from './metrics.js'
import type { DriftReport } from './psi.js'
import { importedLabel, type RiskLabel } from './replay.js'
import { riskError } from './risk.errors.js'
import type { ChangeReport } from './change-report.js'
import { createDecisionScorer, type ScoringModel } from './decision.js'
import { createRiskStore, type ModelRecord, type RiskAlertRecord } from './risk.store.js'
import { createScoreStore } from './score.store.js'
import { jobHistory } from './training-job.js'
import { startTraining, type FiguresOf, type JobSettings, type TrainingMode } from './training-runner.js'
import { SUBJECT_WINDOW_MS, SubjectScores } from './subject-score.js'
import { historyRange, countSplit, timeSplit, type GateResult, type Split } from './training.js'

/**
 * The risk service: trains models from a tenant's stored monitoring history and confirmed case
 * outcomes, keeps them in the registry (shadow → live through the gate, promoted by an operator),
 * scores transactions synchronously with the live model and every shadow model, stores an alert
 * with its TreeSHAP explanation when the live model's probability reaches its threshold, and checks
 * feature drift (PSI). Audit entries are written by the callers (API routes, CLI) with the actor.
 */

/** Monitoring, as the risk model reads it (a narrow port). */
export interface RiskHistoryPort {
  history(tenant: string, from: number, to: number, opts?: HistoryOptions): Promise<StoredHistory>
  /** The window's transactions a page at a time, in `history`'s order (training hands each page on). */
  transactionPages(tenant: string, from: number, to: number): AsyncIterable<MonTxn[]>
  /** Where the tenant's transactions stand (monitoring's streamNow): the scorer's windows end there. */
  streamNow(tenant: string): Promise<number>
  listLabels(tenant: string): Promise<CaseLabel[]>
  /** The subjects monitoring alerted on per day of [from, to) (every rule; the metrics' live budget). */
  alertedSubjectDays(tenant: string, from: number, to: number): Promise<{ subject: string; day: number }[]>
  /**
   * Hands `observe` the features monitoring's own engine would decide `txn` on, deciding and
   * learning nothing (monitoring's observeWhatIf): a what-if score reads what the decision path reads.
   */
  observeWhatIf(tenant: string, txn: MonTxn, observe: (ctx: EvalContext, t: MonTxn) => void): Promise<void>
}

/** Closed cases' outcomes (the cases module's `labels`). */
export interface RiskCaseOutcomesPort {
  labels(
    tenant: string,
    opts?: { after?: Date; limit?: number },
  ): Promise<
    readonly {
      readonly caseId: string
      readonly subject: string
      readonly typology: string | null
      readonly raisedAt: Date
      readonly closedAt: Date
      readonly label: string
    }[]
  >
}

export interface RiskDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly history: RiskHistoryPort
  readonly cases?: RiskCaseOutcomesPort | undefined
  /** Where training runs (training-runner.ts): a worker thread unless asked otherwise. */
  readonly trainIn?: TrainingMode | undefined
  /** Shadows kept per tenant (MONETA_RISK_MAX_SHADOWS): a training retires the older ones. Default 3. */
  readonly maxShadows?: number | undefined
}

export interface TrainRequest {
  /** Epoch ms; default: the first stored transaction. */
  readonly from?: number
  /** Epoch ms; default: a day after the last stored transaction. */
  readonly to?: number
  readonly trees?: number
  readonly depth?: number
}

export interface SideScore {
  readonly side: Side
  readonly subject: string
  readonly probability: number
  /** With an alert budget: the customer's confidence, comparable with the rules' precision (alert-budget.ts). */
  readonly confidence?: number
  /** True when the model would raise its own alert on this side (a customer no rule alerts on). */
  readonly alert: boolean
  readonly alertId?: string
  readonly explanation?: Explanation
  readonly shadow: readonly { readonly modelId: string; readonly probability: number }[]
}

export interface ScoreResult {
  readonly modelId: string
  readonly threshold: number
  /** With an alert budget: the probability from which the model raises its own alerts (`alert`). */
  readonly ownAlertFrom?: number
  readonly sides: readonly SideScore[]
  readonly elapsedMs: number
}

export interface EvaluateReport {
  readonly model: ModelRecord
  readonly gate: GateResult
  readonly drift: readonly DriftReport[]
  readonly driftAlerts: number
}

export interface TrainResult {
  readonly model: ModelRecord
  readonly gate: GateResult
  readonly changes: ChangeReport
  /** Older shadows this training pushed past the shadow limit (retired as `superseded`). */
  readonly retired: readonly string[]
}

export interface Risk {
  /**
   * RISK_NOT_ENOUGH_LABELS · RISK_INVALID_INPUT · RISK_TRAINING_IN_PROGRESS. The new model is a
   * shadow model. Trainings of different tenants run one after the other (one worker at a time).
   */
  train(tenant: string, req: TrainRequest, actor: string): Promise<TrainResult>
  /**
   * The scheduled retrain (MONETA_RISK_RETRAIN_MS): a challenger on all stored history with its
   * change report, then the champion's drift check (drifting features raise alerts).
   */
  retrain(tenant: string, actor: string): Promise<TrainResult & { driftAlerts: number }>
  /** Tenants with a model in the registry: those the scheduled retrain visits. */
  tenantsWithModels(): Promise<string[]>
  listModels(tenant: string): Promise<ModelRecord[]>
  /** RISK_MODEL_NOT_FOUND. */
  getModel(tenant: string, modelId: string): Promise<ModelRecord>
  /** Gate figures against the live configuration now, and drift of recent data (drifting features raise alerts). */
  evaluate(tenant: string, modelId: string): Promise<EvaluateReport>
  /** RISK_OPERATOR_REQUIRED · RISK_MODEL_NOT_SHADOW · RISK_PROMOTION_REFUSED (with the gate figures). */
  promote(
    tenant: string,
    modelId: string,
    by: { actor: string; operator: boolean },
  ): Promise<{ model: ModelRecord; gate: GateResult }>
  /**
   * RISK_MODEL_NOT_FOUND · RISK_MODEL_NOT_SHADOW. Takes a shadow out of the decision path (a live
   * model leaves only when another is promoted); it stays in the registry with its metrics.
   */
  retire(tenant: string, modelId: string, actor: string): Promise<ModelRecord>
  /** RISK_NO_LIVE_MODEL. Scores both sides of a transaction (no state change but a stored alert). */
  score(tenant: string, txn: MonTxn, opts?: { explain?: boolean }): Promise<ScoreResult>
  listAlerts(tenant: string, opts?: { subject?: string; limit?: number }): Promise<RiskAlertRecord[]>
  /** RISK_MODEL_NOT_FOUND · RISK_INVALID_INPUT. Champion/challenger metrics per period (metrics.ts). */
  metrics(tenant: string, modelId: string, q: MetricsQuery): Promise<MetricsReport>
  /** What monitoring scores every decision with: the champion (and challengers) of a tenant. */
  readonly decisionModel: DecisionModelPort
}

export interface MetricsQuery {
  readonly period: Period
  /** Epoch ms; default 12 periods before `to`. */
  readonly from?: number
  /** Epoch ms; default now. */
  readonly to?: number
}

export interface MetricsReport {
  readonly model: ModelRecord
  readonly period: Period
  readonly periods: readonly PeriodMetrics[]
}

/** A metrics query covers at most this long (one row per subject-day is read). */
const METRICS_MAX_MS = 400 * DAY_MS

const CONFIRMED = new Set(['true_positive', 'sar_filed'])
/** How far before an alert a confirmed case's activity is taken to reach. */
const CASE_LOOKBACK_MS = 14 * DAY_MS
const SCORER_HISTORY_MS = 180 * DAY_MS
const DRIFT_DAYS = 7

interface Scorer {
  readonly inputs: FeatureInputs
  /** Undefined before any promotion: the shadows are scored in the decision path all the same. */
  readonly live: ScoringModel | undefined
  readonly shadows: ScoringModel[]
  /** The same models and graph in monitoring's decision path. */
  readonly decision: DecisionScorer
  readonly builtAt: number
  /** Listeners told every payment `decision` links into the graph (successors catching up). */
  readonly linked: Set<(t: MonTxn) => void>
}

/** A running scorer is rebuilt this often (cases closed since mark new known-bad parties). */
const SCORER_REFRESH_MS = 15 * 60_000
/**
 * Every shadow is scored on every decision and again at each scorer rebuild, and the scheduled
 * retrain adds one per tenant each interval: the newest few are what an operator compares and
 * promotes from.
 */
const DEFAULT_MAX_SHADOWS = 3

/** "No model is promoted" is remembered this long (monitoring asks on every transaction). */
const NO_MODEL_TTL_MS = 30_000

export function createRisk(deps: RiskDeps): Risk {
  const store = createRiskStore(deps.db)
  const scoreStore = createScoreStore(deps.db)
  const trainIn = deps.trainIn ?? 'worker'
  const maxShadows = deps.maxShadows ?? DEFAULT_MAX_SHADOWS
  /** Tenants with a training running. */
  const training = new Set<string>()
  // one training at a time in this process: each holds its window here and its features in a worker
  // whose heap may grow as large as the server's
  let trainingLane: Promise<unknown> = Promise.resolve()
  const inLane = <T>(run: () => Promise<T>): Promise<T> => {
    const next = trainingLane.then(run)
    trainingLane = next.catch(() => undefined)
    return next
  }
  const scorers = new Map<string, Promise<Scorer>>()

  async function labelsOf(tenant: string): Promise<RiskLabel[]> {
    const imported = (await deps.history.listLabels(tenant)).map(importedLabel)
    const outcomes = deps.cases ? await deps.cases.labels(tenant, { limit: 10_000 }) : []
    return [
      ...imported,
      ...outcomes.map((o): RiskLabel => ({
        id: o.caseId,
        typology: o.typology ?? 'case',
        accounts: [o.subject],
        from: o.raisedAt.getTime() - CASE_LOOKBACK_MS,
        to: o.raisedAt.getTime(),
        knownAt: o.closedAt.getTime(),
        positive: CONFIRMED.has(o.label),
      })),
    ]
  }

  async function load(tenant: string, modelId: string): Promise<{ record: ModelRecord; model: RiskModel }> {
    const m = await store.getModel(tenant, modelId)
    if (!m) throw riskError('RISK_MODEL_NOT_FOUND', modelId)
    return { record: m.record, model: modelFromJson(m.model) }
  }

  async function liveOf(tenant: string): Promise<{ record: ModelRecord; model: RiskModel } | undefined> {
    const id = await store.liveModelId(tenant)
    return id ? load(tenant, id) : undefined
  }

  // validation starts where training chose (metrics.validationFrom); models stored before it was kept
  // were split at the window's midpoint
  const splitOf = (r: ModelRecord): Split => ({
    ...timeSplit(r.windowFrom.getTime(), r.windowTo.getTime()),
    ...(typeof r.metrics.validationFrom === 'number' ? { validationFrom: r.metrics.validationFrom } : {}),
    holdoutFrom: r.holdoutFrom.getTime(),
  })

  async function gateNow(
    tenant: string,
    cand: { record: ModelRecord; model: RiskModel },
  ): Promise<GateResult> {
    const split = splitOf(cand.record)
    // the window as training read it: transactions stored later, even inside the window's last day
    // (it ends a day after the last transaction), were not in the model's holdout
    const seenTo = cand.record.metrics.gateTo
    const to = typeof seenTo === 'number' ? seenTo : split.to
    const head = await deps.history.history(tenant, split.from, to, { seeds: true, txns: false })
    const labels = await labelsOf(tenant)
    const live = await liveOf(tenant)
    const atTraining = cand.record.metrics.gateAtTraining as GateResult | undefined
    // nothing the gate reads changed since training: its figures then are the replay's now
    if (atTraining) {
      const hash = new GateInputsHash(head, labels, live?.record.modelId)
      for await (const page of deps.history.transactionPages(tenant, split.from, to))
        await runStepsInSlices(hash.txnSteps(page))
      if (cand.record.metrics.gateInputs === hash.digest(head.seeds))
        return { ...atTraining, basis: 'unchanged since training' }
    }
    const { txns: _none, ...window } = jobHistory(head, labels)
    const gate = await onWindow(tenant, split.from, to, {
      kind: 'gate',
      ...window,
      split,
      candidate: modelToJson(cand.model),
      live:
        live && live.record.modelId !== cand.record.modelId
          ? { model: modelToJson(live.model), threshold: live.record.threshold }
          : undefined,
    })
    return { ...gate, basis: 'replayed' }
  }

  /**
   * A gate or drift job on the window [from, to): its transactions streamed to where the job runs
   * (a worker, unless MONETA_RISK_TRAIN_IN=process), one such job at a time in the process.
   */
  function onWindow<S extends Exclude<JobSettings, { kind: 'train' }>>(
    tenant: string,
    from: number,
    to: number,
    settings: S,
  ): Promise<FiguresOf<S>> {
    return inLane(async () => {
      const session = await startTraining(trainIn)
      try {
        for await (const page of deps.history.transactionPages(tenant, from, to)) await session.send(page)
        return await session.run(settings)
      } finally {
        await session.close()
      }
    })
  }

  /**
   * The scorer's windows (the graph's history, the subjects' recent rows) end where the tenant's
   * transactions stand (monitoring's streamNow), not at the wall clock: a history loaded months after
   * it happened (a backfill, a labelled dataset) lay entirely before a wall-clock window, and a model
   * scored what followed it with an empty graph and every subject cold (docs/risk.md, "Event time").
   */
  const tenantNow = (tenant: string): Promise<number> => deps.history.streamNow(tenant)

  /**
   * `previous`: the scorer that keeps deciding while this one builds. Payments it links from now on
   * are caught and linked into the new graph once the history is in (a history read at the start of
   * a build cannot hold what is decided during it), then forwarded as they come, so that a decision
   * still holding `previous` (an ingest call's batch) leaves no hole in its successor's graph.
   */
  async function buildScorer(tenant: string, previous?: Scorer): Promise<Scorer> {
    const caught: MonTxn[] = []
    const catchUp = (t: MonTxn): void => void caught.push(t)
    previous?.linked.add(catchUp)
    try {
      return await buildFromHistory(tenant, previous, caught)
    } finally {
      previous?.linked.delete(catchUp)
    }
  }

  async function buildFromHistory(
    tenant: string,
    previous: Scorer | undefined,
    caught: readonly MonTxn[],
  ): Promise<Scorer> {
    const live = await liveOf(tenant)
    const shadowRecords = (await store.listModels(tenant)).filter((r) => r.status === 'shadow')
    // a tenant's first model runs in shadow too (scored, its metrics kept, nothing raised) before
    // anyone promotes it; with no model at all there is nothing to score
    if (!live && shadowRecords.length === 0) throw riskError('RISK_NO_LIVE_MODEL')
    const builtAt = deps.clock.now().getTime()
    const now = await tenantNow(tenant)
    const since = now - SCORER_HISTORY_MS
    const end = Date.UTC(9999, 0, 1)
    const h = await deps.history.history(tenant, since, end, { txns: false })
    const graph = new RiskGraph()
    for (const l of await labelsOf(tenant))
      if (l.positive && l.knownAt <= now) for (const a of l.accounts) graph.markBad(a)
    // in slices: 1M payments took ~2 s of one event-loop turn, every 15 minutes; and a page at a
    // time, so the 180 days are never held whole (their major collections stalled the server ~2 s)
    for await (const page of deps.history.transactionPages(tenant, since, end))
      await forEachInSlices(page, (t) => graph.linkPayment(t))
    // each model's subjects start from their stored recent top rows (the decision path kept them)
    const scoringModel = async (record: ModelRecord, model: RiskModel): Promise<ScoringModel> => {
      const subjects = new SubjectScores(
        subjectTopRows(model),
        model.calibration,
        SUBJECT_WINDOW_MS,
        subjectRowDiscount(model),
      )
      // in slices: a month of a 10,000-customer tenant's subject-days held the event loop 1–2.7 s a
      // model (session 29)
      const days = await scoreStore.subjectMargins(
        tenant,
        record.modelId,
        now - SUBJECT_WINDOW_MS,
        now + DAY_MS,
      )
      await forEachInSlices(days, (d) => subjects.warmDay(d))
      return { id: record.modelId, version: record.version, threshold: record.threshold, model, subjects }
    }
    const shadows: ScoringModel[] = []
    for (const r of shadowRecords) shadows.push(await scoringModel(r, (await load(tenant, r.modelId)).model))
    const inputs: FeatureInputs = { highRisk: h.lists.get('high_risk_countries') ?? new Set(), graph }
    const champion = live ? await scoringModel(live.record, live.model) : undefined
    // no await from here on: nothing is decided between catching up and forwarding
    for (const t of caught) graph.linkPayment(t)
    const linked = new Set<(t: MonTxn) => void>()
    const forward = (t: MonTxn): void => {
      graph.linkPayment(t)
      for (const f of linked) f(t)
    }
    previous?.linked.add(forward)
    return {
      inputs,
      live: champion,
      shadows,
      decision: createDecisionScorer(inputs, champion, shadows, scoreStore, (t) => {
        for (const f of linked) f(t)
      }),
      builtAt,
      linked,
    }
  }

  /** Cached per tenant; a stale one keeps serving while its successor builds. */
  function scorer(tenant: string): Promise<Scorer> {
    let s = scorers.get(tenant)
    if (!s) {
      s = buildScorer(tenant)
      scorers.set(tenant, s)
      s.catch(() => scorers.delete(tenant))
      return s
    }
    const current = s
    void current.then(
      (x) => {
        if (deps.clock.now().getTime() - x.builtAt < SCORER_REFRESH_MS || scorers.get(tenant) !== current)
          return
        const next = buildScorer(tenant, x)
        next.then(
          () => scorers.get(tenant) === current && scorers.set(tenant, next),
          () => undefined,
        )
      },
      () => undefined,
    )
    return current
  }

  const noModelUntil = new Map<string, number>()

  /**
   * After a training or a promotion: builds the tenant's scorer anew while the current one keeps
   * deciding, and swaps it in, so the new model is in the decision path when the call returns.
   * Dropping the cached scorer instead left the next decisions to wait for the build (~30 s at
   * 10,000 customers: an ingest call stalled, a synchronous decision past its budget went without
   * the model). A failed build leaves the build to the next decision, as before.
   */
  async function replaceScorer(tenant: string): Promise<void> {
    noModelUntil.delete(tenant)
    const current = scorers.get(tenant)
    const previous = current ? await current.catch(() => undefined) : undefined
    try {
      scorers.set(tenant, Promise.resolve(await buildScorer(tenant, previous)))
    } catch {
      scorers.delete(tenant)
    }
  }

  /** Monitoring's DecisionModelPort: the champion and shadows' scorer, or undefined with no model at all. */
  async function decisionScorer(tenant: string): Promise<DecisionScorer | undefined> {
    const until = noModelUntil.get(tenant)
    if (until !== undefined && deps.clock.now().getTime() < until) return undefined
    try {
      return (await scorer(tenant)).decision
    } catch (e) {
      if ((e as { code?: string }).code !== 'RISK_NO_LIVE_MODEL') throw e
      noModelUntil.set(tenant, deps.clock.now().getTime() + NO_MODEL_TTL_MS)
      return undefined
    }
  }

  /** A training of the tenant's window (api.train, once its request is checked and no other runs). */
  async function trainNow(tenant: string, req: TrainRequest, actor: string): Promise<TrainResult> {
    const stored = await deps.history.history(tenant, 0, 0)
    const range = historyRange(stored.range)
    const from = req.from ?? range.from
    const to = req.to ?? range.to
    if (!(to > from)) throw riskError('RISK_NOT_ENOUGH_LABELS', 'no stored transactions in the window')
    // everything but the transactions: they go to the training a page at a time, so that this
    // thread never holds the window (at 10,000 customers its major collections stalled it seconds)
    const head = await deps.history.history(tenant, from, to, { seeds: true, txns: false })
    const labels = await labelsOf(tenant)
    const live = await liveOf(tenant)
    // what changed against the model it would replace: the champion, or the newest model
    const newest = (await store.listModels(tenant))[0]
    const previous = live ?? (newest ? await load(tenant, newest.modelId) : undefined)
    const session = await startTraining(trainIn)
    try {
      // the digest of what the gate reads, and the times the split is cut at, taken page by page
      const hash = new GateInputsHash(head, labels, live?.record.modelId)
      const ats: number[] = []
      for await (const page of deps.history.transactionPages(tenant, from, to)) {
        await runStepsInSlices(hash.txnSteps(page))
        for (const t of page) ats.push(t.at)
        await session.send(page)
      }
      const gateInputs = hash.digest(head.seeds)
      const split = countSplit(ats, from, to)
      const { txns: _none, ...window } = jobHistory(head, labels)
      let trained
      try {
        trained = await session.run({
          kind: 'train',
          ...window,
          split,
          params: {
            ...(req.trees ? { trees: req.trees } : {}),
            ...(req.depth ? { depth: req.depth } : {}),
          },
          live: live && { model: modelToJson(live.model), threshold: live.record.threshold },
          previous: previous && {
            model: modelToJson(previous.model),
            threshold: previous.record.threshold,
            modelId: previous.record.modelId,
            version: previous.record.version,
            status: previous.record.status,
          },
          to,
        })
      } catch (e) {
        if (e instanceof NotEnoughLabels) throw riskError('RISK_NOT_ENOUGH_LABELS', e.message)
        throw e
      }
      const { record, retired } = await store.insertModel({
        tenant,
        modelId: deps.ids('rmod'),
        windowFrom: new Date(from),
        windowTo: new Date(to),
        holdoutFrom: new Date(split.holdoutFrom),
        features: FEATURE_NAMES,
        metrics: {
          ...trained.model.metrics,
          holdoutRows: trained.holdoutRows,
          validationFrom: split.validationFrom,
          gateAtTraining: trained.gate,
          gateInputs,
          gateTo: (ats.at(-1) ?? from) + 1,
          changes: trained.changes,
          drift: trained.drift,
        },
        model: trained.model,
        threshold: trained.threshold,
        trainedBy: actor,
        trainedAt: deps.clock.now(),
        keepShadows: maxShadows,
      })
      // a chunk at a time, each asked for once the one before is stored
      for await (const seeds of session.seeds()) await scoreStore.seed(tenant, record.modelId, seeds)
      await replaceScorer(tenant)
      return { model: record, gate: trained.gate, changes: trained.changes, retired }
    } finally {
      await session.close()
    }
  }

  const api: Risk = {
    async train(tenant, req, actor) {
      if (req.trees !== undefined && (!Number.isInteger(req.trees) || req.trees < 1 || req.trees > 500))
        throw riskError('RISK_INVALID_INPUT', 'trees is 1–500')
      if (req.depth !== undefined && (!Number.isInteger(req.depth) || req.depth < 1 || req.depth > 8))
        throw riskError('RISK_INVALID_INPUT', 'depth is 1–8')
      // one training per tenant: each holds the tenant's window and a worker's heap for minutes
      if (training.has(tenant)) throw riskError('RISK_TRAINING_IN_PROGRESS')
      training.add(tenant)
      try {
        return await inLane(() => trainNow(tenant, req, actor))
      } finally {
        training.delete(tenant)
      }
    },

    async retrain(tenant, actor) {
      const trained = await api.train(tenant, {}, actor)
      const live = await store.liveModelId(tenant)
      const drift = live ? await api.evaluate(tenant, live) : undefined
      return { ...trained, driftAlerts: drift?.driftAlerts ?? 0 }
    },

    tenantsWithModels: () => store.tenantsWithModels(),

    listModels: (tenant) => store.listModels(tenant),

    async getModel(tenant, modelId) {
      return (await load(tenant, modelId)).record
    },

    async evaluate(tenant, modelId) {
      const cand = await load(tenant, modelId)
      const gate = await gateNow(tenant, cand)
      // drift: the last DRIFT_DAYS of stored history (features warmed up on the 30 days before)
      const stored = await deps.history.history(tenant, 0, 0)
      const end = historyRange(stored.range).to
      const from = end - (DRIFT_DAYS + 30) * DAY_MS
      const head = await deps.history.history(tenant, from, end, { seeds: true, txns: false })
      const r = await onWindow(tenant, from, end, {
        kind: 'drift',
        parties: head.parties,
        highRisk: [...(head.lists.get('high_risk_countries') ?? [])],
        seeds: head.seeds,
        keepFrom: end - DRIFT_DAYS * DAY_MS,
        reference: cand.model.reference,
      })
      const report = r.report
      const now = deps.clock.now()
      let driftAlerts = 0
      for (const d of report.filter((x) => x.drifting)) {
        await store.insertAlert(tenant, {
          alertId: deps.ids('ralt'),
          kind: 'drift',
          modelId,
          subject: d.feature,
          txnId: null,
          probability: null,
          details: { feature: d.feature, psi: d.psi, rows: r.rows, days: DRIFT_DAYS },
          createdAt: now,
        })
        driftAlerts++
      }
      return { model: cand.record, gate, drift: report, driftAlerts }
    },

    async promote(tenant, modelId, by) {
      if (!by.operator) throw riskError('RISK_OPERATOR_REQUIRED')
      const cand = await load(tenant, modelId)
      if (cand.record.status !== 'shadow')
        throw riskError('RISK_MODEL_NOT_SHADOW', `${modelId} is ${cand.record.status}`)
      const gate = await gateNow(tenant, cand)
      if (!gate.passed) throw riskError('RISK_PROMOTION_REFUSED', gate.reason, { gate })
      const record = await store.promote(tenant, modelId, by.actor, deps.clock.now(), { ...gate })
      if (!record) throw riskError('RISK_MODEL_NOT_SHADOW', modelId)
      await replaceScorer(tenant)
      return { model: record, gate }
    },

    async retire(tenant, modelId, actor) {
      const found = await store.getModel(tenant, modelId)
      if (!found) throw riskError('RISK_MODEL_NOT_FOUND', modelId)
      if (found.record.status !== 'shadow')
        throw riskError('RISK_MODEL_NOT_SHADOW', `${modelId} is ${found.record.status}`)
      const record = await store.retireShadow(tenant, modelId, actor, deps.clock.now())
      if (!record) throw riskError('RISK_MODEL_NOT_SHADOW', modelId)
      await replaceScorer(tenant)
      return record
    },

    async score(tenant, txn, opts = {}) {
      const s = await scorer(tenant)
      const live = s.live
      // shadows alone are scored in the decision path; a what-if score answers for the live model
      if (!live) throw riskError('RISK_NO_LIVE_MODEL')
      const budget = live.model.metrics.alertBudget
      const started = performance.now()
      const rows: { side: Side; subject: string; x: Float64Array }[] = []
      const observe = (ctx: EvalContext, t: MonTxn): void => {
        for (const side of ['out', 'in'] as const) {
          const subject = side === 'out' ? t.src : t.dst
          if (subject === CASH) continue
          const x = new Float64Array(FEATURE_COUNT)
          extractRow(ctx, t, side, s.inputs, x, 0)
          rows.push({ side, subject, x })
        }
      }
      await deps.history.observeWhatIf(tenant, txn, observe)
      const sides: SideScore[] = []
      for (const r of rows) {
        // the subject's score with this row, as the decision path would compute it (not kept: a
        // what-if score must not change the subject's recent rows)
        const score = (m: ScoringModel): number =>
          m.subjects.peek(r.subject, txn.at, scoreRow(m.model, r.x).margin)
        const p = { probability: score(live) }
        // as the decision path raises the model's own alert on a customer no rule alerts on: within
        // the alert budget (session 31), or at the threshold for a model stored before
        const alert = p.probability >= (budget ? budget.ownAlertFrom : live.threshold)
        const explanation = alert || opts.explain ? explainRow(live.model, r.x) : undefined
        let alertId: string | undefined
        if (alert) {
          alertId = deps.ids('ralt')
          await store.insertAlert(tenant, {
            alertId,
            kind: 'score',
            modelId: live.id,
            subject: r.subject,
            txnId: txn.id,
            probability: p.probability,
            details: { side: r.side, explanation: explanation! },
            createdAt: deps.clock.now(),
          })
        }
        sides.push({
          side: r.side,
          subject: r.subject,
          probability: p.probability,
          ...(budget ? { confidence: confidenceOf(budget, p.probability) } : {}),
          alert,
          ...(alertId ? { alertId } : {}),
          ...(explanation ? { explanation } : {}),
          shadow: s.shadows.map((m) => ({ modelId: m.id, probability: score(m) })),
        })
      }
      return {
        modelId: live.id,
        threshold: live.threshold,
        ...(budget ? { ownAlertFrom: budget.ownAlertFrom } : {}),
        sides,
        elapsedMs: performance.now() - started,
      }
    },

    async metrics(tenant, modelId, q) {
      const m = await load(tenant, modelId)
      // by default the last 12 periods of the tenant's own transactions (a backfilled history included)
      const to = q.to ?? (await tenantNow(tenant)) + DAY_MS
      let from = q.from ?? to
      if (q.from === undefined) for (let i = 0; i < 12; i++) from = periodStart(from - 1, q.period)
      if (!(from < to) || to - from > METRICS_MAX_MS)
        throw riskError('RISK_INVALID_INPUT', 'from must be before to, at most 400 days apart')
      const start = periodStart(from, q.period)
      const [scores, championAlerts, liveAlerts, labels] = await Promise.all([
        // a dedup window earlier too: an alert open before the range is not raised again in it
        scoreStore.subjectDays(tenant, modelId, start - DEDUP_WINDOW_MS, to),
        scoreStore.championDays(tenant, start - DEDUP_WINDOW_MS, to),
        deps.history.alertedSubjectDays(tenant, start, to),
        labelsOf(tenant),
      ])
      const periods = periodMetrics({
        scores,
        championAlerts,
        liveAlerts,
        // a model with an alert budget raises its own alerts from the budget's cut (session 31)
        threshold: m.model.metrics.alertBudget?.ownAlertFrom ?? m.record.threshold,
        labels,
        period: q.period,
        from: start,
        to,
        dedupMs: DEDUP_WINDOW_MS,
      })
      return { model: m.record, period: q.period, periods }
    },

    decisionModel: { scorer: decisionScorer },

    listAlerts: (tenant, opts = {}) =>
      store.listAlerts(tenant, opts.subject, Math.min(Math.max(opts.limit ?? 100, 1), 1000)),
  }
  return api
}
