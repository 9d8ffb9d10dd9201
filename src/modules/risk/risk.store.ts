import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { ModelJson } from './model.js'

/** SQL of the risk module: the model registry and the alerts models raise. */

export type ModelStatus = 'shadow' | 'live' | 'retired'

/** Why a model left the decision path. */
export type RetiredReason = 'superseded' | 'replaced' | 'operator'

/** A registry entry without the trees (listing). */
export interface ModelRecord {
  readonly modelId: string
  readonly version: number
  readonly status: ModelStatus
  readonly windowFrom: Date
  readonly windowTo: Date
  readonly holdoutFrom: Date
  readonly features: readonly string[]
  readonly metrics: Record<string, unknown>
  /** Calibrated probability at or above which the model raises an alert. */
  readonly threshold: number
  readonly trainedBy: string
  readonly trainedAt: Date
  readonly promotedBy: string | null
  readonly promotedAt: Date | null
  readonly retiredBy: string | null
  readonly retiredAt: Date | null
  readonly retiredReason: RetiredReason | null
}

export interface RiskAlertRecord {
  readonly alertId: string
  readonly kind: 'score' | 'drift'
  readonly modelId: string
  readonly subject: string
  readonly txnId: string | null
  readonly probability: number | null
  readonly details: Record<string, unknown>
  readonly createdAt: Date
}

interface ModelRow {
  model_id: string
  version: number
  status: ModelStatus
  window_from: Date | string
  window_to: Date | string
  holdout_from: Date | string
  features: string[]
  metrics: Record<string, unknown>
  threshold: number
  trained_by: string
  trained_at: Date | string
  promoted_by: string | null
  promoted_at: Date | string | null
  retired_by: string | null
  retired_at: Date | string | null
  retired_reason: RetiredReason | null
}

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v))

const toRecord = (r: ModelRow): ModelRecord => ({
  modelId: r.model_id,
  version: r.version,
  status: r.status,
  windowFrom: date(r.window_from),
  windowTo: date(r.window_to),
  holdoutFrom: date(r.holdout_from),
  features: r.features,
  metrics: r.metrics,
  threshold: Number(r.threshold),
  trainedBy: r.trained_by,
  trainedAt: date(r.trained_at),
  promotedBy: r.promoted_by,
  promotedAt: r.promoted_at === null ? null : date(r.promoted_at),
  retiredBy: r.retired_by,
  retiredAt: r.retired_at === null ? null : date(r.retired_at),
  retiredReason: r.retired_reason,
})

const COLUMNS = sql`model_id, version, status, window_from, window_to, holdout_from, features, metrics, threshold,
  trained_by, trained_at, promoted_by, promoted_at, retired_by, retired_at, retired_reason`

