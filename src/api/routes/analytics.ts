import { Readable } from 'node:stream'
import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import type { ResultRow } from '../../modules/analytics/index.js'
import { isAppError } from '../../shared/errors.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorResponse } from '../error-schema.js'

const QueryName = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' })
const ParamValue = Type.Union([Type.String({ maxLength: 64 }), Type.Integer()])
const RunBody = Type.Object(
  {
    params: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), ParamValue, { maxProperties: 32 }),
    ),
    engine: Type.Optional(Type.Union([Type.Literal('duckdb'), Type.Literal('postgres')])),
  },
  { additionalProperties: false },
)

/**
 * One NDJSON line per row as DuckDB produces them; a failure after the first byte (the status is
 * sent) ends the stream with an `{"error": …}` line instead of a silent truncation.
 */
async function* ndjson(batches: AsyncIterable<readonly ResultRow[]>): AsyncIterable<string> {
  try {
    for await (const batch of batches) {
      if (batch.length > 0) yield batch.map((r) => JSON.stringify(r)).join('\n') + '\n'
    }
  } catch (e) {
    const code = isAppError(e) ? e.code : 'ANALYTICS_QUERY_FAILED'
    yield JSON.stringify({ error: { code, message: 'The query failed while streaming its results.' } }) + '\n'
  }
}

/** Fraud analytics over the caller's tenant only (docs/analytics.md). */
export function registerAnalyticsRoutes(app: ApiApp, services: AppServices): void {
  const analytics = services.analytics

  app.get(
    '/v1/analytics/queries',
    {
      schema: {
        tags: ['analytics'],
        summary: 'The fraud query library with each query’s parameters',
      },
    },
    () => ({
      queries: analytics.queries().map((q) => ({
        name: q.name,
        description: q.description,
        params: Object.fromEntries(
          Object.entries(q.params).map(([k, p]) => [
            k,
            { type: p.type, default: String(p.default), doc: p.doc },
          ]),
        ),
      })),
    }),
  )

  app.post(
    '/v1/analytics/queries/:name',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Run a fraud query on the exported Parquet data (or on PostgreSQL); rows stream as NDJSON',
        params: Type.Object({ name: QueryName }),
        body: RunBody,
        // 200 is an NDJSON stream (one result row per line), sent as is, never serialised.
        response: {
          200: Type.Unknown({ description: 'application/x-ndjson: one result row per line' }),
          400: ErrorResponse,
          404: ErrorResponse,
        },
      },
    },
    async (req, reply) => {
      // Name, parameters and tenant are checked here, before the first byte: those errors get a 4xx.
      const result = await analytics.query(
        req.params.name,
        tenantOf(req),
        req.body.params ?? {},
        req.body.engine ?? 'duckdb',
      )
      return reply
        .type('application/x-ndjson')
        .header('x-moneta-engine', result.engine)
        .send(Readable.from(ndjson(result.batches)))
    },
  )
}
