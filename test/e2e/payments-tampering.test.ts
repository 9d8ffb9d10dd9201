/**
 * Tampering and races against the payments API: every attempt is refused with a stable code and
 * leaves the books exactly as they were (balances compared before/after, ledger.verify()).
 * On PostgreSQL the concurrent requests really run in parallel (pool of connections).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chartOfAccounts } from '../../src/modules/payments/index.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

interface PaymentJson {
  id: string
  status: string
  amount: string
  currency: string
  amountCaptured: string
  amountRefunded: string
  gatewayRef: string
}

for (const target of testDbTargets()) {
  describe(`payments tampering [${target.name}]`, () => {
    let t: TestApp
    let n = 0
    beforeAll(async () => {
      t = await createTestApp(target)
    }, 180_000) // starting an app migrates a fresh database: slow on a loaded machine
    afterAll(async () => t.close())

    const call = (
      method: 'GET' | 'POST' | 'PATCH',
      url: string,
      body?: unknown,
      key?: string,
      apiKey = t.apiKey,
    ) =>
      t.app.server.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(method === 'GET' ? {} : { 'idempotency-key': key ?? `tk-${++n}-${Math.random()}` }),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      })

    /** A fresh tenant per test, so its books start empty and nothing else moves them. */
    const tenant = async () => {
      const { tenantId, apiKey } = await t.newTenant()
      const books = async () => {
        const out: Record<string, string> = {}
        for (const [role, id] of Object.entries(chartOfAccounts('sandbox', 'USD')) as [string, string][]) {
          try {
            const b = await t.app.services.ledger.balances(tenantId, id)
            out[role] = `${b.posted}/${b.debitsPending}/${b.creditsPending}`
          } catch {
            out[role] = 'none'
          }
        }
        return out
      }
      const create = async (body: Record<string, unknown> = {}) => {
        const r = await call(
          'POST',
          '/v1/payments',
          { amount: '1000', currency: 'USD', paymentMethod: 'pm_card_visa', ...body },
          undefined,
          apiKey,
        )
        expect(r.statusCode).toBe(201)
        return r.json<PaymentJson>()
      }
      const send = (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, key?: string) =>
        call(method, url, body, key, apiKey)
      const verified = async () => expect((await t.app.services.ledger.verify(tenantId)).ok).toBe(true)
      return { tenantId, apiKey, books, create, send, verified }
    }

    it('amount and currency cannot change after creation', async () => {
      const a = await tenant()
      const p = await a.create({ capture: 'manual' })
      const before = await a.books()
      for (const body of [{ amount: '1' }, { currency: 'EUR' }, { metadata: {}, amount: '999999' }]) {
        const r = await a.send('PATCH', `/v1/payments/${p.id}`, body)
        expect(r.statusCode).toBe(400)
        expect(r.json()).toMatchObject({ error: { code: 'VALIDATION_ERROR' } })
      }
      for (const path of ['confirm', 'cancel']) {
        const r = await a.send('POST', `/v1/payments/${p.id}/${path}`, { amount: '1' })
        expect(r.statusCode).toBe(400)
      }
      const cur = await a.send('POST', `/v1/payments/${p.id}/capture`, { amount: '500', currency: 'EUR' })
      expect(cur.statusCode).toBe(400)
      const ok = await a.send('PATCH', `/v1/payments/${p.id}`, { metadata: { note: 'only this' } })
      expect(ok.json()).toMatchObject({ amount: '1000', currency: 'USD', metadata: { note: 'only this' } })
      expect(await a.books()).toEqual(before)
      await a.verified()
    })

    it('capture above the authorised amount and refund above the captured amount are refused', async () => {
      const a = await tenant()
      const p = await a.create({ capture: 'manual' })
      const before = await a.books()
      const over = await a.send('POST', `/v1/payments/${p.id}/capture`, { amount: '1001' })
      expect(over.statusCode).toBe(409)
      expect(over.json()).toMatchObject({ error: { code: 'PAYMENT_CAPTURE_EXCEEDS_AUTHORIZED' } })
      const huge = await a.send('POST', `/v1/payments/${p.id}/capture`, { amount: '99999999999999999999' })
      expect(huge.statusCode).toBe(400)
      const zero = await a.send('POST', `/v1/payments/${p.id}/capture`, { amount: '0' })
      expect(zero.statusCode).toBe(400)
      const early = await a.send('POST', `/v1/payments/${p.id}/refunds`, { amount: '1' })
      expect(early.json()).toMatchObject({ error: { code: 'PAYMENT_INVALID_STATE' } })
      expect(await a.books()).toEqual(before)

      await a.send('POST', `/v1/payments/${p.id}/capture`, { amount: '600' })
      const captured = await a.books()
      const tooMuch = await a.send('POST', `/v1/payments/${p.id}/refunds`, { amount: '601' })
      expect(tooMuch.statusCode).toBe(409)
      expect(tooMuch.json()).toMatchObject({ error: { code: 'PAYMENT_REFUND_EXCEEDS_CAPTURED' } })
      expect((await a.send('POST', `/v1/payments/${p.id}/refunds`, { amount: '400' })).statusCode).toBe(201)
      const afterRefund = await a.books()
      const rest = await a.send('POST', `/v1/payments/${p.id}/refunds`, { amount: '201' })
      expect(rest.json()).toMatchObject({ error: { code: 'PAYMENT_REFUND_EXCEEDS_CAPTURED' } })
      expect(await a.books()).toEqual(afterRefund)
      expect(afterRefund).not.toEqual(captured)
      await a.verified()
    })

    it('a request replayed with another body is a conflict and changes nothing', async () => {
      const a = await tenant()
      const p = await a.create({ capture: 'manual' })
      const first = await a.send('POST', `/v1/payments/${p.id}/capture`, { amount: '300' }, 'cap-1')
      expect(first.statusCode).toBe(200)
      const before = await a.books()
      const other = await a.send('POST', `/v1/payments/${p.id}/capture`, { amount: '900' }, 'cap-1')
      expect(other.statusCode).toBe(409)
      expect(other.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } })
      const same = await a.send('POST', `/v1/payments/${p.id}/capture`, { amount: '300' }, 'cap-1')
      expect(same.json()).toEqual(first.json())
      const r1 = await a.send('POST', `/v1/payments/${p.id}/refunds`, { amount: '100' }, 'ref-1')
      const r2 = await a.send('POST', `/v1/payments/${p.id}/refunds`, { amount: '200' }, 'ref-1')
      expect(r2.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } })
      const r3 = await a.send('POST', `/v1/payments/${p.id}/refunds`, { amount: '100' }, 'ref-1')
      expect(r3.json()).toEqual(r1.json())
      // The same key on another endpoint is another request too.
      const cross = await a.send(
        'POST',
        '/v1/payments',
        { amount: '5', currency: 'USD', paymentMethod: 'pm_card_visa' },
        'ref-1',
      )
      expect(cross.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } })
      const after = await a.books()
      expect(after.merchant).not.toEqual(before.merchant) // exactly one refund of 100 moved it
      expect((await a.send('GET', `/v1/payments/${p.id}`)).json()).toMatchObject({
        amountCaptured: '300',
        amountRefunded: '100',
      })
      await a.verified()
    })

    it('20 concurrent captures: exactly one captures', async () => {
      const a = await tenant()
      const p = await a.create({ capture: 'manual', amount: '2000' })
      const results = await Promise.all(
        Array.from({ length: 20 }, () => a.send('POST', `/v1/payments/${p.id}/capture`, { amount: '1500' })),
      )
      const codes = results.map((r) => r.statusCode)
      expect(codes.filter((c) => c === 200)).toHaveLength(1)
      expect(codes.filter((c) => c === 409)).toHaveLength(19)
      for (const r of results.filter((x) => x.statusCode === 409))
        expect(['PAYMENT_INVALID_STATE', 'PAYMENT_OPERATION_IN_PROGRESS']).toContain(
          r.json<{ error: { code: string } }>().error.code,
        )
      const b = await t.app.services.ledger.balances(a.tenantId, chartOfAccounts('sandbox', 'USD').merchant)
      expect(b.posted).toBe(1500n)
      expect(b.creditsPending).toBe(0n)
      await a.verified()
    })

    it('20 concurrent refunds of 100 on 1000 captured: exactly ten succeed', async () => {
      const a = await tenant()
      const p = await a.create({ amount: '1000' })
      const results = await Promise.all(
        Array.from({ length: 20 }, () => a.send('POST', `/v1/payments/${p.id}/refunds`, { amount: '100' })),
      )
      const codes = results.map((r) => r.statusCode)
      expect(codes.filter((c) => c === 201)).toHaveLength(10)
      expect(codes.filter((c) => c === 409)).toHaveLength(10)
      const got = (await a.send('GET', `/v1/payments/${p.id}`)).json<PaymentJson>()
      expect(got.amountRefunded).toBe('1000')
      const merchant = await t.app.services.ledger.balances(
        a.tenantId,
        chartOfAccounts('sandbox', 'USD').merchant,
      )
      expect(merchant.posted).toBe(0n)
      await a.verified()
    })

    it('20 concurrent creates with one key make one payment', async () => {
      const a = await tenant()
      const body = { amount: '321', currency: 'USD', paymentMethod: 'pm_card_visa' }
      const results = await Promise.all(
        Array.from({ length: 20 }, () => a.send('POST', '/v1/payments', body, 'one-key')),
      )
      const ok = results.filter((r) => r.statusCode === 201).map((r) => r.json<PaymentJson>().id)
      expect(new Set(ok).size).toBe(1)
      for (const r of results.filter((x) => x.statusCode !== 201)) {
        expect(r.statusCode).toBe(409)
        expect(r.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_IN_PROGRESS' } })
      }
      const list = (await a.send('GET', '/v1/payments')).json<{ items: unknown[] }>()
      expect(list.items).toHaveLength(1)
      const merchant = await t.app.services.ledger.balances(
        a.tenantId,
        chartOfAccounts('sandbox', 'USD').merchant,
      )
      expect(merchant.posted).toBe(321n)
    })

    it('a webhook racing the client capture captures once', async () => {
      const a = await tenant()
      const p = await a.create({ capture: 'manual', amount: '800' })
      const { payments } = t.app.services
      const webhook = () =>
        t.app.services.db.db.transaction().execute((tx) =>
          payments.webhooks.applyGatewayEvent(
            a.tenantId,
            'sandbox',
            {
              id: `evt_race_${Math.random()}`,
              type: 'payment.captured',
              vendorType: 'charge.captured',
              paymentRef: p.gatewayRef,
              amount: 800n,
              occurredAt: new Date(),
            },
            { tx },
          ),
        )
      const [api, ...hooks] = await Promise.all([
        a.send('POST', `/v1/payments/${p.id}/capture`, {}),
        webhook(),
        webhook(),
        webhook(),
      ])
      expect(hooks.filter((h) => h === 'applied').length).toBeLessThanOrEqual(1)
      expect([200, 409]).toContain(api.statusCode)
      const got = (await a.send('GET', `/v1/payments/${p.id}`)).json<PaymentJson>()
      expect(got).toMatchObject({ status: 'succeeded', amountCaptured: '800' })
      const merchant = await t.app.services.ledger.balances(
        a.tenantId,
        chartOfAccounts('sandbox', 'USD').merchant,
      )
      expect(merchant.posted).toBe(800n)
      await a.verified()
    })
  })
}
