import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import {
  CASH,
  compileRuleSet,
  DAY_MS,
  MonitoringEngine,
  type CaseLabel,
  type EvalContext,
  type MonTxn,
  type StoredHistory,
} from '../monitoring/index.js'
import { extractRow, FEATURE_COUNT, FEATURE_NAMES, type FeatureInputs, type Side } from './features.js'
import { RiskGraph } from './graph.js'
import {
  explainRow,
  modelFromJson,
  modelToJson,
  NotEnoughLabels,
  scoreRow,
  type Explanation,
  type RiskModel,
} from './model.js'
import { drift, type DriftReport } from './psi.js'
import { replay, type RiskLabel } from './replay.js'
import { riskError } from './risk.errors.js'
import { createRiskStore, type ModelRecord, type RiskAlertRecord } from './risk.store.js'
import {
  historyRange,
  promotionGate,
  rowsBetween,
  timeSplit,
  trainOnHistory,
  type GateResult,
  type Split,
  type TrainingHistory,
} from './training.js'

/**
 * The risk service: trains models from a tenant's stored monitoring history and confirmed case
 * outcomes, keeps them in the registry (shadow → live through the gate, promoted by an operator),
 * scores transactions synchronously with the live model and every shadow model, stores an alert
 * with its TreeSHAP explanation when the live model's probability reaches its threshold, and checks
 * feature drift (PSI). Audit entries are written by the callers (API routes, CLI) with the actor.
 */

/** Monitoring, as the risk model reads it (a narrow port). */
export interface RiskHistoryPort {
  history(tenant: string, from: number, to: number): Promise<StoredHistory>
  listLabels(tenant: string): Promise<CaseLabel[]>
}

/** Closed cases' outcomes (the cases module's `labels`). */
export interface RiskCaseOutcomesPort {
  labels(
    tenant: string,
    opts?: { after?: Date; limit?: number },
  ): Promise<
    readonly {
      readonly caseId: string
      readonly subject: string
      readonly typology: string | null
      readonly raisedAt: Date
      readonly closedAt: Date
      readonly label: string
    }[]
  >
}

export interface RiskDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly history: RiskHistoryPort
  readonly cases?: RiskCaseOutcomesPort | undefined
}

export interface TrainRequest {
  /** Epoch ms; default: the first stored transaction. */
  readonly from?: number
  /** Epoch ms; default: a day after the last stored transaction. */
  readonly to?: number
  readonly trees?: number
  readonly depth?: number
}

export interface SideScore {
  readonly side: Side
  readonly subject: string
  readonly probability: number
  readonly alert: boolean
  readonly alertId?: string
  readonly explanation?: Explanation
  readonly shadow: readonly { readonly modelId: string; readonly probability: number }[]
}

export interface ScoreResult {
  readonly modelId: string
  readonly threshold: number
  readonly sides: readonly SideScore[]
  readonly elapsedMs: number
}

export interface EvaluateReport {
  readonly model: ModelRecord
  readonly gate: GateResult
  readonly drift: readonly DriftReport[]
  readonly driftAlerts: number
}

export interface Risk {
  /** RISK_NOT_ENOUGH_LABELS · RISK_INVALID_INPUT. The new model is a shadow model. */
  train(tenant: string, req: TrainRequest, actor: string): Promise<{ model: ModelRecord; gate: GateResult }>
  listModels(tenant: string): Promise<ModelRecord[]>
  /** RISK_MODEL_NOT_FOUND. */
  getModel(tenant: string, modelId: string): Promise<ModelRecord>
  /** Gate figures against the live configuration now, and drift of recent data (drifting features raise alerts). */
  evaluate(tenant: string, modelId: string): Promise<EvaluateReport>
  /** RISK_OPERATOR_REQUIRED · RISK_MODEL_NOT_SHADOW · RISK_PROMOTION_REFUSED (with the gate figures). */
  promote(
    tenant: string,
    modelId: string,
    by: { actor: string; operator: boolean },
  ): Promise<{ model: ModelRecord; gate: GateResult }>
  /** RISK_NO_LIVE_MODEL. Scores both sides of a transaction (no state change but a stored alert). */
  score(tenant: string, txn: MonTxn, opts?: { explain?: boolean }): Promise<ScoreResult>
  listAlerts(tenant: string, opts?: { subject?: string; limit?: number }): Promise<RiskAlertRecord[]>
}

