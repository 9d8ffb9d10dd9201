import { Type } from '@sinclair/typebox'
import { sql } from 'kysely'
import type { AppServices } from '../../app.js'
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
          200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }),
          503: Type.Object({ status: Type.Literal('unavailable'), database: Type.String() }),
        },
      },
    },
    async (_req, reply) => {
      try {
        await sql`SELECT 1`.execute(services.db.db)
        return { status: 'ok' as const, database: services.db.engine }
      } catch {
        return reply.status(503).send({ status: 'unavailable' as const, database: services.db.engine })
      }
    },
  )
}
