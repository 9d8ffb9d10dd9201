import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.js'
import { billingActor as actor, billingBalances, createCustomer } from '../../../test/support/billing.js'
import { describeEachDb } from '../../../test/support/db.js'
import type { PriceInput } from './index.js'

describeEachDb('billing: subscriptions, invoices and the ledger', (target) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(target, { env: { MONETA_BILLING_RUN_INTERVAL_MS: '0' } })
  }, 180_000)
  afterAll(async () => t?.close(), 60_000)

  const d = (s: string) => new Date(s)

  /** A fresh tenant whose test clock starts at `start`, a price, and a customer with a saved visa. */
  async function plan(start: string, priceInput: Omit<PriceInput, 'productId'>) {
    const { tenantId: tenant } = await t.newTenant()
    const b = t.app.services.billing
    await b.scheduler.runTestClock(tenant, d(start), actor)
    const product = await b.catalog.createProduct(tenant, { name: 'Plan' }, actor)
    const price = await b.catalog.createPrice(tenant, { productId: product.id, ...priceInput }, actor)
    const customer = await createCustomer(t.app, tenant)
    await b.paymentMethods.attach(
      tenant,
      customer,
      { gateway: 'sandbox', paymentMethod: 'pm_card_visa' },
      actor,
    )
    return { tenant, b, price, customer }
  }

  it('trial, first renewal charged, revenue recognised over the period, booked in balance', async () => {
    const { tenant, b, price, customer } = await plan('2026-03-01T00:00:00Z', {
      currency: 'USD',
      model: { kind: 'per_unit', unitAmount: 1000n },
      interval: { unit: 'month', count: 1 },
      trialDays: 14,
      taxRateBps: 1000,
    })
    const sub = await b.subscriptions.create(
      tenant,
      { customerId: customer, priceId: price.id, quantity: 3n },
      actor,
    )
    expect(sub.status).toBe('trialing')
    expect(sub.currentPeriodEnd.toISOString()).toBe('2026-03-15T00:00:00.000Z')
    expect(await b.invoices.list(tenant, { subscriptionId: sub.id })).toHaveLength(0)

    const report = await b.scheduler.runTestClock(tenant, d('2026-03-15T00:00:00Z'), actor)
    expect(report).toMatchObject({ renewed: 1, invoices: 1, charges: 1, succeeded: 1 })
    const [inv] = await b.invoices.list(tenant, { subscriptionId: sub.id })
    expect(inv).toMatchObject({ status: 'paid', subtotal: 3000n, tax: 300n, total: 3300n, amountPaid: 3300n })
    expect((await b.subscriptions.get(tenant, sub.id)).status).toBe('active')
    let bal = await billingBalances(t.app, tenant, 'USD')
    expect(bal).toMatchObject({ receivable: 0n, deferred: 3000n, revenue: 0n, tax: 300n, gateway: 3300n })

    // Halfway through a 30-day period (Mar 15 → Apr 15 is 31 days): straight-line share earned.
    await b.scheduler.runTestClock(tenant, d('2026-03-30T12:00:00Z'), actor)
    bal = await billingBalances(t.app, tenant, 'USD')
    expect(bal.revenue).toBe(1500n)
    expect(bal.deferred + bal.revenue).toBe(3000n)

    // A second run over the same time charges nothing again.
    const again = await b.scheduler.run(tenant, d('2026-03-30T12:00:00Z'), actor)
    expect(again).toMatchObject({ renewed: 0, charges: 0, recognized: 0 })
    expect((await t.app.services.ledger.verify(tenant)).ok).toBe(true)
  }, 120_000)

  it('an upgrade mid-period credits the unused part and charges the difference', async () => {
    const { tenant, b, price, customer } = await plan('2026-01-01T00:00:00Z', {
      currency: 'EUR',
      model: { kind: 'per_unit', unitAmount: 3100n },
      interval: { unit: 'month', count: 1 },
    })
    const sub = await b.subscriptions.create(tenant, { customerId: customer, priceId: price.id }, actor)
    // January has 31 days: 3100 a month is 100 a day.
    await b.scheduler.runTestClock(tenant, d('2026-01-11T00:00:00Z'), actor)
    await b.subscriptions.changeQuantity(tenant, sub.id, 2n, actor)
    const invoices = await b.invoices.list(tenant, { subscriptionId: sub.id })
    expect(invoices).toHaveLength(2)
    const update = invoices.find((i) => i.reason === 'subscription_update')!
    // New: 2 seats for 21 days = 4200; credit for the unused 21 days of one seat = 2100.
    expect(update).toMatchObject({ subtotal: 4200n, creditApplied: 2100n, amountDue: 2100n, status: 'paid' })
    const notes = await b.invoices.creditNotes(
      tenant,
      invoices.find((i) => i.reason === 'subscription_create')!.id,
    )
    expect(notes.map((n) => n.amount)).toEqual([2100n])
    await b.scheduler.runTestClock(tenant, d('2026-02-01T00:00:00Z'), actor)
    const bal = await billingBalances(t.app, tenant, 'EUR')
    // Earned: 10 days × 100 + 21 days × 200; the Feb renewal (6200) is deferred; all collected.
    expect(bal.revenue).toBe(1000n + 4200n)
    expect(bal.deferred).toBe(6200n)
    expect(bal.gateway).toBe(3100n + 2100n + 6200n)
    expect(bal).toMatchObject({ receivable: 0n, credit: 0n })
    expect((await t.app.services.ledger.verify(tenant)).ok).toBe(true)
  }, 120_000)

  it('two schedulers racing over the same due subscriptions charge each period once', async () => {
    const { tenant, b, price, customer } = await plan('2026-01-01T00:00:00Z', {
      currency: 'USD',
      model: { kind: 'fixed', amount: 500n },
      interval: { unit: 'day', count: 7 },
      trialDays: 7,
    })
    for (let i = 0; i < 5; i++)
      await b.subscriptions.create(tenant, { customerId: customer, priceId: price.id }, actor)
    const until = d('2026-02-05T00:00:00Z')
    await b.scheduler.runTestClock(tenant, d('2026-01-01T00:00:01Z'), actor)
    const [r1, r2] = await Promise.all([
      b.scheduler.run(tenant, until, actor),
      b.scheduler.run(tenant, until, actor),
    ])
    const charges = await sql<{ n: string; dup: string }>`SELECT count(*)::text AS n,
        (SELECT count(*) FROM (SELECT period_key FROM billing_invoices WHERE tenant_id = ${tenant}
           GROUP BY period_key HAVING count(*) > 1) x)::text AS dup
      FROM billing_payments WHERE tenant_id = ${tenant}`.execute(t.app.services.db.db)
    // Jan 8, 15, 22, 29, Feb 5: five periods for each of five subscriptions.
    expect(Number(charges.rows[0]!.n)).toBe(25)
    expect(charges.rows[0]!.dup).toBe('0')
    expect(r1.charges + r2.charges).toBe(25)
    expect((await billingBalances(t.app, tenant, 'USD')).gateway).toBe(25n * 500n)
  }, 120_000)
})
