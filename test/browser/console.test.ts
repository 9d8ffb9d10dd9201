import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Secret, TOTP } from 'otpauth'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSOLE_DIR } from '../../src/api/console.js'
import { typologyRules } from '../../src/modules/monitoring/index.js'
import { createTestApp, type TestApp } from '../support/app.js'

const CHROMIUM = '/usr/bin/chromium'
const PASSWORD = 'violet-otter-harbour-42'
/** The README's screenshots are refreshed on demand (CONSOLE_SCREENSHOTS=1) so a plain `npm test` leaves the tree clean. */
const SHOTS = process.env.CONSOLE_SCREENSHOTS
  ? new URL('../../docs/console/', import.meta.url)
  : pathToFileURL(`${mkdtempSync(join(tmpdir(), 'moneta-console-'))}/`)

/**
 * The operator console in a real browser (Debian's Chromium through playwright-core) against the real
 * app on a real port: first sign-in with TOTP enrolment, the cases queue and a case, a refund from the
 * payments list, shareable URLs, the CSP holding (no violation reported), and an axe-core scan of each
 * screen. With CONSOLE_SCREENSHOTS=1 it refreshes the README's screenshots under docs/console/.
 */
describe('operator console in Chromium', () => {
  let t: TestApp
  let url: string
  let browser: Browser | undefined

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return
    // `npm install` builds the console; a checkout that skipped it still gets a build here.
    if (!existsSync(`${CONSOLE_DIR}index.html`)) execFileSync(process.execPath, ['scripts/build-console.mjs'])
    t = await createTestApp({ name: 'pglite' })
    t.app.startWorkers()
    url = await t.app.server.listen({ port: 0, host: '127.0.0.1' })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    })
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  const call = async (method: string, path: string, body?: unknown, key?: string) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key ?? t.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'POST' && path.startsWith('/v1/payments')
          ? { 'idempotency-key': `seed-${path}` }
          : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300)
    return (await res.json()) as Record<string, unknown>
  }

  /** A structuring pattern through monitoring, so a real case reaches the queue (as test/e2e/cases-api). */
  const seedCase = async (): Promise<string> => {
    const rs = await call('POST', '/v1/monitoring/rule-sets', {
      rules: typologyRules().filter((r) => r.typology === 'structuring'),
    })
    await call('POST', `/v1/monitoring/rule-sets/${String(rs.version)}/activate`)
    await call('PUT', '/v1/monitoring/parties', {
      parties: [
        {
          id: 'acc_jane',
          segment: 'individual',
          country: 'US',
          risk: 'low',
          openedAt: '2025-01-01T00:00:00Z',
        },
      ],
    })
    const base = Date.parse('2026-03-02T10:00:00Z')
    for (const [i, amount] of ['950000', '920000', '980000'].entries()) {
      await call('POST', '/v1/monitoring/evaluate', {
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
      const q = await call('GET', '/v1/cases')
      const id = (q.cases as { caseId: string }[])[0]?.caseId
      if (id) return id
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('no case was opened')
  }

  const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
  /** axe-core in the page (through the DevTools protocol, which the page's CSP does not govern). */
  const seriousViolations = async (page: Page): Promise<string[]> => {
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

  it.skipIf(!existsSync(CHROMIUM))(
    'signs in with TOTP enrolment, works the cases queue, refunds a payment',
    { timeout: 180_000 },
    async () => {
      const email = 'ana.admin@example.com'
      await call('POST', '/v1/operators', { email, password: PASSWORD, role: 'admin' })
      const caseId = await seedCase()
      const payment = await call('POST', '/v1/payments', {
        amount: '2500',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
        customer: 'cus_console',
      })
      expect(payment.status).toBe('succeeded')

      const page = await browser!.newPage({ viewport: { width: 1200, height: 720 } })
      const cspViolations: string[] = []
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
      })
      const first = await page.goto(`${url}/console`)
      expect(first?.headers()['content-security-policy']).toContain("script-src 'self'")

      // First sign-in: no code yet → enrolment with the QR code the API rendered.
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.screenshot({ path: new URL('signin.png', SHOTS).pathname })
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('button', { name: 'Sign in' }).click()
      const qr = page.getByAltText('QR code for your authenticator app')
      await qr.waitFor()
      expect(
        await qr.evaluate((img: unknown) => (img as { naturalWidth: number }).naturalWidth),
      ).toBeGreaterThan(50)
      const secret = (await page.getByTestId('totp-secret').textContent())!.trim()
      const totp = new TOTP({ secret: Secret.fromBase32(secret) })
      await page.screenshot({ path: new URL('enrol.png', SHOTS).pathname })
      await page.getByLabel('Six-digit code').fill(totp.generate())
      await page.getByRole('button', { name: 'Confirm' }).click()
      await expect.poll(() => page.locator('.codes li').count()).toBe(10)
      await page.getByRole('button', { name: /stored them/ }).click()

      // Then a real sign-in; the enrolment code's time step is spent, so the next step's code (±1 accepted).
      await page.getByLabel('Password').fill(PASSWORD)
      await page
        .getByLabel('Authenticator or recovery code')
        .fill(totp.generate({ timestamp: Date.now() + 30_000 }))
      await page.getByRole('button', { name: 'Sign in' }).click()

      // The queue: the case is there, most urgent first; its view shows the structuring alert.
      const caseLink = page.getByRole('link', { name: caseId })
      await caseLink.waitFor()
      expect(page.url()).toBe(`${url}/console/cases`)
      await expect
        .poll(() => page.getByRole('navigation', { name: 'Screens' }).getByRole('link').allTextContents())
        .toEqual(['Cases', 'Payments'])
      await page.screenshot({ path: new URL('cases-queue.png', SHOTS).pathname })
      expect(await seriousViolations(page)).toEqual([])
      // Shareable URL: the unassigned view, opened directly, lists it with its tab marked current.
      await page.goto(`${url}/console/cases?view=unassigned`)
      await caseLink.waitFor()
      expect(await page.getByRole('link', { name: 'Unassigned' }).getAttribute('aria-current')).toBe('page')
      // Keyboard: focus the case link and press Enter.
      await caseLink.focus()
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { name: `Case ${caseId}` }).waitFor()
      await page.getByRole('cell', { name: 'structuring' }).first().waitFor()
      expect(page.url()).toBe(`${url}/console/cases/${caseId}`)
      await page.screenshot({ path: new URL('case.png', SHOTS).pathname, fullPage: true })
      expect(await seriousViolations(page)).toEqual([])

      // Payments: refund part of the payment from the list.
      await page.getByRole('link', { name: 'Payments' }).click()
      await page.getByRole('button', { name: `Refund ${String(payment.id)}` }).click()
      await page.getByLabel(/Amount in minor units/).fill('400')
      await page.getByLabel('Reason').fill('customer complaint')
      await page.screenshot({ path: new URL('payments-refund.png', SHOTS).pathname, fullPage: true })
      expect(await seriousViolations(page)).toEqual([])
      await page
        .getByRole('form', { name: `Refund ${String(payment.id)}` })
        .getByRole('button', { name: 'Refund' })
        .click()
      await expect.poll(() => page.getByRole('status').textContent()).toMatch(/of 4\.00 USD: succeeded/)
      await expect
        .poll(() => page.getByRole('row', { name: new RegExp(String(payment.id)) }).textContent())
        .toContain('4.00 USD')
      const after = await call('GET', `/v1/payments/${String(payment.id)}`)
      expect(after.amountRefunded).toBe('400')

      // Sign-out ends the session on the server, not only in the tab.
      const token = await page.evaluate(() =>
        (
          globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
        ).sessionStorage.getItem('moneta.session'),
      )
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByRole('button', { name: 'Sign in' }).waitFor()
      const res = await fetch(`${url}/v1/auth/session`, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(401)
      expect(cspViolations).toEqual([])
    },
  )

  it.skipIf(!existsSync(CHROMIUM))(
    'shows a role only what it may use: an auditor gets neither cases nor payments',
    { timeout: 120_000 },
    async () => {
      // Auditors need no second factor (they read no personal data and move no money).
      await call('POST', '/v1/operators', {
        email: 'ivo.auditor@example.com',
        password: PASSWORD,
        role: 'auditor',
      })
      const page = await browser!.newPage()
      await page.goto(`${url}/console/payments`)
      await page.getByLabel('Email').fill('ivo.auditor@example.com')
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
      expect(await page.getByRole('navigation', { name: 'Screens' }).getByRole('link').count()).toBe(0)
      await page.getByRole('heading', { name: 'Not found' }).waitFor()
      expect(await page.getByRole('button', { name: /^Refund/ }).count()).toBe(0)
      await page.close()
    },
  )
})
