import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../test/support/app.js'
import { CONSOLE_CSP, CONSOLE_DIR, registerConsole } from './console.js'
import type { ApiApp } from './server.js'

/** The console's pages as the HTTP edge serves them (the browser suite in test/browser drives the screens). */
describe('console pages at /console', () => {
  let t: TestApp
  beforeAll(async () => {
    if (!existsSync(`${CONSOLE_DIR}index.html`)) execFileSync(process.execPath, ['scripts/build-console.mjs'])
    t = await createTestApp({ name: 'pglite' })
  }, 180_000)
  afterAll(async () => t.close())

  it('answers every screen URL with the app page under a strict CSP, without credentials', async () => {
    for (const url of [
      '/console',
      '/console/cases?view=mine&cursor=abc',
      '/console/payments?status=succeeded',
    ]) {
      const r = await t.app.server.inject({ method: 'GET', url })
      expect(r.statusCode, url).toBe(200)
      expect(r.headers['content-type']).toContain('text/html')
      expect(r.headers['content-security-policy']).toBe(CONSOLE_CSP)
      expect(r.headers['x-frame-options']).toBe('DENY')
      expect(r.body).toContain('<script type="module" crossorigin src="/console/assets/')
      // No inline script: every <script> has a src.
      expect(r.body.match(/<script(?![^>]*\ssrc=)[^>]*>/g) ?? []).toEqual([])
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'")
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/)
  })

  it('serves the hashed assets for good and answers an unknown one 404', async () => {
    const js = readdirSync(`${CONSOLE_DIR}assets`).find((f) => f.endsWith('.js'))!
    const r = await t.app.server.inject({ method: 'GET', url: `/console/assets/${js}` })
    expect(r.statusCode).toBe(200)
    expect(r.headers['cache-control']).toContain('immutable')
    expect(r.headers['content-security-policy']).toBe(CONSOLE_CSP)
    const missing = await t.app.server.inject({ method: 'GET', url: '/console/assets/nope.js' })
    expect(missing.statusCode).toBe(404)
  })

  it('says how to build it when the build is missing (the API still starts)', async () => {
    const app = Fastify() as unknown as ApiApp
    await registerConsole(app, '/nonexistent/console/')
    const r = await app.inject({ method: 'GET', url: '/console/cases' })
    expect(r.statusCode).toBe(503)
    expect(r.body).toContain('npm install')
    await app.close()
  })
})
