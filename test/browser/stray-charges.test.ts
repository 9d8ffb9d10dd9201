import { describe, expect, it } from 'vitest'
import { makeStrayCharge } from '../support/stray-charges.js'
import {
  HAS_CHROMIUM,
  consoleFixture,
  enrolledOperator,
  seriousViolations,
  signIn,
  type Console,
} from './harness.js'

/** A stray charge in the console's app; see makeStrayCharge. */
function strayCharge(c: Console, amount: string, refundedElsewhere: boolean) {
  return makeStrayCharge(c.t, BigInt(amount), refundedElsewhere)
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
 * section. Once refunded at the gateway by hand, the operator marks the failed charge reversed: a blank
 * note is refused with its code, a proper one empties the work list and shows under Reversed and on the
 * payment, with who did it.
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

      const { paymentId: failed, chargeRef, refundedByHand } = await strayCharge(c, '1500', true)
      const { paymentId: reversed } = await strayCharge(c, '2750', false)
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
      // An operator may write payments, so the payment's section offers the resolution too.
      expect(await section.getByRole('button', { name: /^Mark reversed by hand/ }).count()).toBe(1)
      expect(await seriousViolations(page)).toEqual([])

      // A payment with no stray charge has no such section once its list has answered.
      const answered = page.waitForResponse((r) =>
        r.url().endsWith(`/v1/payments/${String(plain.id)}/stray-charges`),
      )
      await page.goto(`${c.url}/console/payments/${String(plain.id)}`)
      expect((await answered).status()).toBe(200)
      await page.getByTestId('payment-status').waitFor()
      expect(await page.getByRole('heading', { name: 'Stray charges' }).count()).toBe(0)

      // Refunded at the gateway by hand (the dashboard refund makeStrayCharge made): the operator says so.
      const posted: string[] = []
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith('/resolve')) posted.push(r.url())
      })
      await page.goto(`${c.url}/console/payments/stray-charges`)
      await expect.poll(() => rows.count()).toBe(2)
      await rows
        .nth(1)
        .getByRole('button', { name: `Mark reversed by hand: ${chargeRef}` })
        .click()
      const form = page.getByRole('form', { name: `Mark ${chargeRef} reversed by hand` })
      await form.waitFor()
      expect(await seriousViolations(page)).toEqual([])
      // Empty, the browser holds it back (a choice and a note are required): nothing reaches the API.
      const submit = form.getByRole('button', { name: 'Mark reversed', exact: true })
      await submit.click()
      expect(await form.locator('textarea[name=note]:invalid').count()).toBe(1)
      expect(await form.locator('select[name=reversal]:invalid').count()).toBe(1)
      expect(posted).toEqual([])
      // A note of spaces passes the browser; the API refuses it, and its code is shown.
      await form.getByLabel('Done at sandbox').selectOption('refunded')
      await form.getByLabel('Gateway refund or void id').fill(refundedByHand!)
      await form.getByLabel('Note').fill('   ')
      await submit.click()
      await expect.poll(() => form.getByRole('alert').textContent()).toContain('(INVALID_NOTE)')
      expect(posted).toHaveLength(1)
      expect(await seriousViolations(page)).toEqual([])

      const note = 'Refunded in the sandbox dashboard before the sweeper tried.'
      await form.getByLabel('Note').fill(note)
      // The fee the gateway kept, as read off its dashboard: not an amount stays in the browser.
      const fee = form.getByLabel('Fee the gateway kept (USD, optional)')
      await fee.fill('45 cents')
      await submit.click()
      await expect.poll(() => form.getByRole('alert').textContent()).toContain('Fee: write an amount')
      expect(posted).toHaveLength(1)
      await fee.fill('0.45')
      await submit.click()
      await page.getByText('Nothing to act on').waitFor()
      expect(await page.getByRole('status').textContent()).toContain(`${chargeRef} of payment ${failed}`)
      const { items } = (await c.call('GET', `/v1/payments/${failed}/stray-charges`)) as {
        items: {
          status: string
          reversal: string
          reversalRef: string
          reversalFee: string
          note: string
          resolvedBy: string
        }[]
      }
      expect(items).toEqual([
        expect.objectContaining({
          status: 'reversed',
          reversal: 'refunded',
          reversalRef: refundedByHand,
          reversalFee: '45',
          note,
        }),
      ])
      const by = items[0]!.resolvedBy
      expect(by).toMatch(/^operator:/)

      // Under Reversed, with the sweeper's own: the one reversed by hand says how, and who did it.
      await page.getByRole('link', { name: 'Reversed', exact: true }).click()
      await expect.poll(() => rows.count()).toBe(3)
      const byHand = await rows.nth(2).textContent()
      expect(byHand).toContain(failed)
      expect(byHand).toMatch(/15\.00 USD.*reversed.*capture refunded/)
      expect(byHand).toContain(refundedByHand)
      expect(byHand).toContain('fee kept 0.45 USD')
      expect(byHand).toContain(`by hand: ${note} (${by})`)
      expect(await rows.nth(1).textContent()).not.toContain('by hand')
      expect(await page.getByRole('button', { name: /^Mark reversed by hand/ }).count()).toBe(0)
      expect(await seriousViolations(page)).toEqual([])

      // The payment's section says the same, with nothing left to do.
      await page.getByRole('link', { name: failed }).click()
      await page.getByRole('heading', { name: `Payment ${failed}` }).waitFor()
      await expect.poll(() => section.getByRole('row').nth(1).textContent()).toContain(`by hand: ${note}`)
      expect(await section.getByRole('button', { name: /^Mark reversed by hand/ }).count()).toBe(0)
      await page.close()
    },
  )
})
