import type { ModelRegistry } from './model-registry.js'
import type { RiskStore } from './risk.store.js'
import type { RiskDeps } from './risk.types.js'
import type { ScoreStore } from './score.store.js'
import type { ScorerCache } from './scorer-cache.js'
import type { WindowJobs } from './window-jobs.js'

/** What the risk use cases share: the module's dependencies, its stores, registry, jobs and scorers. */
export interface RiskContext {
  readonly deps: RiskDeps
  readonly store: RiskStore
  readonly scoreStore: ScoreStore
  readonly registry: ModelRegistry
  readonly jobs: WindowJobs
  readonly scorers: ScorerCache
  /** Shadows kept per tenant: a training retires the older ones. */
  readonly maxShadows: number
}
