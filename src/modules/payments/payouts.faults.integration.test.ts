/**
 * Payouts under faults: a payout whose answer was lost (a timeout after the gateway paid, a process
 * that died during the call) is paid out once and booked once, by the client's retry with its
 * Idempotency-Key or by the sweeper. On the code before, the key was released on the timeout and the
 * retry paid out a second time; a payout whose process died stayed pending for good, its amount
 * reserved and the money paid out but never booked.
 */
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { describeEachOpenDb, freshTenant } from '../../../test/support/db.js'
import { createCardPayment, paymentsHarness, type PaymentsHarness } from '../../../test/support/payments.js'
import { fixedClock, type FixedClock } from '../../shared/clock.js'
import type { AuditRecord } from '../audit/index.js'
import { GatewayError } from './gateway.js'
import { sandboxFee } from './index.js'

const net = 10_000n - sandboxFee(10_000n)

/** Payouts the sandbox made (each one is money that left for the bank). */
const paidOut = (t: PaymentsHarness) => t.sandbox.events.filter((e) => e.type === 'payout.paid')

/** A tenant with one captured payment at the sandbox: `net` to pay out. */
async function funded(t: PaymentsHarness): Promise<string> {
  const tenant = freshTenant()
  await createCardPayment(t, tenant, { amount: 10_000n })
  return tenant
}

describeEachOpenDb('payouts under faults', (db) => {
  let clock: FixedClock

  /** The payouts booked for a tenant (reconciliation facts, one per booking). */
  const bookedPayouts = async (tenant: string) =>
    (
      await sql<{ amount: string }>`SELECT amount::text FROM payment_ledger_facts
        WHERE tenant_id = ${tenant} AND kind = 'payout'`.execute(db().db)
    ).rows.map((r) => BigInt(r.amount))

  /** A harness whose sandbox pays out and then, while `lose` says so, never answers or times out. */
  function harness(lose: { mode: 'timeout' | 'hang' | 'none' }) {
    clock = fixedClock(new Date('2026-05-01T10:00:00Z'))
    return paymentsHarness(db(), clock, {
      sandbox: (s) => ({
        ...s,
        payout: async (...args) => {
          const r = await s.payout!(...args)
          if (lose.mode === 'timeout') throw new GatewayError('unknown', 'no answer in time')
          if (lose.mode === 'hang') return new Promise<never>(() => undefined)
          return r
        },
      }),
    })
  }

  it('a payout whose answer timed out is paid once when the client retries with its key', async () => {
    const lose = { mode: 'timeout' as 'timeout' | 'hang' | 'none' }
    const t = harness(lose)
    const tenant = await funded(t)
    const input = { gateway: 'sandbox', amount: net, currency: 'USD' }
    const first = await t.payments.commands
      .payout(tenant, input, { idempotencyKey: 'po' })
      .catch((e: unknown) => e)
    expect(first instanceof GatewayError && first.failure).toBe('unknown')
    expect(paidOut(t)).toHaveLength(1)
    lose.mode = 'none'
    const retried = await t.payments.commands.payout(tenant, input, { idempotencyKey: 'po' })
    expect(retried).toMatchObject({ status: 'paid', amount: net })
    expect(paidOut(t)).toHaveLength(1)
    expect(await bookedPayouts(tenant)).toEqual([-net])
    // The key now answers the payout; the balance is spent, so another payout is refused.
    expect(await t.payments.commands.payout(tenant, input, { idempotencyKey: 'po' })).toMatchObject({
      id: retried.id,
      status: 'paid',
    })
    await expect(
      t.payments.commands.payout(tenant, { ...input, amount: 1n }, { idempotencyKey: 'po2' }),
    ).rejects.toMatchObject({ code: 'PAYOUT_EXCEEDS_BALANCE' })
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })

  it('a payout whose process died during the call is finished by the sweeper, once', async () => {
    const t = harness({ mode: 'hang' })
    const tenant = await funded(t)
    void t.payments.commands.payout(
      tenant,
      { gateway: 'sandbox', amount: net, currency: 'USD' },
      { idempotencyKey: 'dies' },
    )
    await expect.poll(() => paidOut(t).length).toBe(1)
    // Another process (its sandbox answers) sweeps once the payout has waited long enough.
    const audited: AuditRecord[] = []
    const other = paymentsHarness(db(), clock, {
      sandbox: () => t.sandbox,
      audit: {
        recordIn: (_tx, r) => Promise.resolve(void audited.push(r)),
        recordAllIn: (_tx, rs) => Promise.resolve(void audited.push(...rs)),
      },
    })
    expect(await other.payments.sweeper.sweep({ tenants: [tenant] })).toBe(0) // not yet: it may still be answered
    clock.advance(120_000)
    expect(await other.payments.sweeper.sweep({ tenants: [tenant] })).toBe(1)
    expect(paidOut(t)).toHaveLength(1)
    expect(await other.payments.sweeper.sweep({ tenants: [tenant] })).toBe(0)
    expect(await bookedPayouts(tenant)).toEqual([-net])
    // The settlement no request made is audited for the sweeper.
    expect(audited).toHaveLength(1)
    expect(audited[0]).toMatchObject({
      tenant,
      actor: 'system:sweeper',
      action: 'payments.payout.paid',
      origin: 'worker',
      details: { amount: net.toString(), currency: 'USD', gateway: 'sandbox' },
    })
    expect((await other.ledger.verify(tenant)).ok).toBe(true)
    await other.close()
    await t.close()
  })

  it('a retry and the sweeper finishing the same payout at once book it once', async () => {
    const lose = { mode: 'timeout' as 'timeout' | 'hang' | 'none' }
    const t = harness(lose)
    const tenant = await funded(t)
    const input = { gateway: 'sandbox', amount: net, currency: 'USD' }
    await t.payments.commands.payout(tenant, input, { idempotencyKey: 'race' }).catch(() => undefined)
    lose.mode = 'none'
    clock.advance(120_000)
    const [retried] = await Promise.all([
      t.payments.commands.payout(tenant, input, { idempotencyKey: 'race' }),
      t.payments.sweeper.sweep(),
    ])
    expect(retried).toMatchObject({ status: 'paid' })
    expect(paidOut(t)).toHaveLength(1)
    expect(await t.payments.queries.getPayout(tenant, retried.id)).toMatchObject({ status: 'paid' })
    expect(await bookedPayouts(tenant)).toEqual([-net])
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
    await t.close()
  })
})
