import { Type, type Static } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import type { AppServices } from '../../app.js'
import {
  IDENTIFIER_TYPES,
  NAME_KINDS,
  PARTY_KINDS,
  PARTY_ROLES,
  PARTY_STATUSES,
  SCREENING_STATUSES,
  type Actor,
  type HoldRow,
  type Party,
  type ScreenOutcome,
  type StoredHit,
} from '../../modules/parties/index.js'
import { LIST_IDS } from '../../modules/screening/index.js'
import { AppError } from '../../shared/errors.js'
import { tenantOf, type ApiApp } from '../server.js'

const lit = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)))
const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})
const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse }
const PartyId = Type.String({ pattern: '^pty_[0-9a-f]{32}$' })
const HoldId = Type.String({ pattern: '^hld_[0-9a-f]{32}$' })
const IdParams = Type.Object({ id: PartyId })
const HoldParams = Type.Object({ id: HoldId })
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
})
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max })
const Country = Type.String({
  minLength: 2,
  maxLength: 80,
  description: 'ISO 3166 alpha-2 code or English name',
})
const Product = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' })

const Name = Type.Object(
  { value: Text(300), kind: Type.Optional(lit(NAME_KINDS)) },
  { additionalProperties: false },
)
const Address = Type.Object(
  {
    lines: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 5 }),
    city: Type.Optional(Type.String({ maxLength: 100 })),
    postalCode: Type.Optional(Type.String({ maxLength: 20 })),
    country: Country,
  },
  { additionalProperties: false },
)
const Identifier = Type.Object(
  { type: lit(IDENTIFIER_TYPES), value: Text(64), country: Type.Optional(Country) },
  { additionalProperties: false },
)
const DetailFields = {
  names: Type.Array(Name, {
    minItems: 1,
    maxItems: 20,
    description: 'The first is the legal name; any script',
  }),
  birthDate: Type.Optional(
    Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'Date of birth or incorporation' }),
  ),
  nationalities: Type.Optional(Type.Array(Country, { maxItems: 5 })),
  country: Type.Optional(Country),
  addresses: Type.Optional(Type.Array(Address, { maxItems: 10 })),
  identifiers: Type.Optional(Type.Array(Identifier, { maxItems: 20 })),
}
const CreateBody = Type.Object(
  {
    kind: lit(PARTY_KINDS),
    roles: Type.Array(lit(PARTY_ROLES), { minItems: 1, maxItems: 2 }),
    ...DetailFields,
    products: Type.Optional(Type.Array(Product, { maxItems: 20 })),
  },
  { additionalProperties: false },
)
const PatchBody = Type.Object(
  {
    roles: Type.Optional(Type.Array(lit(PARTY_ROLES), { minItems: 1, maxItems: 2 })),
    products: Type.Optional(Type.Array(Product, { maxItems: 20 })),
    names: Type.Optional(DetailFields.names),
    birthDate: DetailFields.birthDate,
    nationalities: DetailFields.nationalities,
    country: DetailFields.country,
    addresses: DetailFields.addresses,
    identifiers: DetailFields.identifiers,
    expectedVersion: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
  },
  { additionalProperties: false, minProperties: 1 },
)
const HitSchema = Type.Object({
  listId: Type.String(),
  entryKey: Type.String(),
  score: Type.Number(),
  alertId: Type.Optional(Type.String()),
})
const PartySchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  roles: Type.Array(Type.String()),
  status: Type.String(),
  names: Type.Array(Type.Object({ value: Type.String(), kind: Type.String() })),
  birthDate: Type.Optional(Type.String()),
  nationalities: Type.Array(Type.String()),
  country: Type.Optional(Type.String()),
  addresses: Type.Array(Address),
  identifiers: Type.Array(Identifier),
  products: Type.Array(Type.String()),
  risk: Type.Object({
    level: Type.String(),
    score: Type.Integer(),
    reasons: Type.Array(
      Type.Object({ factor: Type.String(), points: Type.Integer(), detail: Type.String() }),
    ),
  }),
  screening: Type.Object({
    status: Type.String(),
    screenedAt: Type.Union([Type.String(), Type.Null()]),
  }),
  version: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})
