import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Subscription } from '../../src/modules/events/index.js'
import { createTestApp, type TestApp } from '../support/app.js'

/**
 * `?async=true` over HTTP (issue #18 item 5): 202 with a command id, the app's own outbox relay and
 * in-process bus, the consumer group, the outcome by id. On PGlite: the relay of an app on a shared
 * PostgreSQL database would take other test files' outbox rows (commands.integration.test.ts covers
 * both databases without a relay).
 */
describe('asynchronous intake over HTTP [pglite]', () => {
  let t: TestApp
  let consumer: Subscription
  let n = 0
  beforeAll(async () => {
    t = await createTestApp({ name: 'pglite' })
    await t.app.services.events.start()
    consumer = await t.app.services.paymentCommands.startConsumer(t.app.services.events.bus)
  }, 180_000)
  afterAll(async () => {
    await consumer.close()
    await t.close()
  })

  const call = (method: 'GET' | 'POST', url: string, body?: unknown, key: string | null = `async-${++n}`) =>
    t.app.server.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${t.apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(key === null || method === 'GET' ? {} : { 'idempotency-key': key }),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    })
  const settled = async (id: string) => {
    const end = Date.now() + 60_000
    for (;;) {
      const r = await call('GET', `/v1/payments/commands/${id}`)
      expect(r.statusCode).toBe(200)
      const c = r.json<{ status: string; resourceId: string | null; result: unknown; error: unknown }>()
      if (c.status !== 'accepted') return c
      if (Date.now() > end) throw new Error(`command ${id} still accepted`)
      await new Promise((res) => setTimeout(res, 50))
    }
  }

  it('accepts a payment with 202, applies it once, and answers its outcome by id', async () => {
    const body = { amount: '1234', currency: 'USD', paymentMethod: 'pm_card_visa' }
    const r = await call('POST', '/v1/payments?async=true', body, 'async-pay-1')
    expect(r.statusCode).toBe(202)
    const accepted = r.json<{ commandId: string; status: string; duplicate: boolean; location: string }>()
    expect(accepted).toMatchObject({ status: 'accepted', duplicate: false })
    expect(r.headers.location).toBe(accepted.location)
    const again = await call('POST', '/v1/payments?async=true', body, 'async-pay-1')
    expect(again.json()).toMatchObject({ commandId: accepted.commandId, duplicate: true })
    const c = await settled(accepted.commandId)
    expect(c).toMatchObject({ status: 'succeeded', result: { amount: '1234', status: 'succeeded' } })
    const p = await call('GET', `/v1/payments/${c.resourceId}`)
    expect(p.json()).toMatchObject({ id: c.resourceId, amountCaptured: '1234' })
    // The synchronous create under the same key is the same payment.
    const sync = await call('POST', '/v1/payments', body, 'async-pay-1')
    expect(sync.json()).toMatchObject({ id: c.resourceId })
    // Its transitions, applied by the consumer, name the principal that submitted it, not the gateway.
    const who = (await t.app.services.auth.authenticate(t.apiKey))!.actor
    await t.app.services.audit.flush()
    const entries = (await t.app.services.audit.entries(t.tenantId, 0, 10_000)).flatMap((e) =>
      e.entry && e.entry.resource === `payments:${c.resourceId}` ? [e.entry] : [],
    )
    const transitions = entries.filter((e) => e.action.startsWith('payments.payment.'))
    expect(transitions.map((e) => e.action)).toContain('payments.payment.processing')
    for (const e of transitions) {
      expect(e.actor).toBe(who)
      expect(e.origin).not.toBe('worker')
    }
  })

  it('accepts many payment commands in one request, one result per item, each applied once', async () => {
    const item = (key: string, amount: string) => ({
      idempotencyKey: key,
      amount,
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
    })
    // An earlier command under the key the batch reuses for another amount: that item alone is refused.
    const earlier = await call(
      'POST',
      '/v1/payments?async=true',
      { amount: '5', currency: 'USD', paymentMethod: 'pm_card_visa' },
      'bulk-taken',
    )
    expect(earlier.statusCode).toBe(202)
    const items = [
      item('bulk-1', '101'),
      item('bulk-2', '102'),
      item('bulk-taken', '999'),
      item('bulk-1', '101'),
    ]
    const r = await call('POST', '/v1/payments/commands', { items }, null)
    expect(r.statusCode, r.body).toBe(202)
    const out = r.json<{
      items: { commandId?: string; idempotencyKey: string; duplicate?: boolean; error?: { code: string } }[]
    }>().items
    expect(out.map((x) => x.idempotencyKey)).toEqual(['bulk-1', 'bulk-2', 'bulk-taken', 'bulk-1'])
    expect(out[0]).toMatchObject({ status: 'accepted', duplicate: false })
    expect(out[1]).toMatchObject({ status: 'accepted', duplicate: false })
    expect(out[2]).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } })
    // The same key twice in one request is one command.
    expect(out[3]).toMatchObject({ commandId: out[0]!.commandId, duplicate: true })
    const amounts: string[] = []
    for (const x of out.slice(0, 2)) {
      const c = await settled(x.commandId!)
      expect(c.status).toBe('succeeded')
      const p = await call('GET', `/v1/payments/${c.resourceId}`)
      amounts.push(p.json<{ amountCaptured: string }>().amountCaptured)
    }
    expect(amounts).toEqual(['101', '102'])
    // A resend of the whole request is all duplicates of the same commands.
    const again = (await call('POST', '/v1/payments/commands', { items: items.slice(0, 2) }, null)).json<{
      items: { commandId: string; duplicate: boolean }[]
    }>().items
    expect(again.map((x) => [x.commandId, x.duplicate])).toEqual([
      [out[0]!.commandId, true],
      [out[1]!.commandId, true],
    ])
    for (const [body, code] of [
      [{ items: [] }, 'VALIDATION_ERROR'],
      [{ items: [{ ...item('bulk-x', '1'), partyId: `pty_${'0'.repeat(32)}` }] }, 'VALIDATION_ERROR'],
      [{ items: [{ amount: '1', currency: 'USD', paymentMethod: 'pm_card_visa' }] }, 'VALIDATION_ERROR'],
      [{ items: Array.from({ length: 1001 }, (_, i) => item(`bulk-many-${i}`, '1')) }, 'VALIDATION_ERROR'],
    ] as const) {
      const bad = await call('POST', '/v1/payments/commands', body, null)
      expect(bad.statusCode).toBe(400)
      expect(bad.json()).toMatchObject({ error: { code } })
    }
  })

  it('queues a ledger bulk and refuses what it cannot honour', async () => {
    for (const [id, side] of [
      ['async_src', 'debit'],
      ['async_dst', 'credit'],
    ] as const)
      expect((await call('POST', '/v1/accounts', { id, currency: 'USD', normalSide: side })).statusCode).toBe(
        201,
      )
    const legs = [{ source: 'async_src', destination: 'async_dst', amount: '70', currency: 'USD' }]
    const r = await call(
      'POST',
      '/v1/transactions/bulk?async=true',
      { items: [{ op: 'create', legs }] },
      null,
    )
    expect(r.statusCode).toBe(202)
    const c = await settled(r.json<{ commandId: string }>().commandId)
    expect(c).toMatchObject({ status: 'succeeded', result: { results: [{ ok: true }] } })
    const party = await call('POST', '/v1/payments?async=true', {
      amount: '1',
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      partyId: `pty_${'0'.repeat(32)}`,
    })
    expect(party.statusCode).toBe(400)
    expect(party.json()).toMatchObject({ error: { code: 'PAYMENT_COMMAND_UNSUPPORTED_FIELD' } })
    const missing = await call('GET', '/v1/payments/commands/cmd_none')
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toMatchObject({ error: { code: 'PAYMENT_COMMAND_NOT_FOUND' } })
  })
})
