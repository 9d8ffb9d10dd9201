import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import type { AppServices } from '../../app.js'
import { ALERT_SOURCES, CASE_OUTCOMES, type Actor, type Priority } from '../../modules/cases/index.js'
import { AppError } from '../../shared/errors.js'
import { ErrorResponse } from '../error-schema.js'
import { tenantOf, type ApiApp } from '../server.js'

const CaseId = Type.String({ pattern: '^case_[0-9a-f]{32}$', description: 'case id' })
const Params = Type.Object({ id: CaseId }, { additionalProperties: false })
const Ref = Type.String({ pattern: '^[A-Za-z0-9_.:@-]{1,200}$' })
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)))
const errors = { 400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse }
/** Success bodies are the module's types serialised as they are (docs/cases.md shows them). */
const Body = (description: string) => Type.Unknown({ description })

/** The authenticated principal as a case actor: four-eyes compares these ids. */
export function actorOf(req: FastifyRequest): Actor {
  const p = req.principal
  if (!p) throw new AppError('UNAUTHENTICATED', 'unauthorized', 'Missing API key.')
  return { id: p.actor, grants: p.scopes, origin: req.ip }
}

const QueueQuery = Type.Object(
  {
    status: Type.Optional(literals(['open', 'investigating', 'escalated', 'closed'] as const)),
    assignee: Type.Optional(Ref),
    unassigned: Type.Optional(Type.Literal('true')),
    kind: Type.Optional(literals(ALERT_SOURCES)),
    priority: Type.Optional(literals(['1', '2', '3', '4'] as const)),
    partyId: Type.Optional(Ref),
    overdue: Type.Optional(Type.Literal('true')),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: '1–500, default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

export function registerCaseRoutes(app: ApiApp, services: AppServices): void {
  const { cases } = services

  app.get(
    '/v1/cases',
    {
      schema: {
        tags: ['cases'],
        summary: 'The case queue: most urgent first (priority, then due date); filters; keyset pages (next)',
        querystring: QueueQuery,
        response: { 200: Body('{ cases: Case[], next?: cursor }'), 400: ErrorResponse },
      },
    },
    async (req) => {
      const q = req.query
      const limit = q.limit === undefined ? 50 : Number(q.limit)
      if (limit > 500) throw new AppError('INVALID_LIMIT', 'invalid', 'limit must be from 1 to 500.')
      return cases.queue(tenantOf(req), {
        ...(q.status ? { status: q.status } : {}),
        ...(q.assignee ? { assignee: q.assignee } : {}),
        ...(q.unassigned ? { unassigned: true } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.priority ? { priority: Number(q.priority) as Priority } : {}),
        ...(q.partyId ? { partyId: q.partyId } : {}),
        ...(q.overdue ? { overdueAt: services.clock.now() } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
        limit,
      })
    },
  )

  app.get(
    '/v1/cases/labels',
    {
      schema: {
        tags: ['cases'],
        summary: 'Outcome labels of closed cases, one per alert (what a risk model trains on), oldest first',
        querystring: Type.Object(
          {
            after: Type.Optional(Type.String({ format: 'date-time' })),
            limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Body('{ labels: AlertLabel[] }'), 400: ErrorResponse },
      },
    },
    async (req) => {
      const labels = await cases.labels(tenantOf(req), {
        ...(req.query.after ? { after: new Date(req.query.after) } : {}),
        ...(req.query.limit ? { limit: Number(req.query.limit) } : {}),
      })
      return { labels }
    },
  )

  app.get(
    '/v1/cases/:id',
    {
      schema: {
        tags: ['cases'],
        summary:
          'A case with its party, alerts, linked transactions and counterparties, timeline, proposals, attachments',
        params: Params,
        response: { 200: Body('CaseView'), 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req) => cases.get(tenantOf(req), req.params.id),
  )

  app.post(
    '/v1/cases/:id/assign',
    {
      schema: {
        tags: ['cases'],
        summary: 'Assign (or unassign with null) the case; assigning an open case starts the investigation',
        params: Params,
        body: Type.Object({ assignee: Type.Union([Ref, Type.Null()]) }, { additionalProperties: false }),
        response: { 200: Body('Case'), ...errors },
      },
    },
    async (req) => {
      await cases.assign(tenantOf(req), req.params.id, req.body.assignee, actorOf(req))
      return cases.get(tenantOf(req), req.params.id).then((v) => v.case)
    },
  )

  app.post(
    '/v1/cases/:id/status',
    {
      schema: {
        tags: ['cases'],
        summary:
          'Move the case: open → investigating | escalated, investigating ⇄ escalated (close with /close)',
        params: Params,
        body: Type.Object(
          {
            status: literals(['investigating', 'escalated'] as const),
            note: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Body('Case'), ...errors },
      },
    },
    async (req) => {
      await cases.setStatus(tenantOf(req), req.params.id, req.body.status, actorOf(req), req.body.note)
      return cases.get(tenantOf(req), req.params.id).then((v) => v.case)
    },
  )

  app.post(
    '/v1/cases/:id/comments',
    {
      schema: {
        tags: ['cases'],
        summary: 'Add a comment to the case timeline',
        params: Params,
        body: Type.Object(
          { text: Type.String({ minLength: 1, maxLength: 10_000 }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ok: Type.Boolean() }), ...errors },
      },
    },
    async (req, reply) => {
      await cases.comment(tenantOf(req), req.params.id, req.body.text, actorOf(req))
      return reply.status(201).send({ ok: true })
    },
  )

  app.post(
    '/v1/cases/:id/links',
    {
      schema: {
        tags: ['cases'],
        summary: 'Link a transaction or a counterparty to the case',
        params: Params,
        body: Type.Object(
          { type: literals(['transaction', 'counterparty'] as const), ref: Ref },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ added: Type.Boolean() }), ...errors },
      },
    },
    async (req, reply) => {
      const added = await cases.link(tenantOf(req), req.params.id, req.body.type, req.body.ref, actorOf(req))
      return reply.status(201).send({ added })
    },
  )

  app.post(
    '/v1/cases/:id/attachments',
    {
      schema: {
        tags: ['cases'],
        summary: 'Attach an evidence file (base64, at most 5 MiB decoded); stored encrypted',
        params: Params,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            mediaType: Type.String({ pattern: '^[a-z]+/[A-Za-z0-9.+-]{1,100}$' }),
            contentBase64: Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength: 7_000_000 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Body('AttachmentMeta'), ...errors, 413: ErrorResponse },
      },
    },
    async (req, reply) => {
      const meta = await cases.attach(
        tenantOf(req),
        req.params.id,
        {
          name: req.body.name,
          mediaType: req.body.mediaType,
          content: Buffer.from(req.body.contentBase64, 'base64'),
        },
        actorOf(req),
      )
      return reply.status(201).send(meta)
    },
  )

  app.get(
    '/v1/cases/:id/attachments/:attachmentId',
    {
      schema: {
        tags: ['cases'],
        summary: 'Download an evidence file (decrypted; the read is audited)',
        params: Type.Object(
          // Any id-shaped value reaches the handler, which answers 404 outside the case's tenant (a strict
          // format here would answer 400 before the tenant check, hiding what the isolation sweep probes).
          { id: CaseId, attachmentId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) },
          { additionalProperties: false },
        ),
        response: { 200: Body('the file'), 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req, reply) => {
      const { meta, content } = await cases.readAttachment(
        tenantOf(req),
        req.params.id,
        req.params.attachmentId,
        actorOf(req),
      )
      return reply
        .header('content-type', meta.mediaType)
        .header('content-disposition', `attachment; filename="${meta.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
        .send(content)
    },
  )

  app.post(
    '/v1/cases/:id/close',
    {
      schema: {
        tags: ['cases'],
        summary:
          'Close with an outcome; true_positive, sar_filed or clearing a strong screening match waits for a second operator (202)',
        params: Params,
        body: Type.Object(
          { outcome: literals(CASE_OUTCOMES), reason: Type.String({ minLength: 1, maxLength: 10_000 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Body('{ status: closed, outcome }'),
          202: Body('{ status: pending_approval, proposal }'),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const r = await cases.close(tenantOf(req), req.params.id, req.body, actorOf(req))
      return reply.status(r.status === 'closed' ? 200 : 202).send(r)
    },
  )

  app.post(
    '/v1/cases/:id/approve',
    {
      schema: {
        tags: ['cases'],
        summary:
          'The second operator approves (closes) or rejects the pending closing proposal; never the proposer; needs cases:approve',
        params: Params,
        body: Type.Object(
          {
            decision: literals(['approve', 'reject'] as const),
            note: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Body('{ status: closed | rejected, … }'), ...errors },
      },
    },
    async (req) =>
      cases.decide(
        tenantOf(req),
        req.params.id,
        { approve: req.body.decision === 'approve', ...(req.body.note ? { note: req.body.note } : {}) },
        actorOf(req),
      ),
  )

  const SarQuery = Type.Object(
    {
      format: Type.Optional(literals(['json', 'html', 'xml'] as const)),
      version: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$' })),
    },
    { additionalProperties: false },
  )

  app.post(
    '/v1/cases/:id/sar',
    {
      schema: {
        tags: ['cases'],
        summary:
          'Generate a new SAR draft version from the case facts (alerts, transactions, party, decisions)',
        params: Params,
        response: { 201: Body('SarVersion'), ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await cases.draftSar(tenantOf(req), req.params.id, actorOf(req))),
  )

  app.get(
    '/v1/cases/:id/sar',
    {
      schema: {
        tags: ['cases'],
        summary:
          'The SAR draft (latest or ?version=N) as json, readable html, or FinCEN BSA XML batch structure (xml)',
        params: Params,
        querystring: SarQuery,
        response: { 200: Body('the draft'), 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req, reply) => {
      const out = await cases.exportSar(
        tenantOf(req),
        req.params.id,
        req.query.format ?? 'json',
        req.query.version ? Number(req.query.version) : undefined,
      )
      return reply.header('content-type', out.contentType).send(out.body)
    },
  )

  app.patch(
    '/v1/cases/:id/sar',
    {
      schema: {
        tags: ['cases'],
        summary:
          'Edit the draft: a new version (audited); baseVersion must be the latest (else CASES_SAR_STALE)',
        params: Params,
        body: Type.Object(
          {
            baseVersion: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
            note: Type.Optional(Type.String({ maxLength: 2000 })),
            changes: Type.Object(
              {
                narrative: Type.Optional(
                  Type.Object(
                    Object.fromEntries(
                      ['who', 'what', 'when', 'where', 'why', 'how'].map((k) => [
                        k,
                        Type.Optional(Type.String({ maxLength: 17_000 })),
                      ]),
                    ),
                    { additionalProperties: false },
                  ),
                ),
                subjectName: Type.Optional(Type.String({ minLength: 1, maxLength: 150 })),
                instruments: Type.Optional(
                  Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 }),
                ),
                categories: Type.Optional(
                  Type.Array(
                    Type.Object(
                      {
                        category: Type.String({ minLength: 1, maxLength: 100 }),
                        subtype: Type.String({ minLength: 1, maxLength: 200 }),
                      },
                      { additionalProperties: false },
                    ),
                    { maxItems: 50 },
                  ),
                ),
              },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Body('SarVersion'), ...errors },
      },
    },
    async (req) =>
      cases.editSar(
        tenantOf(req),
        req.params.id,
        {
          baseVersion: req.body.baseVersion,
          changes: req.body.changes,
          ...(req.body.note ? { note: req.body.note } : {}),
        },
        actorOf(req),
      ),
  )

  app.get(
    '/v1/cases/:id/sar/versions',
    {
      schema: {
        tags: ['cases'],
        summary: 'Every version of the SAR draft: who edited it, when, its SHA-256',
        params: Params,
        response: { 200: Body('{ versions }'), 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req) => ({ versions: await cases.sarVersions(tenantOf(req), req.params.id) }),
  )

  app.get(
    '/v1/cases/:id/evidence',
    {
      schema: {
        tags: ['cases'],
        summary:
          'Signed evidence bundle: case, alerts, transactions, decisions, SAR draft, audit entries with RFC 6962 inclusion proofs; check with `moneta audit verify-bundle`',
        params: Params,
        response: {
          200: Body('the bundle (canonical JSON: save the bytes as they are)'),
          400: ErrorResponse,
          404: ErrorResponse,
        },
      },
    },
    async (req, reply) => {
      const text = await cases.evidenceBundle(tenantOf(req), req.params.id, actorOf(req))
      return reply
        .header('content-type', 'application/json')
        .header('content-disposition', `attachment; filename="${req.params.id}.evidence.json"`)
        .send(text)
    },
  )
}
