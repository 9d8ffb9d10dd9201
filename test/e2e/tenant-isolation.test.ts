import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  badOutcome,
  createHttpClient,
  listOperations,
  seedTenant,
  snapshot,
  sweep,
  type Operation,
  type Probe,
  type TenantSeed,
} from '../../src/modules/attack/index.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

/**
 * Tenant A makes one object of each kind through the API; tenant B's key then calls every route of the
 * OpenAPI document with A's ids in the path (and in bodies that name objects). None may return or
 * change A's data: 404 or 403 (or a 400 from validation before any lookup), and A's objects read the
 * same afterwards.
 */
for (const target of testDbTargets()) {
  const SANDBOX_SECRET = `whsec_${randomBytes(32).toString('base64')}`

  describe(`tenant isolation over every OpenAPI route [${target.name}]`, () => {
    let t: TestApp
    let seed: TenantSeed
    let ops: Operation[]
    let probes: Probe[]
    let before: Map<string, string>
    let after: Map<string, string>
    let analyticsDir: string
    beforeAll(async () => {
      analyticsDir = mkdtempSync(join(tmpdir(), 'moneta-isolation-analytics-'))
      t = await createTestApp(target, {
        ownDatabase: true,
        // the export worker runs often, so A's monitored transaction reaches the fraud queries
        env: {
          MONETA_RATE_LIMIT_PER_KEY: '1000000',
          MONETA_ANALYTICS_EXPORT_MS: '300',
          MONETA_ANALYTICS_DIR: analyticsDir,
          // the sandbox's signed webhooks are accepted, so A gets a stray charge as a late charge makes one
          MONETA_SANDBOX_WEBHOOK_SECRET: SANDBOX_SECRET,
        },
      })
      // Some objects only exist once a worker has made them (a case opens when the monitoring alert
      // reaches the cases consumer), as in `moneta start`.
      t.app.startWorkers()
      const url = await t.app.server.listen({ port: 0, host: '127.0.0.1' })
      const a = createHttpClient(url, t.apiKey)
      const b = createHttpClient(url, (await t.newTenant()).apiKey)
      seed = await seedTenant(a, { sandboxWebhookSecret: SANDBOX_SECRET })
      before = await snapshot(a, seed)
      ops = await listOperations(a)
      probes = await sweep(b, ops, seed)
      after = await snapshot(a, seed)
    }, 300_000)
    afterAll(async () => {
      await t.close()
      rmSync(analyticsDir, { recursive: true, force: true })
    })

    it('made one object of each kind in tenant A through the API', () => {
      expect(seed.failures).toEqual([])
      const kinds = new Set(seed.objects.map((o) => o.kind))
      for (const k of [
        'account',
        'transaction',
        'card token',
        'market rule',
        'rule set',
        'payment',
        'refund',
        'payment command',
        'stray charge',
        'operator',
        'API key',
        'webhook endpoint',
        'bank item',
        'bank account',
        'bank transfer',
        'monitoring list',
        'monitoring label',
        'risk model',
        'product',
        'price',
        'billing customer',
        'payment method',
        'subscription',
        'invoice',
        // The export waits until every transaction open on the server has ended (ADR 1200): on a
        // PostgreSQL server shared with the other suites it may not catch up within the seeder's
        // wait, and the seeder then skips. On PGlite (this process alone) it must be seeded.
        ...(target.name === 'pglite' ? ['fraud query'] : []),
        'search hit',
      ]) {
        expect(kinds).toContain(k)
      }
    })

    it("called every guarded operation with B's key", () => {
      const probed = new Set(probes.map((p) => `${p.op.method} ${p.op.path}`))
      const guarded = ops.filter((o) => !o.public && !o.path.endsWith('/stream'))
      expect(guarded.length).toBeGreaterThan(30)
      for (const o of guarded) expect(probed).toContain(`${o.method} ${o.path}`)
    })

    it("found, leaked or changed none of A's data", () => {
      expect(probes.filter((p) => badOutcome(p.outcome)).map((p) => p.line)).toEqual([])
      expect(before.size).toBeGreaterThan(5)
      expect([...after]).toEqual([...before])
    })

    it("answered 404/403 wherever a path named one of A's objects of the route's kind", () => {
      const named = probes.filter((p) => p.matched)
      expect(named.length).toBeGreaterThan(30)
      // A PUT names its object itself: B may make its own list of that name, A's stays as it was.
      // A fraud query's name is the same library in every tenant: B runs it over B's data only.
      const fine = (p: Probe) =>
        p.outcome === 'refused' ||
        p.outcome === 'not reached' ||
        (p.op.method === 'PUT' && p.outcome === 'no A data') ||
        (p.op.path === '/v1/analytics/queries/{name}' && p.outcome === 'no A data')
      expect(named.filter((p) => !fine(p)).map((p) => p.line)).toEqual([])
      // Reads of A's objects are a plain "not found", never a validation error or a 200.
      const reads = named.filter((p) => p.op.method === 'GET')
      expect(reads.length).toBeGreaterThan(10)
      expect(reads.filter((p) => p.outcome !== 'refused').map((p) => p.line)).toEqual([])
    })
  })
}
