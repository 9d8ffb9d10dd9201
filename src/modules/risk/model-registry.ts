import { DAY_MS } from '../monitoring/index.js'
import { modelFromJson, type RiskModel } from './model.js'
import { importedLabel, type RiskLabel } from './replay.js'
import { riskError } from './risk.errors.js'
import type { ModelRecord, RiskStore } from './risk.store.js'
import type { RiskCaseOutcomesPort, RiskHistoryPort } from './risk.types.js'

/** A registry entry with its trees, ready to score. */
export interface LoadedModel {
  readonly record: ModelRecord
  readonly model: RiskModel
}

const CONFIRMED = new Set(['true_positive', 'sar_filed'])
/** How far before an alert a confirmed case's activity is taken to reach. */
const CASE_LOOKBACK_MS = 14 * DAY_MS

/** What every use case reads of a tenant's models and labels: the registry and the labels it learns from. */
export class ModelRegistry {
  constructor(
    private readonly store: RiskStore,
    private readonly history: Pick<RiskHistoryPort, 'listLabels'>,
    private readonly cases: RiskCaseOutcomesPort | undefined,
  ) {}

  /** Imported labels and closed cases' outcomes (a confirmed case reaches 14 days before its alert). */
  async labels(tenant: string): Promise<RiskLabel[]> {
    const imported = (await this.history.listLabels(tenant)).map(importedLabel)
    const outcomes = this.cases ? await this.cases.labels(tenant, { limit: 10_000 }) : []
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

  /** RISK_MODEL_NOT_FOUND. */
  async load(tenant: string, modelId: string): Promise<LoadedModel> {
    const m = await this.store.getModel(tenant, modelId)
    if (!m) throw riskError('RISK_MODEL_NOT_FOUND', modelId)
    return { record: m.record, model: modelFromJson(m.model) }
  }

  async live(tenant: string): Promise<LoadedModel | undefined> {
    const id = await this.store.liveModelId(tenant)
    return id ? this.load(tenant, id) : undefined
  }
}
