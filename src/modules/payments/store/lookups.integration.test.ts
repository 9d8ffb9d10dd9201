/**
 * The webhook round's lookups (issue #18, session 17): rewritten as one probe per key so that no plan
 * scans the due backlog or the payments table. What they return must not change: the payment an
 * event names by our id, else by the gateway's reference, within the event's tenant; each event's
 * own answer when several name one payment; the owner of a reference only when it is unambiguous.
 */
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { describeEachOpenDb, freshTenant } from '../../../../test/support/db.js'
import { newId } from '../../../shared/ids.js'
import { lookupsStore } from './lookups.js'

describeEachOpenDb('payments store: a webhook round lookups', (db) => {
  /** A sandbox payment of `tenant` with gateway reference `ref`; returns its id. */
  const payment = async (tenant: string, ref: string): Promise<string> => {
    const id = newId('pay')
    await sql`INSERT INTO payments (tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
        gateway, gateway_ref, created_at, updated_at)
      VALUES (${tenant}, ${id}, 'requires_capture', 500, 'USD', 'manual', 'pm_card_visa', 'sandbox', ${ref},
        now(), now())`.execute(db().db)
    return id
  }

  it('locks the payment each event names, by id or else by reference, within its tenant', async () => {
    const [a, b] = [freshTenant(), freshTenant()]
    const refs = Array.from({ length: 4 }, () => newId('sbx'))
    const byId = await payment(a, refs[0]!)
    const byRef = await payment(a, refs[1]!)
    const others = await payment(b, refs[2]!)
    const store = lookupsStore(db().db)
    const found = await db()
      .db.transaction()
      .execute((tx) =>
        store.lockPaymentsOfEvents(tx, [
          { tenantId: a, gateway: 'sandbox', ref: refs[1]! }, // by reference only
          { tenantId: a, gateway: 'sandbox', paymentId: byId, ref: 'sbx_stale' }, // the id wins
          { tenantId: a, gateway: 'sandbox', ref: refs[2]! }, // tenant b's reference: not a's
          { tenantId: a, gateway: 'sandbox', paymentId: newId('pay'), ref: refs[3]! }, // nothing
          { tenantId: a, gateway: 'sandbox', paymentId: byRef }, // the first one again, by id
          { tenantId: b, gateway: 'sandbox', paymentId: others },
        ]),
      )
    expect(found.map((p) => p?.id)).toEqual([byRef, byId, undefined, undefined, byRef, others])
    expect(found[0]).toMatchObject({
      tenantId: a,
      status: 'requires_capture',
      amount: 500n,
      gateway: 'sandbox',
    })
    expect(found[5]?.tenantId).toBe(b)
  })

  it('tells the owner of each reference, leaving out unknown and ambiguous ones', async () => {
    const [a, b] = [freshTenant(), freshTenant()]
    const [mine, theirs, shared, unknown] = Array.from({ length: 4 }, () => newId('sbx'))
    await payment(a, mine!)
    await payment(b, theirs!)
    await payment(a, shared!)
    await payment(b, shared!)
    const owners = await lookupsStore(db().db).tenantsByRefs('sandbox', [
      mine!,
      theirs!,
      shared!,
      unknown!,
      mine!,
    ])
    expect(owners).toEqual(
      new Map([
        [mine!, a],
        [theirs!, b],
      ]),
    )
    expect(await lookupsStore(db().db).tenantsByRefs('other-gateway', [mine!])).toEqual(new Map())
  })
})