const ScreeningAnswer = Type.Object({
  hits: Type.Array(HitSchema),
  newHits: Type.Array(HitSchema),
  listsLoaded: Type.Integer(),
  warning: Type.Optional(Type.String()),
})
const HoldSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  partyId: Type.String(),
  status: Type.String(),
  hits: Type.Array(HitSchema),
  decidedBy: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  resultId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  decidedAt: Type.Union([Type.String(), Type.Null()]),
})

export function partyJson(p: Party): Static<typeof PartySchema> {
  const d = p.details
  return {
    id: p.id,
    kind: p.kind,
    roles: [...p.roles],
    status: p.status,
    names: d.names.map((n) => ({ value: n.value, kind: n.kind })),
    ...(d.birthDate ? { birthDate: d.birthDate } : {}),
    nationalities: [...d.nationalities],
    ...(d.country ? { country: d.country } : {}),
    addresses: d.addresses.map((a) => ({ ...a, lines: [...a.lines] })) as Static<typeof Address>[],
    identifiers: d.identifiers.map((x) => ({ ...x })) as Static<typeof Identifier>[],
    products: [...p.products],
    risk: { level: p.riskLevel, score: p.riskScore, reasons: p.riskReasons.map((r) => ({ ...r })) },
    screening: { status: p.screeningStatus, screenedAt: p.screenedAt?.toISOString() ?? null },
    version: p.version,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  }
}

const hitJson = (h: StoredHit): Static<typeof HitSchema> => ({
  listId: h.listId,
  entryKey: h.entryKey,
  score: h.score,
  ...(h.alertId ? { alertId: h.alertId } : {}),
})

const screeningJson = (r: ScreenOutcome): Static<typeof ScreeningAnswer> => ({
  hits: r.hits.map(hitJson),
  newHits: r.newHits.map(hitJson),
  listsLoaded: r.listsLoaded,
  ...(r.warning ? { warning: r.warning } : {}),
})

export function holdJson(h: HoldRow): Static<typeof HoldSchema> {
  return {
    id: h.holdId,
    kind: h.kind,
    partyId: h.partyId,
    status: h.status,
    hits: h.hits.map((x) => ({ listId: x.listId, entryKey: x.entryKey, score: x.score })),
    decidedBy: h.decidedBy,
    reason: h.reason,
    resultId: h.resultId,
    createdAt: h.createdAt.toISOString(),
    decidedAt: h.decidedAt?.toISOString() ?? null,
  }
}

/** The authenticated principal as the actor of audit entries and decisions (never a name from the body). */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.principal) throw new AppError('UNAUTHENTICATED', 'unauthorized', 'Missing credentials.')
  return { actor: req.principal.actor, origin: req.ip }
}

type DetailBody = Partial<Pick<Static<typeof CreateBody>, keyof typeof DetailFields>>
function detailsOf(b: DetailBody) {
  return {
    ...(b.names
      ? { names: b.names.map((n, i) => ({ value: n.value, kind: n.kind ?? (i === 0 ? 'legal' : 'alias') })) }
      : {}),
    ...(b.birthDate !== undefined ? { birthDate: b.birthDate } : {}),
    ...(b.nationalities ? { nationalities: b.nationalities } : {}),
    ...(b.country !== undefined ? { country: b.country } : {}),
    ...(b.addresses ? { addresses: b.addresses } : {}),
    ...(b.identifiers ? { identifiers: b.identifiers } : {}),
  }
}

