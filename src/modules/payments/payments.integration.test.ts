import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { balanceOr } from '../../../test/support/balances.js'
import {
  createCardPayment,
  gatewayEventApplier,
  paymentsHarness,
  type PaymentsHarness,
} from '../../../test/support/payments.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { isAppError } from '../../shared/errors.js'
import { chartOfAccounts } from './ledger-mapping.js'
import { sandboxFee } from './gateways/sandbox/sandbox.js'
import type { GatewayEvent } from './gateway.js'

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
  } catch (e) {
    if (isAppError(e)) return e.code
    throw e
  }
  throw new Error('expected an error')
}

describeEachDb('payments service', (target) => {
  let h: DbHandle
  let t: PaymentsHarness
  const clock = fixedClock(new Date('2026-05-01T10:00:00Z'))
  beforeAll(async () => {
    h = await openTestDb(target)
    t = paymentsHarness(h, clock)
  }, 180_000) // migrating a fresh PGlite is slow on a loaded machine
  afterAll(async () => {
    await t.close()
    await h.close()
  })

  const balances = async (tenant: string, gateway = 'sandbox', currency = 'USD') => {
    const chart = chartOfAccounts(gateway, currency)
    const out = {} as Record<keyof typeof chart, { posted: bigint; pending: bigint }>
    for (const [role, id] of Object.entries(chart) as [keyof typeof chart, string][]) {
      out[role] = await balanceOr(
        async () => {
          const b = await t.ledger.balances(tenant, id)
          return { posted: b.posted, pending: b.debitsPending + b.creditsPending }
        },
        { posted: 0n, pending: 0n },
      )
    }
    return out
  }
  const topics = async (tenant: string) =>
    (
      await sql<{ topic: string }>`SELECT topic FROM event_outbox WHERE tenant_id = ${tenant}
        AND topic LIKE 'payments.%' ORDER BY seq`.execute(h.db)
    ).rows.map((r) => r.topic)

  it('an automatic capture posts the amount, the fee and its events in one go', async () => {
    const tenant = freshTenant()
    const p = await t.payments.commands.create(
      tenant,
      { amount: 10_000n, currency: 'USD', paymentMethod: 'pm_card_visa', customer: 'cus_1' },
      { idempotencyKey: 'k1' },
    )
    expect(p).toMatchObject({
      status: 'succeeded',
      amountAuthorized: 10_000n,
      amountCaptured: 10_000n,
      gateway: 'sandbox',
    })
    expect(p.gatewayRef).toMatch(/^sbx_pi_/)
    const fee = sandboxFee(10_000n)
    const b = await balances(tenant)
    expect(b.receivable).toEqual({ posted: 10_000n - fee, pending: 0n })
    expect(b.merchant).toEqual({ posted: 10_000n, pending: 0n })
    expect(b.fees).toEqual({ posted: fee, pending: 0n })
    expect(await topics(tenant)).toEqual([
      'payments.payment.created.v1',
      'payments.payment.authorized.v1',
      'payments.payment.captured.v1',
    ])
    const facts = await t.payments.facts.ledgerFacts(tenant, 'sandbox', {
      from: new Date('2026-01-01'),
      to: new Date('2027-01-01'),
    })
    expect(facts.map((f) => [f.kind, f.amount]).sort()).toEqual([
      ['capture', 10_000n],
      ['fee', -fee],
    ])
    const capture = facts.find((f) => f.kind === 'capture')!
    const txn = await t.ledger.getTransaction(tenant, capture.ledgerTransactionId)
    expect(txn.metadata).toMatchObject({ paymentId: p.id, gateway: 'sandbox', gatewayRef: p.gatewayRef })
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it('manual capture holds, captures part once and releases the rest', async () => {
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, {
      amount: 1000n,
      paymentMethod: 'pm_card_mastercard',
      capture: 'manual',
    })
    expect(p.status).toBe('requires_capture')
    expect((await balances(tenant)).receivable).toEqual({ posted: 0n, pending: 1000n })
    expect(await codeOf(t.payments.commands.capture(tenant, p.id, 1001n))).toBe(
      'PAYMENT_CAPTURE_EXCEEDS_AUTHORIZED',
    )
    const captured = await t.payments.commands.capture(tenant, p.id, 600n)
    expect(captured).toMatchObject({ status: 'succeeded', amountCaptured: 600n })
    const b = await balances(tenant)
    expect(b.merchant).toEqual({ posted: 600n, pending: 0n })
    expect(b.receivable.pending).toBe(0n)
    expect(await codeOf(t.payments.commands.capture(tenant, p.id, 100n))).toBe('PAYMENT_INVALID_STATE')
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it('a decline fails the payment with the decline code and touches no account', async () => {
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, {
      amount: 500n,
      currency: 'EUR',
      paymentMethod: 'pm_card_insufficient_funds',
    })
    expect(p).toMatchObject({ status: 'failed', declineCode: 'insufficient_funds', amountAuthorized: 0n })
    const b = await balances(tenant, 'sandbox', 'EUR')
    expect(Object.values(b).every((x) => x.posted === 0n && x.pending === 0n)).toBe(true)
    expect(await topics(tenant)).toEqual(['payments.payment.created.v1', 'payments.payment.failed.v1'])
  })

  it('3-D Secure waits in requires_action, then a second confirm authorises', async () => {
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, {
      amount: 700n,
      paymentMethod: 'pm_card_3ds',
      capture: 'manual',
    })
    expect(p.status).toBe('requires_action')
    expect(p.nextAction).toMatchObject({ type: 'authenticate' })
    t.sandbox.completeAction(p.gatewayRef!)
    const confirmed = await t.payments.commands.confirm(tenant, p.id)
    expect(confirmed).toMatchObject({ status: 'requires_capture', amountAuthorized: 700n })
  })

  it('cancel voids the hold; canceling again is refused', async () => {
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, { amount: 900n, capture: 'manual' })
    const c = await t.payments.commands.cancel(tenant, p.id)
    expect(c.status).toBe('canceled')
    expect((await balances(tenant)).receivable).toEqual({ posted: 0n, pending: 0n })
    expect(await codeOf(t.payments.commands.cancel(tenant, p.id))).toBe('PAYMENT_INVALID_STATE')
    const later = await createCardPayment(t, tenant, { amount: 5n, confirm: false })
    expect((await t.payments.commands.cancel(tenant, later.id)).status).toBe('canceled')
  })

  it('several partial refunds up to the captured amount, never beyond', async () => {
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, { amount: 1000n })
    const r1 = await t.payments.commands.refund(tenant, p.id, { amount: 300n, reason: 'damaged' })
    expect(r1).toMatchObject({ status: 'succeeded', amount: 300n, paymentId: p.id })
    await t.payments.commands.refund(tenant, p.id, { amount: 200n })
    expect(await codeOf(t.payments.commands.refund(tenant, p.id, { amount: 501n }))).toBe(
      'PAYMENT_REFUND_EXCEEDS_CAPTURED',
    )
    const rest = await t.payments.commands.refund(tenant, p.id)
    expect(rest.amount).toBe(500n)
    expect(await codeOf(t.payments.commands.refund(tenant, p.id, { amount: 1n }))).toBe(
      'PAYMENT_REFUND_EXCEEDS_CAPTURED',
    )
    const after = await t.payments.queries.get(tenant, p.id)
    expect(after).toMatchObject({ status: 'succeeded', amountRefunded: 1000n, amountRefundPending: 0n })
    expect((await balances(tenant)).merchant.posted).toBe(0n)
    expect(await t.payments.queries.listRefunds(tenant, p.id)).toHaveLength(3)
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it('an idempotency key replays the first result and refuses another request', async () => {
    const tenant = freshTenant()
    const input = { amount: 100n, currency: 'USD', paymentMethod: 'pm_card_visa' }
    const a = await t.payments.commands.create(tenant, input, { idempotencyKey: 'same' })
    const b = await t.payments.commands.create(tenant, input, { idempotencyKey: 'same' })
    expect(b).toEqual(a)
    expect(
      await codeOf(
        t.payments.commands.create(tenant, { ...input, amount: 101n }, { idempotencyKey: 'same' }),
      ),
    ).toBe('IDEMPOTENCY_CONFLICT')
    expect((await t.payments.queries.list(tenant)).items).toHaveLength(1)
    const r1 = await t.payments.commands.refund(tenant, a.id, { amount: 10n }, { idempotencyKey: 'r' })
    const r2 = await t.payments.commands.refund(tenant, a.id, { amount: 10n }, { idempotencyKey: 'r' })
    expect(r2.id).toBe(r1.id)
    expect((await t.payments.queries.get(tenant, a.id)).amountRefunded).toBe(10n)
  })

  it('a timeout leaves the payment unknown until the sweeper asks the gateway', async () => {
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, { amount: 2500n, paymentMethod: 'pm_card_timeout' })
    expect(p.status).toBe('unknown')
    expect((await balances(tenant)).merchant.posted).toBe(0n)
    await t.payments.sweeper.sweep() // too recent: left alone
    expect((await t.payments.queries.get(tenant, p.id)).status).toBe('unknown')
    clock.advance(61_000)
    expect(await t.payments.sweeper.sweep()).toBeGreaterThanOrEqual(1)
    const swept = await t.payments.queries.get(tenant, p.id)
    expect(swept).toMatchObject({ status: 'succeeded', amountCaptured: 2500n })
    expect((await balances(tenant)).merchant.posted).toBe(2500n)
  })

  it('gateway events go through the same transitions: out of order, duplicated, racing the API', async () => {
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, { amount: 800n, capture: 'manual' })
    const event = (type: GatewayEvent['type'], extra: Partial<GatewayEvent> = {}): GatewayEvent => ({
      id: `evt_${type}_${Math.random()}`,
      type,
      vendorType: type,
      paymentRef: p.gatewayRef!,
      occurredAt: clock.now(),
      ...extra,
    })
    const apply = gatewayEventApplier(h.db, t, tenant)
    // A refund before the capture is known must wait (retryable), not corrupt anything.
    expect(await codeOf(apply(event('refund.succeeded', { objectRef: 're_x', amount: 100n })))).toBe(
      'PAYMENT_EVENT_OUT_OF_ORDER',
    )
    expect(await apply(event('payment.authorized', { amount: 800n }))).toBe('duplicate')
    expect(await apply(event('payment.captured', { amount: 800n }))).toBe('applied')
    expect(await apply(event('payment.captured', { amount: 800n }))).toBe('duplicate')
    // The client's capture arrives after the webhook: refused, nothing captured twice.
    expect(await codeOf(t.payments.commands.capture(tenant, p.id))).toBe('PAYMENT_INVALID_STATE')
    expect(await apply(event('refund.succeeded', { objectRef: 're_x', amount: 100n }))).toBe('applied')
    expect(await apply(event('refund.succeeded', { objectRef: 're_x', amount: 100n }))).toBe('duplicate')
    expect(await apply(event('payment.failed'))).toBe('ignored')
    const after = await t.payments.queries.get(tenant, p.id)
    expect(after).toMatchObject({ status: 'succeeded', amountCaptured: 800n, amountRefunded: 100n })
    expect((await balances(tenant)).merchant.posted).toBe(700n)
    expect(await apply(event('payment.captured', { paymentRef: 'sbx_pi_nobody' }))).toBe('ignored')
    expect(await t.payments.webhooks.findTenantByGatewayRef('sandbox', p.gatewayRef!)).toEqual({
      tenantId: tenant,
      paymentId: p.id,
    })
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it('captured before authorized: the capture implies the authorisation', async () => {
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, {
      amount: 400n,
      paymentMethod: 'pm_card_timeout',
      capture: 'manual',
    })
    expect(p.status).toBe('unknown')
    const apply = gatewayEventApplier(h.db, t, tenant)
    const base = { vendorType: 'x', paymentId: p.id, occurredAt: clock.now() }
    expect(
      await apply({ ...base, id: 'e1', type: 'payment.captured', amount: 300n, paymentRef: 'sbx_pi_late' }),
    ).toBe('applied')
    expect(await apply({ ...base, id: 'e2', type: 'payment.authorized', amount: 400n })).toBe('duplicate')
    expect(await t.payments.queries.get(tenant, p.id)).toMatchObject({
      status: 'succeeded',
      amountAuthorized: 300n,
      amountCaptured: 300n,
      gatewayRef: 'sbx_pi_late',
    })
    expect((await balances(tenant)).merchant).toEqual({ posted: 300n, pending: 0n })
    // The fee arrives later (as Stripe's balance transaction does): booked once.
    const feeEvent = { ...base, id: 'e3', type: 'payment.captured' as const, amount: 300n, fee: 12n }
    expect(await apply(feeEvent)).toBe('applied')
    expect(await apply({ ...feeEvent, id: 'e4' })).toBe('duplicate')
    expect((await balances(tenant)).fees.posted).toBe(12n)
    expect((await t.payments.queries.get(tenant, p.id)).amountFee).toBe(12n)
    // The database refuses to change the terms, whatever the code path.
    await expect(
      sql`UPDATE payments SET amount = 1 WHERE tenant_id = ${tenant} AND payment_id = ${p.id}`.execute(h.db),
    ).rejects.toThrow(/never change/)
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it('a dispute opens after capture, and is won back; another is lost', async () => {
    const tenant = freshTenant()
    const seen = t.sandbox.events.length
    const p = await createCardPayment(t, tenant, { amount: 3000n, paymentMethod: 'pm_card_dispute' })
    const opened = t.sandbox.events.slice(seen).find((e) => e.type === 'dispute.opened')!
    expect(opened).toMatchObject({ paymentId: p.id, amount: 3000n })
    const apply = gatewayEventApplier(h.db, t, tenant)
    expect(await apply(opened)).toBe('applied')
    expect(await apply(opened)).toBe('duplicate')
    expect(await codeOf(t.payments.commands.refund(tenant, p.id, { amount: 1n }))).toBe(
      'PAYMENT_REFUND_EXCEEDS_CAPTURED',
    )
    const b = await balances(tenant)
    expect(b.disputes.posted).toBe(3000n)
    expect(await apply(t.sandbox.closeDispute(opened.objectRef!, 'won'))).toBe('applied')
    expect((await balances(tenant)).disputes.posted).toBe(0n)
    expect((await t.payments.queries.get(tenant, p.id)).amountDisputed).toBe(0n)

    const lost = t.sandbox.openDispute(p.gatewayRef!, 1000n)
    expect(await apply(t.sandbox.closeDispute(lost.objectRef!, 'lost'))).toBe('applied') // never saw it open
    const after = await balances(tenant)
    expect(after.disputes.posted).toBe(0n)
    expect(after.merchant.posted).toBe(2000n)
    expect(await topics(tenant)).toEqual(
      expect.arrayContaining([
        'payments.dispute.opened.v1',
        'payments.dispute.won.v1',
        'payments.dispute.lost.v1',
      ]),
    )
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it('routing fails over to the next gateway when the first is unavailable', async () => {
    const tenant = freshTenant()
    await t.payments.routing.setRoutingRules(tenant, [
      {
        id: 'usd',
        priority: 1,
        match: { currencies: ['USD'] },
        gateways: [
          { gateway: 'sandbox', weight: 100 },
          { gateway: 'sandbox2', weight: 0 },
        ],
      },
    ])
    t.sandbox.setDown(true)
    try {
      const p = await createCardPayment(t, tenant, { amount: 100n })
      expect(p).toMatchObject({ status: 'succeeded', gateway: 'sandbox2' })
      expect((await t.payments.queries.attempts(tenant, p.id)).map((a) => [a.gateway, a.outcome])).toEqual([
        ['sandbox', 'sent'],
        ['sandbox', 'unavailable'],
        ['sandbox2', 'sent'],
      ])
      expect((await balances(tenant, 'sandbox2')).merchant.posted).toBe(100n)
    } finally {
      t.sandbox.setDown(false)
    }
    // Everything down: the payment goes back to requires_confirmation and the error is retryable.
    const q = await createCardPayment(t, tenant, {
      amount: 100n,
      paymentMethod: 'pm_card_unavailable',
      confirm: false,
    })
    expect(await codeOf(t.payments.commands.confirm(tenant, q.id))).toBe('GATEWAY_UNAVAILABLE')
    expect((await t.payments.queries.get(tenant, q.id)).status).toBe('requires_confirmation')
  })

  it('a create whose confirm found every gateway down is resumed, not repeated, by a retry with its key', async () => {
    const tenant = freshTenant()
    await t.payments.routing.setRoutingRules(tenant, [
      { id: 'only', priority: 1, match: {}, gateways: [{ gateway: 'sandbox', weight: 1 }] },
    ])
    const input = { amount: 640n, currency: 'USD', paymentMethod: 'pm_card_visa' }
    t.sandbox.setDown(true)
    try {
      expect(await codeOf(t.payments.commands.create(tenant, input, { idempotencyKey: 'retry-me' }))).toBe(
        'GATEWAY_UNAVAILABLE',
      )
      expect(await codeOf(t.payments.commands.create(tenant, input, { idempotencyKey: 'retry-me' }))).toBe(
        'GATEWAY_UNAVAILABLE',
      )
    } finally {
      t.sandbox.setDown(false)
    }
    const [only] = (await t.payments.queries.list(tenant)).items
    expect(only?.status).toBe('requires_confirmation')
    const done = await t.payments.commands.create(tenant, input, { idempotencyKey: 'retry-me' })
    expect(done).toMatchObject({ id: only!.id, status: 'succeeded' })
    expect(await t.payments.commands.create(tenant, input, { idempotencyKey: 'retry-me' })).toEqual(done)
    expect((await t.payments.queries.list(tenant)).items).toHaveLength(1)
    expect(
      await codeOf(
        t.payments.commands.create(tenant, { ...input, amount: 1n }, { idempotencyKey: 'retry-me' }),
      ),
    ).toBe('IDEMPOTENCY_CONFLICT')
  })

  it('pays out up to the gateway balance, never more', async () => {
    const tenant = freshTenant()
    await createCardPayment(t, tenant, { amount: 10_000n })
    const net = 10_000n - sandboxFee(10_000n)
    expect(
      await codeOf(
        t.payments.commands.payout(tenant, { gateway: 'sandbox', amount: net + 1n, currency: 'USD' }),
      ),
    ).toBe('PAYOUT_EXCEEDS_BALANCE')
    const po = await t.payments.commands.payout(
      tenant,
      { gateway: 'sandbox', amount: net, currency: 'USD' },
      { idempotencyKey: 'po1' },
    )
    expect(po).toMatchObject({ status: 'paid', amount: net })
    const b = await balances(tenant)
    expect(b.receivable.posted).toBe(0n)
    expect(b.bank.posted).toBe(net)
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })
})
