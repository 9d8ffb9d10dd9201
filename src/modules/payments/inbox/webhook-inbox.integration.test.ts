import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../../test/support/db.js'
import { fixedClock } from '../../../shared/clock.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import { isAppError } from '../../../shared/errors.js'
import { newId } from '../../../shared/ids.js'
import { createLedger, type Ledger } from '../../ledger/index.js'
import type { GatewayEvent } from '../gateway.js'
import { createSandboxGateway } from '../gateways/sandbox/sandbox.js'
import { retryDelayMs, UNROUTED_TENANT, type InboxOutcome } from './webhook-inbox.js'
import { WEBHOOK_INBOX_CHANNEL } from './webhook-inbox.migrations.js'
import { createWebhookInbox, type WebhookInbox, type WebhookPaymentsPort } from './webhook-inbox.service.js'

const SECRET = `whsec_${Buffer.from('inbox-test-secret-32-bytes-long!').toString('base64')}`

/**
 * A stand-in for payments' single writer: a capture posts one ledger transfer, deliberately without
 * an idempotency key, so any second application by the inbox would show as a second transaction.
 * `failures` makes the next n applications of an event throw after writing (the write must roll back).
 */
function testPort(ledger: Ledger) {
  const owners = new Map<string, string>() // gatewayRef → tenant
  const failures = new Map<string, number>()
  const port: WebhookPaymentsPort = {
    async applyGatewayEvent(tenant, _gateway, event, { tx }) {
      if (event.type !== 'payment.captured') return 'ignored'
      await ledger.execute(
        tenant,
        [
          {
            op: 'create',
            legs: [
              { source: 'gateway', destination: 'merchant', amount: event.amount ?? 1n, currency: 'USD' },
            ],
            metadata: { event: event.id },
          },
        ],
        { tx },
      )
      const left = failures.get(event.id) ?? 0
      if (left > 0) {
        failures.set(event.id, left - 1)
        throw new Error(`simulated failure applying ${event.id}`)
      }
      return 'applied'
    },
    // A stand-in for the set-based call: a set holding a failing event fails as a whole (without
    // using up its failures), so the inbox's one-at-a-time fallback is what decides these tests.
    async applyGatewayEvents(items, { tx }) {
      if (items.some((i) => (failures.get(i.event.id) ?? 0) > 0))
        throw new Error('simulated failure of the set')
      const out: { ok: true; outcome: InboxOutcome }[] = []
      for (const i of items)
        out.push({ ok: true, outcome: await port.applyGatewayEvent(i.tenant, i.gateway, i.event, { tx }) })
      return out
    },
    findTenantsByGatewayRefs: (_gateway, refs) =>
      Promise.resolve(
        new Map(refs.flatMap((ref) => (owners.has(ref) ? [[ref, owners.get(ref)!] as const] : []))),
      ),
    findTenantByGatewayRef: (_gateway, ref) => {
      const tenantId = owners.get(ref)
      return Promise.resolve(tenantId ? { tenantId } : undefined)
    },
    findTenantByPaymentId: () => Promise.resolve(undefined),
  }
  return { port, owners, failures }
}

const ledgerEffects = async (h: DbHandle, tenant: string): Promise<number> =>
  Number(
    (
      await sql<{
        n: string | number
      }>`SELECT count(*) AS n FROM ledger_transactions WHERE tenant_id = ${tenant}`.execute(h.db)
    ).rows[0]!.n,
  )

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (isAppError(e) ? e.code : String(e)),
  )

describe('retry backoff', () => {
  it('doubles per attempt within ±20 % and stops at the cap', () => {
    const p = { maxAttempts: 10, baseMs: 1000, maxMs: 60_000 }
    expect(retryDelayMs(p, 1, () => 0.5)).toBe(1000)
    expect(retryDelayMs(p, 4, () => 0.5)).toBe(8000)
    expect(retryDelayMs(p, 4, () => 0)).toBe(6400)
    expect(retryDelayMs(p, 4, () => 1)).toBe(9600)
    expect(retryDelayMs(p, 30, () => 0.5)).toBe(60_000)
  })
})

