import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { Outbox } from '../events/index.js'
import { Backtester, type BacktestReport, type CaseLabel } from './backtest.js'
import {
  withModel,
  type DecisionModelPort,
  type DecisionScorer,
  type DecisionScores,
} from './decision-model.js'
import { MonitoringEngine, type ExplainEntry, type ShadowResult } from './engine.js'
import {
  alertNotFound,
  badTransition,
  invalidLabel,
  invalidList,
  invalidRange,
  invalidTxn,
  ruleSetNotFound,
} from './monitoring.errors.js'
import { MONITORING_EVENTS } from './monitoring.events.js'
import { ColdDecisions, type ColdTracker } from './cold-decisions.js'
import {
  DAY_MS,
  TXN_KINDS,
  type AlertDraft,
  type Decision,
  type MonTxn,
  type Outcome,
  type Party,
  type RuleSetDef,
  type RuleSetStatus,
} from './monitoring.js'
import {
  createMonitoringStore,
  type AlertFilter,
  type AlertRecord,
  type EntityActivity,
  type RuleSetRecord,
} from './monitoring.store.js'
import type { EntityHabits } from './features.js'
import { createRuleProbe, type RuleProbe } from './rule-probe.js'
import {
  checkRuleSet,
  compileRuleSet,
  ruleSetInvalid,
  type CompiledRuleSet,
  type EvalContext,
  type RuleProblem,
} from './rules.js'

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
   * champion/challenger metrics compare a model against.
   */
  alertedSubjectDays(tenant: string, from: number, to: number): Promise<{ subject: string; day: number }[]>
  /**
   * Hands `observe` the point-in-time features the tenant's engine would decide `txn` on, without
   * deciding, storing or learning anything (risk's what-if score). Waits for the engine to load.
   */
  observeWhatIf(tenant: string, txn: MonTxn, observe: (ctx: EvalContext, t: MonTxn) => void): Promise<void>
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

const ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/
const LIST_NAME_RE = /^[a-z][a-z0-9_]{0,63}$/

/** Checks a labelled case (typology, member and primary accounts, time range). */
export function checkLabel(l: CaseLabel): void {
  const where = `label ${JSON.stringify(String(l.id).slice(0, 40))}`
  if (!ID_RE.test(l.id)) throw invalidLabel(`${where}: id must be 1–128 chars of letters, digits, _ . : -`)
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(l.typology))
    throw invalidLabel(`${where}: typology must be 1–64 chars of a-z, 0-9 and _, starting with a letter.`)
  if (l.members.length === 0 || l.members.length > 1000 || !l.members.every((m) => ID_RE.test(m)))
    throw invalidLabel(`${where}: members must list 1–1000 account ids.`)
  if (l.primary.length === 0 || !l.primary.every((p) => l.members.includes(p)))
    throw invalidLabel(`${where}: primary must list at least one account, each also a member.`)
  if (!Number.isFinite(l.start) || !Number.isFinite(l.end) || l.start > l.end)
    throw invalidLabel(`${where}: start and end must be times with start ≤ end.`)
}

/** Checks a transaction's shape (the API schema does most of this; the CLI and other modules too). */
export function checkTxn(t: MonTxn): void {
  if (!ID_RE.test(t.id)) throw invalidTxn('id must be 1–128 chars of letters, digits, _ . : -')
  if (!Number.isFinite(t.at)) throw invalidTxn('at must be a valid time.')
  if (typeof t.amount !== 'bigint' || t.amount <= 0n)
    throw invalidTxn('amount must be a positive integer of minor units.')
  if (!/^[A-Z]{3}$/.test(t.currency)) throw invalidTxn('currency must be an ISO 4217 code.')
  if (!TXN_KINDS.includes(t.kind)) throw invalidTxn(`kind must be one of ${TXN_KINDS.join(', ')}.`)
  if (!ID_RE.test(t.src) || !ID_RE.test(t.dst))
    throw invalidTxn('src and dst must be account ids (or "cash").')
}

