import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandboxProvider } from '../../src/modules/banking/index.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { apiCaller } from '../support/banking.js'
import { testDbTargets } from '../support/db.js'

const SECRET = 'test-sandbox-bank-secret-0123456789abcdef'

for (const target of testDbTargets()) {
  describe(`banking over HTTP with the built-in sandbox [${target.name}]`, () => {
    let t: TestApp
    beforeAll(async () => {
      t = await createTestApp(target, { env: { MONETA_SANDBOX_BANK_WEBHOOK_SECRET: SECRET } })
    })
    afterAll(async () => t.close())

    const call = (...args: Parameters<ReturnType<typeof apiCaller>>) =>
      apiCaller(t.app.server, () => t.apiKey)(...args)

    it('links, syncs, transfers, settles, returns and unlinks; the sandbox simulates a routing change', async () => {
      const lt = await call('POST', '/v1/banking/link-tokens', {
        customerId: 'cus_9',
        customerName: 'Alex Morgan',
      })
      expect(lt.statusCode).toBe(201)
      expect(lt.json()).toMatchObject({ provider: 'sandbox', mode: 'create' })
      const item = await call('POST', '/v1/banking/items', {
        linkToken: lt.json<{ linkToken: string }>().linkToken,
        publicToken: 'public-sandbox-',
      })
      expect(item.statusCode).toBe(201)
      const itemId = item.json<{ id: string }>().id
      const accounts = (await call('GET', `/v1/banking/accounts?itemId=${itemId}`)).json<{
        items: { id: string; subtype: string; institution: { routingNumber: string } }[]
      }>().items
      const checking = accounts.find((a) => a.subtype === 'checking')!
      expect(checking.institution.routingNumber).toBe('011401533')
      expect(JSON.stringify(item.json())).not.toMatch(/access-sandbox|1111222233330000/)

      const balance = await call('GET', `/v1/banking/accounts/${checking.id}/balance`)
      expect(balance.json()).toMatchObject({ available: '100000', currency: 'USD' })
      const sync = await call('POST', `/v1/banking/items/${itemId}/sync`)
      expect(sync.json()).toMatchObject({ added: 12, skipped: false })
      const txns = await call('GET', `/v1/banking/accounts/${checking.id}/transactions?limit=3`)
      expect(txns.json<{ items: unknown[]; next: string }>().items).toHaveLength(3)

      const body = { accountId: checking.id, direction: 'debit', amount: '2500', currency: 'USD' }
      const created = await call('POST', '/v1/banking/transfers', body, { 'idempotency-key': 'e2e-1' })
      expect(created.statusCode).toBe(201)
      const replay = await call('POST', '/v1/banking/transfers', body, { 'idempotency-key': 'e2e-1' })
      expect(replay.statusCode).toBe(200)
      expect(replay.json()).toMatchObject({ id: created.json<{ id: string }>().id, replayed: true })
      const conflict = await call(
        'POST',
        '/v1/banking/transfers',
        { ...body, amount: '1' },
        { 'idempotency-key': 'e2e-1' },
      )
      expect(conflict.statusCode).toBe(409)
      const id = created.json<{ id: string }>().id
      expect((await call('POST', `/v1/banking/transfers/${id}/settle`)).json()).toMatchObject({
        status: 'settled',
      })
      const ret = await call('POST', `/v1/banking/transfers/${id}/return`, { code: 'R01' })
      expect(ret.json()).toMatchObject({ status: 'returned', returnCode: 'R01' })
      expect((await call('POST', `/v1/banking/transfers/${id}/return`, { code: 'X1' })).statusCode).toBe(400)

      await call('POST', `/v1/banking/sandbox/items/${itemId}/simulate`, { routingNumber: '021000021' })
      const blocked = await call('POST', '/v1/banking/transfers', body)
      expect(blocked.statusCode).toBe(422)
      expect(blocked.json()).toMatchObject({ error: { code: 'BANK_ROUTING_CHANGED' } })

      const gone = await call('DELETE', `/v1/banking/items/${itemId}`)
      expect(gone.json()).toMatchObject({ status: 'removed' })
      expect((await call('GET', '/v1/banking/items/nope')).statusCode).toBe(404)
    })

    it('documents the banking routes in the OpenAPI document', async () => {
      const doc = (await t.app.server.inject({ url: '/docs/json' })).json<{
        paths: Record<string, unknown>
      }>()
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/v1/banking/link-tokens',
          '/v1/banking/items/{id}',
          '/v1/banking/transfers',
          '/v1/banking/transfers/{id}/return',
          '/v1/banking/webhooks/{provider}',
        ]),
      )
    })

    it('webhooks take the raw body, verify the signature and skip duplicates', async () => {
      const lt = await call('POST', '/v1/banking/link-tokens', {
        customerId: 'cus_w',
        customerName: 'Alex Morgan',
      })
      const item = await call('POST', '/v1/banking/items', {
        linkToken: lt.json<{ linkToken: string }>().linkToken,
        publicToken: 'public-sandbox-',
      })
      const { providerItemId } = item.json<{ providerItemId: string }>()
      const hook = createSandboxProvider({ webhookSecret: SECRET }).webhook({
        id: 'wh-1',
        item_id: providerItemId,
        code: 'SYNC_UPDATES_AVAILABLE',
      })
      const send = (payload: string) =>
        t.app.server.inject({
          method: 'POST',
          url: '/v1/banking/webhooks/sandbox',
          headers: hook.headers,
          payload,
        })
      const first = await send(hook.body)
      expect(first.statusCode).toBe(200)
      expect(first.json()).toMatchObject({ received: true, duplicate: false, action: 'sync' })
      expect((await send(hook.body)).json()).toMatchObject({ duplicate: true })
      const forged = await send(hook.body.replace('wh-1', 'wh-2'))
      expect(forged.statusCode).toBe(401)
      expect(forged.json()).toMatchObject({ error: { code: 'BANK_WEBHOOK_INVALID' } })
      // security finding 8: signed with another secret (the old hard-coded one, or any other
      // deployment's), the same webhook is refused
      for (const other of ['moneta-sandbox-webhook-secret', undefined]) {
        const foreign = createSandboxProvider(other ? { webhookSecret: other } : {}).webhook({
          id: 'wh-3',
          item_id: providerItemId,
          code: 'SYNC_UPDATES_AVAILABLE',
        })
        const r = await t.app.server.inject({
          method: 'POST',
          url: '/v1/banking/webhooks/sandbox',
          headers: foreign.headers,
          payload: foreign.body,
        })
        expect(r.statusCode).toBe(401)
      }
      await t.app.services.banking.idle()
    })
  })
}
