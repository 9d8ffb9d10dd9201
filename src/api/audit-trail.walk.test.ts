import { mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.js'
import { WALK_RECIPES, type WalkContext } from '../../test/support/audit-walk-recipes.js'
import { makeStrayCharge } from '../../test/support/stray-charges.js'
import {
  createHttpClient,
  fillPath,
  listOperations,
  sampleBody,
  seedTenant,
  type HttpClient,
  type Operation,
  type TenantSeed,
} from '../modules/attack/index.js'
import type { AuditEntry } from '../modules/audit/index.js'

/**
 * The coverage walk (issue 14 item 5, docs/audit.md): every mutating operation of the OpenAPI
 * document is called with a schema-shaped body on objects seeded through the API (the attack's
 * seeders, which each module extends for its own objects), and each call that succeeds must have
 * written an audit entry with the actor, the tenant, the object (type + id) and before/after
 * summaries. Routes added later are walked without any change here.
 */
describe('audit coverage walk over every mutating route', () => {
  let t: TestApp
  let a: HttpClient
  let seed: TenantSeed
  let ops: Operation[]
  let actor: string
  beforeAll(async () => {
    // The export worker runs often, so the analytics seeder's transaction reaches the fraud queries.
    const analyticsDir = mkdtempSync(join(tmpdir(), 'moneta-walk-analytics-'))
    t = await createTestApp(
      { name: 'pglite' },
      { env: { MONETA_ANALYTICS_EXPORT_MS: '300', MONETA_ANALYTICS_DIR: analyticsDir } },
    )
    t.app.startWorkers() // some seeders wait for workers (alerts grouped into cases)
    await t.app.server.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.server.address() as AddressInfo
    a = createHttpClient(`http://127.0.0.1:${port}`, t.apiKey)
    actor = (await t.app.services.auth.authenticate(t.apiKey))!.actor
    seed = await seedTenant(a)
    // A list naming one bank, for the recipes that need a screening hit (decisions, holds).
    await t.app.services.screening.importList(t.tenantId, {
      name: 'sdn',
      files: new Map([
        [
          'sdn.csv',
          Buffer.from('306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '),
        ],
      ]),
    })
    ops = (await listOperations(a)).filter((o) => o.method !== 'GET' && o.path.startsWith('/v1/'))
  }, 180_000)
  afterAll(async () => t.close())

  /** Entries of a tenant (the walking one unless named) written since `from`. */
  async function entriesSince(from: number, tenant = t.tenantId): Promise<AuditEntry[]> {
    await t.app.services.audit.flush()
    const got = await t.app.services.audit.entries(tenant, from, 10_000)
    return got.flatMap((e) => (e.entry ? [e.entry] : []))
  }
  const sizeNow = async (tenant = t.tenantId): Promise<number> => {
    await t.app.services.audit.flush()
    return (await t.app.services.audit.latestCheckpoint(tenant))?.treeSize ?? 0
  }
  const context: WalkContext = {
    platformKey: '',
    keyWithScopes: (scopes) => t.app.services.platform.createApiKey(t.tenantId, { scopes }),
    async failedStrayCharge() {
      const made = await makeStrayCharge(t, 500n, true)
      await t.app.services.payments.sweeper.sweep({ tenants: [t.tenantId] })
      const [stray] = await t.app.services.payments.queries.listStrayCharges(t.tenantId, made.paymentId)
      return { id: stray!.id, refundRef: made.refundedByHand! }
    },
  }

  const idFor = (param: string, collection: string): string =>
    seed.objects.find((o) => o.resources.some((r) => r === collection || collection.endsWith(r)))?.id ??
    `missing_${param}`

  it('writes an entry with actor, tenant, object and before/after for each mutating call that succeeds', async () => {
    expect(seed.failures).toEqual([])
    const authenticated = ops.filter((o) => !o.public)
    expect(authenticated.length).toBeGreaterThan(40)
    // Creations first, then changes to existing objects, deletions last (they remove what others use).
    const rank = (o: Operation) => (o.method === 'DELETE' ? 2 : o.params.length === 0 ? 0 : 1)
    const ordered = [...authenticated].sort((x, y) => rank(x) - rank(y))
    const missing: string[] = []
    const succeeded: string[] = []
    const notReached: string[] = []
    for (const op of ordered) {
      // Never revoke or rotate the walking key itself: the rest of the walk needs it.
      const route = `${op.method} ${op.path.replace(/\{([^}]+)\}/g, ':$1')}`
      // The principal of a call: the walking key, or the one a recipe names (a session, a second key).
      let who = { actor, tenant: t.tenantId }
      const call = async (path: string, body: unknown, token?: string) => {
        if (token) {
          const p = (await t.app.services.auth.authenticate(token))!
          who = { actor: p.actor, tenant: p.tenantId }
        }
        const from = await sizeNow(who.tenant)
        const res = await (token ? a.as(token) : a).request(op.method, path, {
          ...(body !== undefined ? { body } : {}),
          idempotencyKey: `walk-${op.method}-${op.path}-${Date.now()}`,
          retryRateLimited: true,
          // Some routes train a model: 7–35 s under CI's load (session 20), past a probe's 15 s default.
          timeoutMs: 120_000,
        })
        return { from, res }
      }
      let { from, res } = await call(fillPath(op, idFor), op.hasBody ? sampleBody(op.bodySchema) : undefined)
      // A schema-shaped body cannot reach every route: its recipe makes what the call needs first.
      const recipe = WALK_RECIPES[route]
      if ((res.status < 200 || res.status >= 300) && recipe) {
        const prepared = await recipe(a, { ...context, platformKey: t.bootstrapApiKey })
        ;({ from, res } = await call(prepared.path, prepared.body, prepared.token))
      }
      if (res.status < 200 || res.status >= 300) {
        notReached.push(`${route} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`)
        continue
      }
      succeeded.push(route)
      const entries = await entriesSince(from, who.tenant)
      const net = entries.find((e) => e.details?.route === route)
      const ok =
        net !== undefined &&
        net.actor === who.actor &&
        net.tenant === who.tenant &&
        /^[a-z0-9.-]+:.+$/.test(net.resource) &&
        net.outcome === 'success' &&
        'before' in net.details! &&
        'after' in net.details
      if (!ok) missing.push(`${route}: ${JSON.stringify(net ?? entries.map((e) => e.action))}`)
    }
    // Every mutating route must be reached: a new route the sample body cannot reach needs a recipe
    // in test/support/audit-walk-recipes.ts (the list is printed, so the gap is named).
    console.info(
      `audit walk: ${succeeded.length} of ${ordered.length} mutating operations succeeded and were checked; ` +
        `not reached: ${notReached.join('; ')}`,
    )
    expect(missing).toEqual([])
    expect(notReached).toEqual([])
  }, 300_000)

  it('records a refused change as denied, under the caller', async () => {
    const readOnly = await t.app.services.platform.createApiKey(t.tenantId, { scopes: ['payments:read'] })
    const who = (await t.app.services.auth.authenticate(readOnly))!.actor
    const from = await sizeNow()
    const res = await a.as(readOnly).request('POST', '/v1/accounts', {
      body: { id: 'walk_denied', currency: 'USD', normalSide: 'debit' },
    })
    expect(res.status).toBe(403)
    const entries = await entriesSince(from)
    expect(entries).toContainEqual(
      expect.objectContaining({ actor: who, outcome: 'denied', resource: 'accounts:*' }),
    )
  })

  it('writes payment transitions in the transition transaction, under the request principal', async () => {
    const pay = seed.objects.find((o) => o.kind.includes('payment'))
    expect(pay).toBeDefined()
    const entries = await entriesSince(0)
    const transitions = entries.filter((e) => e.action.startsWith('payments.payment.'))
    expect(transitions.length).toBeGreaterThan(0)
    for (const e of transitions) {
      expect(e.actor).toMatch(/^(apikey:|operator:|gateway:)/)
      // A worker's (webhook, sweeper) names the gateway; a request's, its principal and address.
      expect(e.origin === 'worker').toBe(e.actor.startsWith('gateway:'))
      expect(e.details).toHaveProperty('before.status')
      expect(e.details).toHaveProperty('after.status')
    }
    // The principal is passed down from the route (ADR 0212), also through the batched create.
    const byWalker = transitions.filter((e) => e.actor === actor).map((e) => e.action)
    expect(byWalker).toContain('payments.payment.processing')
  })

  it('records the configuration at start, redacted', async () => {
    const got = await t.app.services.audit.entries('_system', 0, 10_000)
    const start = got.map((e) => e.entry).find((e) => e?.action === 'system.config.start')
    expect(start).toBeDefined()
    expect(JSON.stringify(start)).not.toContain(t.bootstrapApiKey)
  })
})
