import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { systemClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { systemIds } from '../../shared/ids.js'
import { createLedger, type Ledger } from './index.js'

/** On PostgreSQL these run on many connections at once; on PGlite they still check the results. */
describeEachDb('ledger under concurrency', (target) => {
  let h: DbHandle
  let ledger: Ledger
  beforeAll(async () => {
    h = await openTestDb(target, 20)
    ledger = createLedger({ db: h.db, clock: systemClock, ids: systemIds })
  })
  afterAll(async () => {
    await ledger.close()
    await h.close()
  })

  async function wallet(t: string, funds: bigint) {
    await ledger.createAccount(t, { id: 'bank', currency: 'USD', normalSide: 'debit' })
    await ledger.createAccount(t, {
      id: 'wallet',
      currency: 'USD',
      normalSide: 'credit',
      debitsMustNotExceedCredits: true,
    })
    await ledger.createAccount(t, { id: 'shop', currency: 'USD', normalSide: 'credit' })
    await ledger.execute(t, [
      { op: 'create', legs: [{ source: 'bank', destination: 'wallet', amount: funds, currency: 'USD' }] },
    ])
  }
  const debit = (amount: bigint) => ({
    op: 'create' as const,
    legs: [{ source: 'wallet', destination: 'shop', amount, currency: 'USD' }],
  })

  it('50 concurrent debits on one no-overdraft account: exactly the affordable ones succeed', async () => {
    const t = freshTenant()
    await wallet(t, 2000n) // 20 × 100 affordable
    // Each call is its own batch and its own connection: they contend for the account row lock.
    const results = (
      await Promise.all(Array.from({ length: 50 }, () => ledger.execute(t, [debit(100n)])))
    ).flat()
    expect(results.filter((r) => r.ok)).toHaveLength(20)
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.code))).toEqual(
      Array(30).fill('LEDGER_INSUFFICIENT_FUNDS'),
    )
    const b = (await ledger.getAccount(t, 'wallet')).balances
    expect(b.posted).toBe(0n)
    expect((await ledger.verify(t)).ok).toBe(true)
  })

  it('the same through the batcher, with mixed amounts', async () => {
    const t = freshTenant()
    await wallet(t, 1000n)
    const amounts = Array.from({ length: 50 }, (_, i) => BigInt(10 + (i % 7) * 10))
    const results = await Promise.all(amounts.map((a) => ledger.submit(t, debit(a))))
    const spent = results.reduce((sum, r, i) => (r.ok ? sum + amounts[i]! : sum), 0n)
    expect(spent).toBeLessThanOrEqual(1000n)
    // The balance only falls, so a refused debit must exceed even what was finally left.
    const left = 1000n - spent
    results.forEach((r, i) => {
      if (r.ok) return
      expect(r.code).toBe('LEDGER_INSUFFICIENT_FUNDS')
      expect(amounts[i]! > left).toBe(true)
    })
    expect(results.some((r) => !r.ok)).toBe(true)
    expect((await ledger.getAccount(t, 'wallet')).balances.posted).toBe(left)
    expect((await ledger.verify(t)).ok).toBe(true)
  })

  it('transfers in both directions between the same accounts never deadlock or fail', async () => {
    const t = freshTenant()
    await ledger.createAccount(t, { id: 'a', currency: 'USD', normalSide: 'credit' })
    await ledger.createAccount(t, { id: 'b', currency: 'USD', normalSide: 'credit' })
    const results = (
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          ledger.execute(t, [
            {
              op: 'create',
              legs: [
                { source: i % 2 ? 'a' : 'b', destination: i % 2 ? 'b' : 'a', amount: 1n, currency: 'USD' },
              ],
            },
            {
              op: 'create',
              legs: [
                { source: i % 2 ? 'b' : 'a', destination: i % 2 ? 'a' : 'b', amount: 2n, currency: 'USD' },
              ],
            },
          ]),
        ),
      )
    ).flat()
    expect(results.every((r) => r.ok)).toBe(true)
    expect((await ledger.getAccount(t, 'a')).balances.posted).toBe(0n)
    expect((await ledger.verify(t)).ok).toBe(true)
  })

  it('one idempotency key raced from 20 connections has exactly one effect', async () => {
    const t = freshTenant()
    await wallet(t, 1000n)
    const cmd = { ...debit(100n), idempotencyKey: 'race-1' }
    const results = (await Promise.all(Array.from({ length: 20 }, () => ledger.execute(t, [cmd])))).flat()
    const ids = new Set(results.map((r) => (r.ok ? r.transactionId : r.code)))
    expect(ids.size).toBe(1)
    expect(results.filter((r) => r.ok && !r.replayed)).toHaveLength(1)
    expect((await ledger.getAccount(t, 'wallet')).balances.posted).toBe(900n)
  })
})
