import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testAuditKeys, thingRecord } from '../../test/support/audit.js'
import { freshTenant, openTestDb } from '../../test/support/db.js'
import { createAudit, type Audit } from '../modules/audit/index.js'
import { fixedClock } from '../shared/clock.js'
import type { DbHandle } from '../shared/db/connect.js'
import { registerAuditTrail } from './audit-trail.js'
import { errorHandler } from './errors.js'
import type { ApiApp } from './server.js'

/**
 * Durable before acknowledged (ADR 0211, 0212): every audit write a request started — awaited or
 * not — is in the intake before its response leaves; a write that fails makes the answer 503; work
 * the request left behind after answering is not waited for. An in-memory PGlite of its own: the
 * failure test takes the intake table away, which a shared server's other tests must not see.
 */
describe('the HTTP edge and the audit writes of a request', () => {
  let h: DbHandle
  let audit: Audit
  let app: ApiApp
  let late: { submitted: boolean; done?: Promise<void> } = { submitted: false }
  const tenant = freshTenant()
  const rec = (resource: string) => thingRecord(tenant, resource)
  const intakeRows = async (resource: string) =>
    (
      await sql<{
        n: number
      }>`SELECT count(*)::int AS n FROM audit_intake WHERE record LIKE ${`%${resource}%`}`.execute(h.db)
    ).rows[0]!.n

  beforeAll(async () => {
    h = await openTestDb({ name: 'pglite' })
    const clock = fixedClock(new Date('2026-03-01T00:00:00Z'))
    // No timed append: the entries stay in the intake, where the tests look for them.
    audit = createAudit({ db: h.db, clock, keys: await testAuditKeys(h, clock), flushMs: 60_000 })
    app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
    app.setErrorHandler(errorHandler)
    registerAuditTrail(app, { audit })
    app.get('/unawaited/:id', (req, reply) => {
      // Started and forgotten: the edge must still hold the answer until it is durable.
      void audit.record(rec((req.params as { id: string }).id)).catch(() => undefined)
      return reply.send({ ok: true })
    })
    app.get('/after-answer', (_req, reply) => {
      late = { submitted: false }
      late.done = new Promise((resolve) =>
        setTimeout(() => {
          late.submitted = true
          void audit.record(rec('thing:after-answer')).finally(resolve)
        }, 300),
      )
      return reply.send({ ok: true })
    })
    app.get('/quiet', (_req, reply) => reply.send({ ok: true }))
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await audit.close()
    await h.close()
  })

  it('holds the answer until an unawaited record() of the handler is in the intake', async () => {
    const r = await app.inject({ method: 'GET', url: '/unawaited/thing:unawaited' })
    expect(r.statusCode).toBe(200)
    expect(await intakeRows('thing:unawaited')).toBe(1)
  })

  it('answers 503 AUDIT_UNAVAILABLE when a write of the request fails, and recovers after', async () => {
    await sql`ALTER TABLE audit_intake RENAME TO audit_intake_away`.execute(h.db)
    try {
      const r = await app.inject({ method: 'GET', url: '/unawaited/thing:lost' })
      expect(r.statusCode).toBe(503)
      expect(r.json()).toMatchObject({ error: { code: 'AUDIT_UNAVAILABLE' } })
    } finally {
      await sql`ALTER TABLE audit_intake_away RENAME TO audit_intake`.execute(h.db)
    }
    // The failure was before this request arrived: not its concern.
    const again = await app.inject({ method: 'GET', url: '/unawaited/thing:retried' })
    expect(again.statusCode).toBe(200)
    expect(await intakeRows('thing:retried')).toBe(1)
  })

  it('does not wait for a timer the request started that writes after the answer', async () => {
    const r = await app.inject({ method: 'GET', url: '/after-answer' })
    expect(r.statusCode).toBe(200)
    expect(late.submitted).toBe(false)
    await late.done
    expect(await intakeRows('thing:after-answer')).toBe(1)
  })

  it('answers a request during which nothing was written without asking the audit', async () => {
    const mark = audit.submitted()
    const r = await app.inject({ method: 'GET', url: '/quiet' })
    expect(r.statusCode).toBe(200)
    expect(audit.submitted()).toBe(mark)
  })
})
