/**
 * Late requests with no webhook (ADR 0507): a gateway a payment left with a request in doubt is asked
 * again by the sweeper, and a charge it now holds is applied as its webhook would have been. Each
 * test but the last fails on the code before, where only a webhook (or a reconciliation run a day
 * later, read by a person) could tell of the charge, and the money stayed taken.
 */
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { describeEachOpenDb, freshTenant } from '../../../test/support/db.js'
import {
  awaitingConfirmationAfterNoRecord,
  bookedAfterALateRequest,
  createCardPayment,
  gatewayEventApplier,
  harnessChargedThen503,
  harnessWithLateAuthorize,
  paymentsHarness,
} from '../../../test/support/payments.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'

const MINUTE = 60_000

const checksOf = async (db: DbHandle, tenant: string, paymentId: string) =>
  (
    await sql<{ gateway: string; reason: string; checks: number; outcome: string | null }>`SELECT gateway,
        reason, checks, outcome FROM payment_late_checks
      WHERE tenant_id = ${tenant} AND payment_id = ${paymentId} ORDER BY gateway`.execute(db.db)
  ).rows

describeEachOpenDb('late requests with no webhook', (db) => {
  it('a late charge at a gateway the payment has left is found by the sweeper and refunded there', async () => {
    const { t, tenant, booked, clock } = await bookedAfterALateRequest(db(), 'automatic')
    // No webhook is applied. Before the check is due nothing is known.
    await t.payments.sweeper.sweep()
    expect(await t.payments.queries.listStrayCharges(tenant, booked.id)).toEqual([])
    clock.advance(5 * MINUTE)
    await t.payments.sweeper.sweep()
    const refunds = t.sandbox2.events.filter((e) => e.type === 'refund.succeeded')
    expect(refunds).toHaveLength(1)
    expect(refunds[0]!.amount).toBe(1_500n)
    expect(await t.payments.queries.listStrayCharges(tenant, booked.id)).toEqual([
      expect.objectContaining({ gateway: 'sandbox2', status: 'reversed', reversal: 'refunded' }),
    ])
    // sandbox was down (refused) when the payment was created and failed over: nothing to ask there.
    expect(await checksOf(db(), tenant, booked.id)).toEqual([
      { gateway: 'sandbox2', reason: 'no_record', checks: 1, outcome: 'charge_applied' },
    ])
    // The payment booked at sandbox is untouched, and later sweeps ask and refund nothing more.
    expect(await t.payments.queries.get(tenant, booked.id)).toMatchObject({
      status: 'succeeded',
      gateway: 'sandbox',
      amountCaptured: 1_500n,
      amountRefunded: 0n,
    })
    const asked = t.sandbox2.calls.retrieve ?? 0
    clock.advance(48 * 60 * MINUTE)
    await t.payments.sweeper.sweep()
    expect(t.sandbox2.calls.retrieve ?? 0).toBe(asked)
    expect(t.sandbox2.events.filter((e) => e.type === 'refund.succeeded')).toHaveLength(1)
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a charge its webhook already recorded is reversed once: the check finds it known', async () => {
    const { t, tenant, booked, clock } = await bookedAfterALateRequest(db(), 'automatic')
    const apply = gatewayEventApplier(db().db, t, tenant, 'sandbox2')
    for (const e of t.sandbox2.events.filter((x) => x.paymentId === booked.id)) await apply(e)
    clock.advance(5 * MINUTE)
    await t.payments.sweeper.sweep()
    expect(await t.payments.queries.listStrayCharges(tenant, booked.id)).toHaveLength(1)
    expect(t.sandbox2.calls.refund).toBe(1)
    expect((await checksOf(db(), tenant, booked.id))[0]).toMatchObject({ outcome: 'charge_known' })
    await t.close()
  })

  it('a request that never lands is asked about on the schedule, then the check closes', async () => {
    const clock = fixedClock(new Date('2026-05-01T10:00:00Z'))
    const t = harnessWithLateAuthorize(db(), clock, 'sandbox2')
    const tenant = freshTenant()
    t.sandbox.setDown(true)
    const first = await createCardPayment(t, tenant, { amount: 900n }, { idempotencyKey: 'never' })
    t.sandbox.setDown(false)
    clock.advance(2 * MINUTE)
    await t.payments.sweeper.sweep() // no record at sandbox2: requires_confirmation, check opened
    const asked = () => t.sandbox2.calls.retrieve ?? 0
    const before = asked()
    // Due at +5 min, +30 min, +2 h and +24 h from the "no record" answer; a sweep between asks nothing.
    for (const [at, expected] of [
      [4, 0],
      [6, 1],
      [29, 1],
      [31, 2],
      [3 * 60, 3],
      [25 * 60, 4],
      [72 * 60, 4],
    ] as const) {
      clock.set(new Date(Date.parse('2026-05-01T10:02:00Z') + at * MINUTE))
      await t.payments.sweeper.sweep()
      expect(asked() - before, `asks by +${at} min`).toBe(expected)
    }
    expect(await checksOf(db(), tenant, first.id)).toEqual([
      { gateway: 'sandbox2', reason: 'no_record', checks: 4, outcome: 'no_charge' },
    ])
    expect(await t.payments.queries.listStrayCharges(tenant, first.id)).toEqual([])
    await t.close()
  })

  it('a late authorisation of a payment left awaiting confirmation is booked on it', async () => {
    const { t, tenant, first, clock } = await awaitingConfirmationAfterNoRecord(db(), 700n, 'waiting')
    await t.sandbox.authorize(t.late()) // the customer is charged; no webhook comes
    clock.advance(5 * MINUTE)
    await t.payments.sweeper.sweep()
    const charged = t.sandbox.events.find((e) => e.paymentId === first.id && e.type === 'payment.captured')!
    expect(await t.payments.queries.get(tenant, first.id)).toMatchObject({
      status: 'succeeded',
      gateway: 'sandbox',
      gatewayRef: charged.paymentRef,
      amountCaptured: 700n,
    })
    expect(await t.payments.queries.listStrayCharges(tenant, first.id)).toEqual([])
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a late charge on a payment canceled meanwhile is refunded at its own gateway', async () => {
    const { t, tenant, first, clock } = await awaitingConfirmationAfterNoRecord(db(), 800n, 'canceled')
    await t.payments.commands.cancel(tenant, first.id)
    await t.sandbox.authorize(t.late())
    clock.advance(5 * MINUTE)
    await t.payments.sweeper.sweep()
    expect(await t.payments.queries.listStrayCharges(tenant, first.id)).toEqual([
      expect.objectContaining({ gateway: 'sandbox', status: 'reversed', reversal: 'refunded', amount: 800n }),
    ])
    expect(await t.payments.queries.get(tenant, first.id)).toMatchObject({
      status: 'canceled',
      amountCaptured: 0n,
    })
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a 5xx the first gateway had processed, with no webhook: the charge is found and refunded there', async () => {
    const t = harnessChargedThen503(db(), () => Promise.resolve())
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, { amount: 1_500n }, { idempotencyKey: 'five-hundred' })
    expect(p).toMatchObject({ status: 'succeeded', gateway: 'sandbox2' })
    expect(await checksOf(db(), tenant, p.id)).toEqual([
      { gateway: 'sandbox', reason: 'failover', checks: 0, outcome: null },
    ])
    t.clock.advance(5 * MINUTE)
    await t.payments.sweeper.sweep()
    expect(await t.payments.queries.listStrayCharges(tenant, p.id)).toEqual([
      expect.objectContaining({ gateway: 'sandbox', status: 'reversed', reversal: 'refunded' }),
    ])
    expect(t.sandbox.events.filter((e) => e.type === 'refund.succeeded')).toHaveLength(1)
    expect(await t.payments.queries.get(tenant, p.id)).toMatchObject({
      gateway: 'sandbox2',
      amountCaptured: 1_500n,
      amountRefunded: 0n,
    })
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a failover from a gateway that certainly did not act (a refused connection) opens no check', async () => {
    const t = paymentsHarness(db(), fixedClock(new Date('2026-05-01T10:00:00Z')))
    const tenant = freshTenant()
    t.sandbox.setDown(true) // the connection is refused: the request never left
    const p = await createCardPayment(t, tenant, { amount: 500n }, { idempotencyKey: 'refused' })
    expect(p).toMatchObject({ status: 'succeeded', gateway: 'sandbox2' })
    expect(await checksOf(db(), tenant, p.id)).toEqual([])
    await t.close()
  })

  it('a payment confirmed again at the gateway that had no record closes its check as known', async () => {
    const { t, tenant, first, clock } = await awaitingConfirmationAfterNoRecord(db(), 600n, 'again')
    const paid = await t.payments.commands.confirm(tenant, first.id)
    expect(paid).toMatchObject({ status: 'succeeded', gateway: 'sandbox' })
    await t.sandbox.authorize(t.late()) // same gateway key: the same charge, not a second one
    clock.advance(5 * MINUTE)
    await t.payments.sweeper.sweep()
    expect(await checksOf(db(), tenant, first.id)).toEqual([
      { gateway: 'sandbox', reason: 'no_record', checks: 1, outcome: 'charge_known' },
    ])
    expect(await t.payments.queries.listStrayCharges(tenant, first.id)).toEqual([])
    expect(t.sandbox.calls.refund ?? 0).toBe(0)
    await t.close()
  })
})
