import { Type, type Static } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { LIST_IDS, MAX_BATCH, type CheckResult, type ScreeningQuery } from '../../modules/screening/index.js'
import { tenantOf, type ApiApp } from '../server.js'
import { actorOf } from './parties.js'
import { NO_LISTS_WARNING } from '../../modules/parties/index.js'
import { ErrorResponse } from '../error-schema.js'

const SubjectId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_:.-]+$' })

const QueryFields = {
  name: Type.String({
    minLength: 1,
    maxLength: 500,
    description: 'Full name of the person or entity, any script',
  }),
  type: Type.Optional(
    Type.Union([
      Type.Literal('person'),
      Type.Literal('entity'),
      Type.Literal('vessel'),
      Type.Literal('aircraft'),
      Type.Literal('unknown'),
    ]),
  ),
  dob: Type.Optional(
    Type.String({
      pattern: '^([0-9]{4}(-[0-9]{1,2}(-[0-9]{1,2})?)?)?$',
      description: 'YYYY, YYYY-MM or YYYY-MM-DD (empty = unknown)',
    }),
  ),
  countries: Type.Optional(
    Type.Array(Type.String({ maxLength: 80 }), {
      maxItems: 20,
      description: 'Nationality / residence: names or ISO codes (empty strings ignored)',
    }),
  ),
  identifiers: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      maxItems: 20,
      description: 'Passport, registration, tax numbers…: matched exactly',
    }),
  ),
  cryptoAddresses: Type.Optional(
    Type.Array(Type.String({ minLength: 10, maxLength: 128 }), { maxItems: 20 }),
  ),
  subjectId: Type.Optional(SubjectId),
}

