import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorBody, IdParams, operatorJson, OperatorSchema, principalOf, RoleSchema } from './auth.js'

/**
 * Offboarding and account changes (docs/security.md "Operators"): disable, role change, password reset
 * by an admin, password change by the operator. Each ends the operator's sessions and is audited; an
 * admin acts only on operators whose role's grants they hold (403 GRANT_NOT_HELD).
 */
export function registerOperatorAdminRoutes(app: ApiApp, services: AppServices): void {
  const { auth } = services
  const Password = Type.String({ minLength: 1, maxLength: 1024 })

  app.post(
    '/v1/operators/:id/disable',
    {
      schema: {
        tags: ['auth'],
        summary: 'Disable an operator: ends every session and revokes every API key they created',
        params: IdParams,
        response: {
          200: Type.Object({ sessionsEnded: Type.Integer(), apiKeysRevoked: Type.Integer() }),
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (req) => {
      const r = await auth.disableOperator(tenantOf(req), req.params.id, principalOf(req))
      return { sessionsEnded: r.sessions, apiKeysRevoked: r.apiKeys }
    },
  )

  app.put(
    '/v1/operators/:id/role',
    {
      schema: {
        tags: ['auth'],
        summary: "Change an operator's role (ends their sessions)",
        params: IdParams,
        body: Type.Object({ role: RoleSchema }, { additionalProperties: false }),
        response: { 200: OperatorSchema, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) =>
      operatorJson(await auth.changeRole(tenantOf(req), req.params.id, req.body.role, principalOf(req))),
  )

  app.post(
    '/v1/operators/:id/password',
    {
      schema: {
        tags: ['auth'],
        summary: "Set an operator's password (admin reset; ends their sessions)",
        params: IdParams,
        body: Type.Object({ password: Password }, { additionalProperties: false }),
        response: { 204: Type.Null(), 400: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      await auth.resetPassword(tenantOf(req), req.params.id, req.body.password, principalOf(req))
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/v1/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your own password (needs the current one; ends your other sessions)',
        body: Type.Object(
          { currentPassword: Password, newPassword: Password },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (req, reply) => {
      await auth.changeOwnPassword(principalOf(req), req.body.currentPassword, req.body.newPassword, req.ip)
      return reply.status(204).send(null)
    },
  )
}
