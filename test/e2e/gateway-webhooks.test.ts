import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createSandboxGateway, type GatewayEvent } from '../../src/modules/payments/index.js'
import { fixedClock } from '../../src/shared/clock.js'
import { newId } from '../../src/shared/ids.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { describeEachDb } from '../support/db.js'

const SECRET = `whsec_${Buffer.from('e2e-gateway-webhook-secret-32-by').toString('base64')}`

interface PaymentJson {
  id: string
  status: string
  amount: string
  amountCaptured: string
  amountRefunded: string
  gatewayRef: string | null
}

describeEachDb('gateway webhooks over HTTP', (target) => {
  const clock = fixedClock(new Date())
  const signer = createSandboxGateway({ webhookSecret: SECRET, clock })
  let t: TestApp

  beforeAll(async () => {
    // Its own database: other suites drain every due inbox row of theirs (processDue without a
    // filter) on real clocks, and once claimed this suite's retried refund before its capture was in.
    t = await createTestApp(target, {
      clock,
      ownDatabase: true,
      env: {
        MONETA_SANDBOX_WEBHOOK_SECRET: SECRET,
        MONETA_GATEWAY_WEBHOOK_MAX_ATTEMPTS: '3',
        MONETA_GATEWAY_WEBHOOK_RETRY_BASE_MS: '1000',
      },
    })
  })
  afterAll(async () => t.close())

  const api = async <T>(method: 'GET' | 'POST', url: string, body?: unknown) => {
    const r = await t.app.server.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${t.apiKey}`,
        ...(method === 'POST' ? { 'idempotency-key': newId('idem') } : {}),
      },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    })
    return { status: r.statusCode, body: r.json<T>() }
  }
  const createPayment = async (body: Record<string, unknown>) => {
    const r = await api<PaymentJson>('POST', '/v1/payments', {
      amount: '2500',
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      ...body,
    })
    expect(r.status).toBe(201)
    return r.body
  }
  const getPayment = async (id: string) => (await api<PaymentJson>('GET', `/v1/payments/${id}`)).body

  const send = async (
    e: GatewayEvent,
    tamper?: (w: { body: string; headers: Record<string, string> }) => void,
    gateway = 'sandbox',
  ) => {
    const w = signer.webhookFor(e)
    tamper?.(w)
    const r = await t.app.server.inject({
      method: 'POST',
      url: `/v1/webhooks/${gateway}`,
      headers: w.headers,
      payload: w.body,
    })
    return { status: r.statusCode, body: r.json<{ duplicate?: boolean; error?: { code: string } }>() }
  }
  /** What the background worker does: rounds until nothing is due. */
  const drain = async () => {
    while ((await t.app.services.gatewayWebhooks.processDue()).claimed > 0);
  }
  const event = (
    type: GatewayEvent['type'],
    p: PaymentJson,
    extra: Partial<GatewayEvent> = {},
  ): GatewayEvent => ({
    id: newId('evt'),
    type,
    vendorType: `sandbox.${type}`,
    paymentId: p.id,
    ...(p.gatewayRef ? { paymentRef: p.gatewayRef } : {}),
    amount: BigInt(p.amount),
    currency: 'USD',
    occurredAt: clock.now(),
    ...extra,
  })
  /** Ledger transactions in force (holds posted by a capture, refunds, fees): the events' effects. */
  const ledgerTransactions = async () =>
    Number(
      (
        await sql<{ n: string | number }>`
          SELECT count(*) AS n FROM ledger_transactions
          WHERE tenant_id = ${t.tenantId} AND status = 'posted'`.execute(t.app.services.db.db)
      ).rows[0]!.n,
    )
  /** What the ledger says was captured at the sandbox, all payments of the tenant together. */
  const capturedInLedger = async () =>
    (await t.app.services.ledger.balances(t.tenantId, 'pay.gateway.sandbox.USD')).debitsPosted
  const inboxRows = (eventId: string) => t.app.services.gatewayWebhooks.list({ eventId, gateway: 'sandbox' })

  it('a capture delivered three times: 200 each, stored once, captured once', async () => {
    const p = await createPayment({ capture: 'manual' })
    expect(p.status).toBe('requires_capture')
    const before = await ledgerTransactions()
    const capturedBefore = await capturedInLedger()
    const e = event('payment.captured', p)
    const answers = [await send(e), await send(e)]
    // Nothing is applied before the worker runs: the answer does not wait for processing.
    expect((await getPayment(p.id)).status).toBe('requires_capture')
    await drain()
    answers.push(await send(e))
    await drain()
    expect(answers.map((a) => [a.status, a.body.duplicate])).toEqual([
      [200, false],
      [200, true],
      [200, true],
    ])
    expect(await inboxRows(e.id)).toHaveLength(1)
    const after = await getPayment(p.id)
    expect([after.status, after.amountCaptured]).toEqual(['succeeded', '2500'])
    expect((await ledgerTransactions()) - before).toBe(1)
    expect((await capturedInLedger()) - capturedBefore).toBe(2500n)
  })

  it('refuses forged, stale, malformed and unsigned webhooks with 400 and stores nothing', async () => {
    const p = await createPayment({ capture: 'manual' })
    const e = event('payment.captured', p)
    const tampers: ((w: { body: string; headers: Record<string, string> }) => void)[] = [
      (w) => (w.headers['webhook-signature'] = `v1,${Buffer.alloc(32, 1).toString('base64')}`),
      (w) => (w.body = w.body.replace('"2500"', '"250000"')),
      (w) => (w.headers['webhook-timestamp'] = String(Math.floor(clock.now().getTime() / 1000) - 600)),
      (w) => (w.headers['webhook-signature'] = 'not-a-signature'),
      (w) => delete w.headers['webhook-signature'],
      (w) => (w.body = `${w.body} `),
    ]
    for (const tamper of tampers) {
      const r = await send(e, tamper)
      expect([r.status, r.body.error?.code]).toEqual([400, 'WEBHOOK_SIGNATURE_INVALID'])
    }
    expect(await inboxRows(e.id)).toEqual([])
    await drain()
    expect((await getPayment(p.id)).status).toBe('requires_capture')
  })

  it('answers 404 for an unknown gateway and 415 for a body type no gateway sends', async () => {
    const p = await createPayment({ capture: 'manual' })
    const e = event('payment.captured', p)
    const unknown = await send(e, undefined, 'paypal')
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'WEBHOOK_GATEWAY_UNKNOWN'])
    const xml = await send(e, (w) => (w.headers['content-type'] = 'application/xml'))
    expect(xml.status).toBe(415)
    expect(await inboxRows(e.id)).toEqual([])
  })

  it('applies a refund that arrives before its capture once the capture is in', async () => {
    const p = await createPayment({ capture: 'manual' })
    const before = await ledgerTransactions()
    const refund = event('refund.succeeded', p, { objectRef: newId('sbx_re'), amount: 1000n })
    const capture = event('payment.captured', p)
    // Drained before the capture is even received: out of order, retried later.
    expect((await send(refund)).status).toBe(200)
    await drain()
    const [row] = await inboxRows(refund.id)
    expect(row).toMatchObject({ status: 'pending', attempts: 1 })
    expect(row?.lastError).toMatch(/PAYMENT_EVENT_OUT_OF_ORDER/)
    // The retry shares a round with the capture: payment-level facts apply before refunds.
    expect((await send(capture)).status).toBe(200)
    clock.advance(1500)
    await drain()
    expect((await inboxRows(refund.id))[0]?.status).toBe('processed')
    const after = await getPayment(p.id)
    expect([after.amountCaptured, after.amountRefunded]).toEqual(['2500', '1000'])
    // Late redeliveries of both change nothing.
    await send(refund)
    await send(capture)
    await drain()
    expect((await ledgerTransactions()) - before).toBe(2)
  })

  it('dead-letters an event that keeps failing; a replay applies it exactly once', async () => {
    const p = await createPayment({ capture: 'manual' })
    const refund = event('refund.succeeded', p, { objectRef: newId('sbx_re'), amount: 700n })
    await send(refund)
    for (let i = 0; i < 3; i++) {
      await drain()
      clock.advance(10_000)
    }
    const dead = await t.app.services.gatewayWebhooks.list({ status: 'dead', eventId: refund.id })
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({ attempts: 3 })
    // The capture the refund was waiting for comes in through the API; then the operator replays.
    const captured = await api<PaymentJson>('POST', `/v1/payments/${p.id}/capture`, {})
    expect(captured.body.status).toBe('succeeded')
    const before = await ledgerTransactions()
    const r = await t.app.services.gatewayWebhooks.replay({ eventId: refund.id })
    expect(r.round.processed).toBe(1)
    expect((await getPayment(p.id)).amountRefunded).toBe('700')
    await expect(t.app.services.gatewayWebhooks.replay({ eventId: refund.id })).rejects.toMatchObject({
      code: 'WEBHOOK_EVENT_NOT_DEAD',
    })
    await send(refund)
    await drain()
    expect((await ledgerTransactions()) - before).toBe(1)
  })

  it('a client confirm racing a capture webhook captures once', async () => {
    for (let i = 0; i < 5; i++) {
      const p = await createPayment({ capture: 'automatic', confirm: false })
      expect(p.status).toBe('requires_confirmation')
      const before = await capturedInLedger()
      const e = event('payment.captured', p)
      await Promise.all([
        api<PaymentJson>('POST', `/v1/payments/${p.id}/confirm`, {}),
        send(e).then(drain),
        drain(),
      ])
      await drain()
      const after = await getPayment(p.id)
      expect([after.status, after.amountCaptured]).toEqual(['succeeded', '2500'])
      expect((await capturedInLedger()) - before).toBe(2500n)
    }
  })

  it('a capture call racing a capture webhook captures once', async () => {
    for (let i = 0; i < 5; i++) {
      const p = await createPayment({ capture: 'manual' })
      const before = await capturedInLedger()
      const e = event('payment.captured', p)
      await Promise.all([api('POST', `/v1/payments/${p.id}/capture`, {}), send(e).then(drain)])
      await drain()
      const after = await getPayment(p.id)
      expect([after.status, after.amountCaptured]).toEqual(['succeeded', '2500'])
      expect((await capturedInLedger()) - before).toBe(2500n)
    }
  })
})
