/**
 * Crash safety (issue 21): a process claims a renewal's charge (the pending row commits), sends it to
 * the gateway, and stops before recording the outcome. The next run — another process — resends the
 * charge under the SAME idempotency key, so the gateway answers with the first charge; the invoice
 * is paid once, the ledger books one payment, and the stopped process's late answer (if it ever
 * comes) changes nothing.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.js'
import { billingActor as actor, billingBalances, createCustomer } from '../../../test/support/billing.js'
import { describeEachDb } from '../../../test/support/db.js'
import {
  createSandboxSavedMethods,
  type OffSessionChargeInput,
  type OffSessionOutcome,
  type SavedMethodsGateway,
} from '../payments/index.js'
import { createBilling, type BillingDeps } from './index.js'
import { catalogue, saveCard } from './test-support/fixtures.js'

describeEachDb('billing: a charge pending at a crash', (target) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(target, { env: { MONETA_BILLING_RUN_INTERVAL_MS: '0' } })
  }, 180_000)
  afterAll(async () => t?.close(), 60_000)

  /** Billing as another process would build it, over the same database, with its own gateway. */
  function processWith(gateway: SavedMethodsGateway, resendAfterMs: number) {
    const s = t.app.services
    const deps: BillingDeps = {
      db: s.db.db,
      clock: s.clock,
      ids: s.ids,
      ledger: s.ledger,
      outbox: s.events.outbox,
      audit: s.audit,
      fieldCipher: s.crypto.fieldCipher,
      gateways: [gateway],
      customers: { exists: () => Promise.resolve(true) },
      resendAfterMs,
    }
    return createBilling(deps)
  }

  it('resends the pending charge under the same key: one charge at the gateway, one payment booked', async () => {
    const { tenantId: tenant } = await t.newTenant()
    const sandbox = createSandboxSavedMethods({ clock: t.app.services.clock })
    const calls: { key: string; outcome: OffSessionOutcome }[] = []
    const counting = (onCharged?: () => Promise<never>): SavedMethodsGateway => ({
      ...sandbox,
      async charge(input: OffSessionChargeInput) {
        const outcome = await sandbox.charge(input)
        calls.push({ key: input.idempotencyKey, outcome })
        return onCharged ? onCharged() : outcome
      },
    })
    // Process A charges at the gateway, then stops for good before recording (its promise never settles).
    let stopped!: () => void
    const aStopped = new Promise<void>((r) => (stopped = r))
    const a = processWith(
      counting(() => {
        stopped()
        return new Promise<never>(() => {})
      }),
      600_000,
    )
    const b = processWith(counting(), 0)

    const b0 = t.app.services.billing
    await b0.scheduler.runTestClock(tenant, new Date('2026-05-01T00:00:00Z'), actor)
    const { price } = await catalogue(b0, tenant, actor, {
      productName: 'Crash plan',
      price: {
        currency: 'USD',
        model: { kind: 'fixed', amount: 4900n },
        interval: { unit: 'month', count: 1 },
        trialDays: 7,
      },
    })
    const customer = await createCustomer(t.app, tenant, 'Edsger Dijkstra')
    await saveCard(b0, tenant, customer, actor)
    const sub = await b0.subscriptions.create(tenant, { customerId: customer, priceId: price.id }, actor)
    await b0.scheduler.runTestClock(tenant, new Date('2026-05-07T00:00:00Z'), actor)

    // The trial ends May 8: A renews, claims and charges, and stops.
    void a.scheduler.runTestClock(tenant, new Date('2026-05-08T12:00:00Z'), actor)
    await aStopped
    const pending = await sql<{
      status: string
      attempt: number
    }>`SELECT status, attempt FROM billing_payments
      WHERE tenant_id = ${tenant}`.execute(t.app.services.db.db)
    expect(pending.rows).toEqual([{ status: 'pending', attempt: 1 }])
    expect(calls).toHaveLength(1)

    // B's next run resends it (resend delay 0 here; 10 minutes by default).
    const report = await b.scheduler.run(tenant, new Date('2026-05-08T12:00:00Z'), actor)
    expect(report).toMatchObject({ charges: 1, succeeded: 1, renewed: 0 })
    expect(calls).toHaveLength(2)
    expect(calls[1]!.key).toBe(calls[0]!.key)
    expect(calls[1]!.outcome).toEqual(calls[0]!.outcome) // the gateway's same charge, not a second one

    const invoices = await b0.invoices.list(tenant, { subscriptionId: sub.id })
    expect(invoices).toHaveLength(1)
    const invoice = await b0.invoices.get(tenant, invoices[0]!.id)
    expect(invoice).toMatchObject({ status: 'paid', amountPaid: 4900n })
    expect(invoice.payments).toHaveLength(1)
    expect(invoice.payments![0]).toMatchObject({ status: 'succeeded', attempt: 1 })
    expect((await billingBalances(t.app, tenant, 'USD')).gateway).toBe(4900n)

    // Another run finds nothing left to resend or charge.
    expect(await b.scheduler.run(tenant, new Date('2026-05-08T12:00:00Z'), actor)).toMatchObject({
      charges: 0,
    })
    expect(calls).toHaveLength(2)
    expect((await t.app.services.ledger.verify(tenant)).ok).toBe(true)
  }, 120_000)
})
