import { describe, expect, it } from 'vitest'
import {
  HAS_CHROMIUM,
  PASSWORD,
  consoleFixture,
  enrolledOperator,
  seriousViolations,
  shot,
  signIn,
} from './harness.js'

const SDN_1 = [
  '7157,"ABU SAYYAF, Khalid","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 04 Apr 1962; nationality Philippines."',
  '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
  '501,"MARLOWE, Piet","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 01 Jan 1970."',
].join('\r\n')
// The next day's list: one entry removed, one changed (date of birth), one added.
const SDN_2 = [
  '7157,"ABU SAYYAF, Khalid","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 05 Apr 1962; nationality Philippines."',
  '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
  '902,"ORLOV, Ivan","individual","UKRAINE-EO13661",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 02 Feb 1975."',
].join('\r\n')

/**
 * The screens beyond case work and payments, in Chromium: Overview charts, the Ledger explorer (balances
 * now and as of a day, the balance chart, entries with the balance after each, a transaction's legs,
 * verify), Screening (check a name, a snapshot's diff, the false-positive memory), Market (an alert pushed
 * live over SSE), the webhook log; an axe-core scan and a screenshot of each; and the idle-timeout warning.
 */
describe('console screens in Chromium', () => {
  const fixture = consoleFixture()

  it.skipIf(!HAS_CHROMIUM)(
    'an admin walks every screen: overview, ledger, screening, market, webhooks — each passes axe',
    { timeout: 240_000 },
    async () => {
      const c = fixture()
      const screening = c.t.app.services.screening
      const sdn = (csv: string) => ({ name: 'sdn', files: new Map([['sdn.csv', Buffer.from(csv)]]) })
      await screening.importList(c.t.tenantId, sdn(SDN_1))
      await screening.importList(c.t.tenantId, sdn(SDN_2))
      await c.call('POST', '/v1/screening/check', { name: 'Khalid Abu Sayyaf', subjectId: 'cus_khalid' })
      await c
        .call('POST', '/v1/screening/decisions', {
          subjectId: 'cus_khalid',
          listId: 'ofac_sdn',
          entryKey: '7157',
          decision: 'not_a_match',
          reason: 'Our customer was born in 1990; different person.',
        })
        .catch(() => undefined)
      for (const [amount, customer] of [
        ['2500', 'cus_a'],
        ['4100', 'cus_b'],
        ['990', 'cus_c'],
      ] as const)
        await c.call('POST', '/v1/payments', {
          amount,
          currency: 'USD',
          paymentMethod: 'pm_card_visa',
          customer,
        })
      await c.call('POST', '/v1/market/rules', {
        instrument: 'ACME',
        kind: 'price_cross',
        level: '101',
        direction: 'up',
      })

      const totp = await enrolledOperator(c, 'eva.everything@example.com', 'admin')
      const page = await c.browser.newPage({ viewport: { width: 1280, height: 900 } })
      await signIn(page, c, '/overview', 'eva.everything@example.com', totp)

      // Overview: every panel's chart is drawn from the aggregate routes.
      await page.getByRole('img', { name: 'Payments per day' }).waitFor()
      await expect
        .poll(() => page.getByRole('table', { name: /Captures, refunds/ }).textContent())
        .toContain('3')
      await page.getByRole('img', { name: /Posted debits per currency/ }).waitFor()
      await page.getByRole('img', { name: /Open cases by age/ }).waitFor()
      await page.getByTestId('pipeline-lag').waitFor()
      await expect
        .poll(() => page.getByRole('region', { name: /list snapshot age/ }).textContent())
        .toContain('ofac_sdn')
      await page.screenshot({ path: shot('overview.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])

      // Ledger: the merchant account, its balance now and as of a day before, chart, entries, a transaction.
      await page.getByRole('link', { name: 'Ledger', exact: true }).click()
      await page.getByRole('link', { name: 'pay.merchant.USD' }).click()
      await expect.poll(() => page.getByTestId('balance-now').textContent()).toBe('75.90 USD')
      await page.getByRole('img', { name: /Posted balance of pay\.merchant\.USD/ }).waitFor()
      // Time runs left to right: the balance grew, so the line ends higher (smaller SVG y) than it starts.
      const d = (await page.locator('svg.chart path').getAttribute('d'))!
      const ys = [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]))
      expect(ys.at(-1)!).toBeLessThan(ys[0]!)
      const entries = page.getByRole('table', { name: 'Entries' })
      await expect.poll(() => entries.getByRole('row').count()).toBeGreaterThan(3)
      // The newest entry first, its balance after is the balance now.
      expect(await entries.getByRole('row').nth(1).textContent()).toContain('75.90 USD')
      await page.screenshot({ path: shot('ledger-account.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
      await page.getByLabel(/As of/).fill(yesterday)
      await page.getByRole('button', { name: 'Show balance' }).click()
      await expect.poll(() => page.getByTestId('balance-as-of').textContent()).toMatch(/^Posted 0\.00 USD/)
      expect(page.url()).toContain(`at=${yesterday}`)
      await entries.getByRole('row').nth(1).getByRole('link').click()
      await page.getByRole('heading', { name: /^Transaction / }).waitFor()
      await expect
        .poll(() => page.getByRole('table', { name: 'Legs' }).getByRole('row').count())
        .toBeGreaterThan(1)
      expect(await page.getByRole('table', { name: 'Entries' }).textContent()).toContain('pay.merchant.USD')
      await page.screenshot({ path: shot('ledger-transaction.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('link', { name: '← Ledger' }).click()
      await page.getByRole('button', { name: 'Verify the ledger' }).click()
      await expect.poll(() => page.getByTestId('verify-result').textContent()).toMatch(/^Ledger verified/)
      await page.screenshot({ path: shot('ledger.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])

      // Screening: check a name, the second snapshot's diff, the false-positive memory.
      await page.getByRole('link', { name: 'Screening', exact: true }).click()
      await page.getByLabel('Name', { exact: true }).fill('Ivan Orlov')
      await page.getByRole('button', { name: 'Check' }).click()
      await expect
        .poll(() => page.getByRole('table', { name: 'Screening results' }).textContent())
        .toContain('902')
      await expect
        .poll(() => page.getByRole('table', { name: 'False-positive memory' }).textContent())
        .toContain('not a match')
      await page.screenshot({ path: shot('screening.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])
      const snapshots = page.getByRole('table', { name: 'List snapshots' })
      await snapshots.getByRole('row').nth(1).getByRole('link').click()
      const diff = page.getByRole('table', { name: /^Snapshot / })
      await expect.poll(() => diff.getByRole('row').count()).toBe(4)
      expect(await diff.locator('tr.change-added').textContent()).toContain('ORLOV')
      expect(await diff.locator('tr.change-removed').textContent()).toContain('501')
      expect(await diff.locator('tr.change-changed').textContent()).toMatch(/dobs: 1962-04-04.*→.*1962-04-05/)
      await page.screenshot({ path: shot('screening-diff.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])

      // Market: a tick crossing the rule's level shows up live.
      await page.getByRole('link', { name: 'Market', exact: true }).click()
      await expect
        .poll(() => page.getByTestId('stream-state').textContent(), { timeout: 30_000 })
        .toMatch(/^Live/)
      await c.call('POST', '/v1/market/ticks', {
        ticks: [100, 100.5, 102].map((p, i) => ({
          instrument: 'ACME',
          price: String(p),
          volume: 10,
          ts: Date.now() + i,
        })),
      })
      await expect
        .poll(() => page.getByRole('table', { name: 'Market alerts' }).textContent(), { timeout: 30_000 })
        .toContain('ACME')
      await page.screenshot({ path: shot('market.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])

      // The admin's webhook section (the operators, keys and audit sections are scanned in console.test.ts).
      await page.getByRole('link', { name: 'Admin', exact: true }).click()
      await page.getByRole('link', { name: 'Webhooks' }).click()
      await page
        .getByRole('heading', { name: /Webhook/ })
        .first()
        .waitFor()
      expect(await seriousViolations(page)).toEqual([])
      await page.close()
    },
  )

  it.skipIf(!HAS_CHROMIUM)(
    'warns before the idle timeout, stays signed in on request, signs the tab out at the limit',
    { timeout: 120_000 },
    async () => {
      const c = fixture()
      await c.call('POST', '/v1/operators', {
        email: 'ian.idle@example.com',
        password: PASSWORD,
        role: 'auditor',
      })
      const page = await c.browser.newPage()
      // A controlled clock: the page's timers and Date move only when the test says, so no real waiting.
      await page.clock.install()
      await page.goto(`${c.url}/console/ledger`)
      await page.getByLabel('Email').fill('ian.idle@example.com')
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
      const session = (await c.call('GET', '/v1/auth/session', undefined, await tokenOf(page))) as {
        idleTimeoutSeconds: number
      }
      const idleMs = session.idleTimeoutSeconds * 1000
      expect(idleMs).toBeGreaterThan(60_000)
      await page.clock.fastForward(idleMs - 50_000)
      const warning = page.getByRole('alertdialog')
      await expect.poll(() => warning.textContent()).toMatch(/You will be signed out in \d+ s/)
      await page.screenshot({ path: shot('idle-warning.png') })
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('button', { name: 'Stay signed in' }).click()
      await expect.poll(() => warning.count()).toBe(0)
      // Then nothing more: at the limit the tab signs itself out.
      await page.clock.fastForward(idleMs + 2_000)
      await page.getByRole('button', { name: 'Sign in' }).waitFor()
      await page.close()
    },
  )
})

const tokenOf = (page: import('playwright-core').Page): Promise<string> =>
  page.evaluate(
    () =>
      (
        globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
      ).sessionStorage.getItem('moneta.session') ?? '',
  )
