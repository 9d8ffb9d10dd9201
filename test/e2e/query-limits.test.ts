import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

/**
 * Security finding 8 (issue 15): integer `limit` query parameters were refused on some routes (a
 * querystring typed integer while the validator does not coerce strings). Every GET operation of the
 * OpenAPI document with a `limit` query parameter must accept `?limit=5` and refuse `?limit=abc`.
 */
const target = testDbTargets()[0]!
let t: TestApp
beforeAll(async () => {
  t = await createTestApp(target)
}, 180_000)
afterAll(async () => t.close())

interface Operation {
  parameters?: { in: string; name: string; schema?: { type?: string } }[]
}

it('every list operation accepts an integer limit and refuses a non-integer one', async () => {
  const doc = t.app.server.swagger() as { paths: Record<string, Record<string, Operation>> }
  const withLimit = Object.entries(doc.paths).flatMap(([path, ops]) =>
    ops.get?.parameters?.some((p) => p.in === 'query' && p.name === 'limit') ? [path] : [],
  )
  expect(withLimit.length).toBeGreaterThanOrEqual(8)
  const problems: string[] = []
  for (const path of withLimit) {
    const url = path.replace(/\{(\w+)\}/g, 'x_$1')
    const call = (q: string) =>
      t.app.server.inject({
        method: 'GET',
        // Search needs its query text; every other list operation takes limit alone.
        url: `${url}?${path === '/v1/search' ? 'q=x&' : ''}${q}`,
        headers: { authorization: `Bearer ${t.apiKey}` },
      })
    const ok = await call('limit=5')
    // 404 or a 400 about the made-up id in the path is fine; a 400 about the query is not
    if (ok.statusCode === 400 && ok.body.includes('querystring'))
      problems.push(`${path} limit=5 → 400 ${ok.body}`)
    const bad = await call('limit=abc')
    if (bad.statusCode !== 400 && bad.statusCode !== 404)
      problems.push(`${path} limit=abc → ${bad.statusCode}`)
  }
  expect(problems).toEqual([])
})

it('no query parameter is typed as a number or boolean (query values are strings; nothing coerces them)', () => {
  const doc = t.app.server.swagger() as { paths: Record<string, Record<string, Operation>> }
  const typed = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).flatMap(([method, op]) =>
      (op.parameters ?? [])
        .filter((p) => p.in === 'query' && ['integer', 'number', 'boolean'].includes(p.schema?.type ?? ''))
        .map((p) => `${method.toUpperCase()} ${path} ?${p.name}`),
    ),
  )
  expect(typed).toEqual([])
})
