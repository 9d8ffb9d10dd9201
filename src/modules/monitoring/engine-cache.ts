import { PromiseCache } from '../../shared/promise-cache.js'
import { ColdDecisions, type ColdTracker } from './cold-decisions.js'
import { MonitoringEngine } from './engine.js'
import { DAY_MS } from './monitoring.js'
import type { MonitoringStore } from './monitoring.store.js'
import type { MonitoringDeps } from './monitoring.service.js'
import { QUEUE_VOLUME_WINDOW_MS, queueVolumeOf, type QueueVolume } from './queue-volume.js'
import { compileRuleSet, type CompiledRuleSet } from './rules.js'
import { streamNow } from './monitoring.checks.js'

/** A tenant's running engine, the rule sets compiled for it, and the lists its rules may name. */
export interface TenantEngine {
  readonly engine: MonitoringEngine
  readonly compiled: Map<number, CompiledRuleSet>
  knownLists: Set<string>
  /** Which cold-decided transactions the load read from history (see ColdDecisions). */
  readonly coldRead: ColdTracker
  /** The case queue's volume against the rules' over the last month (a model alert needs room in it). */
  readonly queue: QueueVolume
}

/**
 * Each tenant's engine, rebuilt from storage on first use (its active and shadow rule sets, lists,
 * parties, the window's transactions and the lifetime activity beyond it) and kept warm: lists,
 * parties and rule-set transitions update a running engine in place.
 */
export class EngineCache {
  private readonly engines = new PromiseCache<string, TenantEngine>()
  /** Transactions decided while a tenant's engine was still loading. */
  readonly cold = new ColdDecisions()
  private readonly historyMs: number

  constructor(
    private readonly deps: MonitoringDeps,
    private readonly store: MonitoringStore,
  ) {
    this.historyMs = (deps.historyDays ?? 180) * DAY_MS
  }

  /** The tenant's engine, built on first use (a failed build is tried again on the next). */
  get(tenant: string): Promise<TenantEngine> {
    return this.engines.getOrStart(tenant, () => this.build(tenant))
  }

  /** The engine if one is running or loading: what an in-place update changes. */
  running(tenant: string): Promise<TenantEngine> | undefined {
    return this.engines.peek(tenant)
  }

  /** The next use rebuilds the engine from storage. */
  drop(tenant: string): void {
    this.engines.delete(tenant)
  }

  async tenantNow(tenant: string): Promise<number> {
    return streamNow(this.deps.clock.now().getTime(), await this.store.latestAt(tenant))
  }

  async listSnapshot(tenant: string): Promise<Map<string, Set<string>>> {
    const lists = await this.store.latestLists(tenant)
    return new Map(lists.map((l) => [l.name, new Set(l.items)]))
  }

  private async build(tenant: string): Promise<TenantEngine> {
    const { store, deps, historyMs } = this
    const lists = await this.listSnapshot(tenant)
    const knownLists = new Set(lists.keys())
    const engine = new MonitoringEngine({
      lists,
      parties: new Map((await store.loadParties(tenant)).map((p) => [p.id, p])),
      ...(deps.dedupWindowMs ? { dedupWindowMs: deps.dedupWindowMs } : {}),
    })
    const compiled = new Map<number, CompiledRuleSet>()
    for (const rs of await store.listRuleSets(tenant)) {
      if (rs.status !== 'active' && rs.status !== 'shadow') continue
      const c = compileRuleSet(rs.definition, rs.version, knownLists)
      compiled.set(rs.version, c)
      if (rs.status === 'active') engine.active = c
      else engine.shadows.push(c)
    }
    // the window ends where the tenant's transactions stand, not at the wall clock: a history loaded
    // after the fact (importHistory, a backfill) lies wholly before a wall-clock window, and the
    // rebuilt engine would have decided what follows it with no features at all (docs/monitoring.md)
    const now = await this.tenantNow(tenant)
    // what the window cannot show: usual amounts and known counterparties formed before it
    // and the activity of what the lifetime table does not keep (devices, cards, addresses)
    const seeds = await store.seedsBefore(tenant, now - historyMs)
    for (const h of seeds.habits) engine.store.seedHabits(h)
    for (const a of seeds.activity) engine.store.seedActivity(a)
    // alerts before the replay: an inflow replayed from an account alerted on before it is kept
    // (alerted_in_*) as it was when the engine saw it live
    engine.rememberAlerts(await store.recentDedupKeys(tenant, now - 2 * engine.dedupWindowMs))
    // the queue's volume of the last month, as the engine counted it before the restart
    const queue = queueVolumeOf(await store.recentQueueAlerts(tenant, now - QUEUE_VOLUME_WINDOW_MS))
    let n = 0
    const coldRead = this.cold.tracker(tenant)
    for await (const t of store.transactions(tenant, now - historyMs, Date.UTC(9999, 0, 1))) {
      engine.learn(t)
      coldRead.saw(t.id)
      n++
    }
    // lifetime activity beyond the replayed window (dormancy longer than the history kept in memory)
    for (const a of await store.activity(tenant)) engine.store.seedActivity(a)
    deps.logger?.debug(
      { tenant, replayed: n, entities: engine.store.entityCount },
      'monitoring engine rebuilt',
    )
    return { engine, compiled, knownLists, coldRead, queue }
  }
}
