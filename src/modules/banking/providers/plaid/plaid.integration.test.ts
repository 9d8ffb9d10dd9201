import { generateKeyPairSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bankingHarness, codeOf, type BankingHarness } from '../../../../../test/support/banking.js'
import { describeEachDb, freshTenant, openTestDb } from '../../../../../test/support/db.js'
import { startPlaidServer, type PlaidServer } from '../../../../../test/support/vendors/plaid-server.js'
import type { DbHandle } from '../../../../shared/db/connect.js'
import { isAppError } from '../../../../shared/errors.js'
import { BANKING_EVENTS } from '../../banking.events.js'
import { createPlaidProvider } from './client.js'

const OWNER = 'Alberta Bobbeth Charleson'

describeEachDb('banking through the Plaid SDK against a local Plaid-protocol server', (target) => {
  let h: DbHandle
  let plaid: PlaidServer
  let t: BankingHarness
  beforeAll(async () => {
    h = await openTestDb(target)
    plaid = await startPlaidServer()
    const provider = createPlaidProvider({
      clientId: plaid.clientId,
      secret: plaid.secret,
      env: 'sandbox',
      basePath: plaid.url,
    })
    t = await bankingHarness(h, { plaid: provider }, { syncPageSize: 100 })
  })
  afterAll(async () => {
    await plaid.close()
    await h.close()
  })

  async function link(
    tenant: string,
    opts: Parameters<PlaidServer['createPublicToken']>[0] = {},
    customerName = OWNER,
  ) {
    const lt = await t.banking.createLinkToken(tenant, {
      customerId: 'cus_p',
      customerName,
      provider: 'plaid',
    })
    const { publicToken, item: state } = plaid.createPublicToken(opts)
    const item = await t.banking.exchange(tenant, { linkToken: lt.linkToken, publicToken })
    return { item, state: state(), checking: item.accounts.find((a) => a.subtype === 'checking')! }
  }

  describe('link', () => {
    it('creates a link token, exchanges the public token and captures institution, routing, mask and owners', async () => {
      const tenant = freshTenant()
      const { item, checking } = await link(tenant)
      const created = plaid.requests.filter((r) => r.path === '/link/token/create').at(-1)!.body
      expect(created).toMatchObject({ user: { client_user_id: 'cus_p' }, products: ['auth', 'transactions'] })
      expect(item).toMatchObject({
        provider: 'plaid',
        institutionId: 'ins_109508',
        institutionName: 'First Platypus Bank',
      })
      expect(checking.capture).toEqual({
        institutionId: 'ins_109508',
        institutionName: 'First Platypus Bank',
        routingNumber: '011401533',
        mask: '0000',
        ownerNames: [OWNER],
      })
      const balance = await t.banking.balance(tenant, checking.id)
      expect(balance).toMatchObject({ available: 10_000n, current: 11_000n, currency: 'USD' })
    })

    it('a refused public token and wrong API keys get their own codes', async () => {
      const tenant = freshTenant()
      const lt = await t.banking.createLinkToken(tenant, {
        customerId: 'c',
        customerName: 'n',
        provider: 'plaid',
      })
      expect(
        await codeOf(t.banking.exchange(tenant, { linkToken: lt.linkToken, publicToken: 'public-nope' })),
      ).toBe('BANK_PUBLIC_TOKEN_INVALID')
      const wrong = await bankingHarness(h, {
        plaid: createPlaidProvider({
          clientId: plaid.clientId,
          secret: 'wrong',
          env: 'sandbox',
          basePath: plaid.url,
        }),
      })
      expect(
        await codeOf(
          wrong.banking.createLinkToken(tenant, { customerId: 'c', customerName: 'n', provider: 'plaid' }),
        ),
      ).toBe('BANK_PROVIDER_MISCONFIGURED')
    })

    it('unlink calls /item/remove and the access token stops working', async () => {
      const tenant = freshTenant()
      const { item, state } = await link(tenant)
      await t.banking.unlink(tenant, item.id)
      expect(plaid.requests.at(-1)).toMatchObject({
        path: '/item/remove',
        body: { access_token: state.access_token },
      })
      expect(state.removed).toBe(true)
    })
  })

  describe('item errors', () => {
    it('ITEM_LOGIN_REQUIRED marks the item; an update-mode link token sends the access token and repairs it', async () => {
      const tenant = freshTenant()
      const { item, state, checking } = await link(tenant, { transactions: 5 })
      state.error = {
        error_type: 'ITEM_ERROR',
        error_code: 'ITEM_LOGIN_REQUIRED',
        error_message: 'login required',
      }
      const err = await t.banking.balance(tenant, checking.id).catch((e: unknown) => e)
      expect(isAppError(err) && [err.code, err.details?.vendorCode]).toEqual([
        'BANK_ITEM_LOGIN_REQUIRED',
        'ITEM_LOGIN_REQUIRED',
      ])
      expect(await t.banking.getItem(tenant, item.id)).toMatchObject({
        status: 'login_required',
        errorCode: 'ITEM_LOGIN_REQUIRED',
      })
      expect(await codeOf(t.banking.sync(tenant, item.id))).toBe('BANK_ITEM_LOGIN_REQUIRED')

      const update = await t.banking.createLinkToken(tenant, {
        customerId: 'x',
        customerName: 'x',
        itemId: item.id,
      })
      expect(update.mode).toBe('update')
      const sent = plaid.requests.filter((r) => r.path === '/link/token/create').at(-1)!.body
      expect(sent.access_token).toBe(state.access_token)
      expect(sent.products).toBeUndefined()
      expect(await t.banking.sync(tenant, item.id)).toMatchObject({ added: 5 })
      expect((await t.banking.getItem(tenant, item.id)).status).toBe('active')
    })
  })

  describe('transactions/sync', () => {
    it('pages by cursor, re-syncs without duplicates, applies modified and removed', async () => {
      const tenant = freshTenant()
      const { item, state } = await link(tenant, { transactions: 1_234 })
      const first = await t.banking.sync(tenant, item.id)
      expect(first).toMatchObject({ added: 1_234, modified: 0, removed: 0, pages: 13 })
      const cursorsSent = plaid.requests
        .filter((r) => r.path === '/transactions/sync' && r.body.access_token === state.access_token)
        .map((r) => r.body.cursor ?? null)
      expect(cursorsSent[0]).toBeNull()
      expect(new Set(cursorsSent).size).toBe(13)

      // A second run resumes from the stored cursor: nothing new.
      expect(await t.banking.sync(tenant, item.id)).toMatchObject({
        added: 0,
        modified: 0,
        removed: 0,
        pages: 1,
      })
      plaid.modifyTransaction(state.item_id, `${state.item_id}-t2`, { name: 'Renamed', amount: 1.5 })
      plaid.removeTransactions(state.item_id, [`${state.item_id}-t4`, `${state.item_id}-t6`])
      const added = plaid.addTransactions(state.item_id, 3)
      expect(await t.banking.sync(tenant, item.id)).toMatchObject({ added: 3, modified: 1, removed: 2 })

      const all = []
      for (const account of item.accounts) {
        let after: string | undefined
        for (;;) {
          const page = await t.banking.transactions(tenant, account.id, {
            limit: 1000,
            ...(after ? { after } : {}),
          })
          all.push(...page.items)
          if (!page.next) break
          after = page.next
        }
      }
      const ids = all.map((x) => x.providerTransactionId)
      expect(ids).toHaveLength(1_234 + 3 - 2)
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids).not.toContain(`${state.item_id}-t4`)
      expect(ids).toEqual(expect.arrayContaining(added))
      const renamed = all.find((x) => x.providerTransactionId === `${state.item_id}-t2`)!
      expect(renamed).toMatchObject({ name: 'Renamed', amount: 150n })
    })

    it('restarts from the cursor the loop began with when data changes during pagination', async () => {
      const tenant = freshTenant()
      const { item, state } = await link(tenant, { transactions: 350 })
      const vanishing = `${state.item_id}-t7`
      // Page 2 fails with TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION; meanwhile t7 (seen on page 1)
      // disappears from the history altogether.
      state.mutateOnNextPage = () => state.vanished.add(vanishing)
      const r = await t.banking.sync(tenant, item.id)
      expect(r).toMatchObject({ restarts: 1, added: 349 })
      const syncs = plaid.requests.filter(
        (x) => x.path === '/transactions/sync' && x.body.access_token === state.access_token,
      )
      expect(syncs.map((x) => x.body.cursor ?? null)[2]).toBeNull() // the restart began again from the start cursor
      const rows = await h.db
        .selectFrom('bank_transactions' as never)
        .select(['provider_transaction_id' as never])
        .where('tenant_id' as never, '=', tenant as never)
        .execute()
      expect(rows).toHaveLength(349)
      expect(
        rows.map((x) => (x as { provider_transaction_id: string }).provider_transaction_id),
      ).not.toContain(vanishing)
      const events = await t.outboxPayloads(tenant, BANKING_EVENTS.transactionsSynced)
      expect(events.at(-1)).toMatchObject({ restarts: 1, added: 349 })
    })
  })

  describe('webhooks', () => {
    it('a verified SYNC_UPDATES_AVAILABLE syncs the item; replay, forgery, stale and foreign keys are refused', async () => {
      const tenant = freshTenant()
      const { item, state } = await link(tenant, { transactions: 20 })
      const body = {
        webhook_type: 'TRANSACTIONS',
        webhook_code: 'SYNC_UPDATES_AVAILABLE',
        item_id: state.item_id,
      }
      const hook = plaid.signedWebhook(body)
      const keyFetches = () => plaid.requests.filter((r) => r.path === '/webhook_verification_key/get').length
      const before = keyFetches()
      expect(await t.banking.handleWebhook('plaid', Buffer.from(hook.body), hook.headers)).toEqual({
        items: 1,
        duplicate: false,
        action: 'sync',
      })
      await t.banking.idle()
      expect((await t.banking.getItem(tenant, item.id)).lastSyncedAt).not.toBeNull()
      expect(await t.outboxPayloads(tenant, BANKING_EVENTS.transactionsSynced)).toEqual([
        expect.objectContaining({ trigger: 'webhook', added: 20 }),
      ])
      // The same delivery again: acknowledged, not acted on.
      const again = await t.banking.handleWebhook('plaid', Buffer.from(hook.body), hook.headers)
      expect(again.duplicate).toBe(true)
      // A second, newly signed notification is processed (its sync finds nothing new).
      const next = plaid.signedWebhook(body)
      expect((await t.banking.handleWebhook('plaid', Buffer.from(next.body), next.headers)).duplicate).toBe(
        false,
      )
      await t.banking.idle()
      // The key was fetched once and cached.
      expect(keyFetches() - before).toBeLessThanOrEqual(1)

      const tampered = hook.body.replace('SYNC_UPDATES_AVAILABLE', 'DEFAULT_UPDATE')
      const forged = await t.banking
        .handleWebhook('plaid', Buffer.from(tampered), hook.headers)
        .catch((e: unknown) => e)
      expect(isAppError(forged) && [forged.code, forged.message]).toEqual([
        'BANK_WEBHOOK_INVALID',
        expect.stringContaining('body hash'),
      ])
      const stale = plaid.signedWebhook(body, { iatOffsetSeconds: -301 })
      expect(await codeOf(t.banking.handleWebhook('plaid', Buffer.from(stale.body), stale.headers))).toBe(
        'BANK_WEBHOOK_INVALID',
      )
      const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      const impostor = plaid.signedWebhook(body, { key: otherKey })
      const e2 = await t.banking
        .handleWebhook('plaid', Buffer.from(impostor.body), impostor.headers)
        .catch((e: unknown) => e)
      expect(isAppError(e2) && e2.message).toContain('signature')
      const unknownKid = plaid.signedWebhook(body, { kid: 'nope' })
      expect(
        await codeOf(t.banking.handleWebhook('plaid', Buffer.from(unknownKid.body), unknownKid.headers)),
      ).toBe('BANK_WEBHOOK_INVALID')
      expect(await codeOf(t.banking.handleWebhook('plaid', Buffer.from(hook.body), {}))).toBe(
        'BANK_WEBHOOK_INVALID',
      )
      const noneAlg = `${Buffer.from('{"alg":"none","kid":"x"}').toString('base64url')}.e30.`
      expect(
        await codeOf(
          t.banking.handleWebhook('plaid', Buffer.from(hook.body), { 'plaid-verification': noneAlg }),
        ),
      ).toBe('BANK_WEBHOOK_INVALID')
    })

    it('ITEM ERROR marks the item for re-authentication; LOGIN_REPAIRED clears it', async () => {
      const tenant = freshTenant()
      const { item, state } = await link(tenant)
      const error = plaid.signedWebhook({
        webhook_type: 'ITEM',
        webhook_code: 'ERROR',
        item_id: state.item_id,
        error: { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', error_message: 'x' },
      })
      await t.banking.handleWebhook('plaid', Buffer.from(error.body), error.headers)
      expect(await t.banking.getItem(tenant, item.id)).toMatchObject({
        status: 'login_required',
        errorCode: 'ITEM_LOGIN_REQUIRED',
      })
      const repaired = plaid.signedWebhook({
        webhook_type: 'ITEM',
        webhook_code: 'LOGIN_REPAIRED',
        item_id: state.item_id,
      })
      await t.banking.handleWebhook('plaid', Buffer.from(repaired.body), repaired.headers)
      expect((await t.banking.getItem(tenant, item.id)).status).toBe('active')
    })
  })

  describe('institution checks read Plaid live', () => {
    type Setup = (s: ReturnType<PlaidServer['item']>) => void
    const cases: [string, Setup, string, string?][] = [
      ['routing number changed', (s) => (s.accounts[0]!.routing = '021000021'), 'BANK_ROUTING_CHANGED'],
      ['institution changed', (s) => (s.institution_id = 'ins_109509'), 'BANK_INSTITUTION_CHANGED'],
      [
        'verification pending',
        (s) => (s.accounts[0]!.verification_status = 'pending_manual_verification'),
        'BANK_ACCOUNT_NOT_VERIFIED',
      ],
      ['account no longer reported', (s) => s.accounts.shift(), 'BANK_ACCOUNT_CLOSED'],
      ['balance too low', (s) => (s.accounts[0]!.available = 49.99), 'BANK_INSUFFICIENT_BALANCE'],
      ['owner renamed', (s) => (s.accounts[0]!.owners = ['Someone Else']), 'BANK_OWNER_MISMATCH'],
    ]
    for (const [what, setup, code] of cases) {
      it(`${what} → ${code}`, async () => {
        const tenant = freshTenant()
        const { state, checking } = await link(tenant)
        const input = { accountId: checking.id, direction: 'debit' as const, amount: 5_000n, currency: 'USD' }
        setup(state)
        expect(await codeOf(t.banking.createTransfer(tenant, input))).toBe(code)
        expect(await t.banking.listTransfers(tenant)).toEqual([])
      })
    }

    it('a transfer goes when every check passes', async () => {
      const tenant = freshTenant()
      const { checking } = await link(tenant, {}, 'charleson, ALBERTA bobbeth')
      const { transfer } = await t.banking.createTransfer(tenant, {
        accountId: checking.id,
        direction: 'debit',
        amount: 5_000n,
        currency: 'USD',
      })
      expect(transfer.status).toBe('pending')
    })
  })
})
