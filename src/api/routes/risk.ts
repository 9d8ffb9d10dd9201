import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { PERIODS, type ModelRecord, type RiskAlertRecord } from '../../modules/risk/index.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorResponse, Id, toTxn, Txn } from './monitoring.js'

/**
 * The risk model (docs/risk.md): the registry (`/v1/risk/models`), training, promotion through the
 * shadow gate (operators only; audited with who promoted), synchronous scoring with TreeSHAP
 * explanations, and the alerts models raised (scores and drifting features) for the case view.
 */

const ModelView = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  status: Type.String({ description: 'shadow, live or retired' }),
  windowFrom: Type.String(),
  windowTo: Type.String(),
  holdoutFrom: Type.String(),
  features: Type.Array(Type.String()),
  metrics: Type.Record(Type.String(), Type.Unknown()),
  threshold: Type.Number(),
  trainedBy: Type.String(),
  trainedAt: Type.String(),
  promotedBy: Type.Union([Type.String(), Type.Null()]),
  promotedAt: Type.Union([Type.String(), Type.Null()]),
  retiredBy: Type.Union([Type.String(), Type.Null()]),
  retiredAt: Type.Union([Type.String(), Type.Null()]),
  retiredReason: Type.Union([Type.String(), Type.Null()], {
    description:
      'superseded (newer trainings passed the shadow limit), replaced (another was promoted) or operator',
  }),
})

const Gate = Type.Record(Type.String(), Type.Unknown())

const modelView = (m: ModelRecord) => ({
  id: m.modelId,
  version: m.version,
  status: m.status,
  windowFrom: m.windowFrom.toISOString(),
  windowTo: m.windowTo.toISOString(),
  holdoutFrom: m.holdoutFrom.toISOString(),
  features: [...m.features],
  metrics: m.metrics,
  threshold: m.threshold,
  trainedBy: m.trainedBy,
  trainedAt: m.trainedAt.toISOString(),
  promotedBy: m.promotedBy,
  promotedAt: m.promotedAt ? m.promotedAt.toISOString() : null,
  retiredBy: m.retiredBy,
  retiredAt: m.retiredAt ? m.retiredAt.toISOString() : null,
  retiredReason: m.retiredReason,
})

const alertView = (a: RiskAlertRecord) => ({
  id: a.alertId,
  kind: a.kind,
  modelId: a.modelId,
  subject: a.subject,
  txnId: a.txnId,
  probability: a.probability,
  details: a.details,
  createdAt: a.createdAt.toISOString(),
})

