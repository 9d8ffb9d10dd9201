import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bankingHarness, codeOf, type BankingHarness } from '../../../../../test/support/banking.js'
import { describeEachDb, freshTenant, openTestDb } from '../../../../../test/support/db.js'
import { startTellerServer, type TellerServer } from '../../../../../test/support/vendors/teller-server.js'
import { makeTestPki, type TestPki } from '../../../../../test/support/vendors/tls-certs.js'
import type { DbHandle } from '../../../../shared/db/connect.js'
import { isAppError } from '../../../../shared/errors.js'
import { createTellerProvider } from './client.js'

describeEachDb('banking through Teller over mutual TLS', (target) => {
  let h: DbHandle
  let pki: TestPki
  let teller: TellerServer
  let t: BankingHarness
  beforeAll(async () => {
    h = await openTestDb(target)
    pki = makeTestPki()
    teller = await startTellerServer(pki)
    const provider = createTellerProvider({
      certFile: pki.clientCertFile,
      keyFile: pki.clientKeyFile,
      caFile: pki.caFile,
      apiUrl: teller.url,
      signingSecret: teller.signingSecret,
    })
    t = await bankingHarness(h, { teller: provider }, { syncPageSize: 10 })
  })
  afterAll(async () => {
    await teller.close()
    await h.close()
  })

  async function link(
    tenant: string,
    opts: Parameters<TellerServer['enroll']>[0] = {},
    name = 'Maria Gonzalez',
  ) {
    const enrollment = teller.enroll(opts)
    const lt = await t.banking.createLinkToken(tenant, {
      customerId: 'cus_t',
      customerName: name,
      provider: 'teller',
    })
    expect(lt.linkToken).toMatch(/^teller-nonce-/)
    const item = await t.banking.exchange(tenant, {
      linkToken: lt.linkToken,
      publicToken: enrollment.access_token,
    })
    return { enrollment, item, checking: item.accounts.find((a) => a.subtype === 'checking')! }
  }

  it('presents the client certificate and the token as the Basic user; captures the institution', async () => {
    const tenant = freshTenant()
    const { item, checking, enrollment } = await link(tenant)
    expect(item).toMatchObject({
      provider: 'teller',
      providerItemId: enrollment.enrollment_id,
      institutionName: 'Wells Fargo',
    })
    expect(checking.capture).toEqual({
      institutionId: 'wells_fargo',
      institutionName: 'Wells Fargo',
      routingNumber: '091000019',
      mask: '4321',
      ownerNames: ['Maria Gonzalez'],
    })
    expect(teller.requests.at(-1)?.clientCn).toBe('moneta-client')
    expect(await t.banking.balance(tenant, checking.id)).toMatchObject({
      available: 25_000n,
      current: 26_000n,
    })
  })

  it('refuses a client without the right certificate: the handshake fails and we say so', async () => {
    const tenant = freshTenant()
    const enrollment = teller.enroll()
    for (const [cert, key] of [[pki.rogueCertFile, pki.rogueKeyFile]] as const) {
      const rogue = await bankingHarness(h, {
        teller: createTellerProvider({
          certFile: cert,
          keyFile: key,
          caFile: pki.caFile,
          apiUrl: teller.url,
        }),
      })
      const lt = await rogue.banking.createLinkToken(tenant, {
        customerId: 'c',
        customerName: 'n',
        provider: 'teller',
      })
      const err = await rogue.banking
        .exchange(tenant, { linkToken: lt.linkToken, publicToken: enrollment.access_token })
        .catch((e: unknown) => e)
      expect(isAppError(err) && err.code).toMatch(/^BANK_PROVIDER_(MISCONFIGURED|UNAVAILABLE)$/)
    }
    const lt = await t.banking.createLinkToken(tenant, {
      customerId: 'c',
      customerName: 'n',
      provider: 'teller',
    })
    expect(
      await codeOf(t.banking.exchange(tenant, { linkToken: lt.linkToken, publicToken: 'token_wrong' })),
    ).toBe('BANK_PUBLIC_TOKEN_INVALID')
  })

  it('syncs every page of every account, re-syncs without duplicates, and marks what Teller dropped as removed', async () => {
    const tenant = freshTenant()
    const { item, enrollment, checking } = await link(tenant, { transactions: 25 })
    expect(await t.banking.sync(tenant, item.id)).toMatchObject({ added: 50, removed: 0 })
    expect(await t.banking.sync(tenant, item.id)).toMatchObject({ added: 0, modified: 50, removed: 0 })
    const gone = enrollment.accounts[0]!.transactions.splice(3, 1)[0]!
    expect(await t.banking.sync(tenant, item.id)).toMatchObject({ added: 0, removed: 1 })
    const page = await t.banking.transactions(tenant, checking.id, { limit: 100 })
    expect(page.items).toHaveLength(24)
    expect(page.items.map((x) => x.providerTransactionId)).not.toContain(gone.id)
    // Teller's negative amounts are money out: positive in the port's convention.
    const sample = page.items.find((x) => x.providerTransactionId.endsWith('_1'))!
    expect(sample.amount).toBe(3_701n)
  })

  it('blocks a transfer when the routing number changed, the balance is short or the owner differs', async () => {
    const tenant = freshTenant()
    const { enrollment, checking } = await link(tenant)
    const input = { accountId: checking.id, direction: 'debit' as const, amount: 10_000n, currency: 'USD' }
    expect((await t.banking.createTransfer(tenant, input)).transfer.status).toBe('pending')
    enrollment.accounts[0]!.available = '50.00'
    expect(await codeOf(t.banking.createTransfer(tenant, input))).toBe('BANK_INSUFFICIENT_BALANCE')
    enrollment.accounts[0]!.available = '500.00'
    enrollment.accounts[0]!.owners = ['Someone Else']
    expect(await codeOf(t.banking.createTransfer(tenant, input))).toBe('BANK_OWNER_MISMATCH')
    enrollment.accounts[0]!.owners = ['Maria Gonzalez']
    enrollment.accounts[0]!.routing = '121000248'
    expect(await codeOf(t.banking.createTransfer(tenant, input))).toBe('BANK_ROUTING_CHANGED')
    enrollment.accounts[0]!.status = 'closed'
    expect(await codeOf(t.banking.createTransfer(tenant, input))).toBe('BANK_ACCOUNT_CLOSED')
  })

  it('a disconnected enrollment needs the customer; unlink deletes the accounts at Teller', async () => {
    const tenant = freshTenant()
    const { item, enrollment, checking } = await link(tenant)
    enrollment.disconnected = 'enrollment.disconnected.user_action.mfa_required'
    const err = await t.banking.balance(tenant, checking.id).catch((e: unknown) => e)
    expect(isAppError(err) && [err.code, err.details?.vendorCode]).toEqual([
      'BANK_ITEM_LOGIN_REQUIRED',
      'enrollment.disconnected.user_action.mfa_required',
    ])
    enrollment.disconnected = null
    await t.banking.unlink(tenant, item.id)
    expect(enrollment.removed.size).toBe(2)
    expect(teller.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2)
  })

  describe('webhooks', () => {
    it('verifies Teller-Signature; refuses forged, stale and wrong-secret deliveries; skips duplicates', async () => {
      const tenant = freshTenant()
      const { item, enrollment } = await link(tenant, { transactions: 3 })
      const body = {
        id: `wh_${item.id}`,
        type: 'transactions.processed',
        payload: { enrollment_id: enrollment.enrollment_id, transactions: [] },
        timestamp: new Date().toISOString(),
      }
      const hook = teller.signedWebhook(body)
      expect(await t.banking.handleWebhook('teller', Buffer.from(hook.body), hook.headers)).toEqual({
        items: 1,
        duplicate: false,
        action: 'sync',
      })
      await t.banking.idle()
      expect((await t.banking.getItem(tenant, item.id)).lastSyncedAt).not.toBeNull()
      expect((await t.banking.handleWebhook('teller', Buffer.from(hook.body), hook.headers)).duplicate).toBe(
        true,
      )

      const forged = hook.body.replace('transactions.processed', 'enrollment.disconnected')
      expect(await codeOf(t.banking.handleWebhook('teller', Buffer.from(forged), hook.headers))).toBe(
        'BANK_WEBHOOK_INVALID',
      )
      const stale = teller.signedWebhook({ ...body, id: 'wh_stale' }, { ageSeconds: 301 })
      expect(await codeOf(t.banking.handleWebhook('teller', Buffer.from(stale.body), stale.headers))).toBe(
        'BANK_WEBHOOK_INVALID',
      )
      const wrong = teller.signedWebhook({ ...body, id: 'wh_wrong' }, { secret: 'not-the-secret' })
      expect(await codeOf(t.banking.handleWebhook('teller', Buffer.from(wrong.body), wrong.headers))).toBe(
        'BANK_WEBHOOK_INVALID',
      )

      const disconnected = teller.signedWebhook({
        id: `wh_dis_${item.id}`,
        type: 'enrollment.disconnected',
        payload: { enrollment_id: enrollment.enrollment_id, reason: 'disconnected.credentials_invalid' },
        timestamp: new Date().toISOString(),
      })
      await t.banking.handleWebhook('teller', Buffer.from(disconnected.body), disconnected.headers)
      expect((await t.banking.getItem(tenant, item.id)).status).toBe('login_required')
    })
  })
})