interface TenantEngine {
  readonly engine: MonitoringEngine
  readonly compiled: Map<number, CompiledRuleSet>
  knownLists: Set<string>
  /** Which cold-decided transactions the load read from history (see ColdDecisions). */
  readonly coldRead: ColdTracker
}

/**
 * "Now" for the windows a tenant's state is rebuilt from: its latest stored transaction, or the wall
 * clock when that is earlier or nothing is stored. Live, the two agree; on history loaded months
 * after it happened, only the first keeps the window over the transactions.
 */
export function streamNow(wall: number, latest: number | undefined): number {
  return latest === undefined ? wall : Math.min(wall, latest)
}

export function createMonitoring(deps: MonitoringDeps): Monitoring {
  const { db, clock, ids } = deps
  const store = createMonitoringStore(db)
  const historyMs = (deps.historyDays ?? 180) * DAY_MS
  const engines = new Map<string, Promise<TenantEngine>>()
  const cold = new ColdDecisions()

  const tenantNow = async (tenant: string): Promise<number> =>
    streamNow(clock.now().getTime(), await store.latestAt(tenant))

  async function listSnapshot(tenant: string): Promise<Map<string, Set<string>>> {
    const lists = await store.latestLists(tenant)
    return new Map(lists.map((l) => [l.name, new Set(l.items)]))
  }

  async function build(tenant: string): Promise<TenantEngine> {
    const lists = await listSnapshot(tenant)
    const knownLists = new Set(lists.keys())
    const engine = new MonitoringEngine({
      lists,
      parties: new Map((await store.loadParties(tenant)).map((p) => [p.id, p])),
      ...(deps.dedupWindowMs ? { dedupWindowMs: deps.dedupWindowMs } : {}),
    })
    const compiled = new Map<number, CompiledRuleSet>()
    for (const rs of await store.listRuleSets(tenant)) {
      if (rs.status !== 'active' && rs.status !== 'shadow') continue
      const c = compileRuleSet(rs.definition, rs.version, knownLists)
      compiled.set(rs.version, c)
      if (rs.status === 'active') engine.active = c
      else engine.shadows.push(c)
    }
    // the window ends where the tenant's transactions stand, not at the wall clock: a history loaded
    // after the fact (importHistory, a backfill) lies wholly before a wall-clock window, and the
    // rebuilt engine would have decided what follows it with no features at all (docs/monitoring.md)
    const now = await tenantNow(tenant)
    // what the window cannot show: usual amounts and known counterparties formed before it
    // and the activity of what the lifetime table does not keep (devices, cards, addresses)
    const seeds = await store.seedsBefore(tenant, now - historyMs)
    for (const h of seeds.habits) engine.store.seedHabits(h)
    for (const a of seeds.activity) engine.store.seedActivity(a)
    let n = 0
    const coldRead = cold.tracker(tenant)
    for await (const t of store.transactions(tenant, now - historyMs, Date.UTC(9999, 0, 1))) {
      engine.learn(t)
      coldRead.saw(t.id)
      n++
    }
    // lifetime activity beyond the replayed window (dormancy longer than the history kept in memory)
    for (const a of await store.activity(tenant)) engine.store.seedActivity(a)
    engine.rememberAlerts(await store.recentDedupKeys(tenant, now - 2 * engine.dedupWindowMs))
    deps.logger?.debug(
      { tenant, replayed: n, entities: engine.store.entityCount },
      'monitoring engine rebuilt',
    )
    return { engine, compiled, knownLists, coldRead }
  }

  function engineOf(tenant: string): Promise<TenantEngine> {
    let e = engines.get(tenant)
    if (!e) {
      e = build(tenant)
      engines.set(tenant, e)
      e.catch(() => engines.delete(tenant))
    }
    return e
  }

  async function ruleSet(tenant: string, version: number): Promise<RuleSetRecord> {
    const rs = await store.getRuleSet(tenant, version)
    if (!rs) throw ruleSetNotFound(version)
    return rs
  }

  async function compiledVersion(
    tenant: string,
    te: TenantEngine,
    version: number,
  ): Promise<CompiledRuleSet> {
    const cached = te.compiled.get(version)
    if (cached) return cached
    const rs = await ruleSet(tenant, version)
    const c = compileRuleSet(rs.definition, rs.version, te.knownLists)
    // a version saved before rule sets were probed is probed before its first dry-run here
    await probeOrThrow(rs.definition, te.knownLists)
    te.compiled.set(version, c)
    return c
  }

  /** Persists evaluated transactions with their alerts (and outbox events) in one transaction. */
  async function persist(
    tenant: string,
    items: readonly {
      txn: MonTxn
      decision: Decision
      alerts: readonly AlertDraft[]
      duplicates: readonly string[]
    }[],
    model?: { scorer: DecisionScorer; scores: readonly DecisionScores[] },
  ): Promise<AlertRecord[]> {
    return db.transaction().execute(async (tx) => {
      if (model && model.scores.length > 0) await model.scorer.record(tx, tenant, model.scores)
      await store.insertTransactions(
        tx,
        tenant,
        items.map((i) => i.txn),
        items.map((i) => ({ outcome: i.decision.outcome, score: i.decision.score })),
      )
      const drafts = items.flatMap((i) => i.alerts.map((a) => ({ ...a, alertId: ids('alt') })))
      const created = drafts.length > 0 ? await store.upsertAlerts(tx, tenant, drafts) : []
      await store.recordRepeats(
        tx,
        tenant,
        items.flatMap((i) => i.duplicates),
      )
      if (deps.outbox && created.length > 0) {
        await deps.outbox.enqueue(
          tx,
          created.map((a) => ({
            topic: MONITORING_EVENTS.alertRaised,
            key: a.subject,
            tenantId: tenant,
            payload: alertPayload(a),
          })),
        )
      }
      return created
    })
  }

  /**
   * The tenant's champion scorer if it is ready within `waitMs`: a model that is still loading, or
   * failing to, never holds up or breaks a decision (the rules alone decide meanwhile).
   */
  async function scorerOf(tenant: string, waitMs: number): Promise<DecisionScorer | undefined> {
    if (!deps.decisionModel) return undefined
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([
        deps.decisionModel.scorer(tenant),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), Math.max(waitMs, 0))
        }),
      ])
    } catch (err) {
      deps.logger?.warn({ err, tenant }, 'risk model unavailable: the rules decide alone')
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }

  /** Runs the engine on one transaction with the champion scoring it, and merges the model's alerts. */
  function decide(
    te: TenantEngine,
    txn: MonTxn,
    scorer: DecisionScorer | undefined,
    opts: { explain?: boolean; budgetMs?: number } = {},
  ) {
    let scores: DecisionScores | undefined
    const res = te.engine.process(txn, {
      ...(opts.explain ? { explain: true } : {}),
      ...(opts.budgetMs ? { budgetMs: opts.budgetMs } : {}),
      ...(scorer ? { observe: (ctx, t) => (scores = scorer.score(ctx, t)) } : {}),
    })
    if (!scorer || !scores) return { res, alerts: res.alerts, duplicates: res.duplicates, scores }
    const m = withModel(txn, res.alerts, res.duplicates, scores, scorer, {
      ruleSetVersion: te.engine.active?.version ?? 0,
      parties: te.engine.parties,
      claim: (ruleId, subject, at) => te.engine.claimAlert(ruleId, subject, at),
    })
    return { res, alerts: m.alerts, duplicates: [...res.duplicates, ...m.duplicates], scores }
  }

  let ownProbe: RuleProbe | undefined
  const probe = (): RuleProbe => deps.ruleProbe ?? (ownProbe ??= createRuleProbe())
  async function probeOrThrow(def: RuleSetDef, known: ReadonlySet<string>): Promise<void> {
    const problems = await probe().probe(def, known)
    if (problems.length > 0) throw ruleSetInvalid(problems)
  }

  /** Stores KYC facts and updates a running engine in place (its features stay warm). */
  async function upsertParties(tenant: string, parties: readonly Party[]): Promise<number> {
    await store.upsertParties(tenant, parties)
    const running = engines.get(tenant)
    if (running) {
      const te = await running
      for (const p of parties) te.engine.parties.set(p.id, p)
    }
    return parties.length
  }

  async function isKnown(
    tenant: string,
    txnId: string,
  ): Promise<{ outcome: Outcome; score: number } | undefined> {
    const r = await sql<{ outcome: Outcome | null; score: number | null }>`
      SELECT outcome, score FROM monitoring_transactions WHERE tenant_id = ${tenant} AND txn_id = ${txnId}`.execute(
      db,
    )
    const row = r.rows[0]
    return row ? { outcome: row.outcome ?? 'allow', score: Number(row.score ?? 0) } : undefined
  }

  async function warm(tenant: string): Promise<void> {
    await engineOf(tenant)
    // the asynchronous path's wait; a model that fails to load is logged by scorerOf
    await scorerOf(tenant, 600_000)
  }

  return {
    async validateRuleSet(tenant, def) {
      const known = new Set((await store.latestLists(tenant)).map((l) => l.name))
      const problems = checkRuleSet(def, known)
      return problems.length > 0 ? problems : probe().probe(def, known)
    },

    async saveRuleSet(tenant, def, opts = {}) {
      const known = new Set((await store.latestLists(tenant)).map((l) => l.name))
      compileRuleSet(def, 0, known) // throws MONITORING_RULE_INVALID with positions
      await probeOrThrow(def, known)
      return db.transaction().execute((tx) => store.insertRuleSet(tx, tenant, def, opts.note ?? null))
    },

    listRuleSets: (tenant) => store.listRuleSets(tenant),
    getRuleSet: ruleSet,

    async transition(tenant, version, to) {
      // read outside the transaction: PGlite has a single connection
      const known = new Set((await store.latestLists(tenant)).map((l) => l.name))
      if (to !== 'retired') {
        // sets saved before the probe existed are probed before they may run on live traffic
        const saved = await store.getRuleSet(tenant, version)
        if (saved) await probeOrThrow(saved.definition, known)
      }
      const rec = await db.transaction().execute(async (tx) => {
        const rs = await store.getRuleSet(tenant, version, tx)
        if (!rs) throw ruleSetNotFound(version)
        const ok =
          to === 'retired' ||
          (to === 'shadow' && rs.status === 'draft') ||
          (to === 'active' && (rs.status === 'draft' || rs.status === 'shadow' || rs.status === 'retired'))
        if (!ok || rs.status === to) throw badTransition(version, rs.status, to)
        if (to !== 'retired') {
          compileRuleSet(rs.definition, rs.version, known) // lists may have changed since it was saved
        }
        await store.setStatus(tx, tenant, version, to)
        return (await store.getRuleSet(tenant, version, tx))!
      })
      // swap the compiled sets of a running engine in place (its features stay)
      const running = engines.get(tenant)
      if (running) {
        const te = await running
        const c = await compiledVersion(tenant, te, version)
        te.engine.shadows = te.engine.shadows.filter((s) => s.version !== version)
        if (te.engine.active?.version === version) te.engine.active = undefined
        if (to === 'active') te.engine.active = c
        if (to === 'shadow') te.engine.shadows.push(c)
      }
      return rec
    },

    async saveList(tenant, name, items) {
      if (!LIST_NAME_RE.test(name))
        throw invalidList('A list name is 1–64 chars of a-z, 0-9 and _, starting with a letter.')
      if (items.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 256)) {
        throw invalidList('List items must be non-empty strings of at most 256 chars.')
      }
      const uniq = [...new Set(items)].sort()
      const version = await store.saveList(tenant, name, uniq)
      const running = engines.get(tenant)
      if (running) {
        const te = await running
        const next = new Map(te.engine.lists)
        next.set(name, new Set(uniq))
        te.engine.lists = next
        te.knownLists.add(name)
      }
      return { name, version, size: uniq.length }
    },

    async lists(tenant) {
      return (await store.latestLists(tenant)).map((l) => ({
        name: l.name,
        version: l.version,
        size: l.items.length,
      }))
    },

    upsertParties,

    async evaluate(tenant, txn, opts = {}) {
      checkTxn(txn)
      const started = performance.now()
      const budget = opts.budgetMs ?? deps.budgetMs ?? 50
      const loading = engineOf(tenant)
      let timer: NodeJS.Timeout | undefined
      const te = await Promise.race([
        loading,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), budget)
        }),
      ]).finally(() => clearTimeout(timer))
      if (!te) {
        // cold engine past the budget: decide by the configured fallback, keep the transaction
        const outcome = deps.coldFallback ?? 'review'
        const decision: Decision = {
          txnId: txn.id,
          outcome,
          score: 0,
          fired: [],
          degraded: true,
          elapsedMs: performance.now() - started,
        }
        if (!opts.dryRun && opts.version === undefined) {
          cold.register(tenant, txn)
          let stored = false
          try {
            const fresh = await db
              .transaction()
              .execute((tx) => store.insertTransactions(tx, tenant, [txn], [{ outcome, score: 0 }]))
            stored = fresh.has(txn.id)
          } finally {
            // chained before this call returns, so a later evaluate sees the engine only after it
            loading.then(
              (te) => {
                if (cold.settle(tenant, txn.id, stored, te.coldRead)) te.engine.learn(txn)
              },
              () => cold.settle(tenant, txn.id, false),
            )
          }
        }
        return { decision, alerts: [], shadow: [], replayed: false, ruleSetVersion: null }
      }
      const engine = te.engine
      if (opts.dryRun || opts.version !== undefined) {
        const rs =
          opts.version !== undefined ? await compiledVersion(tenant, te, opts.version) : engine.active
        const res = engine.process(txn, {
          apply: false,
          explain: opts.explain ?? true,
          ...(rs ? { ruleSet: rs } : {}),
          ...(opts.budgetMs ? { budgetMs: opts.budgetMs } : {}),
        })
        return {
          decision: res.decision,
          alerts: [],
          shadow: res.shadow,
          ...(res.explain ? { explain: res.explain } : {}),
          replayed: false,
          ruleSetVersion: rs?.version ?? null,
        }
      }
      const known = await isKnown(tenant, txn.id)
      if (known) {
        return {
          decision: {
            txnId: txn.id,
            outcome: known.outcome,
            score: known.score,
            fired: [],
            degraded: false,
            elapsedMs: 0,
          },
          alerts: [],
          shadow: [],
          replayed: true,
          ruleSetVersion: engine.active?.version ?? null,
        }
      }
      const scorer = await scorerOf(tenant, budget - (performance.now() - started))
      const d = decide(te, txn, scorer, opts)
      const res = d.res
      const alerts = await persist(
        tenant,
        [{ txn, decision: res.decision, alerts: d.alerts, duplicates: d.duplicates }],
        scorer && d.scores ? { scorer, scores: [d.scores] } : undefined,
      )
      return {
        decision: res.decision,
        alerts,
        shadow: res.shadow,
        ...(res.explain ? { explain: res.explain } : {}),
        replayed: false,
        ruleSetVersion: engine.active?.version ?? null,
      }
    },

    async ingest(tenant, txns) {
      for (const t of txns) checkTxn(t)
      const te = await engineOf(tenant)
      // the asynchronous path waits for the model to load: no budget to keep here
      const scorer = await scorerOf(tenant, 60_000)
      const sorted = [...txns].sort((a, b) => a.at - b.at)
      let replayed = 0
      let alerts = 0
      for (let i = 0; i < sorted.length; i += 2000) {
        const chunk = sorted.slice(i, i + 2000)
        const known = await store.storedTxnIds(
          tenant,
          chunk.map((t) => t.id),
        )
        const items = []
        const scores: DecisionScores[] = []
        for (const t of chunk) {
          if (known.has(t.id)) {
            replayed++
            continue
          }
          known.add(t.id)
          const d = decide(te, t, scorer)
          if (d.scores) scores.push(d.scores)
          items.push({ txn: t, decision: d.res.decision, alerts: d.alerts, duplicates: d.duplicates })
        }
        alerts += (await persist(tenant, items, scorer ? { scorer, scores } : undefined)).length
      }
      return { evaluated: txns.length - replayed, replayed, alerts }
    },

    async importHistory(tenant, data) {
      for (const t of data.txns) checkTxn(t)
      for (const l of data.labels ?? []) checkLabel(l)
      if (data.parties) await upsertParties(tenant, data.parties)
      if (data.labels) await store.saveLabels(tenant, data.labels)
      if (data.txns.length === 0) return { transactions: 0 } // labels and parties: the running engine stays warm
      const fresh = await db.transaction().execute((tx) => store.insertTransactions(tx, tenant, data.txns))
      // new history may lie before what the engine has seen: the next use rebuilds features from storage
      if (fresh.size > 0) engines.delete(tenant)
      return { transactions: fresh.size }
    },

    async backtest(tenant, req) {
      const from = req.from.getTime()
      const to = req.to.getTime()
      if (!(from < to)) throw invalidRange('from must be before to.')
      if (to - from > 400 * DAY_MS) throw invalidRange('A backtest covers at most 400 days.')
      const known = new Set((await store.latestLists(tenant)).map((l) => l.name))
      const draftRec = await ruleSet(tenant, req.version)
      const draft = compileRuleSet(draftRec.definition, draftRec.version, known)
      let active: CompiledRuleSet | undefined
      if (req.compare !== false) {
        const a = (await store.listRuleSets(tenant)).find((r) => r.status === 'active')
        if (a && a.version !== req.version) active = compileRuleSet(a.definition, a.version, known)
      }
      const labels = await store.loadLabels(tenant)
      const b = new Backtester({
        draft,
        active,
        from,
        to,
        parties: await store.loadParties(tenant),
        lists: await listSnapshot(tenant),
        ...(labels.length > 0 ? { labels } : {}),
        ...(deps.dedupWindowMs ? { dedupWindowMs: deps.dedupWindowMs } : {}),
      })
      const warmup = (req.warmupDays ?? 90) * DAY_MS
      // lifetime activity as it was when the replay starts (no look-ahead)
      const seeds = await store.seedsBefore(tenant, from - warmup)
      b.seedActivity(seeds.activity)
      b.seedHabits(seeds.habits)
      for await (const t of store.transactions(tenant, from - warmup, to)) if (!b.feed(t)) break
      return b.report()
    },

    listLabels: (tenant) => store.loadLabels(tenant),

    streamNow: tenantNow,

    alertedSubjectDays: (tenant, from, to) => store.alertedSubjectDays(tenant, from, to),

    async warmUp(max) {
      if (max <= 0) return []
      const latest = new Map<string, number>()
      for (const tenant of await store.tenantsWithActiveRuleSet())
        latest.set(tenant, (await store.latestAt(tenant)) ?? 0)
      const chosen = [...latest].sort((a, b) => b[1] - a[1]).slice(0, max)
      for (const [tenant] of chosen) await warm(tenant)
      return chosen.map(([tenant]) => tenant)
    },

    warm,

    async observeWhatIf(tenant, txn, observe) {
      checkTxn(txn)
      ;(await engineOf(tenant)).engine.process(txn, { apply: false, observe })
    },

    async history(tenant, from, to, opts) {
      const txns: MonTxn[] = []
      if (opts?.txns !== false) for await (const t of store.transactions(tenant, from, to)) txns.push(t)
      const active = (await store.listRuleSets(tenant)).find((r) => r.status === 'active')
      return {
        txns,
        parties: await store.loadParties(tenant),
        lists: await listSnapshot(tenant),
        activeRuleSet: active ? { version: active.version, definition: active.definition } : undefined,
        range: await store.txnRange(tenant),
        ...(opts?.seeds ? { seeds: await store.seedsBefore(tenant, from) } : {}),
      }
    },

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
      engines.delete(tenant)
    },
  }
}

export function alertPayload(a: AlertRecord) {
  return {
    alertId: a.alertId,
    ruleSetVersion: a.ruleSetVersion,
    ruleId: a.ruleId,
    typology: a.typology,
    subject: a.subject,
    outcome: a.outcome,
    score: a.score,
    reason: a.reason,
    txnId: a.txnId,
    at: a.at.toISOString(),
    context: a.context,
  }
}
