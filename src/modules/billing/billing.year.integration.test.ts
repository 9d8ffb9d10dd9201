/**
 * A year of one subscription on the test clock (issue 21): a trial, an upgrade with proration, a card
 * that starts declining, a failed renewal recovered on day 3 by a new card, a cancellation at period
 * end — with the ledger's balances checked at each step and against the invoices at the end.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.js'
import { billingActor as actor, billingBalances, createCustomer } from '../../../test/support/billing.js'
import { describeEachDb } from '../../../test/support/db.js'
import { catalogue, saveCard } from './test-support/fixtures.js'

describeEachDb('billing: a year on the test clock', (target) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(target, { env: { MONETA_BILLING_RUN_INTERVAL_MS: '0' } })
  }, 180_000)
  afterAll(async () => t?.close(), 60_000)

  it('trial → upgrade → failed renewal recovered on day 3 → cancellation, every balance accounted for', async () => {
    const tenant = t.tenantId
    const b = t.app.services.billing
    const db = t.app.services.db.db
    const run = (at: string) => b.scheduler.runTestClock(tenant, new Date(at), actor)
    const balances = () => billingBalances(t.app, tenant, 'USD')

    const { price } = await catalogue(b, tenant, actor, {
      clockAt: new Date('2026-01-01T00:00:00Z'),
      productName: 'Advisory',
      price: {
        currency: 'USD',
        model: { kind: 'per_unit', unitAmount: 1000n },
        interval: { unit: 'month', count: 1 },
        trialDays: 14,
        taxRateBps: 1000,
      },
    })
    const customer = await createCustomer(t.app, tenant, 'Grace Hopper')
    // Works for three months from saving (until Apr 1), then declines for insufficient funds.
    await saveCard(b, tenant, customer, actor, 'pm_card_declines_later')
    const sub = await b.subscriptions.create(tenant, { customerId: customer, priceId: price.id }, actor)
    expect(sub.status).toBe('trialing')

    // Trial ends Jan 15: the first invoice (1000 + 100 tax) is paid.
    await run('2026-01-15T00:00:00Z')
    expect(await balances()).toMatchObject({
      receivable: 0n,
      deferred: 1000n,
      tax: 100n,
      gateway: 1100n,
      revenue: 0n,
    })

    // Feb 1, 14 of the period's 31 days left: upgrade to 3 seats.
    await run('2026-02-01T00:00:00Z')
    await b.subscriptions.changeQuantity(tenant, sub.id, 3n, actor)
    const upgrade = (await b.invoices.list(tenant, { subscriptionId: sub.id })).find(
      (i) => i.reason === 'subscription_update',
    )!
    // New: 3000 × 14/31 = 1355 (+136 tax); credit: 1000 × 14/31 = 452 (+45 tax) → 994 charged.
    expect(upgrade).toMatchObject({
      subtotal: 1355n,
      tax: 136n,
      creditApplied: 497n,
      amountDue: 994n,
      status: 'paid',
    })
    let bal = await balances()
    expect(bal.receivable).toBe(0n)
    expect(bal.revenue).toBe(548n) // 17 days of one seat, earned before the upgrade
    expect(bal.deferred).toBe(1355n)

    // Feb 15 and Mar 15 renew at 3 seats; Apr 15 declines (the card declines from Apr 1).
    await run('2026-04-15T00:00:00Z')
    expect((await b.subscriptions.get(tenant, sub.id)).status).toBe('past_due')
    bal = await balances()
    expect(bal.receivable).toBe(3300n)
    // Day 1 retry fails too.
    const day1 = await run('2026-04-16T00:00:00Z')
    expect(day1).toMatchObject({ charges: 1, failed: 1 })
    // Day 3: the scheduled retry fails again, then the customer saves a new card: paid at once.
    expect(await run('2026-04-18T00:00:00Z')).toMatchObject({ charges: 1, failed: 1 })
    const { recovery } = await b.paymentMethods.attach(
      tenant,
      customer,
      { gateway: 'sandbox', paymentMethod: 'pm_card_visa' },
      actor,
    )
    expect(recovery).toMatchObject({ attempted: 1, succeeded: 1 })
    expect((await b.subscriptions.get(tenant, sub.id)).status).toBe('active')
    expect((await balances()).receivable).toBe(0n)

    // Oct 20: cancel at period end (Nov 15); nothing renews after.
    await run('2026-10-20T00:00:00Z')
    await b.subscriptions.cancel(tenant, sub.id, { atPeriodEnd: true }, actor)
    await run('2027-01-01T00:00:00Z')
    const ended = await b.subscriptions.get(tenant, sub.id)
    expect(ended).toMatchObject({ status: 'canceled', nextRunAt: null })
    expect(ended.canceledAt?.toISOString()).toBe('2026-11-15T00:00:00.000Z')

    // The books: every invoice paid, all revenue earned, tax net of credit notes, nothing deferred or owed.
    const invoices = await b.invoices.list(tenant, { subscriptionId: sub.id })
    // Jan 15 + upgrade + Feb 15 … Oct 15 (9 renewals at 3 seats).
    expect(invoices).toHaveLength(11)
    expect(invoices.every((i) => i.status === 'paid')).toBe(true)
    const paid = invoices.reduce((s, i) => s + i.amountPaid, 0n)
    const credited = (await Promise.all(invoices.map((i) => b.invoices.creditNotes(tenant, i.id)))).flat()
    expect(credited).toHaveLength(1)
    const creditTax = credited.reduce((s, n) => s + n.tax, 0n)
    const creditNet = credited.reduce((s, n) => s + n.amount, 0n)
    const subtotal = invoices.reduce((s, i) => s + i.subtotal, 0n)
    const tax = invoices.reduce((s, i) => s + i.tax, 0n)
    bal = await balances()
    expect(bal).toMatchObject({ receivable: 0n, deferred: 0n, credit: 0n, badDebt: 0n })
    expect(bal.gateway).toBe(paid)
    expect(bal.revenue).toBe(subtotal - creditNet)
    expect(bal.tax).toBe(tax - creditTax)
    expect(bal.revenue + bal.tax).toBe(bal.gateway)
    // 1000 + (1355 + 9 × 3000) − 452 net; 10 % tax on each invoice less the credit note's.
    expect(bal.revenue).toBe(1000n + 1355n + 27_000n - 452n)

    // Each attempt is in the audit intake or log and the events went out in the same transactions.
    const topics = await sql<{ topic: string; n: string }>`SELECT topic, count(*)::text AS n FROM event_outbox
      WHERE tenant_id = ${tenant} AND topic LIKE 'billing.%' GROUP BY topic`.execute(db)
    const count = (topic: string) => Number(topics.rows.find((r) => r.topic === topic)?.n ?? 0)
    expect(count('billing.invoice.payment_failed.v1')).toBe(3)
    expect(count('billing.subscription.past_due.v1')).toBe(1)
    expect(count('billing.subscription.recovered.v1')).toBe(1)
    expect(count('billing.subscription.canceled.v1')).toBe(1)
    expect(count('billing.invoice.paid.v1')).toBe(11)
    expect((await t.app.services.ledger.verify(tenant)).ok).toBe(true)
  }, 180_000)
})
