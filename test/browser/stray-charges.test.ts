import { describe, expect, it } from 'vitest'
import { asSandbox } from '../../src/modules/payments/index.js'
import {
  HAS_CHROMIUM,
  consoleFixture,
  enrolledOperator,
  seriousViolations,
  signIn,
  type Console,
} from './harness.js'

/**
 * A stray charge (ADR 0506) made the way it happens: a payment is canceled before it was ever sent, then
 * a request for it reaches the sandbox after all and is charged. The sandbox's events about it are
 * applied through the same service call the webhook inbox makes (this app has no sandbox webhook secret,
 * so its signed endpoint is not open), and the sweeper reverses the charge. `refundedElsewhere` first
 * refunds it at the gateway by another hand (the vendor's dashboard): the sweeper's own refund is then
 * refused and the charge is left failed, for an operator.
 */
async function strayCharge(c: Console, amount: string, refundedElsewhere: boolean): Promise<string> {
  const payment = await c.call('POST', '/v1/payments', {
    amount,
    currency: 'USD',
    paymentMethod: 'pm_card_visa',
    confirm: false,
  })
  const id = String(payment.id)
  expect((await c.call('POST', `/v1/payments/${id}/cancel`, {})).status).toBe('canceled')
  const { payments, db } = c.t.app.services
  const sandbox = asSandbox(payments.gateways.get('sandbox'))!
  const charge = await sandbox.authorize({
    paymentId: id,
    tenantId: c.t.tenantId,
    amount: BigInt(amount),
    currency: 'USD',
    paymentMethod: 'pm_card_visa',
    capture: 'automatic',
    idempotencyKey: `late-${id}`,
  })
  if (refundedElsewhere) await sandbox.refund(charge.gatewayRef, BigInt(amount), 'USD', `dashboard-${id}`)
  for (const e of sandbox.events.filter((x) => x.paymentId === id && x.type.startsWith('payment.')))
    await db.db
      .transaction()
      .execute((tx) => payments.webhooks.applyGatewayEvent(c.t.tenantId, 'sandbox', e, { tx }))
  return id
}

/** The stray charges' statuses once the sweeper (this call's, or the app's own worker) has settled them. */
async function settled(c: Console, ids: readonly string[]): Promise<string[]> {
  await c.t.app.services.payments.sweeper.sweep()
  const statuses: string[] = []
  for (const id of ids) {
    const { items } = (await c.call('GET', `/v1/payments/${id}/stray-charges`)) as {
      items: { status: string }[]
    }
    statuses.push(items.map((s) => s.status).join())
  }
  return statuses
}

/**
 * The stray-charges screen in Chromium: empty, it says there is nothing to act on; an operator opens it
 * from Payments, sees the charge whose reversal failed (the default filter), filters by status, and
 * follows the link to the payment, whose screen lists the charge; a payment without one shows no such
 * section.
 */
describe('console stray charges screen in Chromium', () => {
  const fixture = consoleFixture()

  it.skipIf(!HAS_CHROMIUM)(
    'an operator finds the failed stray charge, filters by status and opens its payment',
    { timeout: 180_000 },
    async () => {
      const c = fixture()
      const plain = await c.call('POST', '/v1/payments', {
        amount: '990',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
      })
      const totp = await enrolledOperator(c, 'sam.stray@example.com', 'operator')
      const page = await c.browser.newPage({ viewport: { width: 1280, height: 900 } })
      // The screen's own address; before any stray charge there is nothing to act on.
      await signIn(page, c, '/payments/stray-charges', 'sam.stray@example.com', totp)
      await page.getByText('Nothing to act on').waitFor()

      const failed = await strayCharge(c, '1500', true)
      const reversed = await strayCharge(c, '2750', false)
      await expect
        .poll(() => settled(c, [failed, reversed]), { timeout: 30_000 })
        .toEqual(['failed', 'reversed'])

      // Reached from Payments.
      await page.getByRole('link', { name: 'All payments' }).click()
      await page.getByRole('heading', { name: 'Payments', exact: true }).waitFor()
      await page.getByRole('link', { name: 'Stray charges' }).click()
      await page.getByRole('heading', { name: 'Stray charges' }).waitFor()
      expect(page.url()).toBe(`${c.url}/console/payments/stray-charges`)

      // Failed by default: only the charge an operator must reverse by hand, with the gateway's answer.
      const rows = page.getByRole('table').getByRole('row')
      await expect.poll(() => rows.count()).toBe(2)
      const failedRow = await rows.nth(1).textContent()
      expect(failedRow).toContain(failed)
      expect(failedRow).toContain('15.00 USD')
      expect(failedRow).toContain('failed')
      expect(failedRow).toContain('exceeds what is left')
      expect(await seriousViolations(page)).toEqual([])

      await page.getByRole('link', { name: 'Reversed', exact: true }).click()
      await expect.poll(() => page.url()).toContain('status=reversed')
      await expect.poll(() => rows.nth(1).textContent()).toContain(reversed)
      expect(await rows.count()).toBe(2)
      expect(await rows.nth(1).textContent()).toMatch(/27\.50 USD.*reversed.*capture refunded/)

      await page.getByRole('link', { name: 'Pending', exact: true }).click()
      await page.getByText('Nothing pending').waitFor()
      expect(await page.getByRole('table').count()).toBe(0)

      await page.getByRole('link', { name: 'All statuses' }).click()
      await expect.poll(() => rows.count()).toBe(3)
      // Newest first.
      expect(await rows.nth(1).textContent()).toContain(reversed)
      expect(await rows.nth(2).textContent()).toContain(failed)

      // Back to the default filter; the payment's link opens its screen, which lists the charge.
      await page.getByRole('link', { name: 'Failed', exact: true }).click()
      await expect.poll(() => page.url()).toBe(`${c.url}/console/payments/stray-charges`)
      await page.getByRole('link', { name: failed }).click()
      await page.getByRole('heading', { name: `Payment ${failed}` }).waitFor()
      expect(await page.getByTestId('payment-status').textContent()).toBe('canceled')
      const section = page.getByRole('table', { name: /^Charged at a gateway this payment is not booked at/ })
      await expect.poll(() => section.getByRole('row').count()).toBe(2)
      expect(await section.getByRole('row').nth(1).textContent()).toMatch(/15\.00 USD.*failed/)
      expect(await section.getByRole('columnheader', { name: 'Payment' }).count()).toBe(0)
      expect(await seriousViolations(page)).toEqual([])

      // A payment with no stray charge has no such section once its list has answered.
      const answered = page.waitForResponse((r) =>
        r.url().endsWith(`/v1/payments/${String(plain.id)}/stray-charges`),
      )
      await page.goto(`${c.url}/console/payments/${String(plain.id)}`)
      expect((await answered).status()).toBe(200)
      await page.getByTestId('payment-status').waitFor()
      expect(await page.getByRole('heading', { name: 'Stray charges' }).count()).toBe(0)
      await page.close()
    },
  )
})
