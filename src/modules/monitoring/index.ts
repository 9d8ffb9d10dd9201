export * from './monitoring.js'
export { MonitoringEngine, DEDUP_WINDOW_MS, txnSummary } from './engine.js'
export type {
  ProcessResult,
  ProcessOptions,
  ExplainEntry,
  ShadowResult,
  EngineOptions,
  TxnSummary,
} from './engine.js'
export { compileRuleSet, checkRuleSet, describeFeatures } from './rules.js'
export type { CompiledRuleSet, RuleProblem, ListSnapshot, EvalContext } from './rules.js'
export { ENTITY_FEATURES, WINDOW_NAMES, FeatureStore } from './features.js'
export type { EntityHabits, EntityKind } from './features.js'
export { defaultRuleSet, typologyRules, scoringRules, DEFAULT_PARAMS } from './typologies.js'
export type { TypologyParams } from './typologies.js'
export { generateTransactions, rng, TYPOLOGIES, NETWORK_TYPOLOGIES, DEFAULT_HIGH_RISK } from './generator.js'
export type { GeneratedData, GeneratorOptions, PlantedCase, Typology } from './generator.js'
export { backtest, Backtester, scoreAlerts } from './backtest.js'
export type { BacktestReport, RuleSetReport, CaseLabel, LabelScore } from './backtest.js'
export { MODEL_RULE_ID, combinedScoreOf, rulesScoreOf, withModel, withinBudget } from './decision-model.js'
export { QueueVolume, QUEUE_VOLUME_WINDOW_MS } from './queue-volume.js'
export type {
  DecisionModelPort,
  DecisionScorer,
  DecisionScores,
  ModelSideScores,
  AlertBudget,
  SideProbability,
  WitnessCombination,
  ScoreExplanation,
  FeatureContribution,
  ModelFacts,
} from './decision-model.js'
export { createMonitoring, checkTxn, checkLabel, alertPayload, streamNow } from './monitoring.service.js'
export type {
  Monitoring,
  MonitoringDeps,
  EvaluateOptions,
  EvaluateResult,
  BacktestRequest,
  StoredHistory,
  HistorySeeds,
  HistoryOptions,
} from './monitoring.service.js'
export type { AlertRecord, AlertFilter, AlertedSubjectDay, RuleSetRecord } from './monitoring.store.js'
export { monitoringMigrations } from './monitoring.migrations.js'
export { MONITORING_EVENTS, monitoringEvents } from './monitoring.events.js'
export {
  startLedgerConsumer,
  ledgerPostingToTxns,
  LEDGER_POSTED,
  LEDGER_CONSUMER_GROUP,
} from './ledger-consumer.js'
export { inCaseWindow, scoreCustomers } from './quality.js'
export type { CustomerScore, TypologyRecall, TypologyPrecision, TypedAlert } from './quality.js'
export {
  GENERATOR_CONFIGS,
  generatorOptions,
  CLASSIC_RANGES,
  TUNING_RANGES,
  HOLDOUT_RANGES,
  HOLDOUT2_RANGES,
  HOLDOUT3_RANGES,
  HOLDOUT4_RANGES,
  HOLDOUT5_RANGES,
} from './generator-configs.js'
export type { GeneratorConfig, SchemeRanges, Range } from './generator-configs.js'
