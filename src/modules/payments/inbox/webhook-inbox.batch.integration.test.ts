/**
 * The inbox applying a round as a set through the real payments module (issue #18): many captures of
 * one merchant in one round, each applied exactly once however often it is delivered, and a poisoned
 * row — refused by plan() or by the ledger — failing alone while the rest of its round commits.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../../test/support/db.js'
import { paymentsHarness, type PaymentsHarness } from '../../../../test/support/payments.js'
import { fixedClock } from '../../../shared/clock.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import { newId } from '../../../shared/ids.js'
import type { GatewayEvent } from '../gateway.js'
import { chartOfAccounts } from '../ledger-mapping.js'
import type { Payment } from '../payments.js'
import { createWebhookInbox, type WebhookInbox } from './webhook-inbox.service.js'

describeEachDb('webhook inbox: set-based rounds on real payments', (target) => {
  let h: DbHandle
  let t: PaymentsHarness
  let inbox: WebhookInbox
  const clock = fixedClock(new Date('2026-05-01T10:00:00Z'))

  beforeAll(async () => {
    h = await openTestDb(target)
    t = paymentsHarness(h, clock)
    inbox = createWebhookInbox({
      db: h,
      clock,
      gateway: (name) => (name === 'sandbox' ? t.sandbox : undefined),
      payments: t.payments.webhooks,
      retry: { maxAttempts: 3, baseMs: 1000, maxMs: 10_000 },
      workers: 0,
    })
  }, 180_000)
  afterAll(async () => {
    await inbox.close()
    await t.payments.close()
    await t.close()
    await h.close()
  })

  const authorise = async (tenant: string, n: number, amount = 1000n): Promise<Payment[]> => {
    const out: Payment[] = []
    for (let i = 0; i < n; i++)
      out.push(
        await t.payments.commands.create(tenant, {
          amount,
          currency: 'USD',
          paymentMethod: 'pm_card_visa',
          capture: 'manual',
        }),
      )
    return out
  }
  const event = (p: Payment, type: GatewayEvent['type'], amount: bigint): GatewayEvent => ({
    id: newId('evt'),
    type,
    vendorType: type,
    paymentRef: p.gatewayRef!,
    amount,
    currency: 'USD',
    occurredAt: clock.now(),
  })
  const deliver = async (e: GatewayEvent) => {
    const w = t.sandbox.webhookFor(e)
    await inbox.receive('sandbox', Buffer.from(w.body), w.headers)
  }
  const merchantPosted = async (tenant: string) =>
    (await t.ledger.balances(tenant, chartOfAccounts('sandbox', 'USD').merchant)).posted
  /** Voids a payment's hold behind the payments module's back: posting it is then refused by the ledger itself. */
  const voidHoldBehindPayments = async (tenant: string, p: Payment) => {
    const victim = await t.payments.queries.get(tenant, p.id)
    const [voided] = await t.ledger.execute(tenant, [
      { op: 'void', transactionId: victim.holdTransactionId! },
    ])
    expect(voided?.ok).toBe(true)
  }
  const statusOf = async (e: GatewayEvent) => (await inbox.list({ eventId: e.id, gateway: 'sandbox' }))[0]

  it('applies a round of captures once each, duplicates and a second event of one payment included', async () => {
    const tenant = freshTenant()
    const ps = await authorise(tenant, 12)
    const captures = ps.map((p) => event(p, 'payment.captured', 1000n))
    // The authorisation echoed back (a duplicate) in the same round as the capture of that payment.
    const echo = event(ps[0]!, 'payment.authorized', 1000n)
    await deliver(echo)
    for (const e of [...captures, ...captures]) await deliver(e)
    const r = await inbox.processDue({ only: { gateway: 'sandbox' }, limit: 1000 })
    expect(r).toMatchObject({ retried: 0, dead: 0 })
    for (const e of captures)
      expect(await statusOf(e)).toMatchObject({ status: 'processed', outcome: 'applied' })
    expect(await statusOf(echo)).toMatchObject({ status: 'processed', outcome: 'duplicate' })
    for (const p of ps)
      expect(await t.payments.queries.get(tenant, p.id)).toMatchObject({ amountCaptured: 1000n })
    expect(await merchantPosted(tenant)).toBe(12_000n)
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it('a row plan() refuses fails alone; the rest of its round commits', async () => {
    const tenant = freshTenant()
    const ps = await authorise(tenant, 5)
    const poisoned = event(ps[2]!, 'payment.captured', 5000n) // above the 1000 authorised
    const good = ps.filter((_, i) => i !== 2).map((p) => event(p, 'payment.captured', 1000n))
    for (const e of [good[0]!, good[1]!, poisoned, good[2]!, good[3]!]) await deliver(e)
    const r = await inbox.processDue({ only: { gateway: 'sandbox' }, limit: 1000 })
    expect(r.retried).toBeGreaterThanOrEqual(1)
    for (const e of good) expect((await statusOf(e))?.status).toBe('processed')
    expect(await statusOf(poisoned)).toMatchObject({ status: 'pending', attempts: 1 })
    expect((await statusOf(poisoned))?.lastError).toContain('PAYMENT_CAPTURE_EXCEEDS_AUTHORIZED')
    expect(await merchantPosted(tenant)).toBe(4000n)
    expect((await t.payments.queries.get(tenant, ps[2]!.id)).amountCaptured).toBe(0n)
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it('a row the ledger refuses fails alone: the round falls back to one row at a time', async () => {
    const tenant = freshTenant()
    const ps = await authorise(tenant, 4)
    await voidHoldBehindPayments(tenant, ps[1]!)
    const events = ps.map((p) => event(p, 'payment.captured', 1000n))
    for (const e of events) await deliver(e)
    const r = await inbox.processDue({ only: { gateway: 'sandbox' }, limit: 1000 })
    expect(r.retried).toBeGreaterThanOrEqual(1)
    expect(await statusOf(events[1]!)).toMatchObject({ status: 'pending', attempts: 1 })
    for (const e of [events[0]!, events[2]!, events[3]!])
      expect(await statusOf(e)).toMatchObject({ status: 'processed', outcome: 'applied' })
    expect(await merchantPosted(tenant)).toBe(3000n)
    // A capture's payment row, facts and events are written before its ledger call (the post names
    // the hold, whose id is known): the refusal takes them back with it, nothing of it is left.
    const refused = await t.payments.queries.get(tenant, ps[1]!.id)
    expect(refused).toMatchObject({ status: 'requires_capture', amountCaptured: 0n })
    expect(refused.updatedAt).toEqual(ps[1]!.updatedAt)
    for (const p of [ps[0]!, ps[2]!, ps[3]!])
      expect(await t.payments.queries.get(tenant, p.id)).toMatchObject({
        status: 'succeeded',
        amountCaptured: 1000n,
      })
    const captureFacts = (
      await t.payments.facts.ledgerFacts(tenant, 'sandbox', {
        from: new Date('2000-01-01T00:00:00Z'),
        to: new Date('2100-01-01T00:00:00Z'),
      })
    ).filter((f) => f.kind === 'capture')
    expect(captureFacts.map((f) => f.paymentId).sort()).toEqual([ps[0]!.id, ps[2]!.id, ps[3]!.id].sort())
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it("a retried row the ledger refuses is applied alone: its retries do not send new rows' rounds one at a time", async () => {
    // Before every other row in this (possibly shared) database: only this test's rows are due.
    clock.set(new Date('2001-03-01T10:00:00Z'))
    const tenant = freshTenant()
    const ps = await authorise(tenant, 7)
    await voidHoldBehindPayments(tenant, ps[0]!)
    const poisoned = event(ps[0]!, 'payment.captured', 1000n)
    const first = [poisoned, event(ps[1]!, 'payment.captured', 1000n)]
    for (const e of first) await deliver(e)
    // Its first failure costs its own round the fallback (both rows of it one at a time)…
    const r1 = await inbox.processDue({ only: { gateway: 'sandbox' }, limit: 1000 })
    expect(r1).toMatchObject({ claimed: 2, processed: 1, retried: 1, isolated: 2 })
    // …but once it is a retry, the new rows of the round it is due in still go as a set.
    clock.advance(60_000)
    const later = ps.slice(2).map((p) => event(p, 'payment.captured', 1000n))
    for (const e of later) await deliver(e)
    const r2 = await inbox.processDue({ only: { gateway: 'sandbox' }, limit: 1000 })
    expect(r2).toMatchObject({ claimed: 6, processed: 5, retried: 1, isolated: 1 })
    expect(await statusOf(poisoned)).toMatchObject({ status: 'pending', attempts: 2 })
    for (const e of later)
      expect(await statusOf(e)).toMatchObject({ status: 'processed', outcome: 'applied' })
    expect(await merchantPosted(tenant)).toBe(6000n)
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    // Its last attempt dead-letters it alone (and leaves nothing pending for other suites' rounds).
    clock.advance(60_000)
    const r3 = await inbox.processDue({ only: { gateway: 'sandbox' }, limit: 1000 })
    expect(r3).toMatchObject({ claimed: 1, processed: 0, dead: 1, isolated: 1 })
    expect(await statusOf(poisoned)).toMatchObject({ status: 'dead', attempts: 3 })
  })
})
