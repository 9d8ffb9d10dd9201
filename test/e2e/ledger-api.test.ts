import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

for (const target of testDbTargets()) {
  describe(`ledger over HTTP [${target.name}]`, () => {
    let t: TestApp
    beforeAll(async () => {
      t = await createTestApp(target)
    })
    afterAll(async () => t.close())

    const call = (
      method: 'GET' | 'POST' | 'PATCH',
      url: string,
      body?: unknown,
      headers: Record<string, string> = {},
      key?: string,
    ) =>
      t.app.server.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${key ?? t.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      })

    it('answers /health and serves the OpenAPI document at /docs', async () => {
      const health = await t.app.server.inject({ url: '/health' })
      expect(health.statusCode).toBe(200)
      expect(health.json()).toMatchObject({ status: 'ok' })
      const doc = (await t.app.server.inject({ url: '/docs/json' })).json<{
        paths: Record<string, unknown>
      }>()
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/v1/accounts', '/v1/transactions', '/v1/transactions/bulk']),
      )
      expect((await t.app.server.inject({ url: '/docs/' })).statusCode).toBe(200)
    })

    it('requires a valid API key', async () => {
      expect((await t.app.server.inject({ url: '/v1/accounts' })).statusCode).toBe(401)
      const wrong = await call('GET', '/v1/accounts', undefined, {}, 'mk_not_a_key')
      expect(wrong.statusCode).toBe(401)
      expect(wrong.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } })
    })

    it('runs accounts, transfers, holds, posts, voids, balances and history', async () => {
      expect(
        (await call('POST', '/v1/accounts', { id: 'cash', currency: 'USD', normalSide: 'debit' })).statusCode,
      ).toBe(201)
      const w = await call('POST', '/v1/accounts', {
        id: 'w',
        currency: 'USD',
        normalSide: 'credit',
        debitsMustNotExceedCredits: true,
      })
      expect(w.json()).toMatchObject({ id: 'w', exponent: 2, balances: { posted: '0' } })
      await call('POST', '/v1/accounts', { id: 'm', currency: 'USD', normalSide: 'credit' })

      const fund = await call(
        'POST',
        '/v1/transactions',
        { legs: [{ source: 'cash', destination: 'w', amount: '1000', currency: 'USD' }] },
        { 'idempotency-key': 'fund-1' },
      )
      expect(fund.statusCode).toBe(201)
      const replay = await call(
        'POST',
        '/v1/transactions',
        { legs: [{ source: 'cash', destination: 'w', amount: '1000', currency: 'USD' }] },
        { 'idempotency-key': 'fund-1' },
      )
      expect(replay.statusCode).toBe(200)
      expect(replay.json()).toMatchObject({
        transactionId: fund.json<{ transactionId: string }>().transactionId,
        replayed: true,
      })
      const conflict = await call(
        'POST',
        '/v1/transactions',
        { legs: [{ source: 'cash', destination: 'w', amount: '999', currency: 'USD' }] },
        { 'idempotency-key': 'fund-1' },
      )
      expect(conflict.statusCode).toBe(409)
      expect(conflict.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_CONFLICT' } })

      const hold = await call('POST', '/v1/transactions', {
        pending: true,
        timeoutSeconds: 3600,
        entries: [
          { account: 'w', direction: 'debit', amount: '300', currency: 'USD' },
          { account: 'm', direction: 'credit', amount: '300', currency: 'USD' },
        ],
      })
      expect(hold.statusCode).toBe(201)
      const holdId = hold.json<{ transactionId: string }>().transactionId
      expect((await call('GET', '/v1/accounts/w/balances')).json()).toMatchObject({
        posted: '1000',
        available: '700',
      })
      const post = await call('POST', `/v1/transactions/${holdId}/post`, { amounts: ['250'] })
      expect(post.json()).toMatchObject({ ok: true, status: 'posted' })
      expect((await call('POST', `/v1/transactions/${holdId}/void`)).json()).toMatchObject({
        error: { code: 'LEDGER_PENDING_ALREADY_POSTED' },
      })
      const txn = (await call('GET', `/v1/transactions/${holdId}`)).json<{
        postedAmounts: string[]
        entries: unknown[]
      }>()
      expect(txn.postedAmounts).toEqual(['250'])
      expect(txn.entries).toHaveLength(4)
      const over = await call('POST', '/v1/transactions', {
        legs: [{ source: 'w', destination: 'm', amount: '751', currency: 'USD' }],
      })
      expect(over.statusCode).toBe(422)
      expect(over.json()).toMatchObject({ error: { code: 'LEDGER_INSUFFICIENT_FUNDS' } })

      const bulk = await call('POST', '/v1/transactions/bulk', {
        items: [
          { op: 'create', legs: [{ source: 'w', destination: 'm', amount: '700', currency: 'USD' }] },
          { op: 'create', legs: [{ source: 'w', destination: 'm', amount: '100', currency: 'USD' }] },
          { op: 'create', legs: [{ source: 'w', destination: 'm', amount: '50', currency: 'USD' }] },
        ],
      })
      expect(bulk.json<{ results: { ok: boolean }[] }>().results.map((r) => r.ok)).toEqual([
        true,
        false,
        true,
      ])
      const history = (await call('GET', '/v1/accounts/w/entries?limit=2')).json<{
        items: { balanceAfter: { posted: string } }[]
        next: string
      }>()
      expect(history.items.map((e) => e.balanceAfter.posted)).toEqual(['1000', '1000'])
      const rest = (await call('GET', `/v1/accounts/w/entries?after=${history.next}`)).json<{
        items: { balanceAfter: { posted: string } }[]
      }>()
      expect(rest.items.at(-1)?.balanceAfter.posted).toBe('0')
      const limited = await call('PATCH', '/v1/accounts/w', { creditLimit: '500' })
      expect(limited.json()).toMatchObject({ creditLimit: '500', balances: { available: '0' } })
    })

    it('keeps tenants apart', async () => {
      const other = await t.newTenant()
      await call('POST', '/v1/accounts', { id: 'secret', currency: 'EUR', normalSide: 'credit' })
      const r = await call('GET', '/v1/accounts/secret', undefined, {}, other.apiKey)
      expect(r.statusCode).toBe(404)
    })

    const transfer = (over: Record<string, unknown> = {}, legOver: Record<string, unknown> = {}) => ({
      legs: [{ source: 'cash', destination: 'm', amount: '10', currency: 'USD', ...legOver }],
      ...over,
    })
    const malformed: [string, 'POST' | 'GET' | 'PATCH', string, unknown, number, string][] = [
      ['malformed JSON', 'POST', '/v1/transactions', '{"legs": [', 400, 'INVALID_JSON'],
      [
        'unknown currency',
        'POST',
        '/v1/transactions',
        transfer({}, { currency: 'XXY' }),
        400,
        'UNKNOWN_CURRENCY',
      ],
      [
        'lowercase currency',
        'POST',
        '/v1/transactions',
        transfer({}, { currency: 'usd' }),
        400,
        'VALIDATION_ERROR',
      ],
      ['zero amount', 'POST', '/v1/transactions', transfer({}, { amount: '0' }), 400, 'INVALID_AMOUNT'],
      [
        'negative amount',
        'POST',
        '/v1/transactions',
        transfer({}, { amount: '-5' }),
        400,
        'VALIDATION_ERROR',
      ],
      [
        'amount as a number',
        'POST',
        '/v1/transactions',
        transfer({}, { amount: 10 }),
        400,
        'VALIDATION_ERROR',
      ],
      [
        'decimal amount',
        'POST',
        '/v1/transactions',
        transfer({}, { amount: '10.5' }),
        400,
        'VALIDATION_ERROR',
      ],
      [
        'overflowing amount',
        'POST',
        '/v1/transactions',
        transfer({}, { amount: '9223372036854775808' }),
        400,
        'AMOUNT_OUT_OF_RANGE',
      ],
      [
        'unbalanced entries',
        'POST',
        '/v1/transactions',
        {
          entries: [
            { account: 'cash', direction: 'debit', amount: '10', currency: 'USD' },
            { account: 'm', direction: 'credit', amount: '11', currency: 'USD' },
          ],
        },
        400,
        'LEDGER_UNBALANCED',
      ],
      [
        'unknown account',
        'POST',
        '/v1/transactions',
        transfer({}, { source: 'nobody' }),
        404,
        'LEDGER_ACCOUNT_NOT_FOUND',
      ],
      [
        'currency not matching the account',
        'POST',
        '/v1/transactions',
        transfer({}, { currency: 'EUR' }),
        400,
        'LEDGER_CURRENCY_MISMATCH',
      ],
      [
        'same account on both sides',
        'POST',
        '/v1/transactions',
        transfer({}, { destination: 'cash' }),
        400,
        'LEDGER_SAME_ACCOUNT',
      ],
      ['unknown field', 'POST', '/v1/transactions', transfer({ color: 'red' }), 400, 'VALIDATION_ERROR'],
      ['unknown leg field', 'POST', '/v1/transactions', transfer({}, { memo: 'x' }), 400, 'VALIDATION_ERROR'],
      [
        'legs and entries together',
        'POST',
        '/v1/transactions',
        { ...transfer(), entries: [] },
        400,
        'VALIDATION_ERROR',
      ],
      ['neither legs nor entries', 'POST', '/v1/transactions', {}, 400, 'VALIDATION_ERROR'],
      [
        'timeout without pending',
        'POST',
        '/v1/transactions',
        transfer({ timeoutSeconds: 5 }),
        400,
        'LEDGER_TIMEOUT_WITHOUT_PENDING',
      ],
      [
        'oversized body',
        'POST',
        '/v1/transactions',
        JSON.stringify({ pad: 'x'.repeat(2_000_000) }),
        413,
        'BODY_TOO_LARGE',
      ],
      ['empty bulk', 'POST', '/v1/transactions/bulk', { items: [] }, 400, 'VALIDATION_ERROR'],
      [
        'bulk item with a bad op',
        'POST',
        '/v1/transactions/bulk',
        { items: [{ op: 'steal' }] },
        400,
        'VALIDATION_ERROR',
      ],
      [
        'account with unknown currency',
        'POST',
        '/v1/accounts',
        { currency: 'ZZZ', normalSide: 'debit' },
        400,
        'UNKNOWN_CURRENCY',
      ],
      [
        'account with both flags',
        'POST',
        '/v1/accounts',
        {
          currency: 'USD',
          normalSide: 'debit',
          debitsMustNotExceedCredits: true,
          creditsMustNotExceedDebits: true,
        },
        400,
        'LEDGER_FLAGS_CONFLICT',
      ],
      [
        'account id with spaces',
        'POST',
        '/v1/accounts',
        { id: 'a b', currency: 'USD', normalSide: 'debit' },
        400,
        'VALIDATION_ERROR',
      ],
      ['empty patch', 'PATCH', '/v1/accounts/cash', {}, 400, 'VALIDATION_ERROR'],
      [
        'bad as-of time',
        'GET',
        '/v1/accounts/cash/balances?at=yesterday',
        undefined,
        400,
        'VALIDATION_ERROR',
      ],
      ['bad page limit', 'GET', '/v1/accounts?limit=0', undefined, 400, 'INVALID_LIMIT'],
      ['bad history cursor', 'GET', '/v1/accounts/cash/entries?after=abc', undefined, 400, 'INVALID_CURSOR'],
      [
        'unknown transaction',
        'GET',
        '/v1/transactions/txn_nope',
        undefined,
        404,
        'LEDGER_TRANSACTION_NOT_FOUND',
      ],
      [
        'post of unknown transaction',
        'POST',
        '/v1/transactions/txn_nope/post',
        {},
        404,
        'LEDGER_TRANSACTION_NOT_FOUND',
      ],
      ['unknown route', 'GET', '/v1/nothing-here', undefined, 404, 'ROUTE_NOT_FOUND'],
    ]
    it.each(malformed)('%s → %i %s', async (_name, method, url, body, status, code) => {
      const r = await call(method, url, body)
      expect(r.statusCode).toBe(status)
      expect(r.json()).toMatchObject({ error: { code } })
    })

    it('loses no data on bad input: balances unchanged after every malformed request', async () => {
      expect((await call('GET', '/v1/accounts/cash')).json()).toMatchObject({
        balances: { debitsPosted: '1000', creditsPosted: '0' },
      })
      expect((await t.app.services.ledger.verify(t.tenantId)).ok).toBe(true)
    })
  })
}
