import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import {
  createOidcAccounts,
  createOidcClient,
  MFA_REQUIRED_ROLES,
  OIDC_FLOW_COOKIE,
  oidcNotConfigured,
  signInWithOidc,
  type OidcClient,
} from '../../modules/auth/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import type { ApiApp } from '../server.js'

const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return v.join('=')
  }
  return undefined
}

/**
 * OpenID Connect sign-in: /start sends the browser to the provider, /callback finishes the flow and
 * answers with a session exactly like POST /v1/auth/login. Both are public: the provider and the
 * sealed flow cookie authenticate them.
 */
export function registerOidcRoutes(app: ApiApp, services: AppServices): void {
  const cfg = services.config.oidc
  const cookieAttrs = (maxAge: number) =>
    `Path=/v1/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${cfg?.redirectUri.startsWith('https:') ? '; Secure' : ''}`
  let client: OidcClient | undefined
  const oidc = (): OidcClient => {
    if (!cfg) throw oidcNotConfigured()
    client ??= createOidcClient({
      issuer: cfg.issuer,
      clientId: cfg.clientId,
      clientSecret: cfg.clientSecret.reveal(),
      redirectUri: cfg.redirectUri,
    })
    return client
  }
  const accounts = createOidcAccounts({
    db: services.db.db,
    clock: services.clock,
    ids: services.ids,
    auth: services.auth,
    sessionPolicy: {
      idleMs: services.config.auth.sessionIdleMs,
      absoluteMs: services.config.auth.sessionMaxMs,
    },
    audit: services.audit,
  })

  app.get(
    '/v1/auth/oidc/start',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Start OpenID Connect sign-in: redirects (302) to the identity provider',
        security: [],
        response: { 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (_req, reply) => {
      const start = await oidc().start()
      return reply
        .header(
          'set-cookie',
          `${OIDC_FLOW_COOKIE}=${start.cookie}; ${cookieAttrs(start.cookieMaxAgeSeconds)}`,
        )
        .header('cache-control', 'no-store')
        .redirect(start.redirectTo, 302)
    },
  )

  app.get(
    '/v1/auth/oidc/callback',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: "The identity provider's redirect: exchanges the code, checks the ID token, signs in",
        security: [],
        querystring: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 2048 })),
            state: Type.Optional(Type.String({ maxLength: 512 })),
            error: Type.Optional(Type.String({ maxLength: 256 })),
          },
          { additionalProperties: true },
        ),
        response: {
          200: Type.Object({
            token: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
            operator: Type.Object({ id: Type.String(), email: Type.String(), role: Type.String() }),
            provisioned: Type.Boolean(),
          }),
          400: ErrorResponse,
          401: ErrorResponse,
          404: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (req, reply) => {
      const flow = oidc()
      // The registered redirect URI plus what the provider sent: the host header may be a proxy's.
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''
      const callbackUrl = new URL(`${cfg?.redirectUri ?? ''}${query}`)
      void reply
        .header('set-cookie', `${OIDC_FLOW_COOKIE}=; ${cookieAttrs(0)}`)
        .header('cache-control', 'no-store')
      const who = await flow.finish(callbackUrl, readCookie(req.headers.cookie, OIDC_FLOW_COOKIE))
      const result = await signInWithOidc(
        who,
        accounts,
        {
          autoProvisionRole: cfg?.autoProvisionRole,
          tenant: cfg?.tenant ?? DEFAULT_TENANT,
          mfaRoles: MFA_REQUIRED_ROLES,
        },
        req.ip,
        (reason) =>
          req.log.warn({ reason, issuer: who.issuer, subject: who.subject }, 'OIDC sign-in refused'),
        services.clock.now(),
      )
      return {
        token: result.token,
        expiresAt: result.expiresAt.toISOString(),
        operator: { id: result.operator.id, email: result.operator.email, role: result.operator.role },
        provisioned: result.provisioned,
      }
    },
  )
}
