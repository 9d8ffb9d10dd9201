import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { lineJson, ReconciliationLineSchema, type ReconciliationRun } from '../../modules/payments/index.js'
import { notFound } from '../../shared/errors.js'
import { tenantOf, type ApiApp } from '../server.js'
import { LimitQuery, parseLimit } from '../query-limit.js'
import { ErrorResponse } from '../error-schema.js'

const Text = Type.Union([Type.String(), Type.Null()])
const Counts = Type.Object({
  matched: Type.Integer(),
  missing_in_ledger: Type.Integer(),
  missing_at_gateway: Type.Integer(),
  amount_mismatch: Type.Integer(),
  currency_mismatch: Type.Integer(),
  fee_mismatch: Type.Integer(),
})
const RunSchema = Type.Object({
  id: Type.String(),
  gateway: Type.String(),
  from: Type.String(),
  to: Type.String(),
  status: Type.Union(['reconciled', 'mismatched', 'empty', 'failed'].map((s) => Type.Literal(s))),
  trigger: Type.String(),
  counts: Counts,
  records: Type.Integer(),
  facts: Type.Integer(),
  otherTenants: Type.Integer(),
  platformOnly: Type.Integer({
    description:
      "Records no tenant can be named for (payouts, account fees): shown in the platform owner's runs only",
  }),
  error: Text,
  startedAt: Type.String(),
  finishedAt: Type.String(),
})

const runJson = (r: ReconciliationRun) => ({
  id: r.id,
  gateway: r.gateway,
  from: r.from.toISOString(),
  to: r.to.toISOString(),
  status: r.status,
  trigger: r.trigger,
  counts: r.counts,
  records: r.records,
  facts: r.facts,
  otherTenants: r.otherTenants,
  platformOnly: r.platformOnly,
  error: r.error,
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt.toISOString(),
})

/** Read-only view of reconciliation runs (runs are started by `moneta reconcile` or the schedule). */
export function registerReconciliationRoutes(app: ApiApp, services: AppServices): void {
  const tags = ['payments']
  app.get(
    '/v1/reconciliations',
    {
      schema: {
        tags,
        summary: 'Reconciliation runs, newest first',
        querystring: Type.Object(
          {
            gateway: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
            limit: Type.Optional(LimitQuery(500)),
            before: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(RunSchema) }), 400: ErrorResponse },
      },
    },
    async (req) => {
      const q = req.query
      const runs = await services.reconciliation.list(tenantOf(req), {
        ...(q.gateway ? { gateway: q.gateway } : {}),
        ...(q.limit !== undefined ? { limit: parseLimit(q.limit, 500)! } : {}),
        ...(q.before ? { before: q.before } : {}),
      })
      return { items: runs.map(runJson) }
    },
  )

  app.get(
    '/v1/reconciliations/:id',
    {
      schema: {
        tags,
        summary: 'One reconciliation run and its differences (matched lines are counted, not kept)',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' }) }),
        response: {
          200: Type.Object({ run: RunSchema, lines: Type.Array(ReconciliationLineSchema) }),
          400: ErrorResponse,
          404: ErrorResponse,
        },
      },
    },
    async (req) => {
      const found = await services.reconciliation.get(tenantOf(req), req.params.id)
      if (!found) throw notFound('RECONCILIATION_RUN_NOT_FOUND', `No reconciliation run ${req.params.id}.`)
      return { run: runJson(found.run), lines: found.lines.map(lineJson) }
    },
  )
}
