import { metricsReport } from './metrics-report.js'
import { evaluateModel } from './model-evaluation.js'
import { promoteModel, retireModel } from './model-lifecycle.js'
import { ModelRegistry } from './model-registry.js'
import type { RiskContext } from './risk-context.js'
import { riskError } from './risk.errors.js'
import { createRiskStore } from './risk.store.js'
import type { Risk, RiskDeps } from './risk.types.js'
import { createScoreStore } from './score.store.js'
import { ScorerCache } from './scorer-cache.js'
import { checkTrainRequest, trainShadowModel } from './train-shadow-model.js'
import { whatIfScore } from './what-if-score.js'
import { WindowJobs } from './window-jobs.js'

/**
 * The risk service: trains models from a tenant's stored monitoring history and confirmed case
 * outcomes (train-shadow-model.ts), keeps them in the registry (shadow → live through the gate,
 * promoted by an operator; model-lifecycle.ts), scores transactions with the live model and every
 * shadow (scorer-cache.ts in the decision path, what-if-score.ts on request), and checks feature
 * drift (model-evaluation.ts). Audit entries are written by the callers (API routes, CLI) with the
 * actor. This file only wires the use cases together.
 */

/**
 * Every shadow is scored on every decision and again at each scorer rebuild, and the scheduled
 * retrain adds one per tenant each interval: the newest few are what an operator compares and
 * promotes from.
 */
const DEFAULT_MAX_SHADOWS = 3

export function createRisk(deps: RiskDeps): Risk {
  const store = createRiskStore(deps.db)
  const scoreStore = createScoreStore(deps.db)
  const registry = new ModelRegistry(store, deps.history, deps.cases)
  const ctx: RiskContext = {
    deps,
    store,
    scoreStore,
    registry,
    jobs: new WindowJobs(deps.trainIn ?? 'worker', deps.history),
    scorers: new ScorerCache({ history: deps.history, clock: deps.clock, store, scoreStore, registry }),
    maxShadows: deps.maxShadows ?? DEFAULT_MAX_SHADOWS,
  }
  /** Tenants with a training running. */
  const training = new Set<string>()

  const api: Risk = {
    async train(tenant, req, actor) {
      checkTrainRequest(req)
      // one training per tenant: each holds the tenant's window and a worker's heap for minutes
      if (training.has(tenant)) throw riskError('RISK_TRAINING_IN_PROGRESS')
      training.add(tenant)
      try {
        return await ctx.jobs.inLane(() => trainShadowModel(ctx, tenant, req, actor))
      } finally {
        training.delete(tenant)
      }
    },

    async retrain(tenant, actor) {
      const trained = await api.train(tenant, {}, actor)
      const live = await store.liveModelId(tenant)
      const drift = live ? await api.evaluate(tenant, live) : undefined
      return { ...trained, driftAlerts: drift?.driftAlerts ?? 0 }
    },

    tenantsWithModels: () => store.tenantsWithModels(),
    listModels: (tenant) => store.listModels(tenant),
    getModel: async (tenant, modelId) => (await registry.load(tenant, modelId)).record,
    evaluate: (tenant, modelId) => evaluateModel(ctx, tenant, modelId),
    promote: (tenant, modelId, by) => promoteModel(ctx, tenant, modelId, by),
    retire: (tenant, modelId, actor) => retireModel(ctx, tenant, modelId, actor),
    score: (tenant, txn, opts = {}) => whatIfScore(ctx, tenant, txn, opts),
    metrics: (tenant, modelId, q) => metricsReport(ctx, tenant, modelId, q),
    decisionModel: {
      scorer: (tenant) => ctx.scorers.decisionScorer(tenant),
      forget: (tenant) => ctx.scorers.forget(tenant),
    },
    listAlerts: (tenant, opts = {}) =>
      store.listAlerts(tenant, opts.subject, Math.min(Math.max(opts.limit ?? 100, 1), 1000)),
  }
  return api
}
