import { Type } from '@sinclair/typebox'
import { sql } from 'kysely'
import type { AppServices } from '../../app.js'
import { NO_LISTS_WARNING } from '../../modules/parties/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import type { ApiApp } from '../server.js'

export function registerHealthRoutes(app: ApiApp, services: AppServices): void {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        security: [],
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            database: Type.String(),
            // The installation's (default tenant's) sanctions lists: a screening with none means nothing.
            screening: Type.Object({
              listsLoaded: Type.Integer(),
              refusedSources: Type.Array(Type.String()),
              warning: Type.Optional(Type.String()),
            }),
          }),
          503: Type.Object({ status: Type.Literal('unavailable'), database: Type.String() }),
        },
      },
    },
    async (_req, reply) => {
      try {
        await sql`SELECT 1`.execute(services.db.db)
        const lists = await services.screening.listStatus(DEFAULT_TENANT)
        const fetches = await services.lists.lastFetches(DEFAULT_TENANT)
        const refused = [...fetches.values()].filter((f) => f.status === 'refused').map((f) => f.sourceId)
        const warnings = [
          ...(lists.length === 0 ? [NO_LISTS_WARNING] : []),
          ...(refused.length
            ? [`The last fetch of ${refused.join(', ')} was refused; older snapshots stay active.`]
            : []),
        ]
        return {
          status: 'ok' as const,
          database: services.db.engine,
          screening: {
            listsLoaded: lists.length,
            refusedSources: refused,
            ...(warnings.length ? { warning: warnings.join(' ') } : {}),
          },
        }
      } catch {
        return reply.status(503).send({ status: 'unavailable' as const, database: services.db.engine })
      }
    },
  )
}
