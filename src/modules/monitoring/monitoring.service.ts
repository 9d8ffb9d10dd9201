import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { Outbox } from '../events/index.js'
import type { BacktestReport, CaseLabel } from './backtest.js'
import type { DecisionModelPort } from './decision-model.js'
import { ingestTransactions, evaluateTransaction } from './decide-transactions.js'
import { EngineCache } from './engine-cache.js'
import type { ExplainEntry, ShadowResult } from './engine.js'
import { alertNotFound } from './monitoring.errors.js'
import type { MonitoringContext } from './monitoring-context.js'
import type { Decision, MonTxn, Outcome, Party, RuleSetDef, RuleSetStatus } from './monitoring.js'
import {
  createMonitoringStore,
  type AlertedSubjectDay,
  type AlertFilter,
  type AlertRecord,
  type EntityActivity,
  type RuleSetRecord,
} from './monitoring.store.js'
import type { EntityHabits } from './features.js'
import { saveList, upsertParties } from './reference-data.js'
import { createRuleProbe, type RuleProbe } from './rule-probe.js'
import { ruleSet, saveRuleSet, transition, validateRuleSet } from './rule-set-admin.js'
import type { EvalContext, RuleProblem } from './rules.js'
import { backtest, importHistory, readHistory, warm, warmUp } from './stored-history.js'

import { checkTxn } from './monitoring.checks.js'

export { alertPayload, checkLabel, checkTxn, streamNow } from './monitoring.checks.js'

/**
 * The monitoring service: each tenant's engine (engine-cache.ts) deciding transactions with the
 * champion model (decide-transactions.ts), its rule sets (rule-set-admin.ts), lists and parties
 * (reference-data.ts), and stored history (stored-history.ts). This file holds the module's
 * contract and wires the use cases together.
 */

export interface MonitoringDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger?: Logger
  /** When given, each new alert is written to the events outbox in the alert's transaction. */
  readonly outbox?: Outbox
  /** History replayed into the features when a tenant's engine starts (default 180 days). */
  readonly historyDays?: number
  readonly dedupWindowMs?: number
  /**
   * Outcome of a synchronous decision that cannot be made within its budget because the tenant's
   * engine is still loading (cold start). Default review. Inside the engine, the rule set's own
   * fallback applies when evaluation runs over budget.
   */
  readonly coldFallback?: Outcome
  /** Default latency budget (ms) of a synchronous decision, including a cold engine load. */
  readonly budgetMs?: number
  /** Evaluates tenant-authored rule sets off the main thread before they are accepted (default: a worker). */
  readonly ruleProbe?: RuleProbe
  /** The promoted risk model, scored in every decision (decision-model.ts); none when absent. */
  readonly decisionModel?: DecisionModelPort
}

export interface EvaluateOptions {
  /** Latency budget in ms (default: the rule set's budgetMs). */
  readonly budgetMs?: number
  /** Return every rule with the feature values it saw. */
  readonly explain?: boolean
  /** Evaluate without storing the transaction, updating features or raising alerts. */
  readonly dryRun?: boolean
  /** Dry-run this rule-set version instead of the active one (implies dryRun). */
  readonly version?: number
}

export interface EvaluateResult {
  readonly decision: Decision
  readonly alerts: readonly AlertRecord[]
  readonly shadow: readonly ShadowResult[]
  readonly explain?: readonly ExplainEntry[]
  /** The transaction id was seen before: the stored outcome is returned and nothing is re-applied. */
  readonly replayed: boolean
  readonly ruleSetVersion: number | null
}

export interface BacktestRequest {
  readonly version: number
  readonly from: Date
  readonly to: Date
  /** Compare with the active set (default true when one is active). */
  readonly compare?: boolean
  /** Days before `from` replayed only to warm up the features (default 90). */
  readonly warmupDays?: number
}

