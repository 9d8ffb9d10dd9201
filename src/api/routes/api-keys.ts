import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import {
  DEFAULT_ROTATION_OVERLAP_SECONDS,
  MAX_ROTATION_OVERLAP_SECONDS,
  ROLES,
  type ApiKeyInfo,
} from '../../modules/auth/index.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorBody, principalOf } from './auth.js'

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)))
const Scopes = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  maxItems: 50,
  description: 'Permissions (ledger:read), area wildcards (payments:*) or * (docs/security.md)',
})
const KeyInfo = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  role: Type.Union([RoleSchema, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  replacedBy: Type.Union([Type.String(), Type.Null()]),
})
const NewKey = Type.Composite([KeyInfo, Type.Object({ key: Type.String({ description: 'Shown once' }) })])
const IdParams = Type.Object(
  { id: Type.String({ pattern: '^key_[0-9a-f]{32}$' }) },
  { additionalProperties: false },
)

const keyJson = (k: ApiKeyInfo) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: [...k.scopes],
  role: k.role,
  createdAt: k.createdAt.toISOString(),
  expiresAt: k.expiresAt?.toISOString() ?? null,
  replacedBy: k.replacedBy,
})

/** API keys of the caller's tenant (scoped, shown once, rotatable with overlap) and new tenants. */
export function registerApiKeyRoutes(app: ApiApp, services: AppServices): void {
  const keys = services.auth.apiKeys

  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an API key with scopes (and optionally a role); the key is shown once',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            scopes: Scopes,
            role: Type.Optional(RoleSchema),
          },
          { additionalProperties: false },
        ),
        response: { 201: NewKey, 400: ErrorBody, 403: ErrorBody },
      },
    },
    async (req, reply) => {
      const created = await keys.create(tenantOf(req), req.body, principalOf(req))
      return reply.status(201).send({ ...keyJson(created), key: created.key })
    },
  )

  app.get(
    '/v1/api-keys',
    {
      schema: {
        tags: ['auth'],
        summary: 'List active API keys (never the keys themselves)',
        response: { 200: Type.Object({ data: Type.Array(KeyInfo) }) },
      },
    },
    async (req) => ({ data: (await keys.list(tenantOf(req))).map(keyJson) }),
  )

  app.post(
    '/v1/api-keys/:id/rotate',
    {
      schema: {
        tags: ['auth'],
        summary: 'Issue a replacement key; the old one keeps working for overlapSeconds, then stops',
        params: IdParams,
        body: Type.Optional(
          Type.Object(
            {
              overlapSeconds: Type.Optional(
                Type.Integer({ minimum: 0, maximum: MAX_ROTATION_OVERLAP_SECONDS }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 201: NewKey, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const overlap = req.body?.overlapSeconds ?? DEFAULT_ROTATION_OVERLAP_SECONDS
      const created = await keys.rotate(tenantOf(req), req.params.id, overlap, principalOf(req))
      return reply.status(201).send({ ...keyJson(created), key: created.key })
    },
  )

  app.delete(
    '/v1/api-keys/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API key now',
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (req, reply) => {
      await keys.revoke(tenantOf(req), req.params.id, principalOf(req))
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/v1/tenants',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a tenant with its own admin API key (platform owner only: the bootstrap key)',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ id: Type.String(), name: Type.String(), apiKey: Type.String() }),
          403: ErrorBody,
        },
      },
    },
    async (req, reply) => reply.status(201).send(await keys.createTenant(req.body.name, principalOf(req))),
  )
}
