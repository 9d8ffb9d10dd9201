import type { TenantEngine } from './engine-cache.js'
import type { MonitoringContext } from './monitoring-context.js'
import { badTransition, ruleSetNotFound } from './monitoring.errors.js'
import type { RuleSetDef, RuleSetStatus } from './monitoring.js'
import type { RuleSetRecord } from './monitoring.store.js'
import {
  checkRuleSet,
  compileRuleSet,
  ruleSetInvalid,
  type CompiledRuleSet,
  type RuleProblem,
} from './rules.js'

/** Tenant-authored rule sets: checked, probed off the main thread, saved, and moved through their states. */

/** MONITORING_RULE_INVALID with the probe's problems (a rule that throws or runs too long). */
export async function probeOrThrow(
  ctx: MonitoringContext,
  def: RuleSetDef,
  known: ReadonlySet<string>,
): Promise<void> {
  const problems = await ctx.probe().probe(def, known)
  if (problems.length > 0) throw ruleSetInvalid(problems)
}

const knownLists = async (ctx: MonitoringContext, tenant: string): Promise<Set<string>> =>
  new Set((await ctx.store.latestLists(tenant)).map((l) => l.name))

export async function validateRuleSet(
  ctx: MonitoringContext,
  tenant: string,
  def: RuleSetDef,
): Promise<RuleProblem[]> {
  const known = await knownLists(ctx, tenant)
  const problems = checkRuleSet(def, known)
  return problems.length > 0 ? problems : ctx.probe().probe(def, known)
}

export async function saveRuleSet(
  ctx: MonitoringContext,
  tenant: string,
  def: RuleSetDef,
  opts: { note?: string } = {},
): Promise<RuleSetRecord> {
  const known = await knownLists(ctx, tenant)
  compileRuleSet(def, 0, known) // throws MONITORING_RULE_INVALID with positions
  await probeOrThrow(ctx, def, known)
  return ctx.deps.db
    .transaction()
    .execute((tx) => ctx.store.insertRuleSet(tx, tenant, def, opts.note ?? null))
}

/** MONITORING_RULE_SET_NOT_FOUND. */
export async function ruleSet(
  ctx: MonitoringContext,
  tenant: string,
  version: number,
): Promise<RuleSetRecord> {
  const rs = await ctx.store.getRuleSet(tenant, version)
  if (!rs) throw ruleSetNotFound(version)
  return rs
}

/** A version compiled for a running engine (cached there), probed first if it never was. */
export async function compiledVersion(
  ctx: MonitoringContext,
  tenant: string,
  te: TenantEngine,
  version: number,
): Promise<CompiledRuleSet> {
  const cached = te.compiled.get(version)
  if (cached) return cached
  const rs = await ruleSet(ctx, tenant, version)
  const c = compileRuleSet(rs.definition, rs.version, te.knownLists)
  // a version saved before rule sets were probed is probed before its first dry-run here
  await probeOrThrow(ctx, rs.definition, te.knownLists)
  te.compiled.set(version, c)
  return c
}

export async function transition(
  ctx: MonitoringContext,
  tenant: string,
  version: number,
  to: RuleSetStatus,
): Promise<RuleSetRecord> {
  const { store } = ctx
  // read outside the transaction: PGlite has a single connection
  const known = await knownLists(ctx, tenant)
  if (to !== 'retired') {
    // sets saved before the probe existed are probed before they may run on live traffic
    const saved = await store.getRuleSet(tenant, version)
    if (saved) await probeOrThrow(ctx, saved.definition, known)
  }
  const rec = await ctx.deps.db.transaction().execute(async (tx) => {
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
  const running = ctx.engines.running(tenant)
  if (running) {
    const te = await running
    const c = await compiledVersion(ctx, tenant, te, version)
    te.engine.shadows = te.engine.shadows.filter((s) => s.version !== version)
    if (te.engine.active?.version === version) te.engine.active = undefined
    if (to === 'active') te.engine.active = c
    if (to === 'shadow') te.engine.shadows.push(c)
  }
  return rec
}