export interface Monitoring {
  /** Every problem of a rule set (syntax, unknown features, unknown lists, bad fields), with positions. */
  validateRuleSet(tenant: string, def: RuleSetDef): Promise<RuleProblem[]>
  /** Saves a new draft version. Throws MONITORING_RULE_INVALID with every problem and its position. */
  saveRuleSet(tenant: string, def: RuleSetDef, opts?: { note?: string }): Promise<RuleSetRecord>
  listRuleSets(tenant: string): Promise<RuleSetRecord[]>
  getRuleSet(tenant: string, version: number): Promise<RuleSetRecord>
  /** draft → shadow → active (activating retires the previous active set); any → retired. */
  transition(tenant: string, version: number, to: Exclude<RuleSetStatus, 'draft'>): Promise<RuleSetRecord>
  /** Saves a new version of a list (high_risk_countries, watchlist, …). */
  saveList(
    tenant: string,
    name: string,
    items: readonly string[],
  ): Promise<{ name: string; version: number; size: number }>
  lists(tenant: string): Promise<{ name: string; version: number; size: number }[]>
  upsertParties(tenant: string, parties: readonly Party[]): Promise<number>
  /** Synchronous decision on one transaction (a payment before it goes to the gateway). */
  evaluate(tenant: string, txn: MonTxn, opts?: EvaluateOptions): Promise<EvaluateResult>
  /** Asynchronous path (ledger and bank events): evaluates and stores a batch in time order. */
  ingest(
    tenant: string,
    txns: readonly MonTxn[],
  ): Promise<{ evaluated: number; replayed: number; alerts: number }>
  /** Stores history without evaluating it (features learn from it; backtests replay it). */
  importHistory(
    tenant: string,
    data: { txns: readonly MonTxn[]; parties?: readonly Party[]; labels?: readonly CaseLabel[] },
  ): Promise<{ transactions: number }>
  /** Labelled cases (imported history, planted cases, confirmed investigations), by case id. */
  listLabels(tenant: string): Promise<CaseLabel[]>
  backtest(tenant: string, req: BacktestRequest): Promise<BacktestReport>
  listAlerts(tenant: string, filter?: AlertFilter): Promise<AlertRecord[]>
  getAlert(tenant: string, alertId: string): Promise<AlertRecord>
  /** An account's stored transactions (payer or payee) in [from, to], oldest first, at most `limit`. */
  accountTransactions(tenant: string, account: string, from: Date, to: Date, limit: number): Promise<MonTxn[]>
  /** Drops the tenant's in-memory engine; the next call rebuilds it from storage. */
  reload(tenant: string): void
  /**
   * What a model learns from (the risk module): the stored transactions of [from, to) in time
   * order, the account holders, the latest lists and the active rule set, and the time range stored.
   * `seeds`: also what the entities had formed before `from` (a replay of the window seeds its engine
   * with them, as a restarted one does).
   */
  history(tenant: string, from: number, to: number, opts?: HistoryOptions): Promise<StoredHistory>
  /** The transactions of [from, to) in time order, a page at a time (what `history` reads them with). */
  transactionPages(tenant: string, from: number, to: number): AsyncIterable<MonTxn[]>
  /** Where the tenant's transactions stand: `streamNow` of the wall clock and its latest transaction. */
  streamNow(tenant: string): Promise<number>
  /**
   * The subjects any rule (the champion model's `risk_model` included) alerted on, per day of
   * [from, to) in transaction time: the live configuration's alert volume, which risk's
   * champion/challenger metrics compare a model against. A model's own alerts say which model.
   */
  alertedSubjectDays(tenant: string, from: number, to: number): Promise<AlertedSubjectDay[]>
  /**
   * Hands `observe` the point-in-time features the tenant's engine would decide `txn` on, without
   * deciding, storing or learning anything (risk's what-if score). Waits for the engine to load.
   */
  observeWhatIf(
    tenant: string,
    txn: MonTxn,
    observe: (ctx: EvalContext, t: MonTxn) => void,
  ): Promise<{ readonly queueHasRoom: boolean }>
  /**
   * Builds the tenant's engine and waits for its risk model's scorer (if any): what the first
   * decision would otherwise wait for, or answer by the cold fallback past its budget.
   */
  warm(tenant: string): Promise<void>
  /**
   * Warms, one after the other, at most `max` tenants with an active rule set, latest transaction
   * first, and returns them: `moneta start` runs it so that decisions after a restart are not cold.
   */
  warmUp(max: number): Promise<string[]>
}