export function createRiskStore(db: Db) {
  return {
    async insertModel(m: {
      tenant: string
      modelId: string
      windowFrom: Date
      windowTo: Date
      holdoutFrom: Date
      features: readonly string[]
      metrics: Record<string, unknown>
      model: ModelJson
      threshold: number
      trainedBy: string
      trainedAt: Date
      /** Shadows kept, the new one included: older ones are retired in the same transaction. */
      keepShadows: number
    }): Promise<{ record: ModelRecord; retired: string[] }> {
      return db.transaction().execute(async (tx) => {
        // serialise version numbers per tenant
        await sql`SELECT pg_advisory_xact_lock(hashtext('risk_models'), hashtext(${m.tenant}))`.execute(tx)
        const r = await sql<ModelRow>`
          INSERT INTO risk_models (tenant_id, model_id, version, status, window_from, window_to, holdout_from,
            features, metrics, model, threshold, trained_by, trained_at)
          SELECT ${m.tenant}, ${m.modelId}, coalesce(max(version), 0) + 1, 'shadow', ${m.windowFrom.toISOString()}::timestamptz,
            ${m.windowTo.toISOString()}::timestamptz, ${m.holdoutFrom.toISOString()}::timestamptz,
            ${JSON.stringify(m.features)}::jsonb, ${JSON.stringify(m.metrics)}::jsonb, ${JSON.stringify(m.model)}::jsonb,
            ${m.threshold}, ${m.trainedBy}, ${m.trainedAt.toISOString()}::timestamptz
          FROM risk_models WHERE tenant_id = ${m.tenant}
          RETURNING ${COLUMNS}`.execute(tx)
        const retired = await sql<{ model_id: string }>`UPDATE risk_models
          SET status = 'retired', retired_by = ${m.trainedBy}, retired_at = ${m.trainedAt.toISOString()}::timestamptz,
              retired_reason = 'superseded'
          WHERE tenant_id = ${m.tenant} AND status = 'shadow' AND version NOT IN (
            SELECT version FROM risk_models WHERE tenant_id = ${m.tenant} AND status = 'shadow'
            ORDER BY version DESC LIMIT ${m.keepShadows})
          RETURNING model_id`.execute(tx)
        return { record: toRecord(r.rows[0]!), retired: retired.rows.map((x) => x.model_id).sort() }
      })
    },

    /** A shadow leaves the decision path; undefined when it is not (or no longer) a shadow. */
    async retireShadow(
      tenant: string,
      modelId: string,
      by: string,
      at: Date,
    ): Promise<ModelRecord | undefined> {
      const r = await sql<ModelRow>`UPDATE risk_models
        SET status = 'retired', retired_by = ${by}, retired_at = ${at.toISOString()}::timestamptz,
            retired_reason = 'operator'
        WHERE tenant_id = ${tenant} AND model_id = ${modelId} AND status = 'shadow'
        RETURNING ${COLUMNS}`.execute(db)
      return r.rows[0] ? toRecord(r.rows[0]) : undefined
    },

    /** The model's status alone (no trees read): tells a missing model from one in another state. */
    async modelStatus(tenant: string, modelId: string): Promise<ModelRecord['status'] | undefined> {
      const r = await sql<{ status: ModelRecord['status'] }>`SELECT status FROM risk_models
        WHERE tenant_id = ${tenant} AND model_id = ${modelId}`.execute(db)
      return r.rows[0]?.status
    },

    async listModels(tenant: string): Promise<ModelRecord[]> {
      const r = await sql<ModelRow>`SELECT ${COLUMNS} FROM risk_models WHERE tenant_id = ${tenant}
        ORDER BY version DESC LIMIT 200`.execute(db)
      return r.rows.map(toRecord)
    },

    async getModel(
      tenant: string,
      modelId: string,
    ): Promise<{ record: ModelRecord; model: ModelJson } | undefined> {
      const r = await sql<ModelRow & { model: ModelJson }>`SELECT ${COLUMNS}, model FROM risk_models
        WHERE tenant_id = ${tenant} AND model_id = ${modelId}`.execute(db)
      const row = r.rows[0]
      return row ? { record: toRecord(row), model: row.model } : undefined
    },

    async tenantsWithModels(): Promise<string[]> {
      const r = await sql<{
        tenant_id: string
      }>`SELECT DISTINCT tenant_id FROM risk_models ORDER BY tenant_id`.execute(db)
      return r.rows.map((x) => x.tenant_id)
    },

    async liveModelId(tenant: string): Promise<string | undefined> {
      const r = await sql<{ model_id: string }>`SELECT model_id FROM risk_models
        WHERE tenant_id = ${tenant} AND status = 'live'`.execute(db)
      return r.rows[0]?.model_id
    },

    /** The candidate becomes live and the previous live model retired, in one transaction. */
    async promote(
      tenant: string,
      modelId: string,
      by: string,
      at: Date,
      gate: Record<string, unknown>,
    ): Promise<ModelRecord | undefined> {
      return db.transaction().execute(async (tx) => {
        await sql`UPDATE risk_models SET status = 'retired', retired_by = ${by},
            retired_at = ${at.toISOString()}::timestamptz, retired_reason = 'replaced'
          WHERE tenant_id = ${tenant} AND status = 'live' AND model_id <> ${modelId}`.execute(tx)
        const r = await sql<ModelRow>`UPDATE risk_models
          SET status = 'live', promoted_by = ${by}, promoted_at = ${at.toISOString()}::timestamptz,
              metrics = metrics || jsonb_build_object('promotionGate', ${JSON.stringify(gate)}::jsonb)
          WHERE tenant_id = ${tenant} AND model_id = ${modelId} AND status = 'shadow'
          RETURNING ${COLUMNS}`.execute(tx)
        return r.rows[0] ? toRecord(r.rows[0]) : undefined
      })
    },

    async insertAlert(tenant: string, a: RiskAlertRecord): Promise<void> {
      await sql`INSERT INTO risk_alerts (tenant_id, alert_id, kind, model_id, subject, txn_id, probability, details, created_at)
        VALUES (${tenant}, ${a.alertId}, ${a.kind}, ${a.modelId}, ${a.subject}, ${a.txnId}, ${a.probability},
          ${JSON.stringify(a.details)}::jsonb, ${a.createdAt.toISOString()}::timestamptz)`.execute(db)
    },

    async listAlerts(tenant: string, subject: string | undefined, limit: number): Promise<RiskAlertRecord[]> {
      const r = await sql<{
        alert_id: string
        kind: 'score' | 'drift'
        model_id: string
        subject: string
        txn_id: string | null
        probability: number | null
        details: Record<string, unknown>
        created_at: Date | string
      }>`SELECT alert_id, kind, model_id, subject, txn_id, probability, details, created_at FROM risk_alerts
        WHERE tenant_id = ${tenant} ${subject === undefined ? sql`` : sql`AND subject = ${subject}`}
        ORDER BY created_at DESC, alert_id DESC LIMIT ${limit}`.execute(db)
      return r.rows.map((x) => ({
        alertId: x.alert_id,
        kind: x.kind,
        modelId: x.model_id,
        subject: x.subject,
        txnId: x.txn_id,
        probability: x.probability === null ? null : Number(x.probability),
        details: x.details,
        createdAt: date(x.created_at),
      }))
    },
  }
}

export type RiskStore = ReturnType<typeof createRiskStore>
