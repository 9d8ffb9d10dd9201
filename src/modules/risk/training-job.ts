import type { Steps } from '../../shared/time-slice.js'
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
import { driftSteps, type DriftReport } from './psi.js'
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
  readonly txns: readonly MonTxn[]
  readonly parties: readonly Party[]
  readonly highRisk: readonly string[]
  readonly labels: readonly RiskLabel[]
  /** The active rule set as stored; compiled where the job runs (a compiled set holds functions). */
  readonly ruleSet?: StoredRuleSet | undefined
  readonly seeds?: HistorySeeds | undefined
  readonly split: Split
  readonly params?: Partial<TrainParams> | undefined
  /** The champion, which the promotion gate compares the new model with. */
  readonly live?: { readonly model: ModelJson; readonly threshold: number } | undefined
  /** The model the change report compares with: the champion, or else the newest model. */
  readonly previous?: PreviousModel | undefined
  /** The window's end: the subject seeds reach back from it. */
  readonly to: number
}

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

export function* trainingJobSteps(job: TrainingJob): Steps<TrainingOutcome> {
  const replayed = yield* replaySteps(job.txns, job.labels, historyReplayOptions(trainingHistory(job)))
  const trained = yield* trainOnHistorySteps(job.split, replayed, job.params)
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