export interface StoredHistory {
  readonly txns: MonTxn[]
  readonly parties: Party[]
  readonly lists: ReadonlyMap<string, ReadonlySet<string>>
  readonly activeRuleSet: { version: number; definition: RuleSetDef } | undefined
  readonly range: { from: number; to: number; count: number } | undefined
  /** Asked for with `seeds`: lifetime activity and habits formed before the window. */
  readonly seeds?: HistorySeeds
}

export interface HistoryOptions {
  /** Also what the entities had formed before `from`. */
  readonly seeds?: boolean
  /** false: everything but the transactions (`txns` is empty; read them with transactionPages). */
  readonly txns?: boolean
}

/** What an engine that replays from a time needs of what came before it (FeatureStore's seeds). */
export interface HistorySeeds {
  readonly activity: readonly EntityActivity[]
  readonly habits: readonly EntityHabits[]
}

export function createMonitoring(deps: MonitoringDeps): Monitoring {
  const store = createMonitoringStore(deps.db)
  let ownProbe: RuleProbe | undefined
  const ctx: MonitoringContext = {
    deps,
    store,
    engines: new EngineCache(deps, store),
    probe: () => deps.ruleProbe ?? (ownProbe ??= createRuleProbe()),
  }
  return {
    validateRuleSet: (tenant, def) => validateRuleSet(ctx, tenant, def),
    saveRuleSet: (tenant, def, opts = {}) => saveRuleSet(ctx, tenant, def, opts),
    listRuleSets: (tenant) => store.listRuleSets(tenant),
    getRuleSet: (tenant, version) => ruleSet(ctx, tenant, version),
    transition: (tenant, version, to) => transition(ctx, tenant, version, to),
    saveList: (tenant, name, items) => saveList(ctx, tenant, name, items),
    async lists(tenant) {
      return (await store.latestLists(tenant)).map((l) => ({
        name: l.name,
        version: l.version,
        size: l.items.length,
      }))
    },
    upsertParties: (tenant, parties) => upsertParties(ctx, tenant, parties),
    evaluate: (tenant, txn, opts = {}) => evaluateTransaction(ctx, tenant, txn, opts),
    ingest: (tenant, txns) => ingestTransactions(ctx, tenant, txns),
    importHistory: (tenant, data) => importHistory(ctx, tenant, data),
    backtest: (tenant, req) => backtest(ctx, tenant, req),
    listLabels: (tenant) => store.loadLabels(tenant),
    streamNow: (tenant) => ctx.engines.tenantNow(tenant),
    alertedSubjectDays: (tenant, from, to) => store.alertedSubjectDays(tenant, from, to),
    warmUp: (max) => warmUp(ctx, max),
    warm: (tenant) => warm(ctx, tenant),
    async observeWhatIf(tenant, txn, observe) {
      checkTxn(txn)
      const te = await ctx.engines.get(tenant)
      te.engine.process(txn, { apply: false, observe })
      return { queueHasRoom: te.queue.wouldHaveRoom(txn.at) }
    },
    history: (tenant, from, to, opts) => readHistory(ctx, tenant, from, to, opts),
    transactionPages: (tenant, from, to) => store.transactionPages(tenant, from, to),
    listAlerts: (tenant, filter = {}) => store.listAlerts(tenant, filter),
    accountTransactions: (tenant, account, from, to, limit) =>
      store.accountTransactions(tenant, account, from, to, Math.min(Math.max(limit, 1), 10_000)),
    async getAlert(tenant, alertId) {
      const a = await store.getAlert(tenant, alertId)
      if (!a) throw alertNotFound(alertId)
      return a
    },
    reload(tenant) {
      ctx.engines.drop(tenant)
    },
  }
}
