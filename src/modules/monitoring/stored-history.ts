import { Backtester, type BacktestReport, type CaseLabel } from './backtest.js'
import { scorerOf } from './decide-transactions.js'
import { checkLabel, checkTxn } from './monitoring.checks.js'
import type { MonitoringContext } from './monitoring-context.js'
import { invalidRange } from './monitoring.errors.js'
import { DAY_MS, type MonTxn, type Party } from './monitoring.js'
import type { BacktestRequest, HistoryOptions, StoredHistory } from './monitoring.service.js'
import { upsertParties } from './reference-data.js'
import { ruleSet } from './rule-set-admin.js'
import { compileRuleSet, type CompiledRuleSet } from './rules.js'

/**
 * History loaded without alerts (`importHistory`), replayed against a draft rule set (`backtest`),
 * read back whole for the risk model (`readHistory`), and the engines warmed from it at start.
 */

export async function importHistory(
  ctx: MonitoringContext,
  tenant: string,
  data: { txns: readonly MonTxn[]; parties?: readonly Party[]; labels?: readonly CaseLabel[] },
): Promise<{ transactions: number }> {
  const { store } = ctx
  for (const t of data.txns) checkTxn(t)
  for (const l of data.labels ?? []) checkLabel(l)
  if (data.parties) await upsertParties(ctx, tenant, data.parties)
  if (data.labels) await store.saveLabels(tenant, data.labels)
  if (data.txns.length === 0) return { transactions: 0 } // labels and parties: the running engine stays warm
  const fresh = await ctx.deps.db
    .transaction()
    .execute((tx) => store.insertTransactions(tx, tenant, data.txns))
  // new history may lie before what the engine has seen: the next use rebuilds features from storage
  if (fresh.size > 0) ctx.engines.drop(tenant)
  return { transactions: fresh.size }
}

export async function backtest(
  ctx: MonitoringContext,
  tenant: string,
  req: BacktestRequest,
): Promise<BacktestReport> {
  const { store, deps } = ctx
  const from = req.from.getTime()
  const to = req.to.getTime()
  if (!(from < to)) throw invalidRange('from must be before to.')
  if (to - from > 400 * DAY_MS) throw invalidRange('A backtest covers at most 400 days.')
  const known = new Set((await store.latestLists(tenant)).map((l) => l.name))
  const draftRec = await ruleSet(ctx, tenant, req.version)
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
    lists: await ctx.engines.listSnapshot(tenant),
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
}

/** The window [from, to) as stored, with what the features need beside it (the risk model's read). */
export async function readHistory(
  ctx: MonitoringContext,
  tenant: string,
  from: number,
  to: number,
  opts?: HistoryOptions,
): Promise<StoredHistory> {
  const { store } = ctx
  const txns: MonTxn[] = []
  if (opts?.txns !== false) for await (const t of store.transactions(tenant, from, to)) txns.push(t)
  const active = (await store.listRuleSets(tenant)).find((r) => r.status === 'active')
  return {
    txns,
    parties: await store.loadParties(tenant),
    lists: await ctx.engines.listSnapshot(tenant),
    activeRuleSet: active ? { version: active.version, definition: active.definition } : undefined,
    range: await store.txnRange(tenant),
    ...(opts?.seeds ? { seeds: await store.seedsBefore(tenant, from) } : {}),
  }
}

export async function warm(ctx: MonitoringContext, tenant: string): Promise<void> {
  await ctx.engines.get(tenant)
  // the asynchronous path's wait; a model that fails to load is logged by scorerOf
  await scorerOf(ctx, tenant, 600_000)
}

/** The `max` tenants with an active rule set, latest transaction first, warmed one after the other. */
export async function warmUp(ctx: MonitoringContext, max: number): Promise<string[]> {
  if (max <= 0) return []
  const latest = new Map<string, number>()
  for (const tenant of await ctx.store.tenantsWithActiveRuleSet())
    latest.set(tenant, (await ctx.store.latestAt(tenant)) ?? 0)
  const chosen = [...latest].sort((a, b) => b[1] - a[1]).slice(0, max)
  for (const [tenant] of chosen) await warm(ctx, tenant)
  return chosen.map(([tenant]) => tenant)
}
