import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { invalid } from '../../shared/errors.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorResponse } from '../error-schema.js'

const Amount = Type.String({ pattern: '^-?[0-9]+$', description: 'integer minor units' })

/** The console overview's aggregates (ADR 1702): payments per day, open work by age, the event pipeline. */
export function registerConsoleOverviewRoutes(app: ApiApp, services: AppServices): void {
  const AgeCounts = Type.Array(
    Type.Object({ kind: Type.String(), age: Type.String(), count: Type.Integer() }),
  )

  app.get(
    '/v1/payments/stats',
    {
      schema: {
        tags: ['payments'],
        summary:
          'Per day and currency over the last `days` (default 14, at most 90): payments, succeeded, failed, captured, refunded, disputed',
        querystring: Type.Object(
          { days: Type.Optional(Type.String({ pattern: '^[0-9]{1,2}$' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            days: Type.Array(
              Type.Object({
                day: Type.String(),
                currency: Type.String(),
                payments: Type.Integer(),
                succeeded: Type.Integer(),
                failed: Type.Integer(),
                captured: Amount,
                refunded: Amount,
                disputed: Amount,
                refunds: Type.Integer(),
                disputes: Type.Integer(),
              }),
            ),
          }),
          400: ErrorResponse,
        },
      },
    },
    async (req) => {
      const days = Number(req.query.days ?? '14')
      if (days < 1 || days > 90) throw invalid('VALIDATION_ERROR', 'days must be between 1 and 90.')
      const rows = await services.views.paymentDays(tenantOf(req), days)
      return {
        days: rows.map((d) => ({
          ...d,
          captured: d.captured.toString(),
          refunded: d.refunded.toString(),
          disputed: d.disputed.toString(),
        })),
      }
    },
  )

  app.get(
    '/v1/cases/stats',
    {
      schema: {
        tags: ['cases'],
        summary:
          'Open cases by kind and age, and the alerts in them by source and age (under_1d, 1_7d, 7_30d, over_30d)',
        response: { 200: Type.Object({ cases: AgeCounts, alerts: AgeCounts }) },
      },
    },
    async (req) => services.views.openWork(tenantOf(req)),
  )

  app.get(
    '/v1/events/lag',
    {
      schema: {
        tags: ['events'],
        summary:
          "The tenant's event pipeline: events not yet relayed, the oldest one's age in seconds, dead letters waiting",
        response: {
          200: Type.Object({
            pending: Type.Integer(),
            oldestPendingSeconds: Type.Number(),
            failed: Type.Integer(),
          }),
        },
      },
    },
    async (req) => services.views.pipelineLag(tenantOf(req)),
  )
}
