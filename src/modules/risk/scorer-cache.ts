import type { Clock } from '../../shared/clock.js'
import { PromiseCache } from '../../shared/promise-cache.js'
import { forEachInSlices } from '../../shared/time-slice.js'
import { DAY_MS, type DecisionScorer, type MonTxn } from '../monitoring/index.js'
import { createDecisionScorer, type ScoringModel } from './decision.js'
import type { FeatureInputs } from './features.js'
import { RiskGraph } from './graph.js'
import { subjectRowDiscount, subjectTopRows, type RiskModel } from './model.js'
import type { ModelRegistry } from './model-registry.js'
import { riskError } from './risk.errors.js'
import type { ModelRecord, RiskStore } from './risk.store.js'
import type { RiskHistoryPort } from './risk.types.js'
import type { ScoreStore } from './score.store.js'
import { SUBJECT_WINDOW_MS, SubjectScores } from './subject-score.js'

/** A tenant's models ready to score, over the known-bad graph of its last 180 days. */
export interface Scorer {
  readonly inputs: FeatureInputs
  /** Undefined before any promotion: the shadows are scored in the decision path all the same. */
  readonly live: ScoringModel | undefined
  readonly shadows: ScoringModel[]
  /** The same models and graph in monitoring's decision path. */
  readonly decision: DecisionScorer
  readonly builtAt: number
  /** Listeners told every payment `decision` links into the graph (successors catching up). */
  readonly linked: Set<(t: MonTxn) => void>
}

const SCORER_HISTORY_MS = 180 * DAY_MS
/** A running scorer is rebuilt this often (cases closed since mark new known-bad parties). */
const SCORER_REFRESH_MS = 15 * 60_000
/** "No model is promoted" is remembered this long (monitoring asks on every transaction). */
const NO_MODEL_TTL_MS = 30_000

export interface ScorerCacheDeps {
  readonly history: Pick<RiskHistoryPort, 'history' | 'transactionPages' | 'streamNow'>
  readonly clock: Clock
  readonly store: RiskStore
  readonly scoreStore: ScoreStore
  readonly registry: ModelRegistry
}

/**
 * Each tenant's scorer (its live and shadow models over the graph), cached; a stale one keeps serving
 * while its successor builds. What monitoring's decision path and the what-if score read.
 */
export class ScorerCache {
  private readonly scorers = new PromiseCache<string, Scorer>()
  private readonly noModelUntil = new Map<string, number>()
  private readonly forgetting = new Set<string>()

  constructor(private readonly deps: ScorerCacheDeps) {}

  /**
   * The scorer's windows (the graph's history, the subjects' recent rows) end where the tenant's
   * transactions stand (monitoring's streamNow), not at the wall clock: a history loaded months after
   * it happened (a backfill, a labelled dataset) lay entirely before a wall-clock window, and a model
   * scored what followed it with an empty graph and every subject cold (docs/risk.md, "Event time").
   */
  tenantNow(tenant: string): Promise<number> {
    return this.deps.history.streamNow(tenant)
  }

  /** RISK_NO_LIVE_MODEL when the tenant has no model at all. Rebuilt in the background when stale. */
  get(tenant: string): Promise<Scorer> {
    const cached = this.scorers.peek(tenant)
    if (!cached) return this.scorers.getOrStart(tenant, () => this.build(tenant))
    void cached.then(
      (x) => {
        if (
          this.deps.clock.now().getTime() - x.builtAt < SCORER_REFRESH_MS ||
          this.scorers.peek(tenant) !== cached
        )
          return
        const next = this.build(tenant, x)
        next.then(
          () => this.scorers.peek(tenant) === cached && this.scorers.set(tenant, next),
          () => undefined,
        )
      },
      () => undefined,
    )
    return cached
  }

  /**
   * After a training, a promotion or a retirement: builds the tenant's scorer anew while the current
   * one keeps deciding, and swaps it in, so the registry's models are in the decision path when the
   * call returns. Dropping the cached scorer instead left the next decisions to wait for the build
   * (~30 s at 10,000 customers: an ingest call stalled, a synchronous decision past its budget went
   * without the model). A failed build leaves the build to the next decision, as before.
   */
  async replace(tenant: string): Promise<void> {
    this.noModelUntil.delete(tenant)
    const current = this.scorers.peek(tenant)
    const previous = current ? await current.catch(() => undefined) : undefined
    try {
      this.scorers.set(tenant, Promise.resolve(await this.build(tenant, previous)))
    } catch {
      this.scorers.delete(tenant)
    }
  }

  /**
   * Decisions the current scorer folded in did not commit: rebuilt from storage in the background,
   * at most one rebuild at a time per tenant (a database outage fails every decision, and each would
   * otherwise start a build of its own).
   */
  forget(tenant: string): void {
    if (this.forgetting.has(tenant)) return
    this.forgetting.add(tenant)
    void this.replace(tenant).finally(() => this.forgetting.delete(tenant))
  }

