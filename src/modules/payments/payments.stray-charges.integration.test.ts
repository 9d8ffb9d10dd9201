/**
 * Stray charges (ADR 0506): a request that reaches a gateway late, after the payment was booked at
 * another one, charges the customer a second time. Its webhook records the charge and the sweeper
 * reverses it at that gateway. Each test fails on the code before, where the webhook was ignored and
 * the money stayed taken.
 */
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { describeEachOpenDb, freshTenant } from '../../../test/support/db.js'
import {
  awaitingConfirmationAfterNoRecord,
  bookedAfterALateRequest,
  gatewayEventApplier,
  harnessChargedThen503,
  paymentsHarness,
  type PaymentsHarness,
} from '../../../test/support/payments.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { systemIds } from '../../shared/ids.js'
import { createCatalogue, createOutbox } from '../events/index.js'
import { chartOfAccounts, createReconciliation, reconciliationEvents, sandboxFee } from './index.js'
import type { GatewayEvent } from './gateway.js'

const card = { amount: 1_500n, currency: 'USD', paymentMethod: 'pm_card_visa' } as const

/** A gateway's events about the payment (sandbox2's unless told), applied as its webhooks would be. */
async function applyLateEvents(
  db: () => DbHandle,
  t: PaymentsHarness,
  tenant: string,
  paymentId: string,
  gateway: 'sandbox' | 'sandbox2' = 'sandbox2',
) {
  const apply = gatewayEventApplier(db().db, t, tenant, gateway)
  const outcomes: string[] = []
  for (const e of t[gateway].events.filter((x: GatewayEvent) => x.paymentId === paymentId))
    outcomes.push(await apply(e))
  return outcomes
}

const topicsOf = async (db: () => DbHandle, tenant: string, paymentId: string) =>
  (
    await sql<{ topic: string }>`SELECT topic FROM payment_transitions
      WHERE tenant_id = ${tenant} AND payment_id = ${paymentId} ORDER BY seq`.execute(db().db)
  ).rows.map((r) => r.topic)

