import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { newId } from '../../src/shared/ids.js'
import { apiCaller } from '../support/banking.js'
import { testDbTargets } from '../support/db.js'
import { startTellerServer, type TellerServer } from '../support/vendors/teller-server.js'
import { makeTestPki } from '../support/vendors/tls-certs.js'

for (const target of testDbTargets()) {
  describe(`banking over HTTP with Teller configured from the environment [${target.name}]`, () => {
    let teller: TellerServer
    let app: App
    const apiKey = `test-key-${newId('k')}`
    beforeAll(async () => {
      const pki = makeTestPki()
      teller = await startTellerServer(pki)
      const config = loadConfig({
        ...(target.url ? { DATABASE_URL: target.url } : { MONETA_DATA_DIR: 'memory://' }),
        MONETA_API_KEY: apiKey,
        LOG_LEVEL: 'silent',
        MONETA_CONFIG_FILE: '',
        MONETA_TELLER_CERT_FILE: pki.clientCertFile,
        MONETA_TELLER_KEY_FILE: pki.clientKeyFile,
        MONETA_TELLER_CA_FILE: pki.caFile,
        MONETA_TELLER_API_URL: teller.url,
        MONETA_TELLER_SIGNING_SECRET: teller.signingSecret,
      })
      app = await createApp(config, { logger: pino({ level: 'silent' }) })
      await app.server.ready()
    })
    afterAll(async () => {
      await app.close()
      await teller.close()
    })
    const call = (...args: Parameters<ReturnType<typeof apiCaller>>) =>
      apiCaller(app.server, () => apiKey)(...args)

    it('links over mutual TLS, syncs on a signed webhook, and checks the institution before a transfer', async () => {
      const enrollment = teller.enroll({ transactions: 4 })
      const lt = await call('POST', '/v1/banking/link-tokens', {
        customerId: 'cus_t',
        customerName: 'Maria Gonzalez',
        provider: 'teller',
      })
      expect(lt.statusCode).toBe(201)
      const item = await call('POST', '/v1/banking/items', {
        linkToken: lt.json<{ linkToken: string }>().linkToken,
        publicToken: enrollment.access_token,
      })
      expect(item.statusCode).toBe(201)
      const body = item.json<{ id: string; accounts: { id: string; subtype: string }[] }>()
      const checking = body.accounts.find((a) => a.subtype === 'checking')!.id

      const hook = teller.signedWebhook({
        id: newId('wh'),
        type: 'transactions.processed',
        payload: { enrollment_id: enrollment.enrollment_id },
        timestamp: new Date().toISOString(),
      })
      const res = await app.server.inject({
        method: 'POST',
        url: '/v1/banking/webhooks/teller',
        headers: hook.headers,
        payload: hook.body,
      })
      expect(res.json()).toMatchObject({ received: true, action: 'sync', duplicate: false })
      await app.services.banking.idle()
      const txns = await call('GET', `/v1/banking/accounts/${checking}/transactions`)
      expect(txns.json<{ items: unknown[] }>().items).toHaveLength(4)

      enrollment.accounts[0]!.routing = '121000248'
      const blocked = await call('POST', '/v1/banking/transfers', {
        accountId: checking,
        direction: 'debit',
        amount: '100',
        currency: 'USD',
      })
      expect(blocked.statusCode).toBe(422)
      expect(blocked.json()).toMatchObject({ error: { code: 'BANK_ROUTING_CHANGED' } })
    })
  })
}
