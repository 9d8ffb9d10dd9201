/**
 * Captures and refunds share their marking transaction (core/marker.ts): the key's claim, bound to the
 * payment or refund, and the in-flight mark or the refund's reservation commit together before the
 * gateway call; the answer, the postings and the key's answer commit together after (core/booker.ts).
 */
import { sql } from 'kysely'
import { expect, it, vi } from 'vitest'
import { describeEachOpenDb, freshTenant } from '../../../test/support/db.js'
import {
  createCardPayment,
  expectRefunded,
  gatewayRefunds,
  harnessDyingDuring,
  paymentsHarness,
} from '../../../test/support/payments.js'
import { fixedClock } from '../../shared/clock.js'
import { isAppError } from '../../shared/errors.js'
import { PAYMENT_EVENTS } from './payments.events.js'

describeEachOpenDb('captures and refunds marked together', (db) => {
  const manual = {
    amount: 1_000n,
    currency: 'USD',
    paymentMethod: 'pm_card_visa',
    capture: 'manual',
  } as const
  const keysOf = async (tenant: string) =>
    new Map(
      (
        await sql<{ idem_key: string; resource_id: string | null; answered: boolean }>`SELECT idem_key,
          resource_id, response IS NOT NULL AS answered FROM payment_idempotency
          WHERE tenant_id = ${tenant}`.execute(db().db)
      ).rows.map((k) => [k.idem_key, k]),
    )

  it('many captures and refunds of one merchant at once: each once, with its key answered; a refused one frees its key', async () => {
    const t = paymentsHarness(db(), fixedClock(new Date('2026-05-01T10:00:00Z')))
    const tenant = freshTenant()
    const n = 12
    const authorised = await Promise.all(
      Array.from({ length: 2 * n }, () => t.payments.commands.create(tenant, manual)),
    )
    const [toCapture, toRefund] = [authorised.slice(0, n), authorised.slice(n)]
    await Promise.all(toRefund.map((p) => t.payments.commands.capture(tenant, p.id)))
    // Captures of some payments and refunds of others at the same moment; one refund asks too much.
    const captures = toCapture.map((p, i) =>
      t.payments.commands.capture(tenant, p.id, 400n + BigInt(i), { idempotencyKey: `c${i}` }),
    )
    const refunds = toRefund.map((p, i) =>
      t.payments.commands.refund(
        tenant,
        p.id,
        { amount: i === 0 ? 5_000n : 100n + BigInt(i) },
        { idempotencyKey: `r${i}` },
      ),
    )
    const [captured, refunded] = await Promise.all([Promise.all(captures), Promise.allSettled(refunds)])
    captured.forEach((p, i) =>
      expect(p).toMatchObject({ status: 'succeeded', amountCaptured: 400n + BigInt(i) }),
    )
    expect(refunded[0]!.status).toBe('rejected')
    const made = refunded.slice(1).map((r) => (r.status === 'fulfilled' ? r.value : undefined))
    made.forEach((r, i) => expect(r).toMatchObject({ status: 'succeeded', amount: 101n + BigInt(i) }))
    const keys = await keysOf(tenant)
    captured.forEach((p, i) => expect(keys.get(`c${i}`)).toMatchObject({ resource_id: p.id, answered: true }))
    made.forEach((r, i) =>
      expect(keys.get(`r${i + 1}`)).toMatchObject({ resource_id: r!.id, answered: true }),
    )
    // The refused refund wrote nothing: no refund row, no reservation, and its key is free again.
    expect(keys.has('r0')).toBe(false)
    expect(await t.payments.queries.listRefunds(tenant, toRefund[0]!.id)).toEqual([])
    expect(await t.payments.queries.get(tenant, toRefund[0]!.id)).toMatchObject({ amountRefundPending: 0n })
    // Replays answer the stored results without a second capture or refund.
    const again = await t.payments.commands.refund(
      tenant,
      toRefund[1]!.id,
      { amount: 101n },
      { idempotencyKey: 'r1' },
    )
    expect(again.id).toBe(made[0]!.id)
    expect(await t.payments.queries.listRefunds(tenant, toRefund[1]!.id)).toHaveLength(1)
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('concurrent refunds with one key make one refund: the others replay it once it is answered', async () => {
    const t = paymentsHarness(db(), fixedClock(new Date('2026-05-01T10:00:00Z')))
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, { amount: 1_000n })
    const once = async () => {
      for (;;) {
        try {
          return await t.payments.commands.refund(tenant, p.id, { amount: 300n }, { idempotencyKey: 'same' })
        } catch (e) {
          if (!isAppError(e) || e.code !== 'IDEMPOTENCY_IN_PROGRESS') throw e
          await new Promise((r) => setTimeout(r, 5))
        }
      }
    }
    const all = await Promise.all(Array.from({ length: 6 }, once))
    expect(new Set(all.map((r) => r.id)).size).toBe(1)
    await expectRefunded(t, tenant, p.id, 300n)
    await t.close()
  })

  it('a refund whose process died during the gateway call is reserved with its key bound; the retry resumes it', async () => {
    const clock = fixedClock(new Date('2026-05-01T10:00:00Z'))
    // The gateway refunds, then the call never returns (the process died).
    const t = harnessDyingDuring(db(), clock, 'refund')
    const tenant = freshTenant()
    const p = await createCardPayment(t, tenant, { amount: 1_000n })
    void t.payments.commands.refund(tenant, p.id, { amount: 250n }, { idempotencyKey: 'died' })
    await vi.waitFor(async () => expect(await t.payments.queries.listRefunds(tenant, p.id)).toHaveLength(1))
    const [pending] = await t.payments.queries.listRefunds(tenant, p.id)
    expect(pending).toMatchObject({ status: 'pending', amount: 250n })
    expect((await keysOf(tenant)).get('died')).toMatchObject({ resource_id: pending!.id, answered: false })
    await expect(
      t.payments.commands.refund(tenant, p.id, { amount: 250n }, { idempotencyKey: 'died' }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' })
    t.revive()
    clock.advance(120_000)
    const resumed = await t.payments.commands.refund(
      tenant,
      p.id,
      { amount: 250n },
      { idempotencyKey: 'died' },
    )
    expect(resumed).toMatchObject({ id: pending!.id, status: 'succeeded' })
    await expectRefunded(t, tenant, p.id, 250n)
    expect(gatewayRefunds(t.sandbox.events, p.gatewayRef!)).toHaveLength(1)
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a batch stores awkward metadata, its transitions and key answers exactly as given (rows travel as one JSON parameter)', async () => {
    const t = paymentsHarness(db(), fixedClock(new Date('2026-05-01T10:00:00Z')))
    const tenant = freshTenant()
    // What an array literal or a JSON text must escape: quotes, backslashes, braces, commas, NULL, unicode.
    const awkward: Record<string, string>[] = [
      { quote: 'say "hi"', slash: 'C:\\path\\', braces: '{a,b}', nul: 'NULL' },
      { empty: '', unicode: 'café ☕ 𝄞', json: '{"a":[1,2]}', newline: 'line\nnext' },
    ]
    const input = (i: number) => ({
      amount: 1_000n + BigInt(i),
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      metadata: awkward[i % 2]!,
    })
    const made = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.payments.commands.create(tenant, input(i), { idempotencyKey: `m${i}` }),
      ),
    )
    for (const [i, p] of made.entries()) {
      expect(p).toMatchObject({
        status: 'succeeded',
        amountCaptured: 1_000n + BigInt(i),
        metadata: awkward[i % 2],
      })
      expect(await t.payments.queries.get(tenant, p.id)).toMatchObject({
        metadata: awkward[i % 2],
        gateway: 'sandbox',
      })
      // The replay answers the stored response: the same payment, metadata included.
      const again = await t.payments.commands.create(tenant, input(i), { idempotencyKey: `m${i}` })
      expect(again).toEqual(p)
    }
    const transitions = await sql<{ topic: string; amount: string | null }>`SELECT topic,
        details->>'amountCaptured' AS amount FROM payment_transitions
      WHERE tenant_id = ${tenant} AND payment_id = ${made[3]!.id} ORDER BY at, topic`.execute(db().db)
    const succeeded = transitions.rows.find((r) => r.topic === PAYMENT_EVENTS.captured)
    expect(succeeded?.amount).toBe('1003')
    const facts = await sql<{
      kind: string
      amount: string
    }>`SELECT kind, amount::text FROM payment_ledger_facts
      WHERE tenant_id = ${tenant} AND payment_id = ${made[3]!.id} ORDER BY kind`.execute(db().db)
    expect(facts.rows.find((f) => f.kind === 'capture')?.amount).toBe('1003')
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })
})
