import rateLimit from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import type { AppServices } from '../app.js'
import { forbidden, grants, mfaEnrollmentRequired, type Principal } from '../modules/auth/index.js'
import { AppError } from '../shared/errors.js'
import { isAuditRead } from './audit-trail.js'
import { FAIL_CLOSED, ruleFor } from './permissions.js'
import type { ApiApp } from './server.js'

type Limiter = ReturnType<ApiApp['createRateLimit']>

/** Gateway and bank webhooks: signed, public, and counted apart so their bursts never starve the API. */
const WEBHOOK_ROUTE = /^\/v1\/(webhooks|banking\/webhooks)\//
const LOGIN_ROUTE = '/v1/auth/login'
/** Outside /v1 (where Prometheus looks by default), yet authenticated like /v1. */
const METRICS_ROUTE = '/metrics'

/**
 * Authentication, authorization and rate limits for every /v1 route, in one onRequest hook:
 *  1. public routes (sign-in, signed webhooks) are only rate-limited, per source address;
 *  2. otherwise the bearer token (API key `mk_…` or session `ses_…`) must resolve to a principal
 *     (401 UNAUTHENTICATED, counted against the address's limit), which is then rate-limited per key;
 *  3. the route's permission (src/api/permissions.ts; `*` when it has no entry) must be granted
 *     (403 FORBIDDEN, or MFA_ENROLLMENT_REQUIRED for a session that still has to enrol).
 * Counters live in Redis when REDIS_URL is set (shared by every API process), else in process memory.
 */
export async function registerAccessControl(app: ApiApp, services: AppServices): Promise<void> {
  const { config } = services
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true })
    : undefined
  // A limiter store that is down must not take the API down with it: requests pass (and are logged).
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(redis ? { redis, nameSpace: `${config.redisPrefix}:ratelimit:` } : {}),
  })
  if (redis) app.addHook('onClose', async () => void (await redis.quit()))

  const keys = new WeakMap<FastifyRequest, string>()
  const limiter = (max: number, bucket: string): Limiter =>
    app.createRateLimit({
      max,
      timeWindow: 60_000,
      keyGenerator: (req) => `${bucket}:${keys.get(req) ?? req.ip}`,
    })
  const limits = {
    key: limiter(config.rateLimits.perKey, 'key'),
    address: limiter(config.rateLimits.perAddress, 'addr'),
    login: limiter(config.rateLimits.login, 'login'),
    webhook: limiter(config.rateLimits.webhooks, 'webhook'),
  }

  async function spend(limit: Limiter, req: FastifyRequest, reply: FastifyReply, key: string): Promise<void> {
    keys.set(req, key)
    const r = await limit(req)
    // isAllowed means "on the allow list"; otherwise the count decides.
    if (r.isAllowed || !r.isExceeded) return
    void reply.header('retry-after', String(r.ttlInSeconds))
    throw new AppError('RATE_LIMITED', 'rate_limited', `Too many requests; retry in ${r.ttlInSeconds} s.`, {
      details: { limit: r.max, retryAfterSeconds: r.ttlInSeconds },
    })
  }

  app.addHook('onRequest', async (req, reply) => {
    const url = req.routeOptions.url
    if (!url?.startsWith('/v1/') && url !== METRICS_ROUTE) return
    if (req.routeOptions.config.public) {
      const limit = WEBHOOK_ROUTE.test(url)
        ? limits.webhook
        : url === LOGIN_ROUTE
          ? limits.login
          : limits.address
      await spend(limit, req, reply, req.ip)
      return
    }
    const header = req.headers.authorization
    const token = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined
    const principal = token ? await services.auth.authenticate(token) : undefined
    if (!principal) {
      await spend(limits.address, req, reply, req.ip)
      throw new AppError(
        'UNAUTHENTICATED',
        'unauthorized',
        token
          ? 'The API key or session is not valid (revoked, expired or unknown).'
          : 'Send your API key or session token as "Authorization: Bearer <token>".',
      )
    }
    if (!isAuditRead(req)) await spend(limits.key, req, reply, principal.keyId)
    req.principal = principal
    authorize(principal, req.method, url)
  })
}

/** Throws unless the principal holds the route's permission. */
export function authorize(principal: Principal, method: string, url: string): void {
  const rule = ruleFor(method, url) ?? FAIL_CLOSED
  if (rule === 'public' || grants(principal.scopes, rule)) return
  if (principal.mfaEnrollmentRequired) throw mfaEnrollmentRequired()
  throw forbidden(rule)
}
