import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.js'
import { grants, PERMISSIONS, ROLE_GRANTS } from '../modules/auth/index.js'
import { FAIL_CLOSED, ROUTE_PERMISSIONS, ruleFor } from './permissions.js'

/** Every route of the OpenAPI document has an entry in the one permission table. */
describe('route permission table', () => {
  let t: TestApp
  let routes: { method: string; url: string; isPublic: boolean }[]
  beforeAll(async () => {
    t = await createTestApp({ name: 'pglite' })
    const doc = t.app.server.swagger() as {
      paths: Record<string, Record<string, { security?: unknown[] }>>
    }
    routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          // OpenAPI writes /v1/accounts/{id}; Fastify registered /v1/accounts/:id.
          url: path.replace(/\{([^}]+)\}/g, ':$1'),
          isPublic: Array.isArray(op.security) && op.security.length === 0,
        })),
    )
  }, 180_000) // a whole app (or database) under a loaded CI machine
  afterAll(async () => t.close())

  it('gives every route a permission (a missing one would be admin-only)', () => {
    expect(routes.length).toBeGreaterThan(40)
    const missing = routes
      .filter((r) => ruleFor(r.method, r.url) === undefined)
      .map((r) => `${r.method} ${r.url}`)
    expect(missing).toEqual([])
  })

  it('uses only known permissions, and marks public exactly the routes that take no credentials', () => {
    for (const [route, rule] of Object.entries(ROUTE_PERMISSIONS)) {
      expect(rule === 'public' || (PERMISSIONS as readonly string[]).includes(rule), route).toBe(true)
    }
    for (const r of routes.filter((x) => x.url.startsWith('/v1/'))) {
      const rule = ruleFor(r.method, r.url)
      if (rule === 'public') expect(r.isPublic, `${r.method} ${r.url} is public in the table`).toBe(true)
    }
  })

  it('fails closed: a route with no entry needs *, which only admin holds', () => {
    expect(ruleFor('POST', '/v1/not-a-route')).toBeUndefined()
    expect(grants(ROLE_GRANTS.admin, FAIL_CLOSED)).toBe(true)
    for (const role of ['operator', 'analyst', 'auditor', 'read_only'] as const) {
      expect(grants(ROLE_GRANTS[role], FAIL_CLOSED), role).toBe(false)
    }
  })
})
