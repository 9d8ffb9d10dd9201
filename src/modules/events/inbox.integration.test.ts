import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import { eventId, type EventMessage } from './events.js'
import { createInbox, type ConsumerInbox } from './inbox.js'

const message = (tenantId: string, id = eventId()): EventMessage => ({
  id,
  topic: 'events.probe.sent.v1',
  key: 'k',
  tenantId,
  payload: { n: 1 },
  occurredAt: new Date(),
  headers: {},
  position: id,
})

describeEachDb('consumer inbox', (target) => {
  let db: DbHandle
  let inbox: ConsumerInbox
  beforeAll(async () => {
    db = await openTestDb(target)
    inbox = createInbox(db.db)
    await sql`CREATE TABLE IF NOT EXISTS test_inbox_effects (tenant_id text NOT NULL, event_id text NOT NULL)`.execute(
      db.db,
    )
  })
  afterAll(async () => {
    await db.close()
  })

  /** Applies messages with an effect that writes a row per fresh message; returns what it saw. */
  const apply = async (group: string, msgs: readonly EventMessage[]) => {
    let seen: string[] = []
    const n = await inbox.apply(group, msgs, async (tx, fresh) => {
      seen = fresh.map((m) => m.id)
      await sql`INSERT INTO test_inbox_effects SELECT t, e FROM unnest(${fresh.map((m) => m.tenantId)}::text[], ${seen}::text[]) AS x(t, e)`.execute(
        tx,
      )
    })
    return { n, seen }
  }
  const effects = async (tenantId: string) =>
    (
      await sql<{
        event_id: string
      }>`SELECT event_id FROM test_inbox_effects WHERE tenant_id = ${tenantId} ORDER BY event_id`.execute(
        db.db,
      )
    ).rows.map((r) => r.event_id)

  it('a batch mixing seen and new messages applies only the new ones, in order, once each', async () => {
    const tenant = freshTenant()
    const group = newId('grp')
    const first = [message(tenant), message(tenant), message(tenant)]
    expect(await apply(group, first)).toEqual({ n: 3, seen: first.map((m) => m.id) })

    // A redelivery of two old messages around two new ones, one of them repeated inside the batch.
    const a = message(tenant)
    const b = message(tenant)
    const mixed = [first[0]!, a, first[2]!, b, a]
    expect(await apply(group, mixed)).toEqual({ n: 2, seen: [a.id, b.id] })

    // Only duplicates: no effect at all.
    expect(await apply(group, [b, first[1]!])).toEqual({ n: 0, seen: [] })
    expect(await effects(tenant)).toEqual([...first.map((m) => m.id), a.id, b.id].sort())
    for (const m of [...first, a, b]) expect(await inbox.seen(tenant, group, m.id)).toBe(true)
  })

  it('another group, or the same id in another tenant, is a different message', async () => {
    const tenant = freshTenant()
    const other = freshTenant()
    const m = message(tenant)
    expect((await apply('g1', [m])).n).toBe(1)
    expect((await apply('g2', [m])).n).toBe(1)
    expect((await apply('g1', [{ ...m, tenantId: other }])).n).toBe(1)
    expect((await apply('g1', [m])).n).toBe(0)
  })

  it('a failing effect records nothing: the redelivery applies in full', async () => {
    const tenant = freshTenant()
    const group = newId('grp')
    const msgs = [message(tenant), message(tenant)]
    await expect(
      inbox.apply(group, msgs, () => Promise.reject(new Error('downstream down'))),
    ).rejects.toThrow('downstream down')
    expect(await inbox.seen(tenant, group, msgs[0]!.id)).toBe(false)
    expect(await apply(group, msgs)).toEqual({ n: 2, seen: msgs.map((m) => m.id) })
  })
})