export function registerRiskRoutes(app: ApiApp, services: AppServices): void {
  const risk = services.risk
  const tags = ['risk']

  app.get(
    '/v1/risk/models',
    {
      schema: {
        tags,
        summary: 'The model registry: versions, windows, metrics, who promoted them',
        response: { 200: Type.Object({ data: Type.Array(ModelView) }) },
      },
    },
    async (req) => ({ data: (await risk.listModels(tenantOf(req))).map(modelView) }),
  )

  app.get(
    '/v1/risk/models/:id',
    {
      schema: {
        tags,
        summary: 'One model of the registry',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        response: { 200: ModelView, 404: ErrorResponse },
      },
    },
    async (req) => modelView(await risk.getModel(tenantOf(req), req.params.id)),
  )

  app.post(
    '/v1/risk/models/train',
    {
      schema: {
        tags,
        summary:
          'Train a shadow model on the stored history and confirmed case outcomes (time split: train, calibrate, holdout)',
        body: Type.Object(
          {
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            trees: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
            startingModel: Type.Optional(
              Type.Union([Type.Literal('bundled'), Type.Literal('none')], {
                description:
                  'bundled (default): boost from the starting model Moneta ships, trained on generated typologies; none: from this tenant’s cases alone',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            model: ModelView,
            gate: Gate,
            retired: Type.Array(Type.String(), {
              description: 'older shadows this training retired (MONETA_RISK_MAX_SHADOWS)',
            }),
          }),
          400: ErrorResponse,
          409: ErrorResponse,
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req)
      const actor = req.principal?.actor ?? 'unknown'
      const b = req.body
      const r = await risk.train(
        tenant,
        {
          ...(b.from ? { from: Date.parse(b.from) } : {}),
          ...(b.to ? { to: Date.parse(b.to) } : {}),
          ...(b.trees ? { trees: b.trees } : {}),
          ...(b.depth ? { depth: b.depth } : {}),
          ...(b.startingModel ? { startingModel: b.startingModel } : {}),
        },
        actor,
      )
      await services.audit.record({
        tenant,
        actor,
        action: 'risk.model.train',
        resource: `risk_models:${r.model.modelId}`,
        outcome: 'success',
        origin: req.ip,
        details: { version: r.model.version, gatePassed: r.gate.passed, retired: r.retired },
      })
      return { model: modelView(r.model), gate: { ...r.gate }, retired: [...r.retired] }
    },
  )

  app.post(
    '/v1/risk/models/:id/promote',
    {
      schema: {
        tags,
        summary:
          'Make a shadow model live if it beats the live configuration on the holdout at the same budget',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        response: {
          200: Type.Object({ model: ModelView, gate: Gate }),
          403: ErrorResponse,
          404: ErrorResponse,
          409: ErrorResponse,
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req)
      const actor = req.principal?.actor ?? 'unknown'
      const r = await risk.promote(tenant, req.params.id, {
        actor,
        operator: req.principal?.kind === 'session',
      })
      await services.audit.record({
        tenant,
        actor,
        action: 'risk.model.promote',
        resource: `risk_models:${r.model.modelId}`,
        outcome: 'success',
        origin: req.ip,
        details: { version: r.model.version, budget: r.gate.budget, detected: r.gate.candidateDetected },
      })
      return { model: modelView(r.model), gate: { ...r.gate } }
    },
  )

  app.post(
    '/v1/risk/models/:id/retire',
    {
      schema: {
        tags,
        summary: 'Take a shadow model out of the decision path; it stays in the registry with its metrics',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        response: { 200: Type.Object({ model: ModelView }), 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (req) => {
      const tenant = tenantOf(req)
      const actor = req.principal?.actor ?? 'unknown'
      const model = await risk.retire(tenant, req.params.id, actor)
      await services.audit.record({
        tenant,
        actor,
        action: 'risk.model.retire',
        resource: `risk_models:${model.modelId}`,
        outcome: 'success',
        origin: req.ip,
        details: { version: model.version },
      })
      return { model: modelView(model) }
    },
  )

  app.get(
    '/v1/risk/models/:id/metrics',
    {
      schema: {
        tags,
        summary:
          "Champion/challenger metrics per period from the decision path: subjects scored, alerts, confirmed, precision, and precision at the champion's alert budget",
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        querystring: Type.Object(
          {
            period: Type.Optional(Type.Union(PERIODS.map((p) => Type.Literal(p)))),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            model: ModelView,
            period: Type.String(),
            periods: Type.Array(Type.Record(Type.String(), Type.Unknown())),
          }),
          400: ErrorResponse,
          404: ErrorResponse,
        },
      },
    },
    async (req) => {
      const q = req.query
      const r = await risk.metrics(tenantOf(req), req.params.id, {
        period: q.period ?? 'week',
        ...(q.from ? { from: Date.parse(q.from) } : {}),
        ...(q.to ? { to: Date.parse(q.to) } : {}),
      })
      return { model: modelView(r.model), period: r.period, periods: r.periods.map((p) => ({ ...p })) }
    },
  )

  app.post(
    '/v1/risk/models/:id/evaluate',
    {
      schema: {
        tags,
        summary:
          'The promotion gate against the live configuration now, and feature drift (PSI per feature) of the last 7 days; a feature above 0.25 raises a drift alert',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            model: ModelView,
            gate: Gate,
            drift: Type.Array(Type.Record(Type.String(), Type.Unknown())),
            driftAlerts: Type.Integer(),
          }),
          404: ErrorResponse,
          409: ErrorResponse,
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req)
      const r = await risk.evaluate(tenant, req.params.id)
      await services.audit.record({
        tenant,
        actor: req.principal?.actor ?? 'unknown',
        action: 'risk.model.evaluate',
        resource: `risk_models:${r.model.modelId}`,
        outcome: 'success',
        origin: req.ip,
        details: { gatePassed: r.gate.passed, driftAlerts: r.driftAlerts },
      })
      return {
        model: modelView(r.model),
        gate: { ...r.gate },
        drift: r.drift.map((d) => ({ ...d })),
        driftAlerts: r.driftAlerts,
      }
    },
  )

  app.post(
    '/v1/risk/score',
    {
      schema: {
        tags,
        summary:
          'Score a transaction (both sides) with the live model and every shadow model; an alert with its explanation is stored when the live model reaches its threshold',
        body: Type.Object(
          { transaction: Txn, explain: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), 400: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (req) => {
      const tenant = tenantOf(req)
      const r = await risk.score(tenant, toTxn(req.body.transaction, services.clock.now()), {
        explain: req.body.explain === true,
      })
      const raised = r.sides.filter((s) => s.alert)
      if (raised.length > 0)
        await services.audit.record({
          tenant,
          actor: req.principal?.actor ?? 'unknown',
          action: 'risk.alert.raise',
          resource: `risk_alerts:${raised.map((s) => s.alertId).join(',')}`,
          outcome: 'success',
          origin: req.ip,
          details: { modelId: r.modelId, txnId: req.body.transaction.id },
        })
      return { ...r }
    },
  )

  app.get(
    '/v1/risk/alerts',
    {
      schema: {
        tags,
        summary:
          'Alerts raised by risk models (scores with their explanation, drifting features), newest first',
        querystring: Type.Object(
          {
            subject: Type.Optional(Id),
            // Query values are strings (nothing coerces them): 1–1000.
            limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: '1–1000' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
      },
    },
    async (req) => ({
      data: (
        await risk.listAlerts(tenantOf(req), {
          ...(req.query.subject ? { subject: req.query.subject } : {}),
          ...(req.query.limit ? { limit: Number(req.query.limit) } : {}),
        })
      ).map(alertView),
    }),
  )
}
