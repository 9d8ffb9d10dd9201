import { sql } from 'kysely'
import { withModel, type DecisionScorer, type DecisionScores } from './decision-model.js'
import type { TenantEngine } from './engine-cache.js'
import { alertPayload, checkTxn } from './monitoring.checks.js'
import type { MonitoringContext } from './monitoring-context.js'
import { MONITORING_EVENTS } from './monitoring.events.js'
import type { AlertDraft, Decision, MonTxn, Outcome } from './monitoring.js'
import type { EvaluateOptions, EvaluateResult } from './monitoring.service.js'
import type { AlertRecord } from './monitoring.store.js'
import { compiledVersion } from './rule-set-admin.js'

/**
 * The decision path: a transaction decided by the tenant's engine with the champion model scoring it,
 * stored with its alerts and their outbox events in one transaction — synchronously within a latency
 * budget (`evaluateTransaction`), or a batch in time order (`ingestTransactions`).
 */

/** Persists evaluated transactions with their alerts (and outbox events) in one transaction. */
async function persist(
  ctx: MonitoringContext,
  tenant: string,
  items: readonly {
    txn: MonTxn
    decision: Decision
    alerts: readonly AlertDraft[]
    duplicates: readonly string[]
  }[],
  model?: { scorer: DecisionScorer; scores: readonly DecisionScores[] },
): Promise<AlertRecord[]> {
  try {
    return await persistInOneTransaction(ctx, tenant, items, model)
  } catch (err) {
    // the engine (features, open alerts' dedup claims, the queue's volume) and the model's scorer
    // already hold these decisions: rebuilt from storage, a retry raises the alerts that did not
    // commit instead of finding their claims open and counting them as repeats of nothing
    ctx.engines.drop(tenant)
    ctx.deps.decisionModel?.forget?.(tenant)
    throw err
  }
}

async function persistInOneTransaction(
  ctx: MonitoringContext,
  tenant: string,
  items: Parameters<typeof persist>[2],
  model: Parameters<typeof persist>[3],
): Promise<AlertRecord[]> {
  const { deps, store } = ctx
  return deps.db.transaction().execute(async (tx) => {
    if (model && model.scores.length > 0) await model.scorer.record(tx, tenant, model.scores)
    await store.insertTransactions(
      tx,
      tenant,
      items.map((i) => i.txn),
      items.map((i) => ({ outcome: i.decision.outcome, score: i.decision.score })),
    )
    const drafts = items.flatMap((i) => i.alerts.map((a) => ({ ...a, alertId: deps.ids('alt') })))
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
export async function scorerOf(
  ctx: MonitoringContext,
  tenant: string,
  waitMs: number,
): Promise<DecisionScorer | undefined> {
  const { deps } = ctx
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
  opts: { explain?: boolean; budgetMs?: number | true } = {},
) {
  let scores: DecisionScores | undefined
  const res = te.engine.process(txn, {
    ...(opts.explain ? { explain: true } : {}),
    ...(opts.budgetMs !== undefined ? { budgetMs: opts.budgetMs } : {}),
    ...(scorer ? { observe: (ctx, t) => (scores = scorer.score(ctx, t)) } : {}),
  })
  if (!scorer || !scores) {
    // the rules' volume is counted with or without a model: a model promoted later finds it
    for (const a of res.alerts) te.queue.ruled(a.subject, txn.at, true)
    return { res, alerts: res.alerts, duplicates: res.duplicates, scores }
  }
  const m = withModel(txn, res.alerts, res.duplicates, scores, scorer, {
    ruleSetVersion: te.engine.active?.version ?? 0,
    parties: te.engine.parties,
    claim: (ruleId, subject, at) => te.engine.claimAlert(ruleId, subject, at),
    queue: te.queue,
  })
  return { res, alerts: m.alerts, duplicates: [...res.duplicates, ...m.duplicates], scores }
}

async function isKnown(
  ctx: MonitoringContext,
  tenant: string,
  txnId: string,
): Promise<{ outcome: Outcome; score: number } | undefined> {
  const r = await sql<{ outcome: Outcome | null; score: number | null }>`
    SELECT outcome, score FROM monitoring_transactions WHERE tenant_id = ${tenant} AND txn_id = ${txnId}`.execute(
    ctx.deps.db,
  )
  const row = r.rows[0]
  return row ? { outcome: row.outcome ?? 'allow', score: Number(row.score ?? 0) } : undefined
}

/** The synchronous decision: within its budget, a cold engine answered by the configured fallback. */
export async function evaluateTransaction(
  ctx: MonitoringContext,
  tenant: string,
  txn: MonTxn,
  opts: EvaluateOptions = {},
): Promise<EvaluateResult> {
  const { deps, store, engines } = ctx
  checkTxn(txn)
  const started = performance.now()
  const budget = opts.budgetMs ?? deps.budgetMs ?? 50
  const loading = engines.get(tenant)
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
      engines.cold.register(tenant, txn)
      let stored = false
      try {
        const fresh = await deps.db
          .transaction()
          .execute((tx) => store.insertTransactions(tx, tenant, [txn], [{ outcome, score: 0 }]))
        stored = fresh.has(txn.id)
      } finally {
        // chained before this call returns, so a later evaluate sees the engine only after it
        loading.then(
          (te) => {
            if (engines.cold.settle(tenant, txn.id, stored, te.coldRead)) te.engine.learn(txn)
          },
          () => engines.cold.settle(tenant, txn.id, false),
        )
      }
    }
    return { decision, alerts: [], shadow: [], replayed: false, ruleSetVersion: null }
  }
  const engine = te.engine
  if (opts.dryRun || opts.version !== undefined) {
    const rs =
      opts.version !== undefined ? await compiledVersion(ctx, tenant, te, opts.version) : engine.active
    const res = engine.process(txn, {
      apply: false,
      explain: opts.explain ?? true,
      ...(rs ? { ruleSet: rs } : {}),
      budgetMs: opts.budgetMs ?? true,
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
  const known = await isKnown(ctx, tenant, txn.id)
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
  const scorer = await scorerOf(ctx, tenant, budget - (performance.now() - started))
  // someone waits on this answer: the rule set's latency budget applies (the paths below have none)
  const d = decide(te, txn, scorer, { ...opts, budgetMs: opts.budgetMs ?? true })
  const res = d.res
  const alerts = await persist(
    ctx,
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
}

/** The asynchronous path (ledger and bank events): a batch evaluated and stored in time order. */
export async function ingestTransactions(
  ctx: MonitoringContext,
  tenant: string,
  txns: readonly MonTxn[],
): Promise<{ evaluated: number; replayed: number; alerts: number }> {
  for (const t of txns) checkTxn(t)
  const te = await ctx.engines.get(tenant)
  // the asynchronous path waits for the model to load: no budget to keep here
  const scorer = await scorerOf(ctx, tenant, 60_000)
  const sorted = [...txns].sort((a, b) => a.at - b.at)
  let replayed = 0
  let alerts = 0
  for (let i = 0; i < sorted.length; i += 2000) {
    const chunk = sorted.slice(i, i + 2000)
    const known = await ctx.store.storedTxnIds(
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
    alerts += (await persist(ctx, tenant, items, scorer ? { scorer, scores } : undefined)).length
  }
  return { evaluated: txns.length - replayed, replayed, alerts }
}
