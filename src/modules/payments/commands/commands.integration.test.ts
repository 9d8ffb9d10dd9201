/**
 * Asynchronous intake (issue #18 item 5) on real parts: a burst accepted, put on an in-process bus as
 * the outbox relay would, drained by a consumer group — with a member killed mid-batch and another
 * taking over, and messages delivered twice — and every command applied exactly once.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../../test/support/db.js'
import { paymentsHarness, type PaymentsHarness } from '../../../../test/support/payments.js'
import { fixedClock } from '../../../shared/clock.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import { isAppError } from '../../../shared/errors.js'
import { systemIds } from '../../../shared/ids.js'
import {
  createCatalogue,
  createDeadLetterStore,
  createEventBus,
  createMemoryTransport,
  createOutbox,
  ledgerEvents,
  type EventBus,
  type Subscription,
} from '../../events/index.js'
import { paymentEvents } from '../payments.events.js'
import type { CreatePaymentInput } from '../ports.js'
import { COMMAND_EVENTS } from './commands.events.js'
import { createAsyncCommands, type AsyncCommands } from './commands.service.js'

describeEachDb('asynchronous payment commands', (target) => {
  let h: DbHandle
  let t: PaymentsHarness
  let bus: EventBus
  let commands: AsyncCommands
  let creates = 0
  const clock = fixedClock(new Date('2026-05-01T10:00:00Z'))
  const catalogue = createCatalogue([...ledgerEvents, ...paymentEvents])

  beforeAll(async () => {
    h = await openTestDb(target)
    t = paymentsHarness(h, clock)
    bus = createEventBus({
      transport: createMemoryTransport({ partitions: 4 }),
      catalogue,
      deadLetters: createDeadLetterStore(h.db),
      delay: () => Promise.resolve(),
    })
    commands = createAsyncCommands({
      db: h,
      clock,
      ids: systemIds,
      outbox: createOutbox(catalogue),
      // Counts the calls (the real payments service behind it): a redelivery may call it again,
      // and must get the same payment back.
      payments: {
        create: (tenant, input, opts) => {
          creates++
          return t.payments.commands.create(tenant, input, opts)
        },
      },
      ledger: t.ledger,
    })
  }, 180_000)
  afterAll(async () => {
    await commands.close()
    await t.payments.close()
    await t.close()
    await h.close()
  })

  /** What the outbox relay does: the tenant's accepted-command rows, published on the bus (as often as asked). */
  const relay = async (tenant: string, copies = 1) => {
    const rows = await sql<{ event_id: string; payload: { commandId: string; kind: string } }>`
      SELECT event_id, payload FROM event_outbox WHERE tenant_id = ${tenant} AND topic = ${COMMAND_EVENTS.accepted}
      ORDER BY seq`.execute(h.db)
    for (let i = 0; i < copies; i++)
      await bus.publish(
        rows.rows.map((r) => ({
          id: r.event_id,
          topic: COMMAND_EVENTS.accepted,
          key: r.payload.commandId,
          tenantId: tenant,
          payload: r.payload,
        })),
      )
    return rows.rows.length
  }
  const until = async (what: () => Promise<boolean>, ms = 60_000) => {
    const end = Date.now() + ms
    while (!(await what())) {
      if (Date.now() > end) throw new Error('timed out')
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const outcomeEvents = async (tenant: string) =>
    Number(
      (
        await sql<{ n: string | number }>`SELECT count(*) AS n FROM event_outbox
          WHERE tenant_id = ${tenant} AND topic IN (${COMMAND_EVENTS.succeeded}, ${COMMAND_EVENTS.failed})`.execute(
          h.db,
        )
      ).rows[0]!.n,
    )
  const input = (i: number): CreatePaymentInput => ({
    amount: BigInt(100 + i),
    currency: 'USD',
    paymentMethod: 'pm_card_visa',
  })

  it('accepts a burst, drains it across a consumer killed mid-batch, applies each command once', async () => {
    const tenant = freshTenant()
    const n = 60
    const accepted = await Promise.all(
      Array.from({ length: n }, (_, i) => commands.acceptPayment(tenant, input(i), `burst-${i}`)),
    )
    expect(new Set(accepted.map((a) => a.id)).size).toBe(n)
    expect(accepted.every((a) => !a.duplicate)).toBe(true)
    // The same key and request again: the same command; another request under that key: refused.
    const again = await commands.acceptPayment(tenant, input(3), 'burst-3')
    expect(again).toMatchObject({ id: accepted[3]!.id, duplicate: true })
    const conflict = await commands.acceptPayment(tenant, input(4), 'burst-3').catch((e: unknown) => e)
    expect(isAppError(conflict) && conflict.code).toBe('IDEMPOTENCY_CONFLICT')
    expect((await commands.get(tenant, accepted[0]!.id)).status).toBe('accepted')
    expect(await relay(tenant, 2)).toBe(n) // every message delivered twice

    // Member A dies after a few payments, in the middle of a batch (nothing of it acknowledged).
    const startCreates = creates
    const a: Subscription = await commands.startConsumer(bus, { consumerName: 'a', maxInFlight: 8 })
    await until(() => Promise.resolve(creates - startCreates >= 5))
    await a.kill()
    const b = await commands.startConsumer(bus, { consumerName: 'b', maxInFlight: 16 })
    await until(async () => (await commands.counts(tenant)).accepted === 0)
    await b.close()

    expect(await commands.counts(tenant)).toEqual({ accepted: 0, succeeded: n, failed: 0 })
    const done = await Promise.all(accepted.map((c) => commands.get(tenant, c.id)))
    const paymentIds = done.map((c) => c.resourceId)
    expect(new Set(paymentIds).size).toBe(n)
    expect(done[7]).toMatchObject({ status: 'succeeded', result: { id: paymentIds[7], amount: '107' } })
    const payments = await sql<{ n: string | number }>`SELECT count(*) AS n FROM payments
      WHERE tenant_id = ${tenant}`.execute(h.db)
    expect(Number(payments.rows[0]!.n)).toBe(n)
    expect(await outcomeEvents(tenant)).toBe(n) // one outcome event each, redeliveries included
    expect((await t.ledger.verify(tenant)).ok).toBe(true)
  })

  it('a refused command fails with its code; a ledger bulk command applies once however often it is delivered', async () => {
    const tenant = freshTenant()
    await t.ledger.createAccount(tenant, { id: 'src', currency: 'USD', normalSide: 'debit' })
    await t.ledger.createAccount(tenant, { id: 'dst', currency: 'USD', normalSide: 'credit' })
    const bulk = await commands.acceptLedgerBulk(tenant, {
      atomic: false,
      commands: [
        { op: 'create', legs: [{ source: 'src', destination: 'dst', amount: 250n, currency: 'USD' }] },
        { op: 'create', legs: [{ source: 'src', destination: 'dst', amount: 50n, currency: 'USD' }] },
      ],
    })
    const bad = await commands.acceptPayment(tenant, { ...input(0), amount: 0n }, 'bad-amount')
    await relay(tenant, 3)
    const sub = await commands.startConsumer(bus, { consumerName: 'c' })
    await until(async () => (await commands.counts(tenant)).accepted === 0)
    await sub.close()
    expect(await commands.get(tenant, bulk.id)).toMatchObject({
      status: 'succeeded',
      result: { results: [{ ok: true }, { ok: true }] },
    })
    const failed = await commands.get(tenant, bad.id)
    expect(failed.status).toBe('failed')
    expect(failed.error?.code).toMatch(/^[A-Z_]+$/)
    expect((await t.ledger.balances(tenant, 'dst')).posted).toBe(300n)
    expect(await outcomeEvents(tenant)).toBe(2)
    const missing = await commands.get(tenant, 'cmd_nothing').catch((e: unknown) => e)
    expect(isAppError(missing) && missing.code).toBe('PAYMENT_COMMAND_NOT_FOUND')
    // Another tenant cannot read it.
    const other = await commands.get(freshTenant(), bulk.id).catch((e: unknown) => e)
    expect(isAppError(other) && other.code).toBe('PAYMENT_COMMAND_NOT_FOUND')
  })
})
