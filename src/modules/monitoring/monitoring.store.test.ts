import { expect, it } from 'vitest'
import { describeEachOpenDb, freshTenant } from '../../../test/support/db.js'
import { CASH, DAY_MS, type MonTxn } from './monitoring.js'
import { createMonitoringStore, type EntityActivity } from './monitoring.store.js'

/**
 * The lifetime activity rows are folded from each stored batch in memory (activityDeltas) rather than
 * read back from the stored transactions; they must stay exactly what the stored transactions say
 * (`seedsBefore`, computed from the table) — re-sent ids, ids repeated within a batch, cash sides,
 * sides without a customer and a payment to oneself included.
 */
const T0 = Date.UTC(2026, 0, 5, 9)

const txn = (
  id: string,
  h: number,
  src: string,
  dst: string,
  customers: [string | undefined, string | undefined] = [undefined, undefined],
): MonTxn => ({
  id,
  at: T0 + h * 3_600_000,
  amount: 10_000n,
  currency: 'USD',
  kind: src === CASH ? 'cash_deposit' : dst === CASH ? 'cash_withdrawal' : 'transfer',
  src,
  dst,
  ...(customers[0] !== undefined ? { srcCustomer: customers[0] } : {}),
  ...(customers[1] !== undefined ? { dstCustomer: customers[1] } : {}),
})

const sorted = (a: readonly EntityActivity[]): EntityActivity[] =>
  [...a].sort((x, y) => (x.kind + x.id < y.kind + y.id ? -1 : 1))
/** The seeds' activity of the kinds the lifetime table keeps (devices, cards and addresses it does not). */
const tableKinds = (a: readonly EntityActivity[]): EntityActivity[] =>
  sorted(a.filter((x) => x.kind === 'account' || x.kind === 'customer'))

describeEachOpenDb('lifetime entity activity', (db) => {
  it('equals what the stored transactions say, batch after batch', async () => {
    const store = createMonitoringStore(db().db)
    const tenant = freshTenant()
    const first = [
      { ...txn('t1', 0, 'acc_a', 'acc_b', ['cus_a', 'cus_b']), device: 'dev_a' },
      txn('t2', 5, CASH, 'acc_a', [undefined, 'cus_a']),
      txn('t2', 6, 'acc_z', 'acc_y', ['cus_z', 'cus_y']), // same id again: not stored, not counted
      txn('t3', 30, 'acc_b', CASH, ['cus_b', undefined]),
      txn('t4', 2, 'acc_c', 'acc_c', ['cus_c', 'cus_c']), // to itself: one out, one in
    ]
    const second = [
      txn('t1', 0, 'acc_a', 'acc_b', ['cus_a', 'cus_b']), // re-sent: already stored
      txn('t5', -48, 'acc_b', 'acc_d'), // no customer named // older than what is kept: first_at moves back
      { ...txn('t6', 24 * 40, 'acc_d', 'acc_a', [undefined, 'cus_a']), device: 'dev_a' },
    ]
    const stored1 = await db()
      .db.transaction()
      .execute((tx) => store.insertTransactions(tx, tenant, first))
    expect([...stored1].sort()).toEqual(['t1', 't2', 't3', 't4'])
    expect(sorted(await store.activity(tenant))).toEqual(
      tableKinds((await store.seedsBefore(tenant, T0 + 100 * DAY_MS)).activity),
    )
    const stored2 = await db()
      .db.transaction()
      .execute((tx) => store.insertTransactions(tx, tenant, second))
    expect([...stored2].sort()).toEqual(['t5', 't6'])
    const kept = sorted(await store.activity(tenant))
    const seeded = (await store.seedsBefore(tenant, T0 + 100 * DAY_MS)).activity
    expect(kept).toEqual(tableKinds(seeded))
    // the payer's device is seeded from the stored transactions (outgoing only)
    expect(seeded.find((a) => a.kind === 'device' && a.id === 'dev_a')).toMatchObject({
      events: 2,
      firstAt: T0,
      lastOutAt: T0 + 24 * 40 * 3_600_000,
      lastInAt: undefined,
    })
    // spot checks that would fail if the fold and the read-back were wrong the same way
    const of = (kind: string, id: string) => kept.find((a) => a.kind === kind && a.id === id)
    expect(of('account', 'acc_c')).toMatchObject({ events: 2, lastInAt: T0 + 2 * 3_600_000 })
    expect(of('account', 'acc_b')).toMatchObject({ events: 3, firstAt: T0 - 48 * 3_600_000 })
    expect(of('customer', 'cus_a')).toMatchObject({ events: 3, lastInAt: T0 + 24 * 40 * 3_600_000 })
    expect(of('account', 'acc_z')).toBeUndefined()
    expect(of('account', CASH)).toBeUndefined()
  })

  it('tells which ids are stored already, by one probe per id', async () => {
    const store = createMonitoringStore(db().db)
    const tenant = freshTenant()
    const other = freshTenant()
    await db()
      .db.transaction()
      .execute((tx) =>
        store.insertTransactions(tx, tenant, [
          txn('k1', 0, 'acc_a', 'acc_b'),
          txn('k2', 1, 'acc_b', 'acc_a'),
        ]),
      )
    await db()
      .db.transaction()
      .execute((tx) => store.insertTransactions(tx, other, [txn('k3', 0, 'acc_a', 'acc_b')]))
    expect([...(await store.storedTxnIds(tenant, ['k2', 'k3', 'k9', 'k1', 'k2']))].sort()).toEqual([
      'k1',
      'k2',
    ])
    expect((await store.storedTxnIds(tenant, [])).size).toBe(0)
  })
})
