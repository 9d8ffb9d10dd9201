import { randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AppServices } from '../app.js'
import { AppError } from '../shared/errors.js'
import { objectOf, summarize } from './audit-object.js'
import type { ApiApp } from './server.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Audit trail of a mutating route (docs/audit.md). Omitted: the generic entry below, with the
     * object derived from the path. A public route (no principal) names the entry its module writes
     * instead: `{ by: 'auth.session.create' }`.
     */
    audit?: { readonly by: string }
  }
  interface FastifyRequest {
    /** `audit.submitted()` when the request arrived: its answer waits for every write since (ADR 0212); -1: none. */
    auditMark: number
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** Marks the edge's own read of an object's state before a change (not rate-limited, not audited). */
const INTERNAL_HEADER = 'x-moneta-audit-read'

/**
 * The net under every module's own entries (ADR 0211, docs/audit.md):
 *  - every `audit.record()` a request starts — awaited or not, in any module — is durable before the
 *    response is sent: the edge notes the audit's submit counter on arrival and, if it moved, awaits
 *    every write submitted up to the answer (ADR 0212; conservative: others' writes of that moment
 *    too, and a failure among them answers 503 as well);
 *  - each authenticated mutating /v1 request that succeeds writes an `api.<object>.<verb>` entry with
 *    the principal as actor, the object (type + id), the redacted request and before/after summaries
 *    (before: the object's own GET route read just before the handler, when it has one);
 *  - a mutating request refused for want of permission writes a `denied` entry.
 * A successful mutating request without an entry is a bug that src/api/audit-trail.walk.test.ts finds.
 */
export function registerAuditTrail(app: ApiApp, services: Pick<AppServices, 'audit'>): void {
  const { audit } = services
  const before = new WeakMap<FastifyRequest, unknown>()
  const secret = randomBytes(24).toString('base64url')
  const reads = new Set<string>() // GET routes, to find an object's read route

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.includes('GET')) reads.add(route.url)
  })

  // -1: nothing to wait for — before onRequest notes the counter (a framework error ran no handler),
  // and once onSend waited.
  app.decorateRequest('auditMark', -1)
  app.addHook('onRequest', (req, _reply, done) => {
    req.auditMark = audit.submitted()
    if (req.headers[INTERNAL_HEADER] === secret) internalReads.add(req)
    done()
  })

  app.addHook('preHandler', async (req) => {
    if (!MUTATING.has(req.method) || !req.principal || !req.routeOptions.url) return
    const obj = objectOf(req.method, req.routeOptions.url, req.params as Record<string, string>)
    if (!obj.readUrl) return
    if (!reads.has(obj.readRoute!)) {
      before.set(req, { unavailable: 'the object has no read route' })
      return
    }
    const r = await app.inject({
      method: 'GET',
      url: obj.readUrl,
      headers: { authorization: req.headers.authorization ?? '', [INTERNAL_HEADER]: secret },
    })
    before.set(
      req,
      r.statusCode === 200
        ? summarize(safeJson(r.body))
        : r.statusCode === 404
          ? null
          : { unavailable: r.statusCode },
    )
  })

  app.addHook('onSend', async (req, reply, payload) => {
    const url = req.routeOptions.url
    let entry: Promise<void> | undefined
    if (url?.startsWith('/v1/') && MUTATING.has(req.method) && req.principal && !isAuditRead(req)) {
      const status = reply.statusCode
      if ((status >= 200 && status < 300) || status === 403) entry = recordRequest(req, reply, payload)
    }
    // Nothing submitted while this request ran (a webhook, most reads): nothing to wait for.
    const mark = req.auditMark
    if (entry === undefined && (mark < 0 || audit.submitted() === mark)) return payload
    // Waited for once: the 503 below is sent through this hook again and must not wait (or fail) again.
    req.auditMark = -1
    try {
      await entry
      if (mark >= 0) await audit.durableSince(mark)
    } catch (err) {
      req.log.error({ err }, 'audit: an entry of this request could not be written')
      throw new AppError(
        'AUDIT_UNAVAILABLE',
        'unavailable',
        'The change was not acknowledged because its audit entry could not be written; retry with the same Idempotency-Key.',
        { cause: err },
      )
    }
    return payload
  })

  function recordRequest(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const principal = req.principal!
    const url = req.routeOptions.url!
    const ok = reply.statusCode < 300
    const response = ok && typeof payload === 'string' ? safeJson(payload) : undefined
    const obj = objectOf(req.method, url, req.params as Record<string, string>, response)
    return audit.record({
      tenant: principal.tenantId,
      actor: principal.actor,
      action: `api.${obj.type}.${obj.verb}`,
      resource: `${obj.type}:${obj.id}`,
      outcome: ok ? 'success' : 'denied',
      origin: req.ip,
      details: {
        route: `${req.method} ${url}`,
        status: reply.statusCode,
        request: summarize(req.body),
        before: before.has(req) ? before.get(req) : null,
        after: ok ? (req.method === 'DELETE' && response === undefined ? null : summarize(response)) : null,
      },
    })
  }
}

const internalReads = new WeakSet<FastifyRequest>()

/**
 * True for the audit trail's own before-read of an object: authenticated and authorized as the
 * caller, but not counted against its rate limit a second time (src/api/access.ts).
 */
export const isAuditRead = (req: FastifyRequest): boolean => internalReads.has(req)

function safeJson(text: string): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    return undefined
  }
}
