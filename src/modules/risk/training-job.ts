import type { Steps } from '../../shared/time-slice.js'
import { bundledStartingModel, START_PARAMS } from './starting-model.js'
import {
  compileRuleSet,
  type HistorySeeds,
  type MonTxn,
  type Party,
  type RuleSetDef,
  type StoredHistory,
} from '../monitoring/index.js'
import { changeReportSteps, type ChangeReport } from './change-report.js'
import type { TrainParams } from './gbdt.js'
import { modelFromJson, modelToJson, type ModelJson } from './model.js'
import { driftSteps, type DriftReport, type FeatureBins } from './psi.js'
import { replaySteps, type RiskLabel } from './replay.js'
import type { SubjectDayMargins } from './score.store.js'
import {
  historyReplayOptions,
  promotionGateSteps,
  rowsBetweenSteps,
  subjectSeedsSteps,
  trainOnHistorySteps,
  type GateResult,
  type Split,
  type TrainingHistory,
} from './training.js'

/**
 * One training of the service, as plain data in and plain data out, so that it runs the same in a
 * worker thread (training.worker.ts, what the server does) or on the calling thread in slices. The
 * job holds the window as stored; everything built from it (the replay's features and rows, the
 * trees, the gate, the reports, the subject seeds) is built where the job runs.
 */
export interface TrainingJob {
  readonly kind: 'train'
  readonly txns: readonly MonTxn[]
  readonly parties: readonly Party[]
  readonly highRisk: readonly string[]
  readonly labels: readonly RiskLabel[]
  /** The active rule set as stored; compiled where the job runs (a compiled set holds functions). */
  readonly ruleSet?: StoredRuleSet | undefined
  readonly seeds?: HistorySeeds | undefined
  readonly split: Split
  readonly params?: Partial<TrainParams> | undefined
  /**
   * Boost the trees from the bundled starting model (ADR 1412), loaded where the job runs; the new
   * trees' shape defaults to START_PARAMS (a caller's trees and depth override). Absent: from nothing.
   */
  readonly startFromBundled?: boolean | undefined
  /** The champion, which the promotion gate compares the new model with. */
  readonly live?: { readonly model: ModelJson; readonly threshold: number } | undefined
  /** The model the change report compares with: the champion, or else the newest model. */
  readonly previous?: PreviousModel | undefined
  /** The window's end: the subject seeds reach back from it. */
  readonly to: number
}

/**
 * The promotion gate replayed on its own (promotion or evaluation once what it reads has changed):
 * the candidate against the live configuration on the window's holdout.
 */
export interface GateJob extends JobHistory {
  readonly kind: 'gate'
  readonly split: Split
  readonly candidate: ModelJson
  readonly live?: { readonly model: ModelJson; readonly threshold: number } | undefined
}

/** The drift check: the rows of the window from `keepFrom` against the model's reference bins. */
export interface DriftJob extends Pick<JobHistory, 'txns' | 'parties' | 'highRisk' | 'seeds'> {
  readonly kind: 'drift'
  /** Earlier transactions only warm the features up. */
  readonly keepFrom: number
  readonly reference: readonly FeatureBins[]
}

export interface DriftOutcome {
  readonly report: DriftReport[]
  /** Rows compared (none: no report). */
  readonly rows: number
}

/** Everything the service replays a window for, each run where the window is (a worker, or here). */
export type WindowJob = TrainingJob | GateJob | DriftJob
export type OutcomeOf<J extends { kind: WindowJob['kind'] }> = J extends { kind: 'train' }
  ? TrainingOutcome
  : J extends { kind: 'gate' }
    ? GateResult
    : DriftOutcome

export interface StoredRuleSet {
  readonly definition: RuleSetDef
  readonly version: number
  /** Names of the tenant's lists, which a rule may refer to. */
  readonly lists: readonly string[]
}

