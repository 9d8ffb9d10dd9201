import { gateNow } from './model-evaluation.js'
import type { RiskContext } from './risk-context.js'
import { riskError } from './risk.errors.js'
import type { ModelRecord } from './risk.store.js'
import type { GateResult } from './training.js'

/**
 * RISK_OPERATOR_REQUIRED · RISK_MODEL_NOT_SHADOW · RISK_PROMOTION_REFUSED (with the gate figures).
 * A shadow becomes live if it passes the gate now; the live model it replaces is retired.
 */
export async function promoteModel(
  ctx: RiskContext,
  tenant: string,
  modelId: string,
  by: { actor: string; operator: boolean },
): Promise<{ model: ModelRecord; gate: GateResult }> {
  if (!by.operator) throw riskError('RISK_OPERATOR_REQUIRED')
  const cand = await ctx.registry.load(tenant, modelId)
  if (cand.record.status !== 'shadow')
    throw riskError('RISK_MODEL_NOT_SHADOW', `${modelId} is ${cand.record.status}`)
  const gate = await gateNow(ctx, tenant, cand)
  if (!gate.passed) throw riskError('RISK_PROMOTION_REFUSED', gate.reason, { gate })
  const record = await ctx.store.promote(tenant, modelId, by.actor, ctx.deps.clock.now(), { ...gate })
  if (!record) throw riskError('RISK_MODEL_NOT_SHADOW', modelId)
  await ctx.scorers.replace(tenant)
  return { model: record, gate }
}

/** RISK_MODEL_NOT_FOUND · RISK_MODEL_NOT_SHADOW. A shadow leaves the decision path, kept in the registry. */
export async function retireModel(
  ctx: RiskContext,
  tenant: string,
  modelId: string,
  actor: string,
): Promise<ModelRecord> {
  const record = await ctx.store.retireShadow(tenant, modelId, actor, ctx.deps.clock.now())
  if (!record) {
    // only a refused retirement pays for the second read, and it reads the status, not the trees
    const status = await ctx.store.modelStatus(tenant, modelId)
    if (!status) throw riskError('RISK_MODEL_NOT_FOUND', modelId)
    throw riskError('RISK_MODEL_NOT_SHADOW', `${modelId} is ${status}`)
  }
  await ctx.scorers.replace(tenant)
  return record
}
