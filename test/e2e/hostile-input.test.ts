import { afterAll, beforeAll, expect, it } from 'vitest'
import { createSandboxProvider } from '../../src/modules/banking/index.js'
import { signSandboxWebhook } from '../../src/modules/payments/index.js'
import { newId } from '../../src/shared/ids.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { describeEachDb } from '../support/db.js'

/**
 * One regression test per kind of cause the API fuzzer found (issue 15, "Faults and hostile input" 1
 * and finding 8): each used to answer 500 (or 503, or leave a payment stuck); each is now refused at
 * the edge with a 4xx and a documented code, for every route.
 */
const BANK_SECRET = 'fuzz-sandbox-bank-webhook-secret'
const GATEWAY_SECRET = `whsec_${Buffer.from('hostile-gateway-webhook-secret-3').toString('base64')}`

describeEachDb('hostile input at the edge', (target) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(target, {
      env: { MONETA_SANDBOX_WEBHOOK_SECRET: GATEWAY_SECRET, MONETA_SANDBOX_BANK_WEBHOOK_SECRET: BANK_SECRET },
    })
  })
  afterAll(async () => t.close())

  const send = async (
    method: string,
    url: string,
    payload?: string,
    headers: Record<string, string> = {},
  ) => {
    const r = await t.app.server.inject({
      method: method as 'POST',
      url,
      headers: {
        authorization: `Bearer ${t.apiKey}`,
        'idempotency-key': newId('idem'),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(payload === undefined ? {} : { payload }),
    })
    const body = r.json<{ error?: { code: string; message: string } }>()
    return { status: r.statusCode, code: body.error?.code, message: body.error?.message, body }
  }
  const post = (url: string, body: unknown) => send('POST', url, JSON.stringify(body))

  it('refuses NUL and lone surrogates in any body string, key, query or path with 400 INVALID_TEXT', async () => {
    const payment = { amount: '100', currency: 'USD', paymentMethod: 'pm_card_visa' }
    for (const r of [
      await post('/v1/payments', { ...payment, description: 'a\u0000b' }),
      await post('/v1/payments', { ...payment, metadata: { note: 'x\ud800' } }),
      await post('/v1/payments', { ...payment, metadata: { ['k\udfff']: 'v' } }),
      await post('/v1/accounts', { code: 'nul\u0000', currency: 'USD', normalSide: 'debit' }),
      await send('GET', '/v1/accounts/acc%00x'),
      await send('GET', '/v1/payments?customer=%00'),
      // Refused before access control: the route needs vault:detokenize, and a refusal is audited.
      await send('POST', '/v1/vault/cards/a%00b/detokenize'),
    ]) {
      expect(r).toMatchObject({ status: 400, code: 'INVALID_TEXT' })
    }
    // A well-formed pair (an emoji) is text like any other.
    expect((await post('/v1/payments', { ...payment, description: 'ok 😀' })).status).toBe(201)
  })

  it('refuses JSON nested 20,000 deep before parsing, and a literal null body, with 400', async () => {
    const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)
    expect(await send('POST', '/v1/accounts', deep)).toMatchObject({ status: 400, code: 'JSON_TOO_DEEP' })
    expect(await send('POST', '/v1/transactions', '['.repeat(70) + ']'.repeat(70))).toMatchObject({
      code: 'JSON_TOO_DEEP',
    })
    const p = await post('/v1/payments', {
      amount: '1000',
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      capture: 'manual',
    })
    expect(p.status).toBe(201)
    const id = (p.body as { id: string }).id
    for (const action of ['capture', 'refunds']) {
      expect(await send('POST', `/v1/payments/${id}/${action}`, 'null')).toMatchObject({
        status: 400,
        code: 'VALIDATION_ERROR',
      })
    }
    // Nothing was captured by the refused null.
    expect((await send('GET', `/v1/payments/${id}`)).body).toMatchObject({ amountCaptured: '0' })
  })

  it('refuses numbers beyond their column: creditLimit, monitoring amount, backtest version, 2^63−1 payments', async () => {
    const r1 = await post('/v1/accounts', {
      code: `cl-${newId('a')}`,
      currency: 'USD',
      normalSide: 'debit',
      creditLimit: '9'.repeat(20),
    })
    expect(r1).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' })
    expect(r1.message).toContain('9223372036854775807')
    const evaluate = await post('/v1/monitoring/evaluate', {
      id: 't1',
      amount: '9999999999999999999',
      currency: 'USD',
      kind: 'transfer',
      src: 'a',
      dst: 'b',
    })
    expect(evaluate).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' })
    const backtest = await post('/v1/monitoring/backtests', {
      version: 2 ** 40,
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-02T00:00:00Z',
    })
    expect(backtest).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' })
    // Year 0000 is valid RFC 3339 but no PostgreSQL timestamptz.
    expect(await send('GET', '/v1/monitoring/alerts?from=0000-01-01T00:00:00Z')).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
    })
    const huge = await post('/v1/payments', {
      amount: '9223372036854775807',
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
    })
    expect(huge).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' })
    // And the next ordinary payment still books.
    const next = await post('/v1/payments', { amount: '500', currency: 'USD', paymentMethod: 'pm_card_visa' })
    expect(next.body).toMatchObject({ status: 'succeeded', amountCaptured: '500' })
  })

  it('takes the same party id twice in one batch (the last one wins)', async () => {
    const party = (risk: string) => ({
      id: 'dup-1',
      segment: 'individual',
      country: 'US',
      risk,
      openedAt: '2026-01-01T00:00:00Z',
    })
    const r = await send(
      'PUT',
      '/v1/monitoring/parties',
      JSON.stringify({ parties: [party('low'), party('high')] }),
    )
    expect(r.status).toBe(200)
  })

  it('answers Fastify-level errors in our shape with our codes', async () => {
    expect(await send('GET', '/v1/accounts/%E0%A4%A')).toMatchObject({ status: 400, code: 'INVALID_URL' })
    expect(await send('GET', `/v1/accounts/${'x'.repeat(101)}`)).toMatchObject({
      status: 414,
      code: 'URL_PARAM_TOO_LONG',
    })
    expect(await send('POST', '/v1/accounts', '{}', { 'content-type': 'application/xml' })).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    })
    expect(await send('POST', '/v1/accounts', '{"a":')).toMatchObject({ status: 400, code: 'INVALID_JSON' })
    expect(await send('POST', '/v1/accounts', 'x'.repeat(1_100_000))).toMatchObject({
      status: 413,
      code: 'BODY_TOO_LARGE',
    })
  })

  it('answers a signed gateway webhook carrying NUL with 400 (which the gateway stops retrying), never 503', async () => {
    const body = JSON.stringify({
      id: 'evt_nul_1',
      type: 'payment.captured',
      created: new Date().toISOString(),
      data: { paymentRef: 'sbx_pi_x\u0000', amount: '100', currency: 'USD' },
    })
    const r = await t.app.server.inject({
      method: 'POST',
      url: '/v1/webhooks/sandbox',
      headers: {
        'content-type': 'application/json',
        ...signSandboxWebhook(GATEWAY_SECRET, body, { id: 'evt_nul_1', at: new Date() }),
      },
      payload: body,
    })
    expect(r.statusCode).toBe(400)
    expect(r.json()).toMatchObject({ error: { code: 'INVALID_TEXT' } })
  })

  it('answers a correctly signed bank webhook that is not JSON or has fields of the wrong type with 400', async () => {
    // Signed as the sandbox bank signs: over JSON.stringify of the object (the bytes sent).
    const bank = createSandboxProvider({ webhookSecret: BANK_SECRET })
    const signed = (body: string) =>
      t.app.server.inject({
        method: 'POST',
        url: '/v1/banking/webhooks/sandbox',
        headers: bank.webhook(body === '{' ? {} : (JSON.parse(body) as Record<string, unknown>)).headers,
        payload: body,
      })
    // Not JSON at all: refused at the edge before any provider parses (or verifies) it.
    const notJson = await signed('{')
    expect(notJson.statusCode).toBe(400)
    expect(notJson.json()).toMatchObject({ error: { code: 'INVALID_JSON' } })
    for (const body of ['{"id":"wh_1","item_id":{},"code":"SYNC_UPDATES_AVAILABLE"}', '{"id":5}']) {
      const r = await signed(body)
      expect(r.statusCode).toBe(400)
      expect(r.json()).toMatchObject({ error: { code: 'BANK_WEBHOOK_PAYLOAD_INVALID' } })
    }
  })
})
