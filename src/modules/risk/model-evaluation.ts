import { runStepsInSlices } from '../../shared/time-slice.js'
import { DAY_MS } from '../monitoring/index.js'
import { GateInputsHash } from './gate-inputs.js'
import { modelToJson } from './model.js'
import type { LoadedModel } from './model-registry.js'
import type { RiskContext } from './risk-context.js'
import type { ModelRecord } from './risk.store.js'
import type { EvaluateReport } from './risk.types.js'
import { jobHistory } from './training-job.js'
import { historyRange, timeSplit, type GateResult, type Split } from './training.js'

/** Drift is measured on the last days of stored history. */
const DRIFT_DAYS = 7

/**
 * Validation starts where training chose (metrics.validationFrom); models stored before it was kept
 * were split at the window's midpoint.
 */
const splitOf = (r: ModelRecord): Split => ({
  ...timeSplit(r.windowFrom.getTime(), r.windowTo.getTime()),
  ...(typeof r.metrics.validationFrom === 'number' ? { validationFrom: r.metrics.validationFrom } : {}),
  holdoutFrom: r.holdoutFrom.getTime(),
})

/**
 * The promotion gate now, on the candidate's holdout: the figures kept at training while nothing the
 * gate reads changed since, else the window replayed (where training runs).
 */
export async function gateNow(ctx: RiskContext, tenant: string, cand: LoadedModel): Promise<GateResult> {
  const { history } = ctx.deps
  const split = splitOf(cand.record)
  // the window as training read it: transactions stored later, even inside the window's last day
  // (it ends a day after the last transaction), were not in the model's holdout
  const seenTo = cand.record.metrics.gateTo
  const to = typeof seenTo === 'number' ? seenTo : split.to
  const head = await history.history(tenant, split.from, to, { seeds: true, txns: false })
  const labels = await ctx.registry.labels(tenant)
  const live = await ctx.registry.live(tenant)
  const atTraining = cand.record.metrics.gateAtTraining as GateResult | undefined
  // nothing the gate reads changed since training: its figures then are the replay's now
  if (atTraining) {
    const hash = new GateInputsHash(head, labels, live?.record.modelId)
    for await (const page of history.transactionPages(tenant, split.from, to))
      await runStepsInSlices(hash.txnSteps(page))
    if (cand.record.metrics.gateInputs === hash.digest(head.seeds))
      return { ...atTraining, basis: 'unchanged since training' }
  }
  const { txns: _none, ...window } = jobHistory(head, labels)
  const gate = await ctx.jobs.onWindow(tenant, split.from, to, {
    kind: 'gate',
    ...window,
    split,
    candidate: modelToJson(cand.model),
    live:
      live && live.record.modelId !== cand.record.modelId
        ? { model: modelToJson(live.model), threshold: live.record.threshold }
        : undefined,
  })
  return { ...gate, basis: 'replayed' }
}

/** The gate now, and drift of the last DRIFT_DAYS of stored history: each drifting feature raises an alert. */
export async function evaluateModel(
  ctx: RiskContext,
  tenant: string,
  modelId: string,
): Promise<EvaluateReport> {
  const { history, clock, ids } = ctx.deps
  const cand = await ctx.registry.load(tenant, modelId)
  const gate = await gateNow(ctx, tenant, cand)
  // features warmed up on the 30 days before
  const stored = await history.history(tenant, 0, 0)
  const end = historyRange(stored.range).to
  const from = end - (DRIFT_DAYS + 30) * DAY_MS
  const head = await history.history(tenant, from, end, { seeds: true, txns: false })
  const r = await ctx.jobs.onWindow(tenant, from, end, {
    kind: 'drift',
    parties: head.parties,
    highRisk: [...(head.lists.get('high_risk_countries') ?? [])],
    seeds: head.seeds,
    keepFrom: end - DRIFT_DAYS * DAY_MS,
    reference: cand.model.reference,
  })
  const report = r.report
  const now = clock.now()
  let driftAlerts = 0
  for (const d of report.filter((x) => x.drifting)) {
    await ctx.store.insertAlert(tenant, {
      alertId: ids('ralt'),
      kind: 'drift',
      modelId,
      subject: d.feature,
      txnId: null,
      probability: null,
      details: { feature: d.feature, psi: d.psi, rows: r.rows, days: DRIFT_DAYS },
      createdAt: now,
    })
    driftAlerts++
  }
  return { model: cand.record, gate, drift: report, driftAlerts }
}
