import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Secret, TOTP } from 'otpauth'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { CONSOLE_DIR } from '../../src/api/console.js'
import { CHROMIUM, launchChromium } from './chromium.js'
import { typologyRules } from '../../src/modules/monitoring/index.js'
import { createTestApp, type TestApp } from '../support/app.js'

/**
 * What the console's browser suites share: the real app on a real port, Debian's Chromium through
 * playwright-core (one launch per file), operators enrolled with TOTP, a case seeded through monitoring,
 * and an axe-core scan.
 */
export { CHROMIUM }
export const HAS_CHROMIUM = existsSync(CHROMIUM)
export const PASSWORD = 'violet-otter-harbour-42'

/** The README's screenshots are refreshed on demand (CONSOLE_SCREENSHOTS=1) so a plain `npm test` leaves the tree clean. */
const SHOTS = process.env.CONSOLE_SCREENSHOTS
  ? new URL('../../docs/console/', import.meta.url)
  : pathToFileURL(`${mkdtempSync(join(tmpdir(), 'moneta-console-'))}/`)
export const shot = (name: string): string => new URL(name, SHOTS).pathname

export interface Console {
  readonly t: TestApp
  readonly url: string
  readonly browser: Browser
  /** An API call with the tenant's admin key (or `key`; '' for none), asserting a 2xx answer. */
  call(method: string, path: string, body?: unknown, key?: string): Promise<Record<string, unknown>>
  close(): Promise<void>
}

export async function startConsole(): Promise<Console> {
  // `npm install` builds the console; a checkout that skipped it still gets a build here.
  if (!existsSync(`${CONSOLE_DIR}index.html`)) execFileSync(process.execPath, ['scripts/build-console.mjs'])
  const t = await createTestApp({ name: 'pglite' })
  t.app.startWorkers()
  const url = await t.app.server.listen({ port: 0, host: '127.0.0.1' })
  const browser = await launchChromium()
  const call = async (method: string, path: string, body?: unknown, key?: string) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(key === '' ? {} : { authorization: `Bearer ${key ?? t.apiKey}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'POST' && path.startsWith('/v1/payments')
          ? {
              'idempotency-key': `seed-${path}-${createHash('sha256')
                .update(JSON.stringify(body ?? null))
                .digest('hex')}`,
            }
          : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300)
    return (await res.json()) as Record<string, unknown>
  }
  const close = async () => {
    await browser.close()
    await t.close()
  }
  return { t, url, browser, call, close }
}

/** A structuring pattern through monitoring, so a real case reaches the queue (as test/e2e/cases-api). */
export async function seedStructuringCase(c: Console): Promise<string> {
  const rs = await c.call('POST', '/v1/monitoring/rule-sets', {
    rules: typologyRules().filter((r) => r.typology === 'structuring'),
  })
  await c.call('POST', `/v1/monitoring/rule-sets/${String(rs.version)}/activate`)
  await c.call('PUT', '/v1/monitoring/parties', {
    parties: [
      { id: 'acc_jane', segment: 'individual', country: 'US', risk: 'low', openedAt: '2025-01-01T00:00:00Z' },
    ],
  })
  const base = Date.parse('2026-03-02T10:00:00Z')
  for (const [i, amount] of ['950000', '920000', '980000'].entries()) {
    await c.call('POST', '/v1/monitoring/evaluate', {
      id: `txn_dep${i}`,
      at: new Date(base + i * 86_400_000).toISOString(),
      amount,
      currency: 'USD',
      kind: 'cash_deposit',
      src: 'cash',
      dst: 'acc_jane',
      dstCustomer: 'cus_jane',
    })
  }
  for (let i = 0; i < 300; i++) {
    const q = await c.call('GET', '/v1/cases')
    const id = (q.cases as { caseId: string }[])[0]?.caseId
    if (id) return id
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('no case was opened')
}

/**
 * An operator of `role` whose TOTP is already enrolled through the API (the enrolment screens have their
 * own test): returns its authenticator, whose next code signs in.
 */
export async function enrolledOperator(c: Console, email: string, role: string): Promise<TOTP> {
  await c.call('POST', '/v1/operators', { email, password: PASSWORD, role })
  const login = await c.call('POST', '/v1/auth/login', { email, password: PASSWORD }, '')
  const limited = String(login.token)
  const enrol = await c.call('POST', '/v1/auth/mfa/enroll', undefined, limited)
  const totp = new TOTP({ secret: Secret.fromBase32(String(enrol.secret)) })
  await c.call('POST', '/v1/auth/mfa/activate', { code: totp.generate() }, limited)
  return totp
}

/**
 * Signs in through the form at `path`. The enrolment spent this time step's code, so the next step's
 * (the API accepts ±1 step) — each operator signs in once per step.
 */
export async function signIn(
  page: Page,
  c: Console,
  path: string,
  email: string,
  totp?: TOTP,
): Promise<void> {
  await page.goto(`${c.url}/console${path}`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  if (totp)
    await page
      .getByLabel('Authenticator or recovery code')
      .fill(totp.generate({ timestamp: Date.now() + 30_000 }))
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** axe-core in the page (through the DevTools protocol, which the page's CSP does not govern). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> }
      }
    ).axe
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }))
  })
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.nodes})`)
}

/**
 * One app and browser for a describe block: `const c = consoleFixture()` then `c()` inside tests (the
 * launch is skipped without Chromium, like the tests themselves).
 */
export function consoleFixture(): () => Console {
  let c: Console | undefined
  beforeAll(async () => {
    if (HAS_CHROMIUM) c = await startConsole()
  }, 180_000)
  afterAll(async () => {
    await c?.close()
  })
  return () => c!
}
