import { afterAll, beforeAll, expect, it } from 'vitest'
import { newId } from '../../src/shared/ids.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { describeEachDb } from '../support/db.js'

/** Issue 15 "Faults and hostile input" 5: /metrics an operator can alert on (docs/metrics.md). */
describeEachDb('GET /metrics', (target) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(target)
  })
  afterAll(async () => t.close())

  const call = (method: 'GET' | 'POST', url: string, key: string, body?: unknown) =>
    t.app.server.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': newId('idem') },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    })
  /** The value of one series, e.g. value(text, 'moneta_ledger_batch_size_count'). */
  const value = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `))
    return line === undefined ? undefined : Number(line.slice(series.length + 1))
  }

  it('is platform-wide, so a tenant admin key (`*`) is refused and the platform owner reads it', async () => {
    expect((await t.app.server.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401)
    const tenantAdmin = await call('GET', '/metrics', t.apiKey)
    expect(tenantAdmin.statusCode).toBe(403)
    expect(tenantAdmin.json()).toMatchObject({ error: { code: 'FORBIDDEN' } })
    expect((await call('GET', '/metrics', t.bootstrapApiKey)).statusCode).toBe(200)
  })

  it('counts requests per route template and status, ledger batches, decisions and database gauges', async () => {
    const pay = await call('POST', '/v1/payments', t.apiKey, {
      amount: '1200',
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
    })
    expect(pay.statusCode).toBe(201)
    expect((await call('GET', '/v1/payments/pay_missing', t.apiKey)).statusCode).toBe(404)
    await call('POST', '/v1/screening/check', t.apiKey, { name: 'Alex Morgan' })
    const r = await call('GET', '/metrics', t.bootstrapApiKey)
    expect(r.headers['content-type']).toContain('text/plain')
    const text = r.body
    expect(
      value(text, 'moneta_http_requests_total{method="POST",route="/v1/payments",status="201"}'),
    ).toBeGreaterThanOrEqual(1)
    // The template, not the URL: one series for every payment id.
    expect(
      value(text, 'moneta_http_requests_total{method="GET",route="/v1/payments/:id",status="404"}'),
    ).toBeGreaterThanOrEqual(1)
    expect(text).not.toContain('pay_missing')
    expect(
      value(text, 'moneta_http_request_duration_seconds_count{method="POST",route="/v1/payments"}'),
    ).toBeGreaterThanOrEqual(1)
    // The payment booked through the wrapped ledger.
    expect(value(text, 'moneta_ledger_batch_size_count')).toBeGreaterThanOrEqual(1)
    expect(value(text, 'moneta_decision_duration_seconds_count{engine="screening"}')).toBeGreaterThanOrEqual(
      1,
    )
    for (const series of [
      'moneta_outbox_unsent_events',
      'moneta_outbox_lag_seconds',
      'moneta_gateway_webhook_inbox{status="pending"}',
      'moneta_gateway_webhook_inbox{status="dead"}',
      'moneta_auth_lockouts{kind="operator"}',
      'moneta_auth_lockouts{kind="address"}',
    ]) {
      expect(value(text, series), series).toBeGreaterThanOrEqual(0)
    }
    // The payment's events were committed to the outbox, and no relay runs in this test app.
    expect(value(text, 'moneta_outbox_unsent_events')).toBeGreaterThanOrEqual(1)
    expect(value(text, 'moneta_process_resident_memory_bytes')).toBeGreaterThan(0)
  })
})
