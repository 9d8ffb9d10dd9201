import { CASH, type EvalContext, type MonTxn } from '../monitoring/index.js'
import { confidenceOf } from './alert-budget.js'
import type { ScoringModel } from './decision.js'
import { confirmedInRow, extractRow, FEATURE_COUNT, type Side } from './features.js'
import { explainRow, scoreRow, scoresRow } from './model.js'
import type { RiskContext } from './risk-context.js'
import { riskError } from './risk.errors.js'
import type { ScoreResult, SideScore } from './risk.types.js'

/**
 * RISK_NO_LIVE_MODEL. Both sides of a transaction scored by the live model (and every shadow) on the
 * features monitoring's own engine would decide it on, teaching it nothing; an alert is stored, with
 * its explanation, where the decision path would raise the model's own.
 */
export async function whatIfScore(
  ctx: RiskContext,
  tenant: string,
  txn: MonTxn,
  opts: { explain?: boolean },
): Promise<ScoreResult> {
  const s = await ctx.scorers.get(tenant)
  const live = s.live
  // shadows alone are scored in the decision path; a what-if score answers for the live model
  if (!live) throw riskError('RISK_NO_LIVE_MODEL')
  const budget = live.model.metrics.alertBudget
  const started = performance.now()
  const rows: { side: Side; subject: string; x: Float64Array }[] = []
  const observe = (ec: EvalContext, t: MonTxn): void => {
    for (const side of ['out', 'in'] as const) {
      const subject = side === 'out' ? t.src : t.dst
      if (subject === CASH) continue
      const x = new Float64Array(FEATURE_COUNT)
      extractRow(ec, t, side, s.inputs, x, 0)
      rows.push({ side, subject, x })
    }
  }
  const { queueHasRoom } = await ctx.deps.history.observeWhatIf(tenant, txn, observe)
  const sides: SideScore[] = []
  for (const r of rows) {
    // as in the decision path, a customers-only model answers for the institution's customers only
    if (!scoresRow(live.model, r.x)) continue
    // the subject's score with this row, as the decision path would compute it (not kept: a
    // what-if score must not change the subject's recent rows)
    const score = (m: ScoringModel): number =>
      m.subjects.peek(r.subject, txn.at, scoreRow(m.model, r.x).margin)
    const p = { probability: score(live) }
    // as the decision path raises the model's own alert on a customer no rule alerts on: within
    // the alert budget (session 31) while the queue has room (session 56, ADR 1409), or at the
    // threshold for a model stored before
    const alert =
      !confirmedInRow(r.x) &&
      (budget ? p.probability >= budget.ownAlertFrom && queueHasRoom : p.probability >= live.threshold)
    const explanation = alert || opts.explain ? explainRow(live.model, r.x) : undefined
    let alertId: string | undefined
    if (alert) {
      alertId = ctx.deps.ids('ralt')
      await ctx.store.insertAlert(tenant, {
        alertId,
        kind: 'score',
        modelId: live.id,
        subject: r.subject,
        txnId: txn.id,
        probability: p.probability,
        details: { side: r.side, explanation: explanation! },
        createdAt: ctx.deps.clock.now(),
      })
    }
    sides.push({
      side: r.side,
      subject: r.subject,
      probability: p.probability,
      ...(budget ? { confidence: confidenceOf(budget, p.probability) } : {}),
      alert,
      ...(alertId ? { alertId } : {}),
      ...(explanation ? { explanation } : {}),
      shadow: s.shadows.map((m) => ({ modelId: m.id, probability: score(m) })),
    })
  }
  return {
    modelId: live.id,
    threshold: live.threshold,
    ...(budget ? { ownAlertFrom: budget.ownAlertFrom, queueHasRoom } : {}),
    sides,
    elapsedMs: performance.now() - started,
  }
}