export interface PreviousModel {
  readonly model: ModelJson
  readonly threshold: number
  readonly modelId: string
  readonly version: number
  readonly status: string
}

export interface TrainingOutcome {
  readonly model: ModelJson
  readonly threshold: number
  readonly gate: GateResult
  /** Rows in the holdout period (the model record's metrics). */
  readonly holdoutRows: number
  readonly changes: ChangeReport
  /** Features drifting between the training reference and the holdout. */
  readonly drift: DriftReport[]
  readonly seeds: SubjectDayMargins[]
}

/** The window a job carries: monitoring's stored history and the tenant's labels, as plain data. */
export type JobHistory = Pick<TrainingJob, 'txns' | 'parties' | 'highRisk' | 'labels' | 'ruleSet' | 'seeds'>

export function jobHistory(h: StoredHistory, labels: readonly RiskLabel[]): JobHistory {
  return {
    txns: h.txns,
    parties: h.parties,
    highRisk: [...(h.lists.get('high_risk_countries') ?? [])],
    labels,
    ruleSet: h.activeRuleSet && { ...h.activeRuleSet, lists: [...h.lists.keys()] },
    seeds: h.seeds,
  }
}

/** The window as the replay reads it: the rule set compiled. */
export function trainingHistory(h: JobHistory): TrainingHistory {
  return {
    txns: h.txns,
    parties: h.parties,
    highRisk: h.highRisk,
    labels: h.labels,
    ruleSet: h.ruleSet && compileRuleSet(h.ruleSet.definition, h.ruleSet.version, new Set(h.ruleSet.lists)),
    seeds: h.seeds,
  }
}

export function* windowJobSteps(job: WindowJob): Steps<OutcomeOf<WindowJob>> {
  if (job.kind === 'train') return yield* trainingJobSteps(job)
  if (job.kind === 'gate') {
    const replayed = yield* replaySteps(job.txns, job.labels, historyReplayOptions(trainingHistory(job)))
    const live = job.live && { model: modelFromJson(job.live.model), threshold: job.live.threshold }
    return yield* promotionGateSteps(replayed, job.split, modelFromJson(job.candidate), live)
  }
  const r = yield* replaySteps(job.txns, [], {
    parties: job.parties,
    highRisk: job.highRisk,
    ...(job.seeds ? { seeds: job.seeds } : {}),
    keepFrom: job.keepFrom,
  })
  const report = r.rows.rows > 0 ? yield* driftSteps(job.reference, r.rows.x, r.rows.rows) : []
  return { report, rows: r.rows.rows }
}

export function* trainingJobSteps(job: TrainingJob): Steps<TrainingOutcome> {
  const replayed = yield* replaySteps(job.txns, job.labels, historyReplayOptions(trainingHistory(job)))
  const start = job.startFromBundled ? bundledStartingModel() : undefined
  const params = start ? { ...START_PARAMS, ...job.params } : job.params
  const trained = yield* trainOnHistorySteps(job.split, replayed, params, start)
  const live = job.live && { model: modelFromJson(job.live.model), threshold: job.live.threshold }
  const gate = yield* promotionGateSteps(trained.replay, job.split, trained.model, live)
  const hold = yield* rowsBetweenSteps(trained.replay, job.split.holdoutFrom, job.split.to + 1)
  const previous = job.previous && { ...job.previous, model: modelFromJson(job.previous.model) }
  const changes = yield* changeReportSteps(
    { model: trained.model, threshold: trained.threshold, gate },
    previous,
    hold.rows,
  )
  const drift = yield* driftSteps(trained.model.reference, hold.rows.x, hold.rows.rows)
  const seeds = yield* subjectSeedsSteps(trained.model, trained.replay, job.to)
  return {
    model: modelToJson(trained.model),
    threshold: trained.threshold,
    gate,
    holdoutRows: hold.rows.rows,
    changes,
    drift: drift.filter((d) => d.drifting),
    seeds,
  }
}