  /** Monitoring's DecisionModelPort: the champion and shadows' scorer, or undefined with no model at all. */
  async decisionScorer(tenant: string): Promise<DecisionScorer | undefined> {
    const until = this.noModelUntil.get(tenant)
    if (until !== undefined && this.deps.clock.now().getTime() < until) return undefined
    try {
      return (await this.get(tenant)).decision
    } catch (e) {
      if ((e as { code?: string }).code !== 'RISK_NO_LIVE_MODEL') throw e
      this.noModelUntil.set(tenant, this.deps.clock.now().getTime() + NO_MODEL_TTL_MS)
      return undefined
    }
  }

  /**
   * `previous`: the scorer that keeps deciding while this one builds. Payments it links from now on
   * are caught and linked into the new graph once the history is in (a history read at the start of
   * a build cannot hold what is decided during it), then forwarded as they come, so that a decision
   * still holding `previous` (an ingest call's batch) leaves no hole in its successor's graph.
   */
  private async build(tenant: string, previous?: Scorer): Promise<Scorer> {
    const caught: MonTxn[] = []
    const catchUp = (t: MonTxn): void => void caught.push(t)
    previous?.linked.add(catchUp)
    try {
      return await this.buildFromHistory(tenant, previous, caught)
    } finally {
      previous?.linked.delete(catchUp)
    }
  }

  private async buildFromHistory(
    tenant: string,
    previous: Scorer | undefined,
    caught: readonly MonTxn[],
  ): Promise<Scorer> {
    const { history, registry, store } = this.deps
    const live = await registry.live(tenant)
    const shadowRecords = (await store.listModels(tenant)).filter((r) => r.status === 'shadow')
    // a tenant's first model runs in shadow too (scored, its metrics kept, nothing raised) before
    // anyone promotes it; with no model at all there is nothing to score
    if (!live && shadowRecords.length === 0) throw riskError('RISK_NO_LIVE_MODEL')
    const builtAt = this.deps.clock.now().getTime()
    const now = await this.tenantNow(tenant)
    const since = now - SCORER_HISTORY_MS
    const end = Date.UTC(9999, 0, 1)
    const h = await history.history(tenant, since, end, { txns: false })
    const graph = new RiskGraph()
    for (const l of await registry.labels(tenant))
      if (l.positive) for (const a of l.accounts) graph.markBadAt(a, l.knownAt)
    graph.advanceTo(now)
    // in slices: 1M payments took ~2 s of one event-loop turn, every 15 minutes; and a page at a
    // time, so the 180 days are never held whole (their major collections stalled the server ~2 s)
    for await (const page of history.transactionPages(tenant, since, end))
      await forEachInSlices(page, (t) => graph.linkPayment(t))
    const shadows: ScoringModel[] = []
    for (const r of shadowRecords)
      shadows.push(await this.scoringModel(tenant, now, r, (await registry.load(tenant, r.modelId)).model))
    const inputs: FeatureInputs = { highRisk: h.lists.get('high_risk_countries') ?? new Set(), graph }
    const champion = live ? await this.scoringModel(tenant, now, live.record, live.model) : undefined
    // no await from here on: nothing is decided between catching up and forwarding
    for (const t of caught) graph.linkPayment(t)
    const linked = new Set<(t: MonTxn) => void>()
    const forward = (t: MonTxn): void => {
      graph.linkPayment(t)
      for (const f of linked) f(t)
    }
    previous?.linked.add(forward)
    return {
      inputs,
      live: champion,
      shadows,
      decision: createDecisionScorer(inputs, champion, shadows, this.deps.scoreStore, (t) => {
        for (const f of linked) f(t)
      }),
      builtAt,
      linked,
    }
  }

  /** Each model's subjects start from their stored recent top rows (the decision path kept them). */
  private async scoringModel(
    tenant: string,
    now: number,
    record: ModelRecord,
    model: RiskModel,
  ): Promise<ScoringModel> {
    const subjects = new SubjectScores(
      subjectTopRows(model),
      model.calibration,
      SUBJECT_WINDOW_MS,
      subjectRowDiscount(model),
    )
    // in slices: a month of a 10,000-customer tenant's subject-days held the event loop 1–2.7 s a
    // model (session 29)
    const days = await this.deps.scoreStore.subjectMargins(
      tenant,
      record.modelId,
      now - SUBJECT_WINDOW_MS,
      now + DAY_MS,
    )
    await forEachInSlices(days, (d) => subjects.warmDay(d))
    return { id: record.modelId, version: record.version, threshold: record.threshold, model, subjects }
  }
}
