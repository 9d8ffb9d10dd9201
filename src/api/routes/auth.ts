import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { ROLES, type Operator, type Principal } from '../../modules/auth/index.js'
import { AppError } from '../../shared/errors.js'
import { tenantOf, type ApiApp } from '../server.js'

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)))
export const OperatorSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: RoleSchema,
  mfaEnrolled: Type.Boolean(),
  lockedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
})
export const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
)

export const operatorJson = (o: Operator) => ({
  id: o.id,
  email: o.email,
  role: o.role,
  mfaEnrolled: o.mfaEnrolled,
  lockedUntil: o.lockedUntil?.toISOString() ?? null,
  createdAt: o.createdAt.toISOString(),
})

/** The caller, known to be authenticated by the access hook. */
export function principalOf(req: { principal: Principal | undefined }): Principal {
  if (!req.principal) throw new AppError('UNAUTHENTICATED', 'unauthorized', 'Missing credentials.')
  return req.principal
}

/** Sign-in, sessions, MFA enrolment and operator accounts (docs/security.md). */
export function registerAuthRoutes(app: ApiApp, services: AppServices): void {
  const { auth } = services

  app.post(
    '/v1/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email, password and (once enrolled) a TOTP or recovery code',
        security: [],
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            code: Type.Optional(Type.String({ maxLength: 32 })),
            tenant: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 100,
                description: 'Needed only when the email is an operator of several tenants.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            token: Type.String({ description: 'Session token (ses_…): send it as "Authorization: Bearer".' }),
            expiresAt: Type.String({ format: 'date-time' }),
            mfaEnrollmentRequired: Type.Boolean(),
            operator: OperatorSchema,
          }),
          400: ErrorBody,
          401: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (req) => {
      const r = await auth.login(req.body, req.ip)
      return {
        token: r.token,
        expiresAt: r.expiresAt.toISOString(),
        mfaEnrollmentRequired: r.mfaEnrollmentRequired,
        operator: operatorJson(r.operator),
      }
    },
  )

  app.post(
    '/v1/auth/logout',
    {
      schema: { tags: ['auth'], summary: 'End this session', response: { 204: Type.Null(), 403: ErrorBody } },
    },
    async (req, reply) => {
      await auth.logout(principalOf(req))
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/v1/auth/session',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who is calling: the API key or the operator session, and what it may do',
        response: {
          200: Type.Object({
            kind: Type.Union([Type.Literal('api_key'), Type.Literal('session')]),
            tenantId: Type.String(),
            id: Type.String({ description: 'API key id or session id' }),
            actor: Type.String(),
            role: Type.Union([RoleSchema, Type.Null()]),
            email: Type.Union([Type.String(), Type.Null()]),
            scopes: Type.Array(Type.String()),
            mfaEnrollmentRequired: Type.Boolean(),
            expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
            idleTimeoutSeconds: Type.Union([Type.Integer(), Type.Null()], {
              description: 'An operator session ends after this long without a request (null for API keys)',
            }),
          }),
        },
      },
    },
    (req) => {
      const p = principalOf(req)
      return {
        kind: p.kind,
        tenantId: p.tenantId,
        id: p.keyId,
        actor: p.actor,
        role: p.role ?? null,
        email: p.email ?? null,
        scopes: [...p.scopes],
        mfaEnrollmentRequired: p.mfaEnrollmentRequired ?? false,
        expiresAt: p.expiresAt?.toISOString() ?? null,
        idleTimeoutSeconds:
          p.kind === 'session' ? Math.round(services.config.auth.sessionIdleMs / 1000) : null,
      }
    },
  )

  app.post(
    '/v1/auth/mfa/enroll',
    {
      schema: {
        tags: ['auth'],
        summary: 'Start TOTP enrolment: a new secret, its otpauth:// URI and a QR code to scan',
        response: {
          200: Type.Object({
            secret: Type.String({ description: 'Base32, for apps that cannot scan' }),
            otpauthUri: Type.String(),
            qrSvg: Type.String(),
            qrDataUrl: Type.String(),
          }),
          403: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (req) => auth.startMfaEnrolment(principalOf(req)),
  )

  app.post(
    '/v1/auth/mfa/activate',
    {
      schema: {
        tags: ['auth'],
        summary: 'Confirm enrolment with a current code; returns ten single-use recovery codes (shown once)',
        body: Type.Object(
          { code: Type.String({ minLength: 6, maxLength: 6 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }),
          400: ErrorBody,
          403: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (req) => auth.activateMfa(principalOf(req), req.body.code),
  )

  app.post(
    '/v1/operators',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an operator (console or API user) of this tenant',
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^@\\s]+@[^@\\s]+$' }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            role: RoleSchema,
          },
          { additionalProperties: false },
        ),
        response: { 201: OperatorSchema, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const op = await auth.createOperator(tenantOf(req), req.body, principalOf(req))
      return reply.status(201).send(operatorJson(op))
    },
  )

  app.get(
    '/v1/operators',
    {
      schema: {
        tags: ['auth'],
        summary: "List this tenant's operators",
        response: { 200: Type.Object({ data: Type.Array(OperatorSchema) }) },
      },
    },
    async (req) => ({ data: (await auth.listOperators(tenantOf(req))).map(operatorJson) }),
  )

  app.post(
    '/v1/operators/:id/unlock',
    {
      schema: {
        tags: ['auth'],
        summary: 'Lift a sign-in lockout and clear the failure count',
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (req, reply) => {
      await auth.unlockOperator(tenantOf(req), req.params.id, principalOf(req).actor)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/v1/operators/:id/mfa/reset',
    {
      schema: {
        tags: ['auth'],
        summary:
          "Reset an operator's second factor (a lost phone): their sessions end and the next sign-in enrols again",
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (req, reply) => {
      await auth.resetMfa(tenantOf(req), req.params.id, principalOf(req).actor)
      return reply.status(204).send(null)
    },
  )
}
