import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { newId } from '../../src/shared/ids.js'
import { apiCaller } from '../support/banking.js'
import { testDbTargets } from '../support/db.js'
import { startPlaidServer, type PlaidServer } from '../support/vendors/plaid-server.js'

const OWNER = 'Alberta Bobbeth Charleson'

for (const target of testDbTargets()) {
  describe(`banking over HTTP against a local Plaid-protocol server [${target.name}]`, () => {
    let plaid: PlaidServer
    let app: App
    const apiKey = `test-key-${newId('k')}`
    beforeAll(async () => {
      plaid = await startPlaidServer()
      const config = loadConfig({
        ...(target.url ? { DATABASE_URL: target.url } : { MONETA_DATA_DIR: 'memory://' }),
        MONETA_API_KEY: apiKey,
        LOG_LEVEL: 'silent',
        MONETA_CONFIG_FILE: '',
        MONETA_PLAID_CLIENT_ID: plaid.clientId,
        MONETA_PLAID_SECRET: plaid.secret,
        MONETA_PLAID_ENV: 'sandbox',
        MONETA_PLAID_API_URL: plaid.url,
      })
      app = await createApp(config, { logger: pino({ level: 'silent' }) })
      await app.server.ready()
    })
    afterAll(async () => {
      await app.close()
      await plaid.close()
    })

    const call = (...args: Parameters<ReturnType<typeof apiCaller>>) =>
      apiCaller(app.server, () => apiKey)(...args)

    async function link(customerName = OWNER, opts: Parameters<PlaidServer['createPublicToken']>[0] = {}) {
      const lt = await call('POST', '/v1/banking/link-tokens', { customerId: newId('cus'), customerName })
      expect(lt.statusCode).toBe(201)
      expect(lt.json()).toMatchObject({ provider: 'plaid', mode: 'create' })
      const { publicToken, item } = plaid.createPublicToken(opts)
      const res = await call('POST', '/v1/banking/items', {
        linkToken: lt.json<{ linkToken: string }>().linkToken,
        publicToken,
      })
      expect(res.statusCode).toBe(201)
      const body = res.json<{ id: string; accounts: { id: string; subtype: string }[] }>()
      return {
        itemId: body.id,
        state: item(),
        checkingId: body.accounts.find((a) => a.subtype === 'checking')!.id,
      }
    }

    const transfer = (accountId: string, amount: string, key?: string) =>
      call(
        'POST',
        '/v1/banking/transfers',
        { accountId, direction: 'debit', amount, currency: 'USD' },
        key ? { 'idempotency-key': key } : {},
      )

    it('link → sync → transfer → settle, with webhooks verified on the raw body', async () => {
      const { itemId, state, checkingId } = await link(OWNER, { transactions: 240 })
      const item = await call('GET', `/v1/banking/items/${itemId}`)
      expect(item.json()).toMatchObject({
        provider: 'plaid',
        institution: { id: 'ins_109508', name: 'First Platypus Bank' },
      })
      const accounts = item.json<{ accounts: { mask: string }[] }>().accounts
      expect(accounts.map((a) => a.mask).sort()).toEqual(['0000', '1111'])
      expect(accounts.find((a) => a.mask === '0000')).toMatchObject({
        institution: { routingNumber: '011401533', ownerNames: [OWNER] },
      })
      expect(JSON.stringify(item.json())).not.toContain(state.access_token)

      const sync = await call('POST', `/v1/banking/items/${itemId}/sync`)
      expect(sync.json()).toMatchObject({ added: 240, removed: 0 })
      const txns = await call('GET', `/v1/banking/accounts/${checkingId}/transactions?limit=500`)
      expect(txns.json<{ items: unknown[] }>().items).toHaveLength(120)
      const balance = await call('GET', `/v1/banking/accounts/${checkingId}/balance`)
      expect(balance.json()).toMatchObject({ available: '10000', current: '11000' })

      // New data announced by a signed webhook; a forged copy is refused.
      plaid.removeTransactions(state.item_id, [`${state.item_id}-t0`])
      const hook = plaid.signedWebhook({
        webhook_type: 'TRANSACTIONS',
        webhook_code: 'SYNC_UPDATES_AVAILABLE',
        item_id: state.item_id,
      })
      const post = (payload: string, headers: Record<string, string>) =>
        app.server.inject({ method: 'POST', url: '/v1/banking/webhooks/plaid', headers, payload })
      const received = await post(hook.body, hook.headers)
      expect(received.statusCode).toBe(200)
      expect(received.json()).toMatchObject({ received: true, duplicate: false, action: 'sync' })
      await app.services.banking.idle()
      const after = await call('GET', `/v1/banking/accounts/${checkingId}/transactions?limit=500`)
      expect(after.json<{ items: unknown[] }>().items).toHaveLength(119)
      expect((await post(hook.body, hook.headers)).json()).toMatchObject({ duplicate: true })
      const forged = await post(hook.body.replace('SYNC', 'XSYNC'), hook.headers)
      expect(forged.statusCode).toBe(401)
      expect(forged.json()).toMatchObject({ error: { code: 'BANK_WEBHOOK_INVALID' } })

      // The default tenant of a shared PostgreSQL outlives a run: a fresh key per run.
      const key = newId('idem')
      const created = await transfer(checkingId, '5000', key)
      expect(created.statusCode).toBe(201)
      const t1 = created.json<{ id: string; status: string; ledgerTransactionId: string }>()
      expect(t1.status).toBe('pending')
      expect((await transfer(checkingId, '5000', key)).json()).toMatchObject({
        id: t1.id,
        replayed: true,
      })
      const ledgerTxn = await call('GET', `/v1/transactions/${t1.ledgerTransactionId}`)
      expect(ledgerTxn.json()).toMatchObject({ status: 'pending' })
      const settled = await call('POST', `/v1/banking/transfers/${t1.id}/settle`)
      expect(settled.json()).toMatchObject({ status: 'settled' })
      expect((await call('GET', `/v1/transactions/${t1.ledgerTransactionId}`)).json()).toMatchObject({
        status: 'posted',
      })
      const list = await call('GET', `/v1/banking/transfers?accountId=${checkingId}`)
      expect(list.json<{ items: unknown[] }>().items).toHaveLength(1)

      const unlinked = await call('DELETE', `/v1/banking/items/${itemId}`)
      expect(unlinked.json()).toMatchObject({ status: 'removed' })
      expect(state.removed).toBe(true)
    })

    it('a changed routing number blocks the transfer', async () => {
      const { state, checkingId } = await link()
      state.accounts[0]!.routing = '021000021'
      const res = await transfer(checkingId, '100')
      expect(res.statusCode).toBe(422)
      expect(res.json()).toMatchObject({ error: { code: 'BANK_ROUTING_CHANGED' } })
    })

    it('an insufficient real-time balance blocks the transfer', async () => {
      const { checkingId } = await link(OWNER, { available: 12.5 })
      const res = await transfer(checkingId, '1251')
      expect(res.statusCode).toBe(422)
      expect(res.json()).toMatchObject({ error: { code: 'BANK_INSUFFICIENT_BALANCE' } })
      expect((await transfer(checkingId, '1250')).statusCode).toBe(201)
    })

    it('a name that does not match the account owner blocks the transfer', async () => {
      const { checkingId } = await link('Jane Q. Public')
      const res = await transfer(checkingId, '100')
      expect(res.statusCode).toBe(422)
      expect(res.json()).toMatchObject({
        error: { code: 'BANK_OWNER_MISMATCH', details: { failures: [{ code: 'BANK_OWNER_MISMATCH' }] } },
      })
    })

    it('an item that needs a new login answers 409 with the code to act on', async () => {
      const { itemId, state, checkingId } = await link()
      state.error = { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', error_message: 'x' }
      const res = await call('GET', `/v1/banking/accounts/${checkingId}/balance`)
      expect(res.statusCode).toBe(409)
      expect(res.json()).toMatchObject({ error: { code: 'BANK_ITEM_LOGIN_REQUIRED' } })
      const update = await call('POST', '/v1/banking/link-tokens', {
        customerId: 'x',
        customerName: 'x',
        itemId,
      })
      expect(update.json()).toMatchObject({ mode: 'update', provider: 'plaid' })
      expect((await call('GET', `/v1/banking/accounts/${checkingId}/balance`)).statusCode).toBe(200)
    })
  })
}
