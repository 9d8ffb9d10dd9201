import { readFileSync } from 'node:fs'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  HAS_CHROMIUM,
  PASSWORD,
  enrolledOperator,
  seedStructuringCase,
  seriousViolations,
  shot,
  signIn,
  startConsole,
  type Console,
} from './harness.js'

/**
 * The operator console in a real browser (Debian's Chromium through playwright-core) against the real
 * app on a real port: first sign-in with TOTP enrolment, the cases queue and a case worked to a SAR under
 * four eyes, a refund from the payments list, shareable URLs, the CSP holding (no violation reported),
 * and an axe-core scan of each screen. With CONSOLE_SCREENSHOTS=1 it refreshes the README's screenshots
 * under docs/console/.
 */
describe('operator console in Chromium', () => {
  let c: Console
  let seeded: Promise<string> | undefined
  /** One structuring case per app (its alerts group into one case whichever test asks first). */
  const theCase = () => (seeded ??= seedStructuringCase(c))

  beforeAll(async () => {
    if (HAS_CHROMIUM) c = await startConsole()
  }, 180_000)
  afterAll(async () => {
    await c?.close()
  })

  it.skipIf(!HAS_CHROMIUM)(
    'signs in with TOTP enrolment, works the cases queue, refunds a payment',
    { timeout: 180_000 },
    async () => {
      const email = 'ana.admin@example.com'
      await c.call('POST', '/v1/operators', { email, password: PASSWORD, role: 'admin' })
      const caseId = await theCase()
      const payment = await c.call('POST', '/v1/payments', {
        amount: '2500',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
        customer: 'cus_console',
      })
      expect(payment.status).toBe('succeeded')

      const page = await c.browser.newPage({ viewport: { width: 1200, height: 720 } })
      const cspViolations: string[] = []
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
      })
      const first = await page.goto(`${c.url}/console`)
      expect(first?.headers()['content-security-policy']).toContain("script-src 'self'")

      // First sign-in: no code yet → enrolment with the QR code the API rendered.
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.screenshot({ path: shot('signin.png') })
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('button', { name: 'Sign in' }).click()
      const qr = page.getByAltText('QR code for your authenticator app')
      await qr.waitFor()
      expect(
        await qr.evaluate((img: unknown) => (img as { naturalWidth: number }).naturalWidth),
      ).toBeGreaterThan(50)
      const secret = (await page.getByTestId('totp-secret').textContent())!.trim()
      const totp = new TOTP({ secret: Secret.fromBase32(secret) })
      await page.screenshot({ path: shot('enrol.png') })
      expect(await seriousViolations(page)).toEqual([])
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

      // Signed in on the overview; the queue: the case is there, most urgent first.
      await page.getByRole('heading', { name: 'Overview' }).waitFor()
      expect(page.url()).toBe(`${c.url}/console/overview`)
      await expect
        .poll(() => page.getByRole('navigation', { name: 'Screens' }).getByRole('link').allTextContents())
        .toEqual(['Overview', 'Cases', 'Payments', 'Ledger', 'Screening', 'Monitoring', 'Market', 'Admin'])
      await page.getByRole('link', { name: 'Cases', exact: true }).click()
      const caseLink = page.getByRole('link', { name: caseId })
      await caseLink.waitFor()
      await page.screenshot({ path: shot('cases-queue.png') })
      expect(await seriousViolations(page)).toEqual([])
      // Shareable URL: the unassigned view, opened directly, lists it with its tab marked current.
      await page.goto(`${c.url}/console/cases?view=unassigned`)
      await caseLink.waitFor()
      expect(await page.getByRole('link', { name: 'Unassigned' }).getAttribute('aria-current')).toBe('page')
      // Keyboard: focus the case link and press Enter.
      await caseLink.focus()
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { name: `Case ${caseId}` }).waitFor()
      await page.getByRole('cell', { name: 'structuring' }).first().waitFor()
      expect(page.url()).toBe(`${c.url}/console/cases/${caseId}`)
      await page.screenshot({ path: shot('case.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])

      // Payments: open the payment from the list, refund part of it.
      await page.getByRole('link', { name: 'Payments' }).click()
      await page.getByRole('link', { name: String(payment.id) }).click()
      await page.getByRole('button', { name: 'Refund' }).click()
      await page.getByLabel(/Amount in minor units/).fill('400')
      await page.getByLabel('Reason').fill('customer complaint')
      await page.screenshot({ path: shot('payments-refund.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('button', { name: 'Confirm refund' }).click()
      await expect.poll(() => page.getByRole('status').textContent()).toMatch(/of 4\.00 USD: succeeded/)
      await expect.poll(() => page.getByTestId('payment-refunded').textContent()).toBe('4.00 USD')
      const after = await c.call('GET', `/v1/payments/${String(payment.id)}`)
      expect(after.amountRefunded).toBe('400')

      // Sign-out ends the session on the server, not only in the tab.
      const token = await page.evaluate(() =>
        (
          globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
        ).sessionStorage.getItem('moneta.session'),
      )
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByRole('button', { name: 'Sign in' }).waitFor()
      const res = await fetch(`${c.url}/v1/auth/session`, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status).toBe(401)
      expect(cspViolations).toEqual([])
    },
  )

  it.skipIf(!HAS_CHROMIUM)(
    'shows a role only what it may use: an auditor gets the books and the audit checkpoint, neither cases nor payments',
    { timeout: 120_000 },
    async () => {
      // Auditors need no second factor (they read no personal data and move no money).
      await c.call('POST', '/v1/operators', {
        email: 'ivo.auditor@example.com',
        password: PASSWORD,
        role: 'auditor',
      })
      const page = await c.browser.newPage()
      await page.goto(`${c.url}/console/payments`)
      await page.getByLabel('Email').fill('ivo.auditor@example.com')
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
      expect(
        await page.getByRole('navigation', { name: 'Screens' }).getByRole('link').allTextContents(),
      ).toEqual(['Overview', 'Ledger', 'Market', 'Admin'])
      await page.getByRole('heading', { name: 'Not found' }).waitFor()
      expect(await page.getByRole('button', { name: /^Refund/ }).count()).toBe(0)
      // Admin holds only what the auditor may read: the audit checkpoint, not operators or keys.
      await page.getByRole('link', { name: 'Admin' }).click()
      await page.getByRole('button', { name: 'Verify' }).waitFor()
      expect(
        await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link').allTextContents(),
      ).toEqual(['Audit'])
      await page.close()
    },
  )
  it.skipIf(!HAS_CHROMIUM)(
    'an analyst works a case from alert to SAR drafted; a second analyst approves the closing',
    { timeout: 180_000 },
    async () => {
      const caseId = await theCase()
      const alice = await enrolledOperator(c, 'alice.analyst@example.com', 'analyst')
      const bob = await enrolledOperator(c, 'bob.analyst@example.com', 'analyst')
      const page = await c.browser.newPage({ viewport: { width: 1200, height: 900 } })
      await signIn(page, c, `/cases/${caseId}`, 'alice.analyst@example.com', alice)
      await page.getByRole('heading', { name: `Case ${caseId}` }).waitFor()

      // The facts: the alerted transactions as a table and as a counterparty graph.
      const txns = page.getByRole('region', { name: 'Transactions' })
      await expect.poll(() => txns.getByRole('row').count()).toBeGreaterThan(1)
      expect(await txns.textContent()).toMatch(/txn_dep\d.*cash_deposit.*cash.*acc_jane.*\d+\.\d\d USD/)
      expect(await page.getByRole('img', { name: /acc_jane: 1 counterparties pay in/ }).count()).toBe(1)

      // Take the case, draft the SAR from its facts, complete the narrative.
      await page.getByRole('button', { name: 'Assign to me' }).click()
      await expect.poll(() => page.getByTestId('case-status').textContent()).toBe('investigating')
      await page.getByRole('button', { name: 'Draft SAR' }).click()
      const why = page.getByLabel('Why it is suspicious')
      await expect.poll(() => why.inputValue()).not.toBe('')
      expect(await page.getByLabel('What instruments and amounts').inputValue()).toContain('USD')
      await why.fill('Three cash deposits just under the reporting threshold on consecutive days.')
      await page.getByRole('button', { name: 'Save draft' }).click()
      await expect.poll(() => page.getByRole('status').textContent()).toBe('Saved as version 2.')

      // The evidence bundle downloads as the API signed it.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download evidence bundle' }).click(),
      ])
      expect(download.suggestedFilename()).toBe(`${caseId}.evidence.json`)
      expect(readFileSync(await download.path(), 'utf8')).toContain(caseId)

      // Propose closing as SAR filed: four eyes, so it waits; the proposer is not offered the decision.
      await page.getByLabel('Outcome').selectOption('sar_filed')
      await page
        .getByLabel('Reason for the decision')
        .fill('Structuring below the CTR threshold; SAR drafted.')
      await page.getByRole('button', { name: 'Propose closing' }).click()
      const pending = page.getByRole('group', { name: 'Pending closing proposal' })
      await pending.waitFor()
      expect(await pending.textContent()).toContain('You proposed it')
      expect(await page.getByRole('button', { name: 'Approve closing' }).count()).toBe(0)
      await page.screenshot({ path: shot('case-work.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('button', { name: 'Sign out' }).click()

      // Bob, the second analyst, approves: the case closes as SAR filed.
      await signIn(page, c, `/cases/${caseId}`, 'bob.analyst@example.com', bob)
      await page.getByRole('button', { name: 'Approve closing' }).click()
      await expect.poll(() => page.getByTestId('case-status').textContent()).toBe('closed (sar_filed)')
      await page.screenshot({ path: shot('case-approved.png'), fullPage: true })
      const view = await c.call('GET', `/v1/cases/${caseId}`)
      expect(view.case).toMatchObject({ status: 'closed', outcome: 'sar_filed' })
      const proposal = (view.proposals as { status: string; proposedBy: string; decidedBy: string }[])[0]!
      expect(proposal.status).toBe('approved')
      expect(proposal.proposedBy).not.toBe(proposal.decidedBy)
      const sar = await c.call('GET', `/v1/cases/${caseId}/sar`)
      expect(sar.version).toBe(2)
      expect((sar.draft as { narrative: { why: string } }).narrative.why).toContain('consecutive days')
      await page.close()
    },
  )
  it.skipIf(!HAS_CHROMIUM)(
    'an admin manages operators, API keys and verifies the audit checkpoint; an analyst is offered no admin screen and the API refuses it',
    { timeout: 180_000 },
    async () => {
      const totp = await enrolledOperator(c, 'ada.admin@example.com', 'admin')
      await enrolledOperator(c, 'dora.lost.phone@example.com', 'analyst')
      const page = await c.browser.newPage({ viewport: { width: 1200, height: 800 } })
      page.on('dialog', (d) => void d.accept())
      await signIn(page, c, '/admin/operators', 'ada.admin@example.com', totp)
      await page.getByRole('heading', { name: 'Operators' }).waitFor()
      await page.getByLabel('Email', { exact: true }).fill('nina.new@example.com')
      await page.getByLabel('Initial password').fill(PASSWORD)
      await page.getByLabel('Role').selectOption('analyst')
      await page.getByRole('button', { name: 'Create operator' }).click()
      await page.getByRole('cell', { name: 'nina.new@example.com', exact: true }).waitFor()
      await page.getByRole('button', { name: 'Unlock nina.new@example.com' }).click()
      await expect.poll(() => page.getByRole('status').textContent()).toBe('nina.new@example.com unlocked.')
      // Dora lost her phone: her factor is reset, so her next sign-in enrols again.
      await page.getByRole('button', { name: 'Reset MFA of dora.lost.phone@example.com' }).click()
      await expect
        .poll(() => page.getByRole('row', { name: /dora\.lost\.phone/ }).textContent())
        .toContain('not enrolled')
      expect(await seriousViolations(page)).toEqual([])
      await page.screenshot({ path: shot('admin-operators.png'), fullPage: true })

      await page.getByRole('link', { name: 'API keys' }).click()
      await page.getByLabel('Key name').fill('reporting')
      await page.getByLabel(/^Scopes/).fill('payments:read ledger:read')
      await page.getByRole('button', { name: 'Create key' }).click()
      const key = (await page.getByTestId('new-key').textContent())!
      expect(
        (await fetch(`${c.url}/v1/payments`, { headers: { authorization: `Bearer ${key}` } })).status,
      ).toBe(200)
      await page.getByRole('button', { name: 'Revoke reporting' }).click()
      await expect
        .poll(
          async () =>
            (await fetch(`${c.url}/v1/payments`, { headers: { authorization: `Bearer ${key}` } })).status,
        )
        .toBe(401)
      expect(await seriousViolations(page)).toEqual([])

      await page.getByRole('link', { name: 'Audit' }).click()
      await page.getByRole('button', { name: 'Verify' }).click()
      await expect.poll(() => page.getByRole('status').textContent()).toMatch(/^Signature valid: \d+ entries/)
      await page.screenshot({ path: shot('admin-audit.png') })
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('button', { name: 'Sign out' }).click()

      // An analyst: no Admin link, the address shows nothing, and the API refuses with the session's token.
      const analyst = await enrolledOperator(c, 'carl.analyst@example.com', 'analyst')
      await signIn(page, c, '/admin/operators', 'carl.analyst@example.com', analyst)
      await page.getByRole('heading', { name: 'Not found' }).waitFor()
      expect(
        await page.getByRole('navigation', { name: 'Screens' }).getByRole('link').allTextContents(),
      ).toEqual(['Overview', 'Cases', 'Payments', 'Ledger', 'Screening', 'Monitoring', 'Market'])
      const session = await page.evaluate(() =>
        (
          globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
        ).sessionStorage.getItem('moneta.session'),
      )
      for (const path of ['/v1/operators', '/v1/api-keys', '/v1/audit/checkpoint'])
        expect(
          (await fetch(`${c.url}${path}`, { headers: { authorization: `Bearer ${session}` } })).status,
        ).toBe(403)
      await page.close()
    },
  )

  it.skipIf(!HAS_CHROMIUM)(
    'the CEL editor shows the validator’s error at its line and column as you type',
    { timeout: 120_000 },
    async () => {
      await theCase() // leaves an active structuring rule set
      const totp = await enrolledOperator(c, 'rita.rules@example.com', 'analyst')
      const page = await c.browser.newPage({ viewport: { width: 1200, height: 900 } })
      await signIn(page, c, '/monitoring', 'rita.rules@example.com', totp)
      const editor = page.getByRole('textbox', { name: /^Condition of / }).first()
      await editor.waitFor()
      await expect.poll(() => page.getByTestId('validation').textContent()).toBe('Valid')
      await editor.fill('txn.amount >= 100 &&\n  txn.currency ==')
      await expect.poll(() => page.getByTestId('validation').textContent()).toBe('1 problem(s)')
      const problem = page.locator('ul.problems li').first()
      expect(await problem.textContent()).toMatch(/^line 2, column 18: /)
      expect(await editor.getAttribute('aria-invalid')).toBe('true')
      await page.screenshot({ path: shot('monitoring-cel.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])
      // Fixed: valid again, and saved as a new draft version that the list then shows.
      await editor.fill('txn.amount >= 100 &&\n  txn.currency == "USD"')
      await expect.poll(() => page.getByTestId('validation').textContent()).toBe('Valid')
      await page.getByRole('button', { name: 'Save as new draft' }).click()
      await expect.poll(() => page.getByRole('cell', { name: 'draft' }).count()).toBeGreaterThan(0)
      await page.close()
    },
  )
})
