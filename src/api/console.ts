import fastifyStatic from '@fastify/static'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { ApiApp } from './server.js'

/** Where `npm install` (prepare) or `npm start` puts the built console (scripts/build-console.mjs). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url))

/**
 * Strict: only our own hashed scripts and styles, no inline code, no other origin; the QR code of TOTP
 * enrolment is the API's `data:` PNG. The console talks to the API on the same origin only.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * The operator console at /console (issue 16), same origin as the API. Its pages carry no data: they
 * are public (src/api/permissions.ts) and every screen then calls /v1 with the operator's session.
 * Any /console/… path answers the app's page, so screen URLs (filters, page cursors) can be shared.
 */
export async function registerConsole(app: ApiApp, dir = CONSOLE_DIR): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_req, reply) => {
      void reply.header('content-security-policy', CONSOLE_CSP)
      void reply.header('x-content-type-options', 'nosniff')
      void reply.header('referrer-policy', 'no-referrer')
      void reply.header('x-frame-options', 'DENY')
    })
    if (existsSync(`${dir}assets`)) {
      // Hashed file names: cached for good; a new build gets new names.
      await scope.register(fastifyStatic, {
        root: `${dir}assets`,
        prefix: '/console/assets/',
        maxAge: '365d',
        immutable: true,
        index: false,
      })
    }
    let page: Promise<string> | undefined
    const sendPage = async (_req: unknown, reply: import('fastify').FastifyReply) => {
      if (!existsSync(`${dir}index.html`)) {
        return reply
          .status(503)
          .type('text/plain; charset=utf-8')
          .send('The console is not built: run `npm install` (or `npm start`, which builds it when missing).')
      }
      page ??= readFile(`${dir}index.html`, 'utf8')
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(await page)
    }
    const opts = { schema: { hide: true }, config: { public: true } }
    scope.get('/console', opts, sendPage)
    scope.get('/console/*', opts, sendPage)
  })
}
