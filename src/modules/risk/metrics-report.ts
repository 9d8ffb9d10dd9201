import { DAY_MS, DEDUP_WINDOW_MS } from '../monitoring/index.js'
import { periodMetrics, periodStart } from './metrics.js'
import type { RiskContext } from './risk-context.js'
import { riskError } from './risk.errors.js'
import type { MetricsQuery, MetricsReport } from './risk.types.js'

/** A metrics query covers at most this long (one row per subject-day is read). */
const METRICS_MAX_MS = 400 * DAY_MS

/** RISK_MODEL_NOT_FOUND · RISK_INVALID_INPUT. Champion/challenger metrics per period (metrics.ts). */
export async function metricsReport(
  ctx: RiskContext,
  tenant: string,
  modelId: string,
  q: MetricsQuery,
): Promise<MetricsReport> {
  const m = await ctx.registry.load(tenant, modelId)
  // by default the last 12 periods of the tenant's own transactions (a backfilled history included)
  const to = q.to ?? (await ctx.scorers.tenantNow(tenant)) + DAY_MS
  let from = q.from ?? to
  if (q.from === undefined) for (let i = 0; i < 12; i++) from = periodStart(from - 1, q.period)
  if (!(from < to) || to - from > METRICS_MAX_MS)
    throw riskError('RISK_INVALID_INPUT', 'from must be before to, at most 400 days apart')
  const start = periodStart(from, q.period)
  const [scores, liveAlerts, labels] = await Promise.all([
    // a dedup window earlier too: an alert open before the range is not raised again in it
    ctx.scoreStore.subjectDays(tenant, modelId, start - DEDUP_WINDOW_MS, to),
    ctx.deps.history.alertedSubjectDays(tenant, start, to),
    ctx.registry.labels(tenant),
  ])
  const periods = periodMetrics({
    scores,
    liveAlerts,
    modelId,
    // a model with an alert budget raises its own alerts from the budget's cut (session 31)
    threshold: m.model.metrics.alertBudget?.ownAlertFrom ?? m.record.threshold,
    labels,
    period: q.period,
    from: start,
    to,
    dedupMs: DEDUP_WINDOW_MS,
  })
  return { model: m.record, period: q.period, periods }
}