describeEachDb('webhook inbox', (target) => {
  let h: DbHandle
  let ledger: Ledger
  const clock = fixedClock(new Date())
  const sandbox = createSandboxGateway({ webhookSecret: SECRET, clock })
  let t: ReturnType<typeof testPort>
  let inbox: WebhookInbox
  let tenant: string

  beforeAll(async () => {
    h = await openTestDb(target)
    ledger = createLedger({ db: h.db, clock, ids: (p) => newId(p) })
    t = testPort(ledger)
    inbox = createWebhookInbox({
      db: h,
      clock,
      gateway: (name) => (name === 'sandbox' ? sandbox : undefined),
      payments: t.port,
      retry: { maxAttempts: 3, baseMs: 1000, maxMs: 10_000 },
    })
  })
  afterAll(async () => {
    await inbox.close()
    await ledger.close()
    await h.close()
  })

  const newPayment = async () => {
    tenant = freshTenant()
    await ledger.createAccount(tenant, { id: 'gateway', currency: 'USD', normalSide: 'debit' })
    await ledger.createAccount(tenant, { id: 'merchant', currency: 'USD', normalSide: 'credit' })
    const ref = newId('sbx')
    t.owners.set(ref, tenant)
    return ref
  }
  const captured = (ref: string, amount = 500n): GatewayEvent => ({
    id: newId('evt'),
    type: 'payment.captured',
    vendorType: 'charge.captured',
    paymentRef: ref,
    amount,
    currency: 'USD',
    occurredAt: clock.now(),
  })
  const deliver = (
    e: GatewayEvent,
    tamper?: (w: { body: string; headers: Record<string, string> }) => void,
  ) => {
    const w = sandbox.webhookFor(e)
    tamper?.(w)
    return inbox.receive('sandbox', Buffer.from(w.body), w.headers)
  }
  const rowsFor = (eventId: string) => inbox.list({ eventId, gateway: 'sandbox' })

  it('stores a verified event once, answers before processing, applies it on the next round', async () => {
    const ref = await newPayment()
    const e = captured(ref)
    expect(await deliver(e)).toEqual({ eventId: e.id, tenantId: UNROUTED_TENANT, duplicate: false })
    expect((await rowsFor(e.id))[0]).toMatchObject({ status: 'pending', attempts: 0 })
    expect(await ledgerEffects(h, tenant)).toBe(0)
    await inbox.processDue({ only: { eventId: e.id } })
    expect((await rowsFor(e.id))[0]).toMatchObject({
      status: 'processed',
      outcome: 'applied',
      appliedTenantId: tenant,
    })
    expect(await ledgerEffects(h, tenant)).toBe(1)
  })

  it('wakes listening workers after the row committed (PostgreSQL: NOTIFY after the INSERT, not in it)', async () => {
    if (!h.pool) return // PGlite: one process; receive() wakes its own loops
    const ref = await newPayment()
    const e = captured(ref)
    const listener = await h.pool.connect()
    try {
      // What a worker's wake-up sees: the row must already be there when the notification arrives.
      const seen = new Promise<number>((resolve) => {
        listener.on('notification', () => {
          void h
            .pool!.query('SELECT count(*)::int AS n FROM payment_webhook_inbox WHERE event_id = $1', [e.id])
            .then((r) => resolve((r.rows[0] as { n: number }).n))
        })
      })
      await listener.query(`LISTEN ${WEBHOOK_INBOX_CHANNEL}`)
      await deliver(e)
      const rows = await Promise.race([
        seen,
        new Promise<string>((r) => setTimeout(() => r('no notification within 10 s'), 10_000)),
      ])
      expect(rows).toBe(1)
    } finally {
      await listener.query(`UNLISTEN ${WEBHOOK_INBOX_CHANNEL}`)
      listener.release()
    }
  })

  it('refuses forged, stale and malformed signatures and stores nothing', async () => {
    const ref = await newPayment()
    const e = captured(ref)
    const cases: ((w: { body: string; headers: Record<string, string> }) => void)[] = [
      (w) => (w.headers['webhook-signature'] = `v1,${Buffer.alloc(32, 7).toString('base64')}`),
      (w) => (w.body = w.body.replace('"500"', '"50000"')),
      (w) => (w.headers['webhook-signature'] = 'v1'),
      (w) => delete w.headers['webhook-signature'],
      (w) => (w.headers['webhook-timestamp'] = String(Math.floor(clock.now().getTime() / 1000) - 301)),
    ]
    for (const tamper of cases) expect(await codeOf(deliver(e, tamper))).toBe('WEBHOOK_SIGNATURE_INVALID')
    expect(await rowsFor(e.id)).toEqual([])
  })

  it('refuses an unknown gateway', async () => {
    expect(await codeOf(inbox.receive('paypal', Buffer.from('{}'), {}))).toBe('WEBHOOK_GATEWAY_UNKNOWN')
  })

  it('keeps one row and one effect for duplicates, also within one batch', async () => {
    const ref = await newPayment()
    const e = captured(ref)
    const first = await Promise.all([deliver(e), deliver(e), deliver(e)])
    expect(first.filter((r) => !r.duplicate)).toHaveLength(1)
    await inbox.processDue({ only: { eventId: e.id } })
    expect((await deliver(e)).duplicate).toBe(true)
    await inbox.processDue({ only: { eventId: e.id } })
    expect(await rowsFor(e.id)).toHaveLength(1)
    expect(await ledgerEffects(h, tenant)).toBe(1)
  })

  it('keeps an event for a payment it cannot place yet and applies it once the payment exists', async () => {
    const ref = newId('sbx')
    const e = captured(ref)
    await deliver(e)
    expect(await inbox.processDue({ only: { eventId: e.id } })).toMatchObject({ claimed: 1, retried: 1 })
    const row = (await rowsFor(e.id))[0]!
    expect(row).toMatchObject({ status: 'pending', attempts: 1 })
    expect(row.lastError).toMatch(/^WEBHOOK_TENANT_UNRESOLVED/)
    // Not due yet: the backoff holds it back.
    expect((await inbox.processDue({ only: { eventId: e.id } })).claimed).toBe(0)
    tenant = freshTenant()
    await ledger.createAccount(tenant, { id: 'gateway', currency: 'USD', normalSide: 'debit' })
    await ledger.createAccount(tenant, { id: 'merchant', currency: 'USD', normalSide: 'credit' })
    t.owners.set(ref, tenant)
    clock.advance(1300)
    expect(await inbox.processDue({ only: { eventId: e.id } })).toMatchObject({ processed: 1 })
    expect(await ledgerEffects(h, tenant)).toBe(1)
  })

  it('retries a failing event with backoff, dead-letters it, and a replay applies it exactly once', async () => {
    const ref = await newPayment()
    const e = captured(ref)
    t.failures.set(e.id, 3)
    await deliver(e)
    const delays: number[] = []
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = await inbox.processDue({ only: { eventId: e.id } })
      expect(r.claimed).toBe(1)
      const row = (await rowsFor(e.id))[0]!
      expect(row.attempts).toBe(attempt)
      // The effect written before the failure was rolled back with it.
      expect(await ledgerEffects(h, tenant)).toBe(0)
      if (attempt < 3) {
        expect(row.status).toBe('pending')
        delays.push(row.nextAttemptAt.getTime() - clock.now().getTime())
        clock.set(row.nextAttemptAt)
      } else {
        expect(row.status).toBe('dead')
        expect(row.lastError).toContain('simulated failure')
      }
    }
    expect(delays[0]).toBeGreaterThanOrEqual(800)
    expect(delays[0]).toBeLessThanOrEqual(1200)
    expect(delays[1]).toBeGreaterThanOrEqual(1600)
    expect(delays[1]).toBeLessThanOrEqual(2400)
    // Dead rows are not picked up again, whatever the time.
    clock.advance(3_600_000)
    expect((await inbox.processDue({ only: { eventId: e.id } })).claimed).toBe(0)
    expect((await inbox.list({ status: 'dead', eventId: e.id })).map((r) => r.eventId)).toEqual([e.id])

    const replay = await inbox.replay({ eventId: e.id, gateway: 'sandbox' })
    expect(replay.revived).toHaveLength(1)
    expect(replay.round).toMatchObject({ processed: 1 })
    expect((await rowsFor(e.id))[0]).toMatchObject({ status: 'processed', outcome: 'applied' })
    expect(await ledgerEffects(h, tenant)).toBe(1)
    // A second replay finds nothing dead and changes nothing.
    expect(await codeOf(inbox.replay({ eventId: e.id }))).toBe('WEBHOOK_EVENT_NOT_DEAD')
    expect(await ledgerEffects(h, tenant)).toBe(1)
  })

  it('rolls back only the failing row of a round', async () => {
    const ref = await newPayment()
    const good = captured(ref, 100n)
    const bad = captured(ref, 200n)
    t.failures.set(bad.id, 1)
    await deliver(good)
    await deliver(bad)
    const r = await inbox.processDue({ only: { gateway: 'sandbox' }, limit: 1000 })
    expect(r.retried).toBeGreaterThanOrEqual(1)
    expect((await rowsFor(good.id))[0]?.status).toBe('processed')
    expect((await rowsFor(bad.id))[0]?.status).toBe('pending')
    expect(await ledgerEffects(h, tenant)).toBe(1)
  })

  it('marks vendor events it does not map as ignored without touching payments', async () => {
    const e: GatewayEvent = {
      id: newId('evt'),
      type: 'ignored',
      vendorType: 'customer.updated',
      occurredAt: clock.now(),
    }
    await deliver(e)
    await inbox.processDue({ only: { eventId: e.id } })
    expect((await rowsFor(e.id))[0]).toMatchObject({
      status: 'processed',
      outcome: 'ignored',
      vendorType: 'customer.updated',
    })
  })

  it('answers WEBHOOK_INBOX_UNAVAILABLE (503, the gateway redelivers) when the row cannot be stored', async () => {
    const down = await openTestDb(target)
    const other = createWebhookInbox({
      db: down,
      clock,
      gateway: () => sandbox,
      payments: t.port,
    })
    await down.close()
    const w = sandbox.webhookFor(captured(newId('sbx')))
    expect(await codeOf(other.receive('sandbox', Buffer.from(w.body), w.headers))).toBe(
      'WEBHOOK_INBOX_UNAVAILABLE',
    )
  })

  it('answers a redelivery of an event it stored without a query, and still checks its signature', async () => {
    const own = await openTestDb(target)
    const intake = createWebhookInbox({ db: own, clock, gateway: () => sandbox, payments: t.port })
    const e = captured(newId('sbx'))
    const w = sandbox.webhookFor(e)
    const resend = () => intake.receive('sandbox', Buffer.from(w.body), w.headers)
    expect((await resend()).duplicate).toBe(false)
    // With its database gone, this process can only answer from what it saw committed.
    await own.close()
    expect(await resend()).toEqual({ eventId: e.id, tenantId: UNROUTED_TENANT, duplicate: true })
    const forged = { ...w.headers, 'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}` }
    expect(await codeOf(intake.receive('sandbox', Buffer.from(w.body), forged))).toBe(
      'WEBHOOK_SIGNATURE_INVALID',
    )
    const other = sandbox.webhookFor(captured(newId('sbx')))
    expect(await codeOf(intake.receive('sandbox', Buffer.from(other.body), other.headers))).toBe(
      'WEBHOOK_INBOX_UNAVAILABLE',
    )
    if (!h.pool) return // PGlite: each handle is a database of its own
    // Another process (here: this suite's inbox) learns it from the table, not from memory.
    expect((await deliver(e)).duplicate).toBe(true)
    expect(await rowsFor(e.id)).toHaveLength(1)
  })

  it('keeps the raw body byte for byte', async () => {
    const ref = await newPayment()
    const e = captured(ref)
    const w = sandbox.webhookFor(e)
    await inbox.receive('sandbox', Buffer.from(w.body), w.headers)
    const raw = await sql<{ raw_body: Uint8Array }>`
      SELECT raw_body FROM payment_webhook_inbox WHERE gateway = 'sandbox' AND event_id = ${e.id}`.execute(
      h.db,
    )
    expect(Buffer.from(raw.rows[0]!.raw_body).toString()).toBe(w.body)
  })
})
