import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chartOfAccounts, sandboxFee } from '../../src/modules/payments/index.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'
import { balanceOr } from '../support/balances.js'

interface PaymentJson {
  id: string
  status: string
  amount: string
  currency: string
  amountCapturable: string
  amountCaptured: string
  amountRefunded: string
  gateway: string | null
  gatewayRef: string | null
  declineCode?: string
  nextAction?: Record<string, string>
  metadata: Record<string, string>
}

for (const target of testDbTargets()) {
  describe(`payments over HTTP [${target.name}]`, () => {
    let t: TestApp
    let n = 0
    beforeAll(async () => {
      t = await createTestApp(target)
    }, 180_000) // starting an app migrates a fresh database: slow on a loaded machine
    afterAll(async () => t.close())

    const call = (
      method: 'GET' | 'POST' | 'PATCH' | 'PUT',
      url: string,
      body?: unknown,
      opts: { key?: string | null; apiKey?: string } = {},
    ) =>
      t.app.server.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${opts.apiKey ?? t.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(opts.key === null || method === 'GET' ? {} : { 'idempotency-key': opts.key ?? `k-${++n}` }),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      })
    const create = async (body: Record<string, unknown>) => {
      const r = await call('POST', '/v1/payments', {
        amount: '1000',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
        ...body,
      })
      expect(r.statusCode).toBe(201)
      return r.json<PaymentJson>()
    }
    const posted = (role: keyof ReturnType<typeof chartOfAccounts>, tenant = t.tenantId) =>
      balanceOr(
        async () =>
          (await t.app.services.ledger.balances(tenant, chartOfAccounts('sandbox', 'USD')[role])).posted,
        0n,
      )

    it('creates, gets and lists payments; the OpenAPI document has the routes', async () => {
      const p = await create({ customer: 'cus_http', metadata: { order: '42' } })
      expect(p).toMatchObject({
        status: 'succeeded',
        amount: '1000',
        amountCaptured: '1000',
        amountCapturable: '0',
        gateway: 'sandbox',
        metadata: { order: '42' },
      })
      expect((await call('GET', `/v1/payments/${p.id}`)).json()).toEqual(p)
      const list = await call('GET', '/v1/payments?customer=cus_http&status=succeeded&limit=10')
      expect(list.json<{ items: PaymentJson[] }>().items.map((x) => x.id)).toEqual([p.id])
      expect((await call('GET', '/v1/payments/pay_missing')).json()).toMatchObject({
        error: { code: 'PAYMENT_NOT_FOUND' },
      })
      const doc = (await t.app.server.inject({ url: '/docs/json' })).json<{
        paths: Record<string, unknown>
      }>()
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/v1/payments',
          '/v1/payments/{id}/capture',
          '/v1/payments/{id}/refunds',
          '/v1/payouts',
        ]),
      )
    })

    it('sorts the list by amount or status on the server, keyset pages after a payment id; an unknown sort is 400', async () => {
      const customer = 'cus_sorted'
      const made = [
        await create({ customer, amount: '300' }),
        await create({ customer, amount: '100' }),
        await create({ customer, amount: '200', capture: 'manual' }),
        await create({ customer, amount: '100' }),
      ]
      const page = async (query: string) => {
        const r = await call('GET', `/v1/payments?customer=${customer}&${query}`)
        expect(r.statusCode).toBe(200)
        return r.json<{ items: PaymentJson[]; next: string | null }>()
      }
      const walk = async (query: string) => {
        const seen: PaymentJson[] = []
        let after = ''
        for (;;) {
          const p = await page(`${query}&limit=3${after ? `&after=${after}` : ''}`)
          seen.push(...p.items)
          if (!p.next) return seen
          after = p.next
        }
      }
      const [big, small1, mid, small2] = made.map((p) => p.id)
      // Ties (the two 100s) by id, which is creation time; pages cross the tie without losing a row.
      const [lo, hi] = [small1!, small2!].sort()
      expect((await walk('sort=amount')).map((p) => p.id)).toEqual([lo, hi, mid, big])
      expect((await walk('sort=amount&order=desc')).map((p) => p.id)).toEqual([big, mid, hi, lo])
      expect((await walk('sort=status')).map((p) => p.status)).toEqual([
        'requires_capture',
        'succeeded',
        'succeeded',
        'succeeded',
      ])
      expect((await page('sort=created&order=desc&limit=1')).items[0]!.id).toBe(
        made.map((p) => p.id).sort()[3],
      )
      const bad = await call('GET', `/v1/payments?sort=fee`)
      expect(bad.statusCode).toBe(400)
      expect(bad.json()).toMatchObject({ error: { code: 'INVALID_SORT' } })
    })

    it('manual capture, partial capture, refunds and their listing', async () => {
      const p = await create({ capture: 'manual', amount: '5000' })
      expect(p).toMatchObject({ status: 'requires_capture', amountCapturable: '5000' })
      const captured = await call('POST', `/v1/payments/${p.id}/capture`, { amount: '4000' })
      expect(captured.statusCode).toBe(200)
      expect(captured.json()).toMatchObject({
        status: 'succeeded',
        amountCaptured: '4000',
        amountCapturable: '0',
      })
      const r1 = await call('POST', `/v1/payments/${p.id}/refunds`, {
        amount: '1500',
        reason: 'requested_by_customer',
      })
      expect(r1.statusCode).toBe(201)
      expect(r1.json()).toMatchObject({
        paymentId: p.id,
        amount: '1500',
        currency: 'USD',
        status: 'succeeded',
      })
      const r2 = await call('POST', `/v1/payments/${p.id}/refunds`, {})
      expect(r2.json()).toMatchObject({ amount: '2500', status: 'succeeded' })
      const refunds = (await call('GET', `/v1/payments/${p.id}/refunds`)).json<{ items: unknown[] }>()
      expect(refunds.items).toHaveLength(2)
      expect((await call('GET', `/v1/payments/${p.id}`)).json()).toMatchObject({ amountRefunded: '4000' })
    })

    it('declines, 3-D Secure, cancel and timeouts follow the state machine', async () => {
      const declined = await create({ paymentMethod: 'pm_card_declined' })
      expect(declined).toMatchObject({ status: 'failed', declineCode: 'generic_decline' })
      const action = await create({ paymentMethod: 'pm_card_3ds' })
      expect(action).toMatchObject({ status: 'requires_action', nextAction: { type: 'authenticate' } })
      const draft = await create({ confirm: false })
      expect(draft.status).toBe('requires_confirmation')
      const confirmed = await call('POST', `/v1/payments/${draft.id}/confirm`, {})
      expect(confirmed.json()).toMatchObject({ status: 'succeeded' })
      // Bodiless commands are fine: every field of confirm, capture, cancel and refund is optional.
      const bare = await create({ confirm: false, capture: 'manual' })
      expect((await call('POST', `/v1/payments/${bare.id}/confirm`)).json()).toMatchObject({
        status: 'requires_capture',
      })
      expect((await call('POST', `/v1/payments/${bare.id}/capture`)).json()).toMatchObject({
        amountCaptured: '1000',
      })
      expect((await call('POST', `/v1/payments/${bare.id}/refunds`)).statusCode).toBe(201)
      const held = await create({ capture: 'manual' })
      const canceled = await call('POST', `/v1/payments/${held.id}/cancel`, {})
      expect(canceled.json()).toMatchObject({ status: 'canceled' })
      const again = await call('POST', `/v1/payments/${held.id}/capture`, {})
      expect(again.statusCode).toBe(409)
      expect(again.json()).toMatchObject({ error: { code: 'PAYMENT_INVALID_STATE' } })
      const unknown = await create({ paymentMethod: 'pm_card_timeout' })
      expect(unknown.status).toBe('unknown')
    })

    it('every write needs an Idempotency-Key; a replay returns the original response', async () => {
      const none = await call(
        'POST',
        '/v1/payments',
        { amount: '10', currency: 'USD', paymentMethod: 'pm_card_visa' },
        { key: null },
      )
      expect(none.statusCode).toBe(400)
      expect(none.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REQUIRED' } })
      const body = { amount: '77', currency: 'USD', paymentMethod: 'pm_card_visa' }
      const first = await call('POST', '/v1/payments', body, { key: 'replay-1' })
      const second = await call('POST', '/v1/payments', body, { key: 'replay-1' })
      expect(second.statusCode).toBe(201)
      expect(second.json()).toEqual(first.json())
    })

    it('routing rules are set per tenant through the API and validated', async () => {
      const bad = await call('PUT', '/v1/routing-rules', {
        rules: [{ id: 'r', priority: 1, match: {}, gateways: [{ gateway: 'nowhere', weight: 1 }] }],
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.json()).toMatchObject({ error: { code: 'PAYMENT_ROUTING_RULE_INVALID' } })
      const other = await t.newTenant()
      const ok = await call(
        'PUT',
        '/v1/routing-rules',
        {
          rules: [
            {
              id: 'eur',
              priority: 5,
              match: { currencies: ['EUR'], minAmount: '100' },
              gateways: [{ gateway: 'sandbox', weight: 1 }],
            },
          ],
        },
        { apiKey: other.apiKey },
      )
      expect(ok.statusCode).toBe(200)
      const got = (
        await call('GET', '/v1/routing-rules', undefined, { apiKey: other.apiKey })
      ).json<unknown>()
      expect(got).toMatchObject({
        rules: [{ id: 'eur', match: { currencies: ['EUR'], minAmount: '100' } }],
        gateways: ['sandbox'],
      })
      expect((await call('GET', '/v1/routing-rules')).json()).toMatchObject({ rules: [] })
    })

    it('pays out the gateway balance to the bank, not more', async () => {
      const tenant = await t.newTenant()
      const p = await call(
        'POST',
        '/v1/payments',
        { amount: '20000', currency: 'USD', paymentMethod: 'pm_card_visa' },
        { apiKey: tenant.apiKey },
      )
      expect(p.statusCode).toBe(201)
      const net = 20_000n - sandboxFee(20_000n)
      const tooMuch = await call(
        'POST',
        '/v1/payouts',
        { amount: (net + 1n).toString(), currency: 'USD' },
        { apiKey: tenant.apiKey },
      )
      expect(tooMuch.statusCode).toBe(409)
      expect(tooMuch.json()).toMatchObject({ error: { code: 'PAYOUT_EXCEEDS_BALANCE' } })
      const ok = await call(
        'POST',
        '/v1/payouts',
        { amount: net.toString(), currency: 'USD' },
        { apiKey: tenant.apiKey },
      )
      expect(ok.statusCode).toBe(201)
      const payout = ok.json<{ id: string; status: string }>()
      expect(payout.status).toBe('paid')
      expect(
        (await call('GET', `/v1/payouts/${payout.id}`, undefined, { apiKey: tenant.apiKey })).json(),
      ).toMatchObject({
        id: payout.id,
        amount: net.toString(),
      })
      expect(await posted('bank', tenant.tenantId)).toBe(net)
      expect(await posted('receivable', tenant.tenantId)).toBe(0n)
    })

    it("another tenant's payment is not found", async () => {
      const p = await create({})
      const other = await t.newTenant()
      const r = await call('GET', `/v1/payments/${p.id}`, undefined, { apiKey: other.apiKey })
      expect(r.statusCode).toBe(404)
      const refund = await call('POST', `/v1/payments/${p.id}/refunds`, {}, { apiKey: other.apiKey })
      expect(refund.statusCode).toBe(404)
      expect(await posted('merchant', other.tenantId)).toBe(0n)
    })
  })
}