const CONFIRMED = new Set(['true_positive', 'sar_filed'])
/** How far before an alert a confirmed case's activity is taken to reach. */
const CASE_LOOKBACK_MS = 14 * DAY_MS
const SCORER_HISTORY_MS = 180 * DAY_MS
const DRIFT_DAYS = 7

interface Scorer {
  readonly engine: MonitoringEngine
  readonly inputs: FeatureInputs
  readonly live: { id: string; model: RiskModel; threshold: number }
  readonly shadows: { id: string; model: RiskModel }[]
}

export function createRisk(deps: RiskDeps): Risk {
  const store = createRiskStore(deps.db)
  const scorers = new Map<string, Promise<Scorer>>()

  async function labelsOf(tenant: string): Promise<RiskLabel[]> {
    const imported = (await deps.history.listLabels(tenant)).map((l): RiskLabel => ({
      id: l.id,
      typology: l.typology,
      accounts: l.members,
      from: l.start,
      to: l.end,
      knownAt: l.end + DAY_MS,
      positive: true,
    }))
    const outcomes = deps.cases ? await deps.cases.labels(tenant, { limit: 10_000 }) : []
    return [
      ...imported,
      ...outcomes.map((o): RiskLabel => ({
        id: o.caseId,
        typology: o.typology ?? 'case',
        accounts: [o.subject],
        from: o.raisedAt.getTime() - CASE_LOOKBACK_MS,
        to: o.raisedAt.getTime(),
        knownAt: o.closedAt.getTime(),
        positive: CONFIRMED.has(o.label),
      })),
    ]
  }

  async function loadHistory(tenant: string, from: number, to: number): Promise<TrainingHistory> {
    const h = await deps.history.history(tenant, from, to)
    const ruleSet = h.activeRuleSet
      ? compileRuleSet(h.activeRuleSet.definition, h.activeRuleSet.version, new Set(h.lists.keys()))
      : undefined
    return {
      txns: h.txns,
      parties: h.parties,
      highRisk: [...(h.lists.get('high_risk_countries') ?? [])],
      labels: await labelsOf(tenant),
      ruleSet,
    }
  }

  async function load(tenant: string, modelId: string): Promise<{ record: ModelRecord; model: RiskModel }> {
    const m = await store.getModel(tenant, modelId)
    if (!m) throw riskError('RISK_MODEL_NOT_FOUND', modelId)
    return { record: m.record, model: modelFromJson(m.model) }
  }

  async function liveOf(tenant: string): Promise<{ record: ModelRecord; model: RiskModel } | undefined> {
    const id = await store.liveModelId(tenant)
    return id ? load(tenant, id) : undefined
  }

  const splitOf = (r: ModelRecord): Split => ({
    ...timeSplit(r.windowFrom.getTime(), r.windowTo.getTime()),
    holdoutFrom: r.holdoutFrom.getTime(),
  })

  async function gateNow(
    tenant: string,
    cand: { record: ModelRecord; model: RiskModel },
  ): Promise<GateResult> {
    const split = splitOf(cand.record)
    const h = await loadHistory(tenant, split.from, split.to)
    const live = await liveOf(tenant)
    const r = replay(h.txns, h.labels, {
      parties: h.parties,
      highRisk: h.highRisk,
      ...(h.ruleSet ? { ruleSet: h.ruleSet } : {}),
    })
    return promotionGate(
      r,
      split,
      cand.model,
      live && live.record.modelId !== cand.record.modelId
        ? { model: live.model, threshold: live.record.threshold }
        : undefined,
    )
  }

  async function buildScorer(tenant: string): Promise<Scorer> {
    const live = await liveOf(tenant)
    if (!live) throw riskError('RISK_NO_LIVE_MODEL')
    const now = deps.clock.now().getTime()
    const h = await deps.history.history(tenant, now - SCORER_HISTORY_MS, Date.UTC(9999, 0, 1))
    const engine = new MonitoringEngine({ lists: h.lists, parties: new Map(h.parties.map((p) => [p.id, p])) })
    const graph = new RiskGraph()
    for (const l of await labelsOf(tenant))
      if (l.positive && l.knownAt <= now) for (const a of l.accounts) graph.markBad(a)
    for (const t of h.txns) {
      engine.learn(t)
      if (t.src !== CASH && t.dst !== CASH && t.srcCustomer !== t.dstCustomer) graph.link(t.src, t.dst)
    }
    const shadows: Scorer['shadows'] = []
    for (const r of await store.listModels(tenant))
      if (r.status === 'shadow') shadows.push({ id: r.modelId, model: (await load(tenant, r.modelId)).model })
    return {
      engine,
      inputs: { highRisk: h.lists.get('high_risk_countries') ?? new Set(), graph },
      live: { id: live.record.modelId, model: live.model, threshold: live.record.threshold },
      shadows,
    }
  }

  function scorer(tenant: string): Promise<Scorer> {
    let s = scorers.get(tenant)
    if (!s) {
      s = buildScorer(tenant)
      scorers.set(tenant, s)
      s.catch(() => scorers.delete(tenant))
    }
    return s
  }

  return {
    async train(tenant, req, actor) {
      if (req.trees !== undefined && (!Number.isInteger(req.trees) || req.trees < 1 || req.trees > 500))
        throw riskError('RISK_INVALID_INPUT', 'trees is 1–500')
      if (req.depth !== undefined && (!Number.isInteger(req.depth) || req.depth < 1 || req.depth > 8))
        throw riskError('RISK_INVALID_INPUT', 'depth is 1–8')
      const stored = await deps.history.history(tenant, 0, 0)
      const range = historyRange(stored.range)
      const from = req.from ?? range.from
      const to = req.to ?? range.to
      if (!(to > from)) throw riskError('RISK_NOT_ENOUGH_LABELS', 'no stored transactions in the window')
      const split = timeSplit(from, to)
      const h = await loadHistory(tenant, from, to)
      let trained
      try {
        trained = trainOnHistory(h, split, {
          ...(req.trees ? { trees: req.trees } : {}),
          ...(req.depth ? { depth: req.depth } : {}),
        })
      } catch (e) {
        if (e instanceof NotEnoughLabels) throw riskError('RISK_NOT_ENOUGH_LABELS', e.message)
        throw e
      }
      const live = await liveOf(tenant)
      const gate = promotionGate(
        trained.replay,
        split,
        trained.model,
        live ? { model: live.model, threshold: live.record.threshold } : undefined,
      )
      const hold = rowsBetween(trained.replay, split.holdoutFrom, split.to + 1)
      const record = await store.insertModel({
        tenant,
        modelId: deps.ids('rmod'),
        windowFrom: new Date(from),
        windowTo: new Date(to),
        holdoutFrom: new Date(split.holdoutFrom),
        features: FEATURE_NAMES,
        metrics: {
          ...trained.model.metrics,
          holdoutRows: hold.rows.rows,
          gateAtTraining: gate,
          drift: drift(trained.model.reference, hold.rows.x, hold.rows.rows).filter((d) => d.drifting),
        },
        model: modelToJson(trained.model),
        threshold: trained.threshold,
        trainedBy: actor,
        trainedAt: deps.clock.now(),
      })
      scorers.delete(tenant)
      return { model: record, gate }
    },

    listModels: (tenant) => store.listModels(tenant),

    async getModel(tenant, modelId) {
      return (await load(tenant, modelId)).record
    },

    async evaluate(tenant, modelId) {
      const cand = await load(tenant, modelId)
      const gate = await gateNow(tenant, cand)
      // drift: the last DRIFT_DAYS of stored history (features warmed up on the 30 days before)
      const stored = await deps.history.history(tenant, 0, 0)
      const end = historyRange(stored.range).to
      const h = await loadHistory(tenant, end - (DRIFT_DAYS + 30) * DAY_MS, end)
      const r = replay(h.txns, [], {
        parties: h.parties,
        highRisk: h.highRisk,
        keepFrom: end - DRIFT_DAYS * DAY_MS,
      })
      const report = r.rows.rows > 0 ? drift(cand.model.reference, r.rows.x, r.rows.rows) : []
      const now = deps.clock.now()
      let driftAlerts = 0
      for (const d of report.filter((x) => x.drifting)) {
        await store.insertAlert(tenant, {
          alertId: deps.ids('ralt'),
          kind: 'drift',
          modelId,
          subject: d.feature,
          txnId: null,
          probability: null,
          details: { feature: d.feature, psi: d.psi, rows: r.rows.rows, days: DRIFT_DAYS },
          createdAt: now,
        })
        driftAlerts++
      }
      return { model: cand.record, gate, drift: report, driftAlerts }
    },

    async promote(tenant, modelId, by) {
      if (!by.operator) throw riskError('RISK_OPERATOR_REQUIRED')
      const cand = await load(tenant, modelId)
      if (cand.record.status !== 'shadow')
        throw riskError('RISK_MODEL_NOT_SHADOW', `${modelId} is ${cand.record.status}`)
      const gate = await gateNow(tenant, cand)
      if (!gate.passed) throw riskError('RISK_PROMOTION_REFUSED', gate.reason, { gate })
      const record = await store.promote(tenant, modelId, by.actor, deps.clock.now(), { ...gate })
      if (!record) throw riskError('RISK_MODEL_NOT_SHADOW', modelId)
      scorers.delete(tenant)
      return { model: record, gate }
    },

    async score(tenant, txn, opts = {}) {
      const s = await scorer(tenant)
      const started = performance.now()
      const rows: { side: Side; subject: string; x: Float64Array }[] = []
      const observe = (ctx: EvalContext, t: MonTxn): void => {
        for (const side of ['out', 'in'] as const) {
          const subject = side === 'out' ? t.src : t.dst
          if (subject === CASH) continue
          const x = new Float64Array(FEATURE_COUNT)
          extractRow(ctx, t, side, s.inputs, x, 0)
          rows.push({ side, subject, x })
        }
      }
      s.engine.process(txn, { apply: false, observe })
      const sides: SideScore[] = []
      for (const r of rows) {
        const p = scoreRow(s.live.model, r.x)
        const alert = p.probability >= s.live.threshold
        const explanation = alert || opts.explain ? explainRow(s.live.model, r.x) : undefined
        let alertId: string | undefined
        if (alert) {
          alertId = deps.ids('ralt')
          await store.insertAlert(tenant, {
            alertId,
            kind: 'score',
            modelId: s.live.id,
            subject: r.subject,
            txnId: txn.id,
            probability: p.probability,
            details: { side: r.side, explanation: explanation! },
            createdAt: deps.clock.now(),
          })
        }
        sides.push({
          side: r.side,
          subject: r.subject,
          probability: p.probability,
          alert,
          ...(alertId ? { alertId } : {}),
          ...(explanation ? { explanation } : {}),
          shadow: s.shadows.map((m) => ({ modelId: m.id, probability: scoreRow(m.model, r.x).probability })),
        })
      }
      return {
        modelId: s.live.id,
        threshold: s.live.threshold,
        sides,
        elapsedMs: performance.now() - started,
      }
    },

    listAlerts: (tenant, opts = {}) =>
      store.listAlerts(tenant, opts.subject, Math.min(Math.max(opts.limit ?? 100, 1), 1000)),
  }
}