const CheckBody = Type.Object(
  {
    ...QueryFields,
    threshold: Type.Optional(Type.Number({ minimum: 0.5, maximum: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
)
const BatchBody = Type.Object(
  {
    queries: Type.Array(Type.Object(QueryFields, { additionalProperties: false }), {
      minItems: 1,
      maxItems: MAX_BATCH,
    }),
  },
  { additionalProperties: false },
)

const PartSchema = Type.Object({
  query: Type.String(),
  list: Type.String(),
  similarity: Type.Number(),
  weight: Type.Number(),
  how: Type.String(),
})
const AttributeSchema = Type.Object({
  attribute: Type.String(),
  effect: Type.Number(),
  detail: Type.String(),
})
const HitSchema = Type.Object({
  listId: Type.String(),
  entryKey: Type.String(),
  entryType: Type.String(),
  primaryName: Type.String(),
  score: Type.Number(),
  suppressedBy: Type.Optional(Type.String()),
  explanation: Type.Object({
    matchedName: Type.String(),
    nameKind: Type.String(),
    nameScore: Type.Number(),
    parts: Type.Array(PartSchema),
    unmatchedQuery: Type.Array(Type.String()),
    unmatchedList: Type.Array(Type.String()),
    ignoredWords: Type.Array(Type.String()),
    attributes: Type.Array(AttributeSchema),
    exact: Type.Optional(Type.Object({ kind: Type.String(), value: Type.String() })),
    summary: Type.String(),
  }),
})
const CheckResponse = Type.Object({
  hits: Type.Array(HitSchema),
  suppressed: Type.Array(HitSchema),
  alertsCreated: Type.Integer(),
  threshold: Type.Number(),
  listsLoaded: Type.Integer(),
  warning: Type.Optional(
    Type.String({ description: 'Set when no list is loaded: an empty answer then means nothing' }),
  ),
})

const DecisionBody = Type.Object(
  {
    subjectId: SubjectId,
    listId: Type.Union(LIST_IDS.map((l) => Type.Literal(l))),
    entryKey: Type.String({ minLength: 1, maxLength: 128 }),
    decision: Type.Union([Type.Literal('not_a_match'), Type.Literal('true_match')]),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
)

const SnapshotSchema = Type.Object({
  listId: Type.String(),
  snapshotId: Type.String(),
  format: Type.String(),
  source: Type.String(),
  sha256: Type.String(),
  entryCount: Type.Integer(),
  added: Type.Integer(),
  removed: Type.Integer(),
  changed: Type.Integer(),
  importedAt: Type.String({ format: 'date-time' }),
})

type QueryBody = Static<typeof BatchBody>['queries'][number]

function toQuery(b: QueryBody): ScreeningQuery {
  return {
    name: b.name,
    ...(b.type ? { type: b.type } : {}),
    ...(b.dob ? { dob: b.dob } : {}),
    ...(b.countries?.some((c) => c.trim()) ? { countries: b.countries.filter((c) => c.trim()) } : {}),
    ...(b.identifiers ? { identifiers: b.identifiers } : {}),
    ...(b.cryptoAddresses ? { cryptoAddresses: b.cryptoAddresses } : {}),
  }
}

const view = (r: CheckResult): Static<typeof CheckResponse> =>
  ({
    ...r,
    ...(r.listsLoaded === 0 ? { warning: NO_LISTS_WARNING } : {}),
  }) as unknown as Static<typeof CheckResponse>

export function registerScreeningRoutes(app: ApiApp, services: AppServices): void {
  const s = services.screening

  app.post(
    '/v1/screening/check',
    {
      schema: {
        tags: ['screening'],
        summary: 'Screen one person or entity against every loaded sanctions list',
        body: CheckBody,
        response: { 200: CheckResponse, 400: ErrorResponse },
      },
    },
    async (req) => {
      const b = req.body
      const r = await s.check(tenantOf(req), toQuery(b), {
        ...(b.subjectId ? { subjectId: b.subjectId } : {}),
        ...(b.threshold !== undefined ? { threshold: b.threshold } : {}),
        ...(b.limit !== undefined ? { limit: b.limit } : {}),
      })
      return view(r)
    },
  )

  app.post(
    '/v1/screening/check/batch',
    {
      schema: {
        tags: ['screening'],
        summary: `Screen up to ${MAX_BATCH} names in one call; one result per query, in order`,
        body: BatchBody,
        response: { 200: Type.Object({ results: Type.Array(CheckResponse) }), 400: ErrorResponse },
      },
    },
    async (req) => {
      const results = await s.checkBatch(
        tenantOf(req),
        req.body.queries.map((q) => ({ ...toQuery(q), ...(q.subjectId ? { subjectId: q.subjectId } : {}) })),
      )
      return { results: results.map(view) }
    },
  )

  app.post(
    '/v1/screening/decisions',
    {
      schema: {
        tags: ['screening'],
        summary:
          'Record a decision on a (subject, list entry) pair under the authenticated operator or API key (audited); "not_a_match" suppresses the pair until either side changes',
        body: DecisionBody,
        response: { 201: Type.Object({ decisionId: Type.String() }), 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req, reply) => {
      // The decision is the authenticated principal's (issue 15 finding 6): no caller-typed analyst name.
      const tenant = tenantOf(req)
      const actor = actorOf(req)
      const r = await s.recordDecision(tenant, { ...req.body, analyst: actor.actor })
      await services.audit.record({
        tenant,
        actor: actor.actor,
        action: `screening.decision.${req.body.decision}`,
        resource: r.decisionId,
        outcome: 'success',
        origin: actor.origin,
        details: { subjectId: req.body.subjectId, listId: req.body.listId, entryKey: req.body.entryKey },
      })
      return reply.status(201).send(r)
    },
  )

  app.get(
    '/v1/screening/lists',
    {
      schema: {
        tags: ['screening'],
        summary: 'The active snapshot of every loaded list',
        response: { 200: Type.Object({ lists: Type.Array(SnapshotSchema) }) },
      },
    },
    async (req) => {
      const rows = await s.listStatus(tenantOf(req))
      return { lists: rows.map((r) => ({ ...r, importedAt: r.importedAt.toISOString() })) }
    },
  )

  app.get(
    '/v1/screening/alerts',
    {
      schema: {
        tags: ['screening'],
        summary: 'Screening alerts, optionally for one subject',
        querystring: Type.Object({ subjectId: Type.Optional(SubjectId) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            alerts: Type.Array(
              Type.Object({
                alertId: Type.String(),
                subjectId: Type.String(),
                listId: Type.String(),
                entryKey: Type.String(),
                score: Type.Number(),
                source: Type.String(),
                status: Type.String(),
                summary: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const rows = await s.alerts(tenantOf(req), req.query.subjectId)
      return {
        alerts: rows.map((r) => ({
          alertId: String(r.alert_id),
          subjectId: String(r.subject_id),
          listId: String(r.list_id),
          entryKey: String(r.entry_key),
          score: Number(r.score),
          source: String(r.source),
          status: String(r.status),
          summary: String((r.explanation as { summary?: string } | null)?.summary ?? ''),
        })),
      }
    },
  )
}
