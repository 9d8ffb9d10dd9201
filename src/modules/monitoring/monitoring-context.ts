import type { EngineCache } from './engine-cache.js'
import type { MonitoringStore } from './monitoring.store.js'
import type { MonitoringDeps } from './monitoring.service.js'
import type { RuleProbe } from './rule-probe.js'

/** What the monitoring use cases share: the module's dependencies, its store, engines and rule probe. */
export interface MonitoringContext {
  readonly deps: MonitoringDeps
  readonly store: MonitoringStore
  readonly engines: EngineCache
  /** Evaluates tenant-authored rule sets off the main thread (deps.ruleProbe, else one of our own). */
  probe(): RuleProbe
}
