import { mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.js'
import { WALK_RECIPES } from '../../test/support/audit-walk-recipes.js'
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
    ops = (await listOperations(a)).filter((o) => o.method !== 'GET' && o.path.startsWith('/v1/'))
  }, 180_000)
  afterAll(async () => t.close())

  /** Entries of the walking tenant written since `from`. */
  async function entriesSince(from: number): Promise<AuditEntry[]> {
    await t.app.services.audit.flush()
    const got = await t.app.services.audit.entries(t.tenantId, from, 10_000)
    return got.flatMap((e) => (e.entry ? [e.entry] : []))
  }
  const sizeNow = async (): Promise<number> => {
    await t.app.services.audit.flush()
    return (await t.app.services.audit.latestCheckpoint(t.tenantId))?.treeSize ?? 0
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
      const call = async (path: string, body: unknown) => {
        const from = await sizeNow()
        const res = await a.request(op.method, path, {
          ...(body !== undefined ? { body } : {}),
          idempotencyKey: `walk-${op.method}-${op.path}-${Date.now()}`,
          retryRateLimited: true,
        })
        return { from, res }
      }
      let { from, res } = await call(fillPath(op, idFor), op.hasBody ? sampleBody(op.bodySchema) : undefined)
      // A schema-shaped body cannot reach every route: its recipe makes what the call needs first.
      const recipe = WALK_RECIPES[route]
      if ((res.status < 200 || res.status >= 300) && recipe) {
        const prepared = await recipe(a)
        ;({ from, res } = await call(prepared.path, prepared.body))
      }
      if (res.status < 200 || res.status >= 300) {
        notReached.push(`${route} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`)
        continue
      }
      succeeded.push(route)
      const entries = await entriesSince(from)
      const net = entries.find((e) => e.details?.route === route)
      const ok =
        net !== undefined &&
        net.actor === actor &&
        net.tenant === t.tenantId &&
        /^[a-z0-9.-]+:.+$/.test(net.resource) &&
        net.outcome === 'success' &&
        'before' in net.details! &&
        'after' in net.details
      if (!ok) missing.push(`${route}: ${JSON.stringify(net ?? entries.map((e) => e.action))}`)
    }
    // What the walk could not make succeed with a schema-shaped body is listed, not hidden.
    console.info(
      `audit walk: ${succeeded.length} of ${ordered.length} mutating operations succeeded and were checked; ` +
        `not reached: ${notReached.join('; ')}`,
    )
    expect(missing).toEqual([])
    expect(succeeded.length).toBeGreaterThanOrEqual(Math.ceil(ordered.length * 0.75))
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
      expect(e.details).toHaveProperty('before.status')
      expect(e.details).toHaveProperty('after.status')
    }
  })

  it('records the configuration at start, redacted', async () => {
    const got = await t.app.services.audit.entries('_system', 0, 10_000)
    const start = got.map((e) => e.entry).find((e) => e?.action === 'system.config.start')
    expect(start).toBeDefined()
    expect(JSON.stringify(start)).not.toContain(t.bootstrapApiKey)
  })
})
