import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { grants } from '../../modules/auth/index.js'
import {
  parseSearchInput,
  SEARCH_TYPES,
  type SearchHit,
  type SearchType,
} from '../../modules/search/index.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorResponse } from '../error-schema.js'

/** Each type's hits need the caller to read that area too: search never shows more than the area's own routes. */
const READ_PERMISSION: Readonly<Record<SearchType, string>> = {
  party: 'parties:read',
  payment: 'payments:read',
  ledger_account: 'ledger:read',
  ledger_transaction: 'ledger:read',
  counterparty: 'banking:read',
  instrument: 'market:read',
}

const HitSchema = Type.Object({
  type: Type.String(),
  id: Type.String(),
  title: Type.String(),
  score: Type.Number(),
  highlight: Type.Array(Type.Object({ text: Type.String(), match: Type.Boolean() })),
  occurredAt: Type.String({ format: 'date-time' }),
  amount: Type.Optional(Type.String({ description: 'integer minor units' })),
  currency: Type.Optional(Type.String()),
  attributes: Type.Record(Type.String(), Type.String()),
})

const hitJson = (h: SearchHit) => ({
  type: h.type,
  id: h.id,
  title: h.title,
  score: h.score,
  highlight: h.highlight.map((x) => ({ text: x.text, match: x.match })),
  occurredAt: h.occurredAt.toISOString(),
  ...(h.amount !== undefined ? { amount: h.amount.toString() } : {}),
  ...(h.currency ? { currency: h.currency } : {}),
  attributes: { ...h.attributes },
})

export function registerSearchRoutes(app: ApiApp, services: AppServices): void {
  app.get(
    '/v1/search',
    {
      schema: {
        tags: ['search'],
        summary:
          'Search parties, payments, ledger accounts and transactions, bank counterparties and instruments: typo-tolerant, ' +
          'prefix, any script, exact on identifiers; only the types the caller may read',
        querystring: Type.Object(
          {
            q: Type.String({ minLength: 1, maxLength: 200 }),
            type: Type.Optional(
              Type.String({ maxLength: 200, description: `comma-separated: ${SEARCH_TYPES.join(', ')}` }),
            ),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            amountMin: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
            amountMax: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
            currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
            offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            hits: Type.Array(HitSchema),
            total: Type.Integer(),
            offset: Type.Integer(),
            limit: Type.Integer(),
          }),
          400: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (req) => {
      const tenant = tenantOf(req)
      const query = parseSearchInput(req.query)
      const scopes = req.principal?.scopes ?? []
      const allowed = (query.types ?? SEARCH_TYPES).filter((t) => grants(scopes, READ_PERMISSION[t]))
      if (allowed.length === 0)
        return { hits: [], total: 0, offset: query.offset ?? 0, limit: query.limit ?? 20 }
      const page = await services.search.search(tenant, { ...query, types: allowed })
      return { hits: page.hits.map(hitJson), total: page.total, offset: page.offset, limit: page.limit }
    },
  )
}
