import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { isAppError } from '../../shared/errors.js'
import { systemIds } from '../../shared/ids.js'
import { createCatalogue, ledgerEvents } from '../events/index.js'
import { createLedger, type CommandResult, type Ledger, type LedgerCommand } from './index.js'

const USD = 'USD'
const ok = (r: CommandResult | undefined) => {
  if (!r?.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`)
  return r
}
const code = (r: CommandResult | undefined) => (r && !r.ok ? r.code : 'ok')

describeEachDb('ledger', (target) => {
  let h: DbHandle
  let ledger: Ledger
  const clock = fixedClock(new Date('2026-03-01T12:00:00Z'))
  beforeAll(async () => {
    h = await openTestDb(target)
    ledger = createLedger({ db: h.db, clock, ids: systemIds })
  })
  afterAll(async () => {
    await ledger.close()
    await h.close()
  })

  /** A funded wallet (credit-normal, no overdraft) and a settlement account that may go negative. */
  async function setup(funds = 1000n) {
    const t = freshTenant()
    const bank = await ledger.createAccount(t, { id: 'bank', currency: USD, normalSide: 'debit' })
    const alice = await ledger.createAccount(t, {
      id: 'alice',
      currency: USD,
      normalSide: 'credit',
      debitsMustNotExceedCredits: true,
    })
    const bob = await ledger.createAccount(t, {
      id: 'bob',
      currency: USD,
      normalSide: 'credit',
      debitsMustNotExceedCredits: true,
    })
    if (funds > 0n)
      ok(
        (
          await ledger.execute(t, [
            { op: 'create', legs: [{ source: 'bank', destination: 'alice', amount: funds, currency: USD }] },
          ])
        )[0],
      )
    return { t, bank, alice, bob }
  }

  describe('accounts', () => {
    it('creates idempotently by id and refuses the same id with other attributes', async () => {
      const t = freshTenant()
      const a = await ledger.createAccount(t, { id: 'x', currency: 'JPY', normalSide: 'credit' })
      expect(a.exponent).toBe(0)
      expect((await ledger.createAccount(t, { id: 'x', currency: 'JPY', normalSide: 'credit' })).id).toBe('x')
      await expect(
        ledger.createAccount(t, { id: 'x', currency: 'EUR', normalSide: 'credit' }),
      ).rejects.toMatchObject({
        code: 'LEDGER_ACCOUNT_EXISTS',
      })
      await expect(ledger.createAccount(t, { currency: 'ABC', normalSide: 'credit' })).rejects.toMatchObject({
        code: 'UNKNOWN_CURRENCY',
      })
    })

    it('keeps tenants apart: the same account id in two tenants is two accounts', async () => {
      const t1 = freshTenant()
      const t2 = freshTenant()
      await ledger.createAccount(t1, { id: 'shared', currency: USD, normalSide: 'credit' })
      await expect(ledger.getAccount(t2, 'shared')).rejects.toMatchObject({
        code: 'LEDGER_ACCOUNT_NOT_FOUND',
      })
    })

    it('keeps ids in byte order (COLLATE "C"): listing, history and a batch over mixed-case and non-ASCII ids', async () => {
      const t = freshTenant()
      const ids = ['b', 'Zeta', 'é-wallet', 'alpha', 'A_1', 'z']
      for (const id of ids) await ledger.createAccount(t, { id, currency: USD, normalSide: 'debit' })
      const byteOrder = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
      expect((await ledger.listAccounts(t)).items.map((a) => a.id)).toEqual(byteOrder)
      // One batch touching every account: locked in that order, each entry seq gapless per account.
      const res = await ledger.execute(
        t,
        ids.map((id, i) => ({
          op: 'create' as const,
          legs: [{ source: id, destination: ids[(i + 1) % ids.length]!, amount: 5n, currency: USD }],
        })),
      )
      expect(res.every((r) => r.ok)).toBe(true)
      for (const id of ids) expect((await ledger.getAccount(t, id)).entrySeq).toBe(2n)
      expect((await ledger.verify(t)).ok).toBe(true)
      const { rows } = await sql<{ table_name: string; column_name: string; collation_name: string | null }>`
        SELECT table_name, column_name, collation_name FROM information_schema.columns
        WHERE table_name IN ('ledger_accounts', 'ledger_transactions', 'ledger_entries')
          AND column_name IN ('tenant_id', 'account_id', 'transaction_id')`.execute(h.db)
      expect(rows).toHaveLength(7)
      for (const r of rows)
        expect([r.table_name, r.column_name, r.collation_name]).toEqual([r.table_name, r.column_name, 'C'])
    })
  })

  describe('transfers and limits', () => {
    it('moves money and refuses an overdraft on a no-overdraft account', async () => {
      const { t } = await setup(100n)
      const [r1, r2, r3] = await ledger.execute(t, [
        { op: 'create', legs: [{ source: 'alice', destination: 'bob', amount: 60n, currency: USD }] },
        { op: 'create', legs: [{ source: 'alice', destination: 'bob', amount: 60n, currency: USD }] },
        { op: 'create', legs: [{ source: 'alice', destination: 'bob', amount: 40n, currency: USD }] },
      ])
      ok(r1)
      expect(code(r2)).toBe('LEDGER_INSUFFICIENT_FUNDS')
      ok(r3)
      expect((await ledger.getAccount(t, 'alice')).balances.posted).toBe(0n)
      expect((await ledger.getAccount(t, 'bob')).balances.posted).toBe(100n)
      expect((await ledger.verify(t)).ok).toBe(true)
    })

    it('honours a credit limit changed at runtime, and refuses lowering it below what is used', async () => {
      const { t } = await setup(0n)
      expect(
        code(
          (
            await ledger.execute(t, [
              { op: 'create', legs: [{ source: 'alice', destination: 'bob', amount: 50n, currency: USD }] },
            ])
          )[0],
        ),
      ).toBe('LEDGER_INSUFFICIENT_FUNDS')
      await ledger.updateAccount(t, 'alice', { creditLimit: 50n })
      ok(
        (
          await ledger.execute(t, [
            { op: 'create', legs: [{ source: 'alice', destination: 'bob', amount: 50n, currency: USD }] },
          ])
        )[0],
      )
      await expect(ledger.updateAccount(t, 'alice', { creditLimit: 10n })).rejects.toMatchObject({
        code: 'LEDGER_LIMIT_BELOW_USAGE',
      })
      expect((await ledger.getAccount(t, 'alice')).balances.posted).toBe(-50n)
    })

    it('enforces credits-must-not-exceed-debits on the destination', async () => {
      const t = freshTenant()
      await ledger.createAccount(t, { id: 'src', currency: USD, normalSide: 'credit' })
      await ledger.createAccount(t, {
        id: 'cap',
        currency: USD,
        normalSide: 'debit',
        creditsMustNotExceedDebits: true,
      })
      const [r] = await ledger.execute(t, [
        { op: 'create', legs: [{ source: 'cap', destination: 'src', amount: 1n, currency: USD }] },
      ])
      ok(r) // debits on "cap" are fine
      const [r2] = await ledger.execute(t, [
        { op: 'create', legs: [{ source: 'src', destination: 'cap', amount: 2n, currency: USD }] },
      ])
      expect(code(r2)).toBe('LEDGER_INSUFFICIENT_FUNDS')
    })

    it('applies multi-leg, multi-currency transactions atomically per item', async () => {
      const t = freshTenant()
      for (const [id, cur] of [
        ['usd_a', USD],
        ['usd_b', USD],
        ['eur_a', 'EUR'],
        ['eur_b', 'EUR'],
      ] as const) {
        await ledger.createAccount(t, {
          id,
          currency: cur,
          normalSide: 'credit',
          debitsMustNotExceedCredits: id.endsWith('_a') && cur === 'EUR',
        })
      }
      // Second leg fails (no EUR funds): the first leg must not stick.
      const [r] = await ledger.execute(t, [
        {
          op: 'create',
          legs: [
            { source: 'usd_a', destination: 'usd_b', amount: 10n, currency: USD },
            { source: 'eur_a', destination: 'eur_b', amount: 9n, currency: 'EUR' },
          ],
        },
      ])
      expect(code(r)).toBe('LEDGER_INSUFFICIENT_FUNDS')
      expect((await ledger.getAccount(t, 'usd_b')).balances.creditsPosted).toBe(0n)
      const [mismatch] = await ledger.execute(t, [
        { op: 'create', legs: [{ source: 'usd_a', destination: 'eur_b', amount: 1n, currency: USD }] },
      ])
      expect(code(mismatch)).toBe('LEDGER_CURRENCY_MISMATCH')
      const [missing] = await ledger.execute(t, [
        { op: 'create', legs: [{ source: 'usd_a', destination: 'nope', amount: 1n, currency: USD }] },
      ])
      expect(code(missing)).toBe('LEDGER_ACCOUNT_NOT_FOUND')
      expect((await ledger.verify(t)).ok).toBe(true)
    })

    it('refuses a credit that would overflow a balance instead of failing the batch', async () => {
      const t = freshTenant()
      await ledger.createAccount(t, { id: 'a', currency: USD, normalSide: 'debit' })
      await ledger.createAccount(t, { id: 'b', currency: USD, normalSide: 'credit' })
      const max = 2n ** 63n - 1n
      const [r1, r2, r3] = await ledger.execute(t, [
        { op: 'create', legs: [{ source: 'a', destination: 'b', amount: max, currency: USD }] },
        { op: 'create', legs: [{ source: 'a', destination: 'b', amount: 1n, currency: USD }] },
        { op: 'create', legs: [{ source: 'b', destination: 'a', amount: 5n, currency: USD }] },
      ])
      ok(r1)
      expect(code(r2)).toBe('LEDGER_BALANCE_OVERFLOW')
      ok(r3)
      expect((await ledger.verify(t)).ok).toBe(true)
    })

    it('keeps running balances exact near 2^62 and with the largest credit limit (bigint fast path bound)', async () => {
      const t = freshTenant()
      const accounts = [
        { id: 'a', normalSide: 'debit' as const },
        {
          id: 'b',
          normalSide: 'credit' as const,
          debitsMustNotExceedCredits: true,
          creditLimit: 2n ** 63n - 1n,
        },
        { id: 'c', normalSide: 'credit' as const },
      ]
      for (const a of accounts) await ledger.createAccount(t, { ...a, currency: USD })
      const legs = (source: string, destination: string, amount: bigint) => ({
        op: 'create' as const,
        legs: [{ source, destination, amount, currency: USD }],
      })
      expect((await ledger.execute(t, [legs('a', 'b', 5n)]))[0]!.ok).toBe(true)
      // b's limit alone passes 2^62: its no-overdraft check (credits + limit) would overflow bigint.
      const r1 = await ledger.execute(t, [legs('b', 'c', 12n), legs('b', 'c', 2n ** 61n)])
      expect(r1.every((r) => r.ok)).toBe(true)
      // c passes 2^62 within one batch.
      const r2 = await ledger.execute(t, [legs('a', 'c', 2n ** 62n - 10n), legs('a', 'c', 20n)])
      expect(r2.every((r) => r.ok)).toBe(true)
      expect((await ledger.getAccount(t, 'c')).balances.posted).toBe(2n ** 61n + 2n ** 62n + 22n)
      expect((await ledger.getAccount(t, 'b')).balances.posted).toBe(-(2n ** 61n) - 7n)
      expect((await ledger.getAccount(t, 'c')).entrySeq).toBe(4n)
      expect((await ledger.verify(t)).ok).toBe(true)
    })
  })

  describe('two-phase', () => {
    it('holds funds while pending, then posts partially and releases the rest', async () => {
      const { t } = await setup(100n)
      const hold = ok(
        (
          await ledger.execute(t, [
            {
              op: 'create',
              pending: true,
              legs: [{ source: 'alice', destination: 'bob', amount: 80n, currency: USD }],
            },
          ])
        )[0],
      )
      expect(hold.status).toBe('pending')
      expect((await ledger.getAccount(t, 'alice')).balances.available).toBe(20n)
      // Pending amounts count against the limit.
      expect(
        code(
          (
            await ledger.execute(t, [
              { op: 'create', legs: [{ source: 'alice', destination: 'bob', amount: 30n, currency: USD }] },
            ])
          )[0],
        ),
      ).toBe('LEDGER_INSUFFICIENT_FUNDS')
      const post = ok(
        (await ledger.execute(t, [{ op: 'post', transactionId: hold.transactionId, amounts: [50n] }]))[0],
      )
      expect(post.status).toBe('posted')
      const alice = await ledger.getAccount(t, 'alice')
      expect(alice.balances).toMatchObject({
        debitsPending: 0n,
        debitsPosted: 50n,
        posted: 50n,
        available: 50n,
      })
      // Posting again with the same amounts is a replay; voiding a posted one is a conflict.
      expect(
        ok((await ledger.execute(t, [{ op: 'post', transactionId: hold.transactionId, amounts: [50n] }]))[0])
          .replayed,
      ).toBe(true)
      expect(code((await ledger.execute(t, [{ op: 'void', transactionId: hold.transactionId }]))[0])).toBe(
        'LEDGER_PENDING_ALREADY_POSTED',
      )
      expect(
        code(
          (await ledger.execute(t, [{ op: 'post', transactionId: hold.transactionId, amounts: [60n] }]))[0],
        ),
      ).toBe('LEDGER_PENDING_ALREADY_POSTED')
      const txn = await ledger.getTransaction(t, hold.transactionId)
      expect(txn.postedAmounts).toEqual([50n])
      expect(txn.entries.map((e) => e.kind).sort()).toEqual(['hold', 'hold', 'post', 'post'])
      expect((await ledger.verify(t)).ok).toBe(true)
    })

    it('voids, refuses posting more than pending, and expires after the timeout', async () => {
      const { t } = await setup(100n)
      const [a, b] = await ledger.execute(t, [
        {
          op: 'create',
          pending: true,
          legs: [{ source: 'alice', destination: 'bob', amount: 10n, currency: USD }],
        },
        {
          op: 'create',
          pending: true,
          timeoutSeconds: 60,
          legs: [{ source: 'alice', destination: 'bob', amount: 20n, currency: USD }],
        },
      ])
      const idA = ok(a).transactionId
      const idB = ok(b).transactionId
      expect(code((await ledger.execute(t, [{ op: 'post', transactionId: idA, amounts: [11n] }]))[0])).toBe(
        'LEDGER_POST_EXCEEDS_PENDING',
      )
      expect(ok((await ledger.execute(t, [{ op: 'void', transactionId: idA }]))[0]).status).toBe('voided')
      // Before its timeout a sweep leaves the hold alone.
      await ledger.expirePending()
      expect((await ledger.getTransaction(t, idB)).status).toBe('pending')
      clock.advance(61_000)
      expect(code((await ledger.execute(t, [{ op: 'post', transactionId: idB }]))[0])).toBe(
        'LEDGER_PENDING_EXPIRED',
      )
      expect(await ledger.expirePending()).toBeGreaterThanOrEqual(1)
      expect((await ledger.getTransaction(t, idB)).status).toBe('expired')
      expect((await ledger.getAccount(t, 'alice')).balances).toMatchObject({
        debitsPending: 0n,
        available: 100n,
      })
      expect(code((await ledger.execute(t, [{ op: 'post', transactionId: 'txn_missing' }]))[0])).toBe(
        'LEDGER_TRANSACTION_NOT_FOUND',
      )
      expect((await ledger.verify(t)).ok).toBe(true)
    })

    it('a batch of posts and voids writes the same entries through the set path as through the per-item loop', async () => {
      // Two tenants, the same holds, the same posts and void in one call each. The second call also
      // names a missing transaction, which only the loop may refuse: that call takes the loop, the
      // first the set path (issue #18, session 18). Their entries must not differ.
      const run = async (extra: LedgerCommand[]) => {
        const { t } = await setup(100n)
        const held = await ledger.execute(
          t,
          [10n, 20n, 30n].map((amount) => ({
            op: 'create' as const,
            pending: true,
            legs: [{ source: 'alice', destination: 'bob', amount, currency: USD }],
          })),
        )
        const [a, b, c] = held.map((r) => ok(r).transactionId)
        const results = await ledger.execute(t, [
          { op: 'post', transactionId: a! },
          ...extra,
          { op: 'post', transactionId: b!, amounts: [7n] },
          { op: 'void', transactionId: c! },
        ])
        const ids = new Map([
          [a!, 'a'],
          [b!, 'b'],
          [c!, 'c'],
        ])
        const entries = async (account: string) =>
          (await ledger.history(t, account, { limit: 100 })).items.map((e) => ({
            ...e,
            transactionId: ids.get(e.transactionId) ?? 'funding',
            createdAt: undefined,
          }))
        return {
          results: results.map((r) => (r.ok ? r.status : code(r))),
          alice: await entries('alice'),
          bob: await entries('bob'),
          balances: [
            (await ledger.getAccount(t, 'alice')).balances,
            (await ledger.getAccount(t, 'bob')).balances,
          ],
          verify: (await ledger.verify(t)).ok,
        }
      }
      const set = await run([])
      const loop = await run([{ op: 'post', transactionId: 'txn_missing' }])
      expect(set.results).toEqual(['posted', 'posted', 'voided'])
      expect(loop.results).toEqual(['posted', 'LEDGER_TRANSACTION_NOT_FOUND', 'posted', 'voided'])
      expect(set.alice).toEqual(loop.alice)
      expect(set.bob).toEqual(loop.bob)
      expect(set.balances).toEqual(loop.balances)
      expect(set.alice.filter((e) => e.kind !== 'hold' && e.transactionId !== 'funding')).toMatchObject([
        { transactionId: 'a', kind: 'post', pendingDelta: -10n, postedDelta: 10n },
        { transactionId: 'b', kind: 'post', pendingDelta: -20n, postedDelta: 7n },
        { transactionId: 'c', kind: 'void', pendingDelta: -30n, postedDelta: 0n },
      ])
      expect(set.balances[0]).toMatchObject({ debitsPending: 0n, debitsPosted: 17n })
      expect(set.verify && loop.verify).toBe(true)
    })

    it('posts or voids a hold made earlier in the same call, also when that create is a replay', async () => {
      const { t } = await setup(100n)
      const holdOf = (amount: bigint, key: string) =>
        ({
          op: 'create',
          pending: true,
          idempotencyKey: key,
          legs: [{ source: 'alice', destination: 'bob', amount, currency: USD }],
        }) as const
      const [h1, p1, h2, v2] = await ledger.execute(t, [
        holdOf(30n, 'h1'),
        { op: 'post', transactionId: { item: 0 }, amounts: [20n] },
        holdOf(10n, 'h2'),
        { op: 'void', transactionId: { item: 2 } },
      ])
      expect(ok(p1)).toMatchObject({ transactionId: ok(h1).transactionId, status: 'posted', replayed: false })
      expect(ok(v2)).toMatchObject({ transactionId: ok(h2).transactionId, status: 'voided' })
      expect((await ledger.getAccount(t, 'alice')).balances).toMatchObject({
        debitsPosted: 20n,
        available: 80n,
      })
      // The hold's key already used: the create replays h1, and the post targets h1 (a replay too).
      for (const atomic of [false, true]) {
        const [again, post] = await ledger.execute(
          t,
          [holdOf(30n, 'h1'), { op: 'post', transactionId: { item: 0 }, amounts: [20n] }],
          { atomic },
        )
        expect(ok(again)).toMatchObject({ transactionId: ok(h1).transactionId, replayed: true })
        expect(ok(post)).toMatchObject({
          transactionId: ok(h1).transactionId,
          status: 'posted',
          replayed: true,
        })
      }
      // A new hold and its post in one all-or-nothing call; the post may also fail on its own terms.
      const [h3, p3] = await ledger.execute(
        t,
        [holdOf(5n, 'h3'), { op: 'post', transactionId: { item: 0 }, amounts: [6n] }],
        { atomic: true },
      )
      expect(code(h3)).toBe('LEDGER_BATCH_ABORTED')
      expect(code(p3)).toBe('LEDGER_POST_EXCEEDS_PENDING')
      await expect(ledger.execute(t, [{ op: 'post', transactionId: { item: 0 } }])).rejects.toThrow(
        /not an earlier pending create/,
      )
      expect((await ledger.getAccount(t, 'alice')).balances).toMatchObject({
        debitsPosted: 20n,
        available: 80n,
      })
      expect((await ledger.verify(t)).ok).toBe(true)
    })
  })

  describe('idempotency', () => {
    it('replays the original result and refuses the same key with another payload', async () => {
      const { t } = await setup(100n)
      const cmd = {
        op: 'create' as const,
        idempotencyKey: 'pay-1',
        legs: [{ source: 'alice', destination: 'bob', amount: 10n, currency: USD }],
      }
      const first = ok((await ledger.execute(t, [cmd]))[0])
      const again = ok((await ledger.execute(t, [cmd]))[0])
      expect(again).toEqual({ ...first, replayed: true })
      const other = await ledger.execute(t, [{ ...cmd, legs: [{ ...cmd.legs[0]!, amount: 11n }] }])
      expect(code(other[0])).toBe('IDEMPOTENCY_CONFLICT')
      // Same key inside one batch: the repeat is a replay of the first.
      const [x, y] = await ledger.execute(t, [
        { ...cmd, idempotencyKey: 'pay-2' },
        { ...cmd, idempotencyKey: 'pay-2' },
      ])
      expect(ok(y).transactionId).toBe(ok(x).transactionId)
      expect((await ledger.getAccount(t, 'bob')).balances.posted).toBe(20n)
    })

    it('lets a failed request be retried with the same key', async () => {
      const { t } = await setup(0n)
      const cmd = {
        op: 'create' as const,
        idempotencyKey: 'retry',
        legs: [{ source: 'alice', destination: 'bob', amount: 10n, currency: USD }],
      }
      expect(code((await ledger.execute(t, [cmd]))[0])).toBe('LEDGER_INSUFFICIENT_FUNDS')
      ok(
        (
          await ledger.execute(t, [
            { op: 'create', legs: [{ source: 'bank', destination: 'alice', amount: 10n, currency: USD }] },
          ])
        )[0],
      )
      expect(ok((await ledger.execute(t, [cmd]))[0]).replayed).toBe(false)
    })
  })

  describe('batches', () => {
    it.skipIf(target.name === 'pglite')(
      'posting holds reads their rows only, not the whole transaction range of the tenant',
      async () => {
        const { t } = await setup(0n)
        const hold = {
          op: 'create',
          pending: true,
          legs: [{ source: 'bank', destination: 'bob', amount: 1n, currency: USD }],
        } as const
        const made = await ledger.execute(
          t,
          Array.from({ length: 600 }, () => hold),
        )
        const targets = made.slice(0, 64).map((r) => ok(r).transactionId)
        // Index tuples this transaction read (the xact counters: ours only, whatever else runs).
        const read = await h.db.transaction().execute(async (tx) => {
          const posts = await ledger.execute(
            t,
            targets.map((id) => ({ op: 'post', transactionId: id }) as const),
            { tx },
          )
          expect(posts.every((r) => r.ok)).toBe(true)
          const r = await sql<{ n: string }>`
            SELECT pg_stat_get_xact_tuples_returned('ledger_transactions_pkey'::regclass)::text AS n`.execute(
            tx,
          )
          return Number(r.rows[0]?.n ?? 0)
        })
        // A few probes per post; one scan of the tenant's range alone would read 600.
        expect(read).toBeLessThan(targets.length * 4)
      },
    )

    it('all-or-nothing: one failure leaves nothing applied', async () => {
      const { t } = await setup(100n)
      const results = await ledger.execute(
        t,
        [
          {
            op: 'create',
            idempotencyKey: 'atom-1',
            legs: [{ source: 'alice', destination: 'bob', amount: 50n, currency: USD }],
          },
          { op: 'create', legs: [{ source: 'alice', destination: 'bob', amount: 60n, currency: USD }] },
        ],
        { atomic: true },
      )
      expect(results.map(code)).toEqual(['LEDGER_BATCH_ABORTED', 'LEDGER_INSUFFICIENT_FUNDS'])
      expect((await ledger.getAccount(t, 'bob')).balances.posted).toBe(0n)
      // The aborted item's key was released.
      ok(
        (
          await ledger.execute(t, [
            {
              op: 'create',
              idempotencyKey: 'atom-1',
              legs: [{ source: 'alice', destination: 'bob', amount: 50n, currency: USD }],
            },
          ])
        )[0],
      )
    })

    it('dry run reports results without changing anything', async () => {
      const { t } = await setup(100n)
      const [r] = await ledger.execute(
        t,
        [{ op: 'create', legs: [{ source: 'alice', destination: 'bob', amount: 70n, currency: USD }] }],
        { dryRun: true },
      )
      ok(r)
      expect((await ledger.getAccount(t, 'bob')).balances.posted).toBe(0n)
    })

    it('shares a caller transaction: a rollback undoes the postings', async () => {
      const { t } = await setup(100n)
      await h.db
        .transaction()
        .execute(async (tx) => {
          ok(
            (
              await ledger.execute(
                t,
                [
                  {
                    op: 'create',
                    legs: [{ source: 'alice', destination: 'bob', amount: 10n, currency: USD }],
                  },
                ],
                { tx },
              )
            )[0],
          )
          throw new Error('caller aborts')
        })
        .catch((e: unknown) => expect(String(e)).toContain('caller aborts'))
      expect((await ledger.getAccount(t, 'bob')).balances.posted).toBe(0n)
    })

    it('groups concurrent single submissions (batcher) with exact results', async () => {
      const { t } = await setup(500n)
      const results = await Promise.all(
        Array.from({ length: 80 }, () =>
          ledger.submit(t, {
            op: 'create',
            legs: [{ source: 'alice', destination: 'bob', amount: 10n, currency: USD }],
          }),
        ),
      )
      expect(results.filter((r) => r.ok)).toHaveLength(50)
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === 'LEDGER_INSUFFICIENT_FUNDS')).toBe(
        true,
      )
      expect((await ledger.getAccount(t, 'alice')).balances.posted).toBe(0n)
    })

    it('rejects structurally invalid items before touching the database', async () => {
      const t = freshTenant()
      const bad = ledger.execute(t, [
        { op: 'create', legs: [{ source: 'a', destination: 'a', amount: 1n, currency: USD }] },
      ])
      await expect(bad).rejects.toSatisfy(
        (e: unknown) => isAppError(e) && e.code === 'LEDGER_SAME_ACCOUNT' && e.message.startsWith('items[0]'),
      )
      await expect(ledger.execute(t, [{ op: 'create', legs: [] }])).rejects.toMatchObject({
        code: 'LEDGER_NO_LEGS',
      })
      await expect(
        ledger.execute(t, [
          { op: 'create', legs: [{ source: 'a', destination: 'b', amount: 0n, currency: USD }] },
        ]),
      ).rejects.toMatchObject({
        code: 'INVALID_AMOUNT',
      })
    })
  })

  describe('reads', () => {
    it('gives balances as of a past time and paginated history with the balance after each entry', async () => {
      const { t } = await setup(0n)
      const t0 = clock.now()
      for (let i = 1; i <= 5; i++) {
        clock.advance(1000)
        ok(
          (
            await ledger.execute(t, [
              {
                op: 'create',
                legs: [{ source: 'bank', destination: 'alice', amount: BigInt(i), currency: USD }],
              },
            ])
          )[0],
        )
      }
      expect((await ledger.balances(t, 'alice', t0)).posted).toBe(0n)
      expect((await ledger.balances(t, 'alice', new Date(t0.getTime() + 2500))).posted).toBe(3n)
      expect((await ledger.balances(t, 'alice')).posted).toBe(15n)
      const p1 = await ledger.history(t, 'alice', { limit: 2 })
      expect(p1.items.map((e) => e.balanceAfter.posted)).toEqual([1n, 3n])
      const p2 = await ledger.history(t, 'alice', { after: p1.next!, limit: 10 })
      expect(p2.items.map((e) => e.balanceAfter.posted)).toEqual([6n, 10n, 15n])
      expect(p2.next).toBeNull()
    })
  })

  describe('verify', () => {
    it('names every violation after rows are tampered with directly in SQL', async () => {
      const { t } = await setup(100n)
      const r = ok(
        (
          await ledger.execute(t, [
            { op: 'create', legs: [{ source: 'alice', destination: 'bob', amount: 10n, currency: USD }] },
          ])
        )[0],
      )
      expect((await ledger.verify(t)).ok).toBe(true)
      await sql`UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE tenant_id = ${t} AND account_id = 'bob'`.execute(
        h.db,
      )
      await sql`UPDATE ledger_entries SET posted_delta = 9 WHERE tenant_id = ${t} AND transaction_id = ${r.transactionId} AND side = 'D'`.execute(
        h.db,
      )
      const report = await ledger.verify(t)
      expect(report.ok).toBe(false)
      const kinds = report.violations.map((v) => `${v.kind}:${v.ref}`)
      expect(kinds).toContain(`transaction_unbalanced:${r.transactionId}`)
      expect(kinds).toContain('account_balance_mismatch:bob')
      expect(kinds).toContain('account_balance_mismatch:alice')
      expect(kinds).toContain('currency_total_nonzero:USD')
    })
  })
})

describeEachDb('ledger events', (target) => {
  let h: DbHandle
  let ledger: Ledger
  beforeAll(async () => {
    h = await openTestDb(target)
    ledger = createLedger({ db: h.db, clock: fixedClock(new Date('2026-04-01T00:00:00Z')), ids: systemIds })
  })
  afterAll(async () => {
    await ledger.close()
    await h.close()
  })

  it('writes one catalogue-valid outbox event per applied step, none for failures or replays', async () => {
    const catalogue = createCatalogue(ledgerEvents)
    const t = freshTenant()
    await ledger.createAccount(t, { id: 'src', currency: 'USD', normalSide: 'debit' })
    await ledger.createAccount(t, {
      id: 'dst',
      currency: 'USD',
      normalSide: 'credit',
      debitsMustNotExceedCredits: true,
    })
    const [posted, failed] = await ledger.execute(t, [
      {
        op: 'create',
        idempotencyKey: 'e1',
        metadata: { order: 'o-1' },
        legs: [{ source: 'src', destination: 'dst', amount: 100n, currency: 'USD' }],
      },
      { op: 'create', legs: [{ source: 'dst', destination: 'src', amount: 500n, currency: 'USD' }] },
    ])
    expect(failed?.ok).toBe(false)
    await ledger.execute(t, [
      {
        op: 'create',
        idempotencyKey: 'e1',
        metadata: { order: 'o-1' },
        legs: [{ source: 'src', destination: 'dst', amount: 100n, currency: 'USD' }],
      },
    ])
    const [hold] = await ledger.execute(t, [
      {
        op: 'create',
        pending: true,
        legs: [{ source: 'dst', destination: 'src', amount: 40n, currency: 'USD' }],
      },
    ])
    const holdId = hold?.ok ? hold.transactionId : ''
    await ledger.execute(t, [{ op: 'post', transactionId: holdId, amounts: [30n] }])

    const rows = await sql<{ topic: string; partition_key: string; payload: Record<string, unknown> }>`
      SELECT topic, partition_key, payload FROM event_outbox WHERE tenant_id = ${t} ORDER BY seq`.execute(
      h.db,
    )
    expect(rows.rows.map((r) => r.topic)).toEqual([
      'ledger.account.created.v1',
      'ledger.account.created.v1',
      'ledger.transaction.posted.v1',
      'ledger.transaction.pending.v1',
      'ledger.transaction.posted.v1',
    ])
    for (const r of rows.rows) expect(catalogue.problem(r.topic, r.payload)).toBeUndefined()
    expect(rows.rows[2]?.payload).toMatchObject({
      transactionId: posted?.ok ? posted.transactionId : '',
      metadata: { order: 'o-1' },
      legs: [{ source: 'src', destination: 'dst', amount: '100', currency: 'USD' }],
      at: '2026-04-01T00:00:00.000Z',
    })
    expect(rows.rows[4]).toMatchObject({
      partition_key: holdId,
      payload: { status: 'posted', legs: [{ amount: '30' }] },
    })
  })

  it('gives every event of a batch a distinct id in the outbox shape, and every entry an export seq', async () => {
    const t = freshTenant()
    await ledger.createAccount(t, { id: 'a', currency: 'USD', normalSide: 'debit' })
    await ledger.createAccount(t, { id: 'b', currency: 'USD', normalSide: 'credit' })
    const leg = { source: 'a', destination: 'b', amount: 1n, currency: 'USD' }
    const first = await ledger.execute(
      t,
      Array.from({ length: 5 }, () => ({ op: 'create' as const, legs: [leg] })),
    )
    const second = await ledger.execute(t, [{ op: 'create', legs: [leg] }])
    expect([...first, ...second].every((r) => r.ok)).toBe(true)
    const events = await sql<{ event_id: string }>`SELECT event_id FROM event_outbox
      WHERE tenant_id = ${t} AND topic LIKE 'ledger.transaction.%' ORDER BY seq`.execute(h.db)
    const ids = events.rows.map((r) => r.event_id)
    expect(ids).toHaveLength(6)
    expect(new Set(ids).size).toBe(6)
    // The column default's shape: 'evt_', 12 hex of ms time, '7', 19 hex; within a batch, in seq order.
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-f]{12}7[0-9a-f]{19}$/)
    expect(ids.slice(0, 5).sort()).toEqual(ids.slice(0, 5))
    const entries = await sql<{ analytics_seq: string }>`SELECT analytics_seq::text FROM ledger_entries
      WHERE tenant_id = ${t} ORDER BY analytics_seq`.execute(h.db)
    const seqs = entries.rows.map((r) => BigInt(r.analytics_seq))
    expect(seqs).toHaveLength(12)
    expect(new Set(seqs).size).toBe(12)
  })
})
