import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import type { CaseLabel } from '../../modules/monitoring/index.js'
import { tenantOf, type ApiApp } from '../server.js'
import { BATCH_LIMITS, ErrorResponse, Id, PartyItem, toParty, toTxn, Txn } from './monitoring.js'

/**
 * Loading labelled history as a user would (issue 17): past transactions, account holders and
 * labelled cases stored without being evaluated (no alert is raised, no event published); the
 * features learn from them and backtests replay them against the labels. Large histories go in
 * several calls (each within BATCH_LIMITS); the CLI equivalent is `moneta monitoring import`.
 */

const Label = Type.Object(
  {
    id: Id,
    typology: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }),
    members: Type.Array(Id, { minItems: 1, maxItems: 1000 }),
    primary: Type.Array(Id, { minItems: 1, maxItems: 1000, description: 'accounts an alert must name' }),
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
)

const LabelView = Type.Object({
  id: Type.String(),
  typology: Type.String(),
  members: Type.Array(Type.String()),
  primary: Type.Array(Type.String()),
  start: Type.String(),
  end: Type.String(),
})

export function registerMonitoringHistoryRoutes(app: ApiApp, services: AppServices): void {
  const m = services.monitoring
  const tags = ['monitoring']

  app.post(
    '/v1/monitoring/history',
    {
      schema: {
        tags,
        summary:
          'Load past transactions, account holders and labelled cases without evaluating them (no alerts); backtests replay them',
        body: Type.Object(
          {
            transactions: Type.Optional(Type.Array(Txn, { maxItems: BATCH_LIMITS.transactions })),
            parties: Type.Optional(Type.Array(PartyItem, { maxItems: BATCH_LIMITS.parties })),
            labels: Type.Optional(Type.Array(Label, { maxItems: BATCH_LIMITS.labels })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: {
          200: Type.Object({
            transactions: Type.Integer({ description: 'new transactions stored (known ids are skipped)' }),
            parties: Type.Integer(),
            labels: Type.Integer(),
          }),
          400: ErrorResponse,
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req)
      const now = services.clock.now()
      const b = req.body
      const labels: CaseLabel[] = (b.labels ?? []).map((l) => ({
        ...l,
        start: Date.parse(l.start),
        end: Date.parse(l.end),
      }))
      const parties = (b.parties ?? []).map(toParty)
      const r = await m.importHistory(tenant, {
        txns: (b.transactions ?? []).map((t) => toTxn(t, now)),
        ...(parties.length > 0 ? { parties } : {}),
        ...(labels.length > 0 ? { labels } : {}),
      })
      await services.audit.record({
        tenant,
        actor: req.principal?.actor ?? 'unknown',
        action: 'monitoring.history.import',
        resource: 'monitoring_transactions',
        outcome: 'success',
        origin: req.ip,
        details: { transactions: r.transactions, parties: parties.length, labels: labels.length },
      })
      return { transactions: r.transactions, parties: parties.length, labels: labels.length }
    },
  )

  app.get(
    '/v1/monitoring/labels',
    {
      schema: {
        tags,
        summary: 'Labelled cases backtests score against',
        response: { 200: Type.Object({ data: Type.Array(LabelView) }) },
      },
    },
    async (req) => ({
      data: (await m.listLabels(tenantOf(req))).map((l) => ({
        id: l.id,
        typology: l.typology,
        members: [...l.members],
        primary: [...l.primary],
        start: new Date(l.start).toISOString(),
        end: new Date(l.end).toISOString(),
      })),
    }),
  )
}
