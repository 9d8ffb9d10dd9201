/**
 * Risk: a gradient-boosted-trees model trained on confirmed case outcomes, scored beside the rules
 * on the monitoring engine's point-in-time features, explained per score by exact TreeSHAP, rolled
 * out through a shadow → live gate, watched for feature drift (docs/risk.md).
 */
export { trainGbdt, predictMargin, DEFAULT_TRAIN } from './gbdt.js'
export type { Ensemble, Tree, TrainParams, Dataset } from './gbdt.js'
export { treeShap, baseValue } from './treeshap.js'
export { fitIsotonic, calibrate } from './calibration.js'
export type { Calibration } from './calibration.js'
export { drift, psi, referenceBins, PSI_ALERT } from './psi.js'
export type { DriftReport, FeatureBins } from './psi.js'
export { FEATURE_NAMES, FEATURE_COUNT, BASE_FEATURE_COUNT, RISK_REASON_BITS, extractRow } from './features.js'
export type { Side, PartyAttributesPort, FeatureInputs } from './features.js'
export { RiskGraph, MAX_DISTANCE, FAR } from './graph.js'
export {
  trainModel,
  scoreRow,
  scoresRow,
  subjectTopRows,
  explainRow,
  averagePrecision,
  modelToJson,
  modelFromJson,
  NotEnoughLabels,
  EXCLUDED_FEATURES,
} from './model.js'
export type {
  RiskModel,
  LabelledRows,
  ModelMetrics,
  Score,
  Explanation,
  Contribution,
  ModelJson,
  TrainOptions,
} from './model.js'
export { replay, labelIndex, importedLabel } from './replay.js'
export { bundledStartingModel, START_PARAMS, type StartingModel } from './starting-model.js'
export type { RiskLabel, ReplayOptions, ReplayResult } from './replay.js'
export { createRisk } from './risk.service.js'
export type {
  Risk,
  RiskDeps,
  RiskHistoryPort,
  RiskCaseOutcomesPort,
  TrainRequest,
  ScoreResult,
  SideScore,
  EvaluateReport,
  MetricsQuery,
  MetricsReport,
  TrainResult,
} from './risk.types.js'
export type { ModelRecord, RiskAlertRecord, ModelStatus, RetiredReason } from './risk.store.js'
export type { GateResult, Split } from './training.js'
export {
  promotionGate,
  timeSplit,
  countSplit,
  subjectScores,
  ruleSubjects,
  trainOnHistory,
  PRODUCTION_TARGET,
} from './training.js'
export { RISK_ERRORS } from './risk.errors.js'
export { PERIODS, periodMetrics, periodStart } from './metrics.js'
export { changeReport, importance } from './change-report.js'
export type { ChangeReport, MetricChange, ImportanceChange } from './change-report.js'
export type { Period, PeriodMetrics } from './metrics.js'
export { createDecisionScorer, summarise, EXPLAIN_TOP } from './decision.js'
export { alertBudgetOf, confidenceOf, rulesBySubject, rulesPrecisionOf } from './alert-budget.js'
export type { TrainedAlertBudget } from './alert-budget.js'
export type { ScoringModel } from './decision.js'
export { SubjectScores, SUBJECT_WINDOW_MS } from './subject-score.js'
export { liveQueueSteps } from './live-queue.js'
export { riskMigrations } from './risk.migrations.js'
export {
  alertedCustomers,
  alertsAtBudget,
  COMBINATIONS,
  paymentNeighbours,
  fitSubjectCalibration,
  rankSubjects,
  reserveForRules,
  ruleReviews,
  rulePrecisions,
  subjectBest,
  subjectMargin,
  SUBJECT_ROW_DISCOUNT,
  SUBJECT_TOP_ROWS,
  topShareRecall,
  unprovenRules,
} from './combine.js'
export type { RowScores, RuleAlert, SubjectBest, RankedSubject, Combination } from './combine.js'
