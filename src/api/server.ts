import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { AppServices } from '../app.js'
import type { Principal } from '../modules/auth/index.js'
import { AppError } from '../shared/errors.js'
import { registerAccessControl } from './access.js'
import { registerAuditTrail } from './audit-trail.js'
import { registerConsole } from './console.js'
import { errorHandler } from './errors.js'
import { registerInputGuards } from './input-guard.js'
import { lazyChildLogger } from './lazy-request-logger.js'
import { registerIntakeRoutes, registerRoutes } from './routes/index.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the access hook (src/api/access.ts): an API key or an operator session. */
    principal: Principal | undefined
  }
  interface FastifyContextConfig {
    /** Routes that authenticate by other means (health, docs, signed gateway webhooks). */
    public?: boolean
  }
}

export type ApiApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export interface ServerOptions {
  readonly bodyLimitBytes: number
  readonly logger: FastifyBaseLogger | false
}

/** The authenticated tenant of a request; routes call this, never read headers themselves. */
export function tenantOf(req: { principal: Principal | undefined }): string {
  if (!req.principal) throw new AppError('UNAUTHENTICATED', 'unauthorized', 'Missing API key.')
  return req.principal.tenantId
}

/**
 * The Fastify instance every server of ours starts from: strict JSON (no coercion, unknown fields are
 * errors), our error shapes and codes, the input guards and the 404 body, no per-request log lines.
 */
function createBaseServer(services: AppServices, opts: ServerOptions): ApiApp {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: opts.bodyLimitBytes,
    // The client address behind a reverse proxy (rate limits and lockout count per address).
    trustProxy: services.config.trustProxy,
    // Unknown fields are errors, and "100" never silently becomes 100 or the reverse.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Per-request log lines cost throughput; errors are still logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // req.log's pino child is made only when a request logs (most never do): src/api/lazy-request-logger.ts.
    childLoggerFactory: lazyChildLogger,
    // Malformed percent-encoding and over-long path parameters, answered in our shape with our codes.
    frameworkErrors: (err, req, reply) => errorHandler(err, req, reply),
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorateRequest('principal', undefined)
  app.setErrorHandler(errorHandler)
  // Deep JSON, NUL and lone surrogates, null bodies, out-of-range integers: refused for every route.
  registerInputGuards(app)
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({
      error: { code: 'ROUTE_NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}` },
    })
  })
  return app
}

/** The edge every request crosses before its route: durable audit, then credentials and rate limits. */
async function registerEdge(app: ApiApp, services: AppServices): Promise<void> {
  // Before access control: a request's audit entries (even a refusal's) are durable before it is answered.
  registerAuditTrail(app, services)
  // Credentials, the route permission table and rate limits (src/api/access.ts, src/api/permissions.ts).
  await registerAccessControl(app, services)
}

export async function buildServer(services: AppServices, opts: ServerOptions): Promise<ApiApp> {
  const app = createBaseServer(services, opts)
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Moneta API', version: '0.1.0', description: 'Payments, ledger and compliance core.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })
  await registerEdge(app, services)
  registerRoutes(app, services)
  // The operator console's static pages (web/, built into dist/console).
  await registerConsole(app)
  return app
}

/**
 * `moneta intake`: gateway webhooks only (`POST /v1/webhooks/:gateway`), with `/health` and
 * `/metrics`, behind the same edge as the API (input guards, the per-address webhook rate limit, the
 * audit trail's durability wait, error shapes). Receiving needs only the gateway's secret and the
 * database — not the sandbox's in-process payments — so this server can run as several processes on
 * their own port while `moneta start` serves the API (docs/payments.md, "Scaling the intake").
 */
export async function buildIntakeServer(
  services: AppServices,
  opts: ServerOptions & { readonly metricsText?: () => Promise<string> },
): Promise<ApiApp> {
  const app = createBaseServer(services, opts)
  await registerEdge(app, services)
  registerIntakeRoutes(app, services, opts.metricsText)
  return app
}
