import { describe, expect, it } from 'vitest'
import { HAS_CHROMIUM, consoleFixture, enrolledOperator, seriousViolations, shot, signIn } from './harness.js'

/**
 * The payments screen in Chromium: an operator finds a payment by search, refunds part of it and sees the
 * refund's ledger postings (with each account's balance after) on the payment's timeline; a manual-capture
 * payment is captured, another canceled; the list's order and page live in the URL.
 */
describe('console payments screen in Chromium', () => {
  const fixture = consoleFixture()

  it.skipIf(!HAS_CHROMIUM)(
    'an operator searches, refunds a payment and sees the ledger postings; captures and cancels others',
    { timeout: 180_000 },
    async () => {
      const c = fixture()
      const paid = await c.call('POST', '/v1/payments', {
        amount: '2500',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
        customer: 'cus_refund_me',
      })
      const held = await c.call('POST', '/v1/payments', {
        amount: '1800',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
        capture: 'manual',
        customer: 'cus_capture_me',
      })
      const dropped = await c.call('POST', '/v1/payments', {
        amount: '900',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
        capture: 'manual',
        customer: 'cus_cancel_me',
      })
      expect([paid.status, held.status, dropped.status]).toEqual([
        'succeeded',
        'requires_capture',
        'requires_capture',
      ])
      const totp = await enrolledOperator(c, 'olga.ops@example.com', 'operator')
      const page = await c.browser.newPage({ viewport: { width: 1280, height: 900 } })
      await signIn(page, c, '/payments', 'olga.ops@example.com', totp)

      // Newest first by default; the order flips through the URL.
      const rows = page.getByRole('table').getByRole('row')
      await expect.poll(() => rows.nth(1).textContent()).toContain(String(dropped.id))
      await page.getByRole('link', { name: /^Created/ }).click()
      await expect.poll(() => page.url()).toContain('order=asc')
      await expect.poll(() => rows.nth(1).textContent()).toContain(String(paid.id))
      await page.screenshot({ path: shot('payments.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])
      // Sorted by amount on the server, largest first, then flipped: the sort is in the URL too.
      await page.getByRole('link', { name: /^Amount/ }).click()
      await expect.poll(() => page.url()).toContain('sort=amount')
      await expect.poll(() => rows.nth(1).textContent()).toContain(String(paid.id))
      await page.getByRole('link', { name: /^Amount/ }).click()
      await expect.poll(() => page.url()).toMatch(/sort=amount.*order=asc|order=asc.*sort=amount/)
      await expect.poll(() => rows.nth(1).textContent()).toContain(String(dropped.id))
      await expect
        .poll(() => page.getByRole('columnheader', { name: /^Amount/ }).getAttribute('aria-sort'))
        .toBe('ascending')

      // Search by customer (the indexer follows the outbox, so the hit may take a moment).
      await expect
        .poll(
          async () => {
            await page.goto(`${c.url}/console/payments?q=cus_refund_me`)
            await page
              .getByRole('table')
              .getByText(/payment\(s\) match/)
              .waitFor()
            return page.getByRole('link', { name: String(paid.id) }).count()
          },
          { timeout: 60_000, interval: 500 },
        )
        .toBe(1)
      await page.getByRole('link', { name: String(paid.id) }).click()
      await page.getByRole('heading', { name: `Payment ${String(paid.id)}` }).waitFor()
      // Before the refund: the capture's posting is on the timeline.
      await page
        .getByRole('table', { name: /^Ledger entries of / })
        .first()
        .waitFor()

      await page.getByRole('button', { name: 'Refund' }).click()
      await page.getByLabel(/Amount in minor units/).fill('700')
      await page.getByLabel('Reason').fill('damaged in transit')
      await page.getByRole('button', { name: 'Confirm refund' }).click()
      await expect.poll(() => page.getByRole('status').textContent()).toMatch(/of 7\.00 USD: succeeded/)
      await expect.poll(() => page.getByTestId('payment-refunded').textContent()).toBe('7.00 USD')
      // The refund's ledger posting: merchant balance debited, gateway receivable credited, 7.00 each.
      const refundPosting = page.locator('li.tl-ledger_posting', { hasText: 'refund' })
      await refundPosting.waitFor({ timeout: 30_000 })
      const entries = refundPosting.getByRole('table')
      await expect.poll(() => entries.getByRole('row').count()).toBe(3)
      expect(await entries.getByRole('row', { name: /pay\.merchant\.USD/ }).textContent()).toMatch(
        /debit.*7\.00 USD/,
      )
      expect(await entries.getByRole('row', { name: /pay\.gateway\./ }).textContent()).toMatch(
        /credit.*7\.00 USD/,
      )
      expect(await page.locator('li.tl-state', { hasText: 'refund.succeeded' }).count()).toBe(1)
      expect(await page.locator('li.tl-gateway_call').count()).toBeGreaterThan(0)
      await page.screenshot({ path: shot('payment-timeline.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])
      const refunds = await c.call('GET', `/v1/payments/${String(paid.id)}/refunds`)
      expect((refunds.items as unknown[]).length).toBe(1)

      // Capture part of the held payment, then cancel the other.
      await page.goto(`${c.url}/console/payments/${String(held.id)}`)
      await page.getByRole('button', { name: 'Capture' }).click()
      await page.getByLabel(/Amount in minor units/).fill('1500')
      await page.getByRole('button', { name: 'Confirm capture' }).click()
      await expect.poll(() => page.getByTestId('payment-status').textContent()).toBe('succeeded')
      expect((await c.call('GET', `/v1/payments/${String(held.id)}`)).amountCaptured).toBe('1500')
      await page.goto(`${c.url}/console/payments/${String(dropped.id)}`)
      await page.getByRole('button', { name: 'Cancel' }).click()
      await page.getByRole('button', { name: 'Confirm cancel' }).click()
      await expect.poll(() => page.getByTestId('payment-status').textContent()).toBe('canceled')
      await page.close()
    },
  )
})