/** /v1/parties and /v1/screening/holds (docs/parties.md). */
export function registerPartiesRoutes(app: ApiApp, services: AppServices): void {
  const parties = services.parties
  const tags = ['parties']

  app.post(
    '/v1/parties',
    {
      schema: {
        tags,
        summary: 'Onboard a customer or counterparty (screened at once; Idempotency-Key recommended)',
        headers: IdempotencyHeaders,
        body: CreateBody,
        response: {
          201: Type.Object({ party: PartySchema, screening: Type.Optional(ScreeningAnswer) }),
          200: Type.Object({ party: PartySchema, screening: Type.Optional(ScreeningAnswer) }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const b = req.body
      const r = await parties.create(
        tenantOf(req),
        {
          kind: b.kind,
          roles: b.roles,
          details: {
            nationalities: [],
            addresses: [],
            identifiers: [],
            ...detailsOf(b),
            names: detailsOf(b).names ?? [],
          },
          ...(b.products ? { products: b.products } : {}),
        },
        actorOf(req),
        { idempotencyKey: req.headers['idempotency-key'] },
      )
      return reply.status(r.created ? 201 : 200).send({
        party: partyJson(r.party),
        ...(r.screening ? { screening: screeningJson(r.screening) } : {}),
      })
    },
  )

  app.get(
    '/v1/parties',
    {
      schema: {
        tags,
        summary: 'List parties; exact name or identifier search goes through blind indexes',
        querystring: Type.Object(
          {
            status: Type.Optional(lit(PARTY_STATUSES)),
            kind: Type.Optional(lit(PARTY_KINDS)),
            role: Type.Optional(lit(PARTY_ROLES)),
            riskLevel: Type.Optional(lit(['low', 'medium', 'high', 'prohibited'] as const)),
            screeningStatus: Type.Optional(lit(SCREENING_STATUSES)),
            name: Type.Optional(Text(300)),
            identifier: Type.Optional(Text(64)),
            after: Type.Optional(PartyId),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(PartySchema),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const q = req.query
      const r = await parties.list(tenantOf(req), { ...q, limit: q.limit ? Number(q.limit) : undefined })
      return { items: r.items.map(partyJson), next: r.next }
    },
  )

  app.get(
    '/v1/parties/:id',
    { schema: { tags, summary: 'A party', params: IdParams, response: { 200: PartySchema, ...errors } } },
    async (req) => partyJson(await parties.get(tenantOf(req), req.params.id)),
  )

  app.patch(
    '/v1/parties/:id',
    {
      schema: {
        tags,
        summary: 'Change a party; a new name, date of birth or country screens it again',
        params: IdParams,
        body: PatchBody,
        response: {
          200: Type.Object({ party: PartySchema, screening: Type.Optional(ScreeningAnswer) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const b = req.body
      const r = await parties.update(
        tenantOf(req),
        req.params.id,
        {
          roles: b.roles,
          products: b.products,
          details: detailsOf(b),
          expectedVersion: b.expectedVersion,
        },
        actorOf(req),
      )
      return {
        party: partyJson(r.party),
        ...(r.screening ? { screening: screeningJson(r.screening) } : {}),
      }
    },
  )

  app.post(
    '/v1/parties/:id/status',
    {
      schema: {
        tags,
        summary: 'Move a party: onboarding → active → restricted → exited (restricted ↔ active)',
        params: IdParams,
        body: Type.Object(
          { status: lit(PARTY_STATUSES), reason: Text(2000) },
          { additionalProperties: false },
        ),
        response: { 200: PartySchema, ...errors },
      },
    },
    async (req) =>
      partyJson(
        await parties.transition(
          tenantOf(req),
          req.params.id,
          req.body.status,
          req.body.reason,
          actorOf(req),
        ),
      ),
  )

  app.post(
    '/v1/parties/:id/screen',
    {
      schema: {
        tags,
        summary: 'Screen the party again now',
        params: IdParams,
        response: { 200: Type.Object({ party: PartySchema, screening: ScreeningAnswer }), ...errors },
      },
    },
    async (req) => {
      const r = await parties.screen(tenantOf(req), req.params.id, actorOf(req))
      return {
        party: partyJson(r.party),
        screening: screeningJson(r),
      }
    },
  )

  app.get(
    '/v1/parties/:id/screening',
    {
      schema: {
        tags,
        summary: "The party's screening status, current hits and every screening alert raised on it",
        params: IdParams,
        response: {
          200: Type.Object({
            status: Type.String(),
            screenedAt: Type.Union([Type.String(), Type.Null()]),
            hits: Type.Array(HitSchema),
            alerts: Type.Array(
              Type.Object({
                alertId: Type.String(),
                listId: Type.String(),
                entryKey: Type.String(),
                score: Type.Number(),
                source: Type.String(),
                status: Type.String(),
                createdAt: Type.String(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const r = await parties.screeningResults(tenantOf(req), req.params.id)
      return {
        status: r.party.screeningStatus,
        screenedAt: r.party.screenedAt?.toISOString() ?? null,
        hits: r.hits.map(hitJson),
        alerts: r.alerts.map((a) => ({
          alertId: String(a.alert_id),
          listId: String(a.list_id),
          entryKey: String(a.entry_key),
          score: Number(a.score),
          source: String(a.source),
          status: String(a.status),
          createdAt: new Date(a.created_at as string).toISOString(),
        })),
      }
    },
  )

  app.post(
    '/v1/parties/:id/decisions',
    {
      schema: {
        tags,
        summary:
          "Decide on one of the party's hits (recorded under the authenticated operator or key; audited): not_a_match clears it, true_match confirms it",
        params: IdParams,
        body: Type.Object(
          {
            listId: lit(LIST_IDS),
            entryKey: Text(128),
            decision: lit(['not_a_match', 'true_match'] as const),
            reason: Text(2000),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ decisionIds: Type.Array(Type.String()), party: PartySchema }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const r = await parties.decide(tenantOf(req), req.params.id, req.body, actorOf(req))
      return reply.status(201).send({ decisionIds: r.decisionIds, party: partyJson(r.party) })
    },
  )

  app.get(
    '/v1/parties/:id/links',
    {
      schema: {
        tags,
        summary: 'Payouts, bank transfers, payments and ledger accounts that reference the party',
        params: IdParams,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                objectKind: Type.String(),
                objectId: Type.String(),
                role: Type.String(),
                createdAt: Type.String(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => ({
      items: (await parties.links(tenantOf(req), req.params.id)).map((l) => ({
        ...l,
        createdAt: l.createdAt.toISOString(),
      })),
    }),
  )

  app.get(
    '/v1/screening/holds',
    {
      schema: {
        tags,
        summary: 'Payouts and bank transfers held for a screening review',
        querystring: Type.Object(
          {
            status: Type.Optional(lit(['held', 'released', 'rejected'] as const)),
            partyId: Type.Optional(PartyId),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(HoldSchema) }), ...errors },
      },
    },
    async (req) => {
      const q = req.query
      const rows = await parties.holds(tenantOf(req), { ...q, limit: q.limit ? Number(q.limit) : undefined })
      return { items: rows.map(holdJson) }
    },
  )

  app.get(
    '/v1/screening/holds/:id',
    {
      schema: {
        tags,
        summary: 'A screening hold',
        params: HoldParams,
        response: { 200: HoldSchema, ...errors },
      },
    },
    async (req) => holdJson(await parties.getHold(tenantOf(req), req.params.id)),
  )

  app.post(
    '/v1/screening/holds/:id/decision',
    {
      schema: {
        tags,
        summary:
          'Release (hits recorded as not a match, then the held operation runs) or reject a hold; under the authenticated operator or key',
        params: HoldParams,
        body: Type.Object(
          {
            decision: lit(['release', 'reject'] as const),
            reason: Text(2000),
            confirmMatch: Type.Optional(
              Type.Boolean({
                description: 'reject only: record the hits as true matches and restrict the party',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ hold: HoldSchema, result: Type.Optional(Type.Unknown()) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const r = await parties.decideHold(tenantOf(req), req.params.id, req.body, actorOf(req))
      return { hold: holdJson(r.hold), ...(r.result ? { result: { objectId: r.result.objectId } } : {}) }
    },
  )
}
