import type { AppServices } from './app.js'

/** Who the scheduled retrain acts as in the registry (`trained_by`) and the audit log. */
export const RETRAIN_ACTOR = 'scheduler:risk-retrain'

/**
 * One round of the scheduled retrain (MONETA_RISK_RETRAIN_MS): for each tenant with a model in the
 * registry, a challenger trained on its stored history and case outcomes (a shadow: promotion stays
 * an operator's decision through the gate), its change report kept in the model's metrics, and the
 * champion's drift checked. A tenant without enough labels (or failing) is skipped; the others still run.
 */
export async function retrainRiskModels(
  services: Pick<AppServices, 'risk' | 'audit' | 'logger'>,
): Promise<{ trained: number; skipped: number }> {
  let trained = 0
  let skipped = 0
  for (const tenant of await services.risk.tenantsWithModels()) {
    try {
      const r = await services.risk.retrain(tenant, RETRAIN_ACTOR)
      await services.audit.record({
        tenant,
        actor: RETRAIN_ACTOR,
        action: 'risk.model.train',
        resource: `risk_models:${r.model.modelId}`,
        outcome: 'success',
        origin: 'scheduler',
        details: {
          version: r.model.version,
          gatePassed: r.gate.passed,
          against: r.changes.against?.modelId ?? null,
          driftAlerts: r.driftAlerts,
          retired: r.retired,
        },
      })
      trained++
    } catch (err) {
      // one tenant's failure must not starve the others of their retrain
      const code = (err as { code?: string }).code
      if (code === 'RISK_NOT_ENOUGH_LABELS')
        services.logger.info({ tenant }, 'risk retrain skipped: not enough labelled history')
      else if (code === 'RISK_TRAINING_IN_PROGRESS')
        services.logger.info({ tenant }, 'risk retrain skipped: a training of this tenant is running')
      else services.logger.warn({ err, tenant }, 'risk retrain failed for a tenant')
      skipped++
    }
  }
  return { trained, skipped }
}
