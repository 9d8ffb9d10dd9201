import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type {
  AlertedSubjectDay,
  CaseLabel,
  DecisionModelPort,
  EvalContext,
  HistoryOptions,
  MonTxn,
  StoredHistory,
} from '../monitoring/index.js'
import type { ChangeReport } from './change-report.js'
import type { Side } from './features.js'
import type { Period, PeriodMetrics } from './metrics.js'
import type { Explanation } from './model.js'
import type { DriftReport } from './psi.js'
import type { ModelRecord, RiskAlertRecord } from './risk.store.js'
import type { TrainingMode } from './training-runner.js'
import type { GateResult } from './training.js'

/** The risk module's ports (what it reads of monitoring and cases), its commands and their results. */

/** Monitoring, as the risk model reads it (a narrow port). */
export interface RiskHistoryPort {
  history(tenant: string, from: number, to: number, opts?: HistoryOptions): Promise<StoredHistory>
  /** The window's transactions a page at a time, in `history`'s order (training hands each page on). */
  transactionPages(tenant: string, from: number, to: number): AsyncIterable<MonTxn[]>
  /** Where the tenant's transactions stand (monitoring's streamNow): the scorer's windows end there. */
  streamNow(tenant: string): Promise<number>
  listLabels(tenant: string): Promise<CaseLabel[]>
  /** The subjects monitoring alerted on per day of [from, to) (every rule; the metrics' live budget). */
  alertedSubjectDays(tenant: string, from: number, to: number): Promise<AlertedSubjectDay[]>
  /**
   * Hands `observe` the features monitoring's own engine would decide `txn` on, deciding and
   * learning nothing (monitoring's observeWhatIf): a what-if score reads what the decision path reads.
   * Answers whether the case queue has room for a model alert at the transaction's time (QueueVolume).
   */
  observeWhatIf(
    tenant: string,
    txn: MonTxn,
    observe: (ctx: EvalContext, t: MonTxn) => void,
  ): Promise<{ readonly queueHasRoom: boolean }>
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
  /**
   * `bundled` (default): the trees are boosted from the starting model bundled with Moneta
   * (starting-model.ts, ADR 1412); `none`: trained from the tenant's cases alone.
   */
  readonly startingModel?: 'bundled' | 'none'
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
  /**
   * With an alert budget: whether the case queue has room for a model alert of its own now (fewer
   * customers queued in the last 30 days than the rules alerted on, ADR 1409); without, no `alert`.
   */
  readonly queueHasRoom?: boolean
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
