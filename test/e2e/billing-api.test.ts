/**
 * The year-long test-clock scenario of issue 21 through the API only: a trial, an upgrade with
 * proration, a card that starts declining, a failed renewal recovered on day 3 by a new card, a
 * cancellation at period end — every ledger balance read over HTTP. Plus the routes' refusals
 * (typed codes), idempotent creates, pause/resume and a credit note.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

interface Json {
  [k: string]: unknown
}

for (const target of testDbTargets()) {
  describe(`billing over HTTP [${target.name}]`, () => {
    let t: TestApp
    beforeAll(async () => {
      t = await createTestApp(target, { env: { MONETA_BILLING_RUN_INTERVAL_MS: '0' } })
    }, 180_000)
    afterAll(async () => t?.close(), 60_000)

    let seq = 0
    async function call<T = Json>(
      method: string,
      url: string,
      body?: unknown,
      opts: { key?: string; idem?: string; tenantKey?: string } = {},
    ): Promise<{ status: number; body: T }> {
      const res = await t.app.server.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${opts.tenantKey ?? t.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(method !== 'GET' ? { 'idempotency-key': opts.idem ?? `bill-${++seq}-${Date.now()}` } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      })
      return { status: res.statusCode, body: res.json<T>() }
    }
    async function ok<T = Json>(method: string, url: string, body?: unknown, idem?: string): Promise<T> {
      const r = await call<T>(method, url, body, idem ? { idem } : {})
      if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${JSON.stringify(r.body)}`)
      return r.body
    }
    const run = (until: string) => ok<Json>('POST', '/v1/billing/test-clock', { until })
    async function balance(id: string): Promise<bigint> {
      const r = await call<{ posted: string }>('GET', `/v1/accounts/${id}/balances`)
      return r.status === 404 ? 0n : BigInt(r.body.posted)
    }
    const balances = async () => ({
      receivable: await balance('bill.receivable.USD'),
      deferred: await balance('bill.deferred.USD'),
      revenue: await balance('bill.revenue.USD'),
      tax: await balance('bill.tax.USD'),
      credit: await balance('bill.credit.USD'),
      badDebt: await balance('bill.bad_debt.USD'),
      gateway: await balance('bill.gateway.sandbox.USD'),
    })
    async function customer(name: string): Promise<string> {
      const r = await ok<{ party: { id: string } }>('POST', '/v1/parties', {
        kind: 'person',
        roles: ['customer'],
        names: [{ value: name }],
      })
      return r.party.id
    }
    type Invoice = {
      id: string
      reason: string
      status: string
      amountPaid: string
      subtotal: string
      tax: string
    }

    it('runs a year: trial → upgrade → failed renewal recovered on day 3 → cancellation, books balanced', async () => {
      expect((await run('2026-01-01T00:00:00Z')).now).toBe('2026-01-01T00:00:00.000Z')
      const product = await ok<{ id: string }>('POST', '/v1/products', { name: 'Advisory' })
      const price = await ok<{ id: string }>('POST', '/v1/prices', {
        productId: product.id,
        currency: 'USD',
        model: { kind: 'per_unit', unitAmount: '1000' },
        interval: { unit: 'month', count: 1 },
        trialDays: 14,
        taxRateBps: 1000,
      })
      const cus = await customer('Grace Hopper')
      const saved = await ok<{ paymentMethod: { id: string; isDefault: boolean } }>(
        'POST',
        `/v1/customers/${cus}/payment-methods`,
        { gateway: 'sandbox', paymentMethod: 'pm_card_declines_later' },
      )
      expect(saved.paymentMethod.isDefault).toBe(true)
      const sub = await ok<{ id: string; status: string }>('POST', '/v1/subscriptions', {
        customerId: cus,
        priceId: price.id,
      })
      expect(sub.status).toBe('trialing')

      await run('2026-01-15T00:00:00Z')
      expect(await balances()).toMatchObject({ receivable: 0n, deferred: 1000n, tax: 100n, gateway: 1100n })

      await run('2026-02-01T00:00:00Z')
      const up = await ok<{ quantity: string }>('PATCH', `/v1/subscriptions/${sub.id}`, { quantity: '3' })
      expect(up.quantity).toBe('3')
      const list = await ok<{ items: Invoice[] }>('GET', `/v1/invoices?subscriptionId=${sub.id}`)
      const upgrade = list.items.find((i) => i.reason === 'subscription_update')!
      expect(upgrade).toMatchObject({ subtotal: '1355', tax: '136', amountDue: '994', status: 'paid' })
      let bal = await balances()
      expect(bal).toMatchObject({ receivable: 0n, revenue: 548n, deferred: 1355n })

      await run('2026-04-15T00:00:00Z')
      expect((await ok<{ status: string }>('GET', `/v1/subscriptions/${sub.id}`)).status).toBe('past_due')
      expect((await balances()).receivable).toBe(3300n)
      expect(await run('2026-04-16T00:00:00Z')).toMatchObject({ charges: 1, failed: 1 })
      expect(await run('2026-04-18T00:00:00Z')).toMatchObject({ charges: 1, failed: 1 })
      // Day 3: the customer saves a new card; the open invoice is paid at once.
      const fresh = await ok<{ recovery: Json }>('POST', `/v1/customers/${cus}/payment-methods`, {
        gateway: 'sandbox',
        paymentMethod: 'pm_card_visa',
      })
      expect(fresh.recovery).toMatchObject({ attempted: 1, succeeded: 1 })
      expect((await ok<{ status: string }>('GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active')
      expect((await balances()).receivable).toBe(0n)
      const methods = await ok<{ items: { id: string; isDefault: boolean; last4: string | null }[] }>(
        'GET',
        `/v1/customers/${cus}/payment-methods`,
      )
      expect(methods.items.filter((m) => m.isDefault)).toHaveLength(1)
      // The old card, no longer default, can go.
      const detached = await ok<{ status: string }>(
        'DELETE',
        `/v1/customers/${cus}/payment-methods/${saved.paymentMethod.id}`,
      )
      expect(detached.status).toBe('detached')

      await run('2026-10-20T00:00:00Z')
      const ending = await ok<{ cancelAtPeriodEnd: boolean }>('POST', `/v1/subscriptions/${sub.id}/cancel`, {
        atPeriodEnd: true,
      })
      expect(ending.cancelAtPeriodEnd).toBe(true)
      await run('2027-01-01T00:00:00Z')
      const ended = await ok<{ status: string; canceledAt: string }>('GET', `/v1/subscriptions/${sub.id}`)
      expect(ended).toMatchObject({ status: 'canceled', canceledAt: '2026-11-15T00:00:00.000Z' })

      const invoices = (await ok<{ items: Invoice[] }>('GET', `/v1/invoices?subscriptionId=${sub.id}`)).items
      expect(invoices).toHaveLength(11)
      expect(invoices.every((i) => i.status === 'paid')).toBe(true)
      const sum = (f: (i: Invoice) => string) => invoices.reduce((s, i) => s + BigInt(f(i)), 0n)
      const notes = (
        await Promise.all(
          invoices.map((i) =>
            ok<{ items: { amount: string; tax: string }[] }>('GET', `/v1/invoices/${i.id}/credit-notes`),
          ),
        )
      ).flatMap((r) => r.items)
      expect(notes).toHaveLength(1)
      bal = await balances()
      expect(bal).toMatchObject({ receivable: 0n, deferred: 0n, credit: 0n, badDebt: 0n })
      expect(bal.gateway).toBe(sum((i) => i.amountPaid))
      expect(bal.revenue).toBe(sum((i) => i.subtotal) - BigInt(notes[0]!.amount))
      expect(bal.tax).toBe(sum((i) => i.tax) - BigInt(notes[0]!.tax))
      expect(bal.revenue).toBe(1000n + 1355n + 27_000n - 452n)
      const one = await ok<{ lines: unknown[]; payments: unknown[] }>('GET', `/v1/invoices/${upgrade.id}`)
      expect(one.lines).toHaveLength(1)
      expect(one.payments.length).toBeGreaterThan(0)
      expect((await t.app.services.ledger.verify(t.tenantId)).ok).toBe(true)
    }, 240_000)

    it('creates idempotently, pauses and resumes, credits an invoice, refuses with typed codes', async () => {
      const other = await t.newTenant()
      const as = { tenantKey: other.apiKey }
      const o = <T = Json>(m: string, u: string, b?: unknown, idem?: string) =>
        call<T>(m, u, b, { ...as, ...(idem ? { idem } : {}) })
      await o('POST', '/v1/billing/test-clock', { until: '2026-03-01T00:00:00Z' })
      const p1 = await o<{ id: string }>('POST', '/v1/products', { name: 'Plan' }, 'prod-1')
      const p2 = await o<{ id: string }>('POST', '/v1/products', { name: 'Plan' }, 'prod-1')
      expect(p1.status).toBe(201)
      expect(p2.body.id).toBe(p1.body.id)
      expect((await o('POST', '/v1/products', { name: 'Other' }, 'prod-1')).body).toMatchObject({
        error: { code: 'IDEMPOTENCY_CONFLICT' },
      })
      const price = await o<{ id: string }>('POST', '/v1/prices', {
        productId: p1.body.id,
        currency: 'USD',
        model: {
          kind: 'tiered',
          mode: 'graduated',
          tiers: [
            { upTo: '5', unitAmount: '500' },
            { upTo: null, unitAmount: '300' },
          ],
        },
        interval: { unit: 'month', count: 1 },
      })
      expect(price.status).toBe(201)
      const yearly = await o<{ id: string }>('POST', '/v1/prices', {
        productId: p1.body.id,
        currency: 'USD',
        model: { kind: 'fixed', amount: '9000' },
        interval: { unit: 'year', count: 1 },
      })
      const prices = await o<{ items: { id: string }[] }>('GET', `/v1/prices?productId=${p1.body.id}`)
      expect(prices.body.items.map((x) => x.id)).toContain(price.body.id)
      const partyRes = await o<{ party: { id: string } }>('POST', '/v1/parties', {
        kind: 'person',
        roles: ['customer'],
        names: [{ value: 'Alan Turing' }],
      })
      const cus = partyRes.body.party.id
      // No payment method and no trial: refused with its code.
      expect(
        (await o('POST', '/v1/subscriptions', { customerId: cus, priceId: price.body.id })).body,
      ).toMatchObject({
        error: { code: 'BILLING_PAYMENT_METHOD_REQUIRED' },
      })
      await o('POST', `/v1/customers/${cus}/payment-methods`, {
        gateway: 'sandbox',
        paymentMethod: 'pm_card_visa',
      })
      const sub = await o<{ id: string; status: string }>('POST', '/v1/subscriptions', {
        customerId: cus,
        priceId: price.body.id,
        quantity: '7',
      })
      expect(sub.body.status).toBe('active')
      const paused = await o<{ status: string }>('POST', `/v1/subscriptions/${sub.body.id}/pause`)
      expect(paused.body.status).toBe('paused')
      // A retried pause changes nothing; changing a paused plan is refused.
      expect(
        (await o<{ status: string }>('POST', `/v1/subscriptions/${sub.body.id}/pause`)).body.status,
      ).toBe('paused')
      expect((await o('PATCH', `/v1/subscriptions/${sub.body.id}`, { quantity: '2' })).body).toMatchObject({
        error: { code: 'BILLING_SUBSCRIPTION_STATE' },
      })
      expect(
        (await o<{ status: string }>('POST', `/v1/subscriptions/${sub.body.id}/resume`)).body.status,
      ).toBe('active')
      expect(
        (await o('PATCH', `/v1/subscriptions/${sub.body.id}`, { priceId: yearly.body.id })).body,
      ).toMatchObject({
        error: { code: 'BILLING_INVALID' },
      })
      const inv = (
        await o<{ items: { id: string; total: string }[] }>(
          'GET',
          `/v1/invoices?subscriptionId=${sub.body.id}`,
        )
      ).body.items[0]!
      expect(inv.total).toBe(String(5 * 500 + 2 * 300))
      await o('POST', '/v1/billing/test-clock', { until: '2026-03-11T00:00:00Z' })
      const credit = await o<{ items: { amount: string }[] }>(
        'POST',
        `/v1/invoices/${inv.id}/credit-notes`,
        { reason: 'outage' },
        'cn-1',
      )
      expect(credit.status).toBe(201)
      expect(credit.body.items).toHaveLength(1)
      const again = await o<{ items: { amount: string }[] }>(
        'POST',
        `/v1/invoices/${inv.id}/credit-notes`,
        { reason: 'outage' },
        'cn-1',
      )
      expect(again.body.items).toEqual(credit.body.items)
      expect(
        (await o('POST', `/v1/invoices/${inv.id}/credit-notes`, { reason: 'again' })).body,
      ).toMatchObject({
        error: { code: 'BILLING_NOTHING_TO_CREDIT' },
      })
      const canceled = await o<{ status: string }>('POST', `/v1/subscriptions/${sub.body.id}/cancel`)
      expect(canceled.body.status).toBe('canceled')
      // Backwards clock, bad input, unknown ids, another tenant's objects: typed 4xx.
      expect(
        (await o('POST', '/v1/billing/test-clock', { until: '2026-01-01T00:00:00Z' })).body,
      ).toMatchObject({
        error: { code: 'BILLING_CLOCK_BACKWARDS' },
      })
      expect((await o('POST', '/v1/prices', { productId: 'x' })).status).toBe(400)
      expect((await o('GET', '/v1/subscriptions/sub_nope')).body).toMatchObject({
        error: { code: 'BILLING_SUBSCRIPTION_NOT_FOUND' },
      })
      expect((await call('GET', `/v1/subscriptions/${sub.body.id}`)).status).toBe(404)
      expect((await call('GET', `/v1/invoices/${inv.id}`)).status).toBe(404)
      expect(
        (await o('POST', '/v1/payment-methods/client-token', { customerId: cus, gateway: 'nope' })).body,
      ).toMatchObject({
        error: { code: 'BILLING_GATEWAY_UNSUPPORTED' },
      })
      const token = await o<{ clientToken: string }>('POST', '/v1/payment-methods/client-token', {
        customerId: cus,
        gateway: 'sandbox',
      })
      expect(token.status).toBe(201)
      expect(token.body.clientToken.length).toBeGreaterThan(0)
    }, 120_000)

    it('needs billing permissions: read-only keys read, only the clock permission moves the clock', async () => {
      const reader = await t.app.services.platform.createApiKey(t.tenantId, { scopes: ['billing:read'] })
      expect((await call('GET', '/v1/subscriptions', undefined, { tenantKey: reader })).status).toBe(200)
      expect((await call('POST', '/v1/products', { name: 'x' }, { tenantKey: reader })).status).toBe(403)
      const writer = await t.app.services.platform.createApiKey(t.tenantId, {
        scopes: ['billing:read', 'billing:write'],
      })
      expect(
        (
          await call(
            'POST',
            '/v1/billing/test-clock',
            { until: '2030-01-01T00:00:00Z' },
            { tenantKey: writer },
          )
        ).status,
      ).toBe(403)
    })
  })
}