/** Reconciliation of the harness's gateways for 2026-05-01, run the morning after. */
const reconcilerOf = (db: () => DbHandle, t: PaymentsHarness) => ({
  rec: createReconciliation({
    db: db().db,
    gateways: t.registry,
    facts: t.payments.facts,
    outbox: createOutbox(createCatalogue([...reconciliationEvents])),
    clock: fixedClock(new Date('2026-05-02T01:00:00Z')),
    ids: systemIds,
  }),
  day: { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-05-02T00:00:00Z') },
})

describeEachOpenDb('stray charges', (db) => {
  it('a late capture at a gateway the payment has left is refunded there, once', async () => {
    const { t, tenant, booked } = await bookedAfterALateRequest(db(), 'automatic')
    expect(booked.status).toBe('succeeded')
    // authorised, then captured: one stray charge, recorded by the first event.
    expect(await applyLateEvents(db, t, tenant, booked.id)).toEqual(['applied', 'duplicate'])
    expect(await t.payments.queries.get(tenant, booked.id)).toMatchObject({
      status: 'succeeded',
      gateway: 'sandbox',
      amountCaptured: 1_500n,
      amountRefunded: 0n,
    })
    const [stray] = await t.payments.queries.listStrayCharges(tenant, booked.id)
    expect(stray).toMatchObject({ status: 'pending', gateway: 'sandbox2', amount: 1_500n, currency: 'USD' })
    // The tenant's work list, by status.
    expect((await t.payments.queries.strayCharges(tenant, { status: 'pending' })).map((x) => x.id)).toEqual([
      stray!.id,
    ])
    expect(await t.payments.queries.strayCharges(tenant, { status: 'failed' })).toEqual([])
    expect(await t.payments.queries.strayCharges(freshTenant())).toEqual([])
    await expect(t.payments.queries.strayCharges(tenant, { limit: 0 })).rejects.toMatchObject({
      code: 'INVALID_LIMIT',
    })

    await t.payments.sweeper.sweep()
    const lateRef = stray!.gatewayRef
    const refunds = () =>
      t.sandbox2.events.filter((e) => e.type === 'refund.succeeded' && e.paymentRef === lateRef)
    expect(refunds()).toHaveLength(1)
    expect(refunds()[0]!.amount).toBe(1_500n)
    expect(await t.payments.queries.listStrayCharges(tenant, booked.id)).toEqual([
      expect.objectContaining({
        status: 'reversed',
        reversal: 'refunded',
        reversalRef: refunds()[0]!.objectRef,
      }),
    ])
    // The refund's own webhook does not touch the payment booked at sandbox, and a later sweep
    // refunds nothing more.
    expect(await applyLateEvents(db, t, tenant, booked.id)).toEqual(['duplicate', 'duplicate', 'ignored'])
    await t.payments.sweeper.sweep()
    expect(refunds()).toHaveLength(1)
    expect(await t.payments.queries.get(tenant, booked.id)).toMatchObject({ amountRefunded: 0n })
    expect(await topicsOf(db, tenant, booked.id)).toEqual(
      expect.arrayContaining(['payments.stray_charge.detected.v1', 'payments.stray_charge.reversed.v1']),
    )
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('two sweepers at once reverse a stray charge once', async () => {
    const { t, tenant, booked } = await bookedAfterALateRequest(db(), 'automatic')
    await applyLateEvents(db, t, tenant, booked.id)
    // A second worker process, talking to the same gateway.
    const other = paymentsHarness(db(), fixedClock(new Date('2026-05-01T10:02:00Z')), {
      sandbox2: () => t.sandbox2,
    })
    await Promise.all([t.payments.sweeper.sweep(), other.payments.sweeper.sweep({ tenants: [tenant] })])
    expect(t.sandbox2.calls.refund).toBe(1)
    const topics = await topicsOf(db, tenant, booked.id)
    expect(topics.filter((x) => x === 'payments.stray_charge.reversed.v1')).toHaveLength(1)
    await other.close()
    await t.close()
  })

  it('reconciliation names a pending stray charge after its payment; once refunded, the ledger books it and the fee kept', async () => {
    const { t, tenant, booked } = await bookedAfterALateRequest(db(), 'automatic')
    await applyLateEvents(db, t, tenant, booked.id)
    const [stray] = await t.payments.queries.listStrayCharges(tenant, booked.id)
    const { rec, day } = reconcilerOf(db, t)
    // The payment's own gateway agrees with the ledger.
    expect((await rec.run({ tenant, gateway: 'sandbox', ...day })).run.status).toBe('reconciled')
    // Before the sweeper refunds it, sandbox2's charge and the fee kept are in no ledger, and the
    // lines say whose charge it is and that its reversal is pending.
    const { lines } = await rec.run({ tenant, gateway: 'sandbox2', ...day })
    const strayLines = lines.filter((l) => l.explanation.includes(`stray charge ${stray!.id}`))
    expect(strayLines.map((l) => [l.kind, l.status, l.gatewayRef]).sort()).toEqual(
      [
        ['capture', 'missing_in_ledger', stray!.gatewayRef],
        ['fee', 'fee_mismatch', stray!.gatewayRef],
      ].sort(),
    )
    for (const l of strayLines) expect(l).toMatchObject({ paymentId: booked.id })
    expect(strayLines[0]!.explanation).toContain('its reversal is pending')
    // Refunded: the charge, its refund and the fee kept are booked, and sandbox2 reconciles.
    await t.payments.sweeper.sweep()
    const after = await rec.run({ tenant, gateway: 'sandbox2', ...day })
    expect(after.run.status).toBe('reconciled')
    // (the fee is compared with the charge record's fee, and agrees: no line of its own)
    expect(after.lines.map((l) => [l.kind, l.status]).sort()).toEqual([
      ['capture', 'matched'],
      ['refund', 'matched'],
    ])
    const fee = sandboxFee(1_500n)
    expect((await t.payments.queries.listStrayCharges(tenant, booked.id))[0]).toMatchObject({
      status: 'reversed',
      reversal: 'refunded',
      reversalFee: fee,
    })
    const chart = chartOfAccounts('sandbox2', 'USD')
    expect((await t.ledger.balances(tenant, chart.receivable)).posted).toBe(-fee)
    expect((await t.ledger.balances(tenant, chart.strays)).posted).toBe(0n)
    // The merchant's balance is the payment booked at sandbox alone; both gateways' fees are expenses.
    expect((await t.ledger.balances(tenant, chart.merchant)).posted).toBe(1_500n)
    expect((await t.ledger.balances(tenant, chart.fees)).posted).toBe(fee + sandboxFee(1_500n))
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a late authorisation is voided, and a webhook round applies the rest as usual', async () => {
    const { t, tenant, booked } = await bookedAfterALateRequest(db(), 'manual')
    expect(booked.status).toBe('requires_capture')
    const lateEvent = t.sandbox2.events.find(
      (e) => e.type === 'payment.authorized' && e.paymentId === booked.id,
    )!
    const ownEvent = t.sandbox.events.find(
      (e) => e.type === 'payment.authorized' && e.paymentId === booked.id,
    )!
    // The inbox's batched path, with the payment's own (repeated) authorisation in the same round.
    const results = await db()
      .db.transaction()
      .execute((tx) =>
        t.payments.webhooks.applyGatewayEvents(
          [
            { tenant, gateway: 'sandbox2', event: lateEvent },
            { tenant, gateway: 'sandbox', event: ownEvent },
          ],
          { tx },
        ),
      )
    expect(results).toEqual([
      { ok: true, outcome: 'applied' },
      { ok: true, outcome: 'duplicate' },
    ])
    expect(await t.payments.sweeper.sweep()).toBeGreaterThanOrEqual(1)
    const [stray] = await t.payments.queries.listStrayCharges(tenant, booked.id)
    expect(stray).toMatchObject({ status: 'reversed', reversal: 'canceled' })
    expect(await t.sandbox2.retrieve({ gatewayRef: stray!.gatewayRef, paymentId: booked.id })).toMatchObject({
      status: 'canceled',
    })
    // The payment itself is still held at sandbox and captures as usual.
    expect(await t.payments.commands.capture(tenant, booked.id)).toMatchObject({
      status: 'succeeded',
      amountCaptured: 1_500n,
    })
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a late charge at the gateway of a payment canceled meanwhile is refunded there', async () => {
    // The create times out unsent, the sweeper finds no record, the client cancels the payment
    // (requires_confirmation → canceled); then the request arrives and the gateway charges it.
    const { t, tenant, first } = await awaitingConfirmationAfterNoRecord(db(), 1_500n, 'then-canceled')
    expect(await t.payments.commands.cancel(tenant, first.id)).toMatchObject({ status: 'canceled' })
    await t.sandbox.authorize(t.late())
    expect(await applyLateEvents(db, t, tenant, first.id, 'sandbox')).toEqual(['applied', 'duplicate'])
    await t.payments.sweeper.sweep()
    expect(await t.payments.queries.listStrayCharges(tenant, first.id)).toEqual([
      expect.objectContaining({
        gateway: 'sandbox',
        status: 'reversed',
        reversal: 'refunded',
        amount: 1_500n,
      }),
    ])
    expect(t.sandbox.events.filter((e) => e.type === 'refund.succeeded')).toHaveLength(1)
    // The reversal's own webhook comes from the payment's gateway: it is not a refund of the payment.
    const refundEvent = t.sandbox.events.find((e) => e.type === 'refund.succeeded')!
    expect(await gatewayEventApplier(db().db, t, tenant, 'sandbox')(refundEvent)).toBe('ignored')
    expect(await t.payments.queries.get(tenant, first.id)).toMatchObject({
      status: 'canceled',
      amountCaptured: 0n,
    })
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it("a payment's failure or cancelation at a gateway it has left changes nothing and records nothing", async () => {
    const { t, tenant, booked } = await bookedAfterALateRequest(db(), 'manual')
    const apply = gatewayEventApplier(db().db, t, tenant, 'sandbox2')
    const at = new Date('2026-05-01T10:05:00Z')
    const base = { paymentId: booked.id, paymentRef: 'sbx_other', vendorType: 'x', occurredAt: at }
    expect(await apply({ ...base, id: 'evt_f', type: 'payment.failed' })).toBe('ignored')
    expect(await apply({ ...base, id: 'evt_c', type: 'payment.canceled' })).toBe('ignored')
    expect(await t.payments.queries.listStrayCharges(tenant, booked.id)).toEqual([])
    expect(await t.payments.queries.get(tenant, booked.id)).toMatchObject({ status: 'requires_capture' })
    await t.close()
  })

  it('a 5xx the first gateway had processed: its charge is refunded there once the second one is paid', async () => {
    const t = harnessChargedThen503(db(), () => Promise.resolve())
    const tenant = freshTenant()
    const p = await t.payments.commands.create(tenant, card, { idempotencyKey: 'five-hundred' })
    expect(p).toMatchObject({ status: 'succeeded', gateway: 'sandbox2', amountCaptured: 1_500n })
    // sandbox's webhooks arrive after the failover.
    expect(await applyLateEvents(db, t, tenant, p.id, 'sandbox')).toEqual(['applied', 'duplicate'])
    await t.payments.sweeper.sweep()
    const [stray] = await t.payments.queries.listStrayCharges(tenant, p.id)
    expect(stray).toMatchObject({ gateway: 'sandbox', status: 'reversed', reversal: 'refunded' })
    expect(t.sandbox.events.filter((e) => e.type === 'refund.succeeded')).toHaveLength(1)
    expect(await t.payments.queries.get(tenant, p.id)).toMatchObject({
      gateway: 'sandbox2',
      amountRefunded: 0n,
    })
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a 5xx the first gateway had processed, whose webhook is booked first: no other gateway is asked', async () => {
    const tenant = freshTenant()
    const t = harnessChargedThen503(db(), async (h, paymentId) => {
      const apply = gatewayEventApplier(db().db, h, tenant, 'sandbox')
      for (const e of h.sandbox.events.filter((x) => x.paymentId === paymentId)) await apply(e)
    })
    const p = await t.payments.commands.create(tenant, card, { idempotencyKey: 'booked-first' })
    expect(p).toMatchObject({ status: 'succeeded', gateway: 'sandbox', amountCaptured: 1_500n })
    expect(t.sandbox2.calls.authorize ?? 0).toBe(0)
    expect(await t.payments.queries.get(tenant, p.id)).toMatchObject({
      gateway: 'sandbox',
      gatewayRef: p.gatewayRef,
    })
    // The key answers the payment as it is.
    expect(await t.payments.commands.create(tenant, card, { idempotencyKey: 'booked-first' })).toMatchObject({
      id: p.id,
      status: 'succeeded',
      gateway: 'sandbox',
    })
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a stray charge whose reversal failed is resolved by hand once: marked, audited, its refund and fee booked', async () => {
    const { t, tenant, booked } = await bookedAfterALateRequest(db(), 'automatic')
    // Someone refunded the charge in the vendor's dashboard first: the sweeper's refund is refused.
    const charge = t.sandbox2.events.find((e) => e.type === 'payment.captured' && e.paymentId === booked.id)!
    const byHand = await t.sandbox2.refund(charge.paymentRef!, 1_500n, 'USD', 'dashboard')
    await applyLateEvents(db, t, tenant, booked.id)
    await t.payments.sweeper.sweep()
    const [failed] = await t.payments.queries.listStrayCharges(tenant, booked.id)
    expect(failed).toMatchObject({ status: 'failed', resolvedBy: null })
    const resolve: typeof t.payments.commands.resolveStrayCharge = (...a) =>
      t.payments.commands.resolveStrayCharge(...a)
    const by = { by: { actor: 'operator:op_1', origin: '10.0.0.1' } }
    const input = { reversal: 'refunded' as const, reversalRef: byHand.gatewayRef, note: 'refunded by hand' }
    // Bad input, another tenant, an unknown id: nothing is written.
    await expect(resolve(tenant, failed!.id, { ...input, note: '  ' }, by)).rejects.toMatchObject({
      code: 'INVALID_NOTE',
    })
    await expect(
      resolve(tenant, failed!.id, { reversal: 'refunded', note: 'no ref' }, by),
    ).rejects.toMatchObject({ code: 'INVALID_REVERSAL_REF' })
    const fee = sandboxFee(1_500n)
    for (const bad of [
      { ...input, fee: 1_501n },
      { ...input, fee: -1n },
      { reversal: 'canceled' as const, note: 'voided', fee: 0n },
    ])
      await expect(resolve(tenant, failed!.id, bad, by)).rejects.toMatchObject({ code: 'INVALID_FEE' })
    await expect(resolve(freshTenant(), failed!.id, input, by)).rejects.toMatchObject({
      code: 'STRAY_CHARGE_NOT_FOUND',
    })
    await expect(resolve(tenant, 'stc_unknown', input, by)).rejects.toMatchObject({
      code: 'STRAY_CHARGE_NOT_FOUND',
    })
    expect((await t.payments.queries.listStrayCharges(tenant, booked.id))[0]).toMatchObject({
      status: 'failed',
      reversalFee: null,
    })
    const resolved = await resolve(tenant, failed!.id, { ...input, fee }, by)
    expect(resolved).toMatchObject({
      status: 'reversed',
      reversal: 'refunded',
      reversalRef: byHand.gatewayRef,
      reversalFee: fee,
      resolvedBy: 'operator:op_1',
      note: 'refunded by hand',
    })
    // Once: a second resolution is a conflict, and the failed list is empty.
    await expect(resolve(tenant, failed!.id, input, by)).rejects.toMatchObject({
      code: 'STRAY_CHARGE_NOT_FAILED',
    })
    expect(await t.payments.queries.strayCharges(tenant, { status: 'failed' })).toEqual([])
    expect(await topicsOf(db, tenant, booked.id)).toContain('payments.stray_charge.resolved.v1')
    // The refund made by hand is booked: the charge in and out of sandbox2's balance, and the fee
    // the operator read off the gateway as an expense — so sandbox2 reconciles with no line left.
    const chart = chartOfAccounts('sandbox2', 'USD')
    expect((await t.ledger.balances(tenant, chart.strays)).posted).toBe(0n)
    expect((await t.ledger.balances(tenant, chart.receivable)).posted).toBe(-fee)
    expect((await t.ledger.balances(tenant, chart.fees)).posted).toBe(fee + sandboxFee(1_500n))
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    const { rec, day } = reconcilerOf(db, t)
    const after = await rec.run({ tenant, gateway: 'sandbox2', ...day })
    expect(after.run.status).toBe('reconciled')
    expect(after.lines.map((l) => [l.kind, l.status]).sort()).toEqual([
      ['capture', 'matched'],
      ['refund', 'matched'],
    ])
    await t.close()
  })

  it("a pending stray charge is the sweeper's: resolving it by hand is a conflict", async () => {
    const { t, tenant, booked } = await bookedAfterALateRequest(db(), 'automatic')
    await applyLateEvents(db, t, tenant, booked.id)
    const [pending] = await t.payments.queries.listStrayCharges(tenant, booked.id)
    await expect(
      t.payments.commands.resolveStrayCharge(tenant, pending!.id, { reversal: 'canceled', note: 'voided' }),
    ).rejects.toMatchObject({ code: 'STRAY_CHARGE_NOT_FAILED', details: { status: 'pending' } })
    expect((await t.payments.queries.listStrayCharges(tenant, booked.id))[0]).toMatchObject({
      status: 'pending',
      resolvedBy: null,
    })
    await t.close()
  })

  it('is read per tenant: another tenant naming the payment gets PAYMENT_NOT_FOUND', async () => {
    const t = paymentsHarness(db(), fixedClock(new Date('2026-05-01T10:00:00Z')))
    const a = freshTenant()
    const p = await t.payments.commands.create(a, card)
    await expect(t.payments.queries.listStrayCharges(freshTenant(), p.id)).rejects.toMatchObject({
      code: 'PAYMENT_NOT_FOUND',
    })
    expect(await t.payments.queries.listStrayCharges(a, p.id)).toEqual([])
    await t.close()
  })
})
