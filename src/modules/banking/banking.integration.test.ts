import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bankingHarness, codeOf, type BankingHarness } from '../../../test/support/banking.js'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { isAppError } from '../../shared/errors.js'
import { BANKING_EVENTS } from './banking.events.js'
import { createSandboxProvider, SANDBOX_OWNER, type SandboxProvider } from './providers/sandbox.js'

describeEachDb('banking with the sandbox provider', (target) => {
  let h: DbHandle
  let t: BankingHarness
  let sandbox: SandboxProvider
  beforeAll(async () => {
    h = await openTestDb(target)
    sandbox = createSandboxProvider()
    t = await bankingHarness(h, { sandbox })
  })
  afterAll(async () => h.close())

  async function link(tenant: string, flags = '', customerName = SANDBOX_OWNER) {
    const lt = await t.banking.createLinkToken(tenant, { customerId: 'cus_1', customerName })
    const item = await t.banking.exchange(tenant, {
      linkToken: lt.linkToken,
      publicToken: `public-sandbox-${flags}`,
    })
    const checking = item.accounts.find((a) => a.subtype === 'checking')!
    return { item, checking }
  }

  const accessTokenOf = async (tenant: string, itemId: string) => {
    const r = await sql<{ access_token_ct: Uint8Array }>`SELECT access_token_ct FROM bank_items
      WHERE tenant_id = ${tenant} AND item_id = ${itemId}`.execute(h.db)
    return Buffer.from(r.rows[0]!.access_token_ct)
  }

  describe('link', () => {
    it('captures the institution at link time and stores the access token encrypted', async () => {
      const tenant = freshTenant()
      const { item, checking } = await link(tenant)
      expect(item).toMatchObject({
        provider: 'sandbox',
        customerId: 'cus_1',
        institutionId: 'ins_sandbox',
        institutionName: 'Moneta Sandbox Bank',
        status: 'active',
      })
      expect(item.accounts).toHaveLength(2)
      expect(checking.capture).toEqual({
        institutionId: 'ins_sandbox',
        institutionName: 'Moneta Sandbox Bank',
        routingNumber: '011401533',
        mask: '0000',
        ownerNames: [SANDBOX_OWNER],
      })
      expect(checking.verification).toBe('verified')
      const ct = await accessTokenOf(tenant, item.id)
      expect(ct.includes(Buffer.from('access-sandbox'))).toBe(false)
      expect(JSON.stringify(await t.banking.getItem(tenant, item.id))).not.toContain('access-sandbox')
    })

    it('uses a link token once, and only in its tenant', async () => {
      const tenant = freshTenant()
      const lt = await t.banking.createLinkToken(tenant, { customerId: 'cus_1', customerName: 'A B' })
      await t.banking.exchange(tenant, { linkToken: lt.linkToken, publicToken: 'public-sandbox-' })
      expect(
        await codeOf(t.banking.exchange(tenant, { linkToken: lt.linkToken, publicToken: 'public-sandbox-' })),
      ).toBe('BANK_LINK_TOKEN_EXPIRED')
      expect(
        await codeOf(
          t.banking.exchange(freshTenant(), { linkToken: lt.linkToken, publicToken: 'public-sandbox-' }),
        ),
      ).toBe('BANK_LINK_TOKEN_NOT_FOUND')
      const other = await t.banking.createLinkToken(tenant, { customerId: 'cus_1', customerName: 'A B' })
      expect(
        await codeOf(t.banking.exchange(tenant, { linkToken: other.linkToken, publicToken: 'garbage' })),
      ).toBe('BANK_PUBLIC_TOKEN_INVALID')
    })

    it('unlink revokes the item at the provider and hides its accounts', async () => {
      const tenant = freshTenant()
      const { item, checking } = await link(tenant)
      const removed = await t.banking.unlink(tenant, item.id)
      expect(removed.status).toBe('removed')
      expect(await t.banking.listAccounts(tenant)).toEqual([])
      expect(await codeOf(t.banking.balance(tenant, checking.id))).toBe('BANK_ITEM_REMOVED')
      // Unlinking twice is a no-op, not an error.
      expect((await t.banking.unlink(tenant, item.id)).status).toBe('removed')
    })
  })

  describe('institution checks before a transfer', () => {
    const cases: [string, string][] = [
      ['routing-change', 'BANK_ROUTING_CHANGED'],
      ['institution-change', 'BANK_INSTITUTION_CHANGED'],
      ['unverified', 'BANK_ACCOUNT_NOT_VERIFIED'],
      ['closed', 'BANK_ACCOUNT_CLOSED'],
      ['low-balance', 'BANK_INSUFFICIENT_BALANCE'],
      ['owner-mismatch', 'BANK_OWNER_MISMATCH'],
    ]
    for (const [flag, code] of cases) {
      it(`blocks a transfer with ${code} (${flag})`, async () => {
        const tenant = freshTenant()
        const { checking } = await link(tenant, flag)
        const err = await t.banking
          .createTransfer(tenant, {
            accountId: checking.id,
            direction: 'debit',
            amount: 5_000n,
            currency: 'USD',
          })
          .catch((e: unknown) => e)
        expect(isAppError(err) && err.code).toBe(code)
        expect(isAppError(err) && (err.details?.failures as { code: string }[]).map((f) => f.code)).toContain(
          code,
        )
        expect(await t.banking.listTransfers(tenant)).toEqual([])
      })
    }

    it('compares owner names after normalisation', async () => {
      const tenant = freshTenant()
      const { checking } = await link(tenant, '', '  MORGAN, alex ')
      const { transfer } = await t.banking.createTransfer(tenant, {
        accountId: checking.id,
        direction: 'debit',
        amount: 100n,
        currency: 'USD',
      })
      expect(transfer.status).toBe('pending')
    })

    it('checks the balance for pulls only: a payout from a low-balance account goes', async () => {
      const tenant = freshTenant()
      const { checking } = await link(tenant, 'low-balance')
      await t.ledger.createAccount(tenant, { id: 'wallet', currency: 'USD', normalSide: 'credit' })
      await t.ledger.createAccount(tenant, { id: 'funding', currency: 'USD', normalSide: 'debit' })
      await t.ledger.execute(tenant, [
        {
          op: 'create',
          legs: [{ source: 'funding', destination: 'wallet', amount: 50_000n, currency: 'USD' }],
        },
      ])
      const { transfer } = await t.banking.createTransfer(tenant, {
        accountId: checking.id,
        direction: 'credit',
        amount: 20_000n,
        currency: 'USD',
        ledgerAccountId: 'wallet',
      })
      expect(transfer).toMatchObject({ direction: 'credit', status: 'pending', ledgerAccountId: 'wallet' })
      expect((await t.ledger.getAccount(tenant, 'wallet')).balances.available).toBe(30_000n)
    })

    it('an item needing a new login blocks transfers until an update-mode link token repairs it', async () => {
      const tenant = freshTenant()
      const { item, checking } = await link(tenant, 'login-required')
      const input = { accountId: checking.id, direction: 'debit' as const, amount: 100n, currency: 'USD' }
      expect(await codeOf(t.banking.createTransfer(tenant, input))).toBe('BANK_ITEM_LOGIN_REQUIRED')
      expect((await t.banking.getItem(tenant, item.id)).status).toBe('login_required')
      expect(await codeOf(t.banking.createTransfer(tenant, input))).toBe('BANK_ITEM_LOGIN_REQUIRED')
      const update = await t.banking.createLinkToken(tenant, {
        customerId: 'x',
        customerName: 'x',
        itemId: item.id,
      })
      expect(update.mode).toBe('update')
      await t.banking.sync(tenant, item.id)
      expect((await t.banking.getItem(tenant, item.id)).status).toBe('active')
      expect((await t.banking.createTransfer(tenant, input)).transfer.status).toBe('pending')
    })
  })

  describe('transfers', () => {
    it('writes a pending ledger hold with the transfer, replays by Idempotency-Key, settles by posting', async () => {
      const tenant = freshTenant()
      const { checking } = await link(tenant)
      const input = { accountId: checking.id, direction: 'debit' as const, amount: 25_00n, currency: 'USD' }
      const first = await t.banking.createTransfer(tenant, input, { idempotencyKey: 'k1' })
      expect(first).toMatchObject({ replayed: false, transfer: { status: 'pending', rail: 'sandbox' } })
      expect(first.transfer.railTransferId).toBe(`sbx_tr_${first.transfer.id}`)
      const ledgerTxn = await t.ledger.getTransaction(tenant, first.transfer.ledgerTransactionId)
      expect(ledgerTxn.status).toBe('pending')
      expect(ledgerTxn.legs[0]).toMatchObject({ source: 'bank_clearing_USD', amount: 25_00n })

      const again = await t.banking.createTransfer(tenant, input, { idempotencyKey: 'k1' })
      expect(again).toMatchObject({ replayed: true, transfer: { id: first.transfer.id } })
      expect(
        await codeOf(t.banking.createTransfer(tenant, { ...input, amount: 1n }, { idempotencyKey: 'k1' })),
      ).toBe('IDEMPOTENCY_CONFLICT')
      expect(await t.banking.listTransfers(tenant)).toHaveLength(1)

      const settled = await t.banking.settleTransfer(tenant, first.transfer.id)
      expect(settled.status).toBe('settled')
      expect((await t.ledger.getTransaction(tenant, settled.ledgerTransactionId)).status).toBe('posted')
      expect((await t.ledger.getAccount(tenant, settled.ledgerAccountId)).balances.posted).toBe(25_00n)
      const topics = await t.outboxPayloads(tenant, BANKING_EVENTS.transferSettled)
      expect(topics).toEqual([expect.objectContaining({ transferId: first.transfer.id, status: 'settled' })])
    })

    it('a return of a pending transfer voids the hold (R01 keeps the account usable)', async () => {
      const tenant = freshTenant()
      const { checking } = await link(tenant)
      const { transfer } = await t.banking.createTransfer(tenant, {
        accountId: checking.id,
        direction: 'debit',
        amount: 700n,
        currency: 'USD',
      })
      const returned = await t.banking.returnTransfer(tenant, transfer.id, 'R01')
      expect(returned).toMatchObject({
        status: 'returned',
        returnCode: 'R01',
        returnReason: 'Insufficient funds',
      })
      expect((await t.ledger.getTransaction(tenant, transfer.ledgerTransactionId)).status).toBe('voided')
      expect(await codeOf(t.banking.settleTransfer(tenant, transfer.id))).toBe('BANK_TRANSFER_NOT_PENDING')
      expect(await codeOf(t.banking.returnTransfer(tenant, transfer.id, 'R99'))).toBe(
        'BANK_RETURN_CODE_UNKNOWN',
      )
      expect((await t.banking.returnTransfer(tenant, transfer.id, 'R01')).status).toBe('returned')
      const again = await t.banking.createTransfer(tenant, {
        accountId: checking.id,
        direction: 'debit',
        amount: 700n,
        currency: 'USD',
      })
      expect(again.transfer.status).toBe('pending')
    })

    it('a return after settlement reverses the posting; R02 closes the account, R10 revokes it', async () => {
      const tenant = freshTenant()
      const { checking } = await link(tenant)
      const input = { accountId: checking.id, direction: 'debit' as const, amount: 900n, currency: 'USD' }
      const { transfer } = await t.banking.createTransfer(tenant, input)
      await t.banking.settleTransfer(tenant, transfer.id)
      const returned = await t.banking.returnTransfer(tenant, transfer.id, 'R02')
      expect(returned.reversalTransactionId).toMatch(/^txn_/)
      expect((await t.ledger.getAccount(tenant, transfer.ledgerAccountId)).balances.posted).toBe(0n)
      expect((await t.banking.getAccount(tenant, checking.id)).status).toBe('closed')
      expect(await codeOf(t.banking.createTransfer(tenant, input))).toBe('BANK_ACCOUNT_CLOSED')

      const other = await link(tenant)
      const second = await t.banking.createTransfer(tenant, { ...input, accountId: other.checking.id })
      await t.banking.returnTransfer(tenant, second.transfer.id, 'R10')
      expect(await codeOf(t.banking.createTransfer(tenant, { ...input, accountId: other.checking.id }))).toBe(
        'BANK_ACCOUNT_NOT_VERIFIED',
      )
      const returnedEvents = await t.outboxPayloads(tenant, BANKING_EVENTS.transferReturned)
      expect(returnedEvents.map((e) => e.returnCode)).toEqual(['R02', 'R10'])
    })

    it('a payout the customer cannot fund is refused by the ledger and leaves no transfer', async () => {
      const tenant = freshTenant()
      const { checking } = await link(tenant)
      await t.ledger.createAccount(tenant, {
        id: 'poor',
        currency: 'USD',
        normalSide: 'credit',
        debitsMustNotExceedCredits: true,
      })
      const err = await t.banking
        .createTransfer(tenant, {
          accountId: checking.id,
          direction: 'credit',
          amount: 100n,
          currency: 'USD',
          ledgerAccountId: 'poor',
        })
        .catch((e: unknown) => e)
      expect(isAppError(err) && [err.code, err.details?.ledgerCode]).toEqual([
        'BANK_LEDGER_REJECTED',
        'LEDGER_INSUFFICIENT_FUNDS',
      ])
      expect(await t.banking.listTransfers(tenant)).toEqual([])
    })
  })

  describe('transfer edge cases', () => {
    it('concurrent requests with one Idempotency-Key make one transfer and one hold', async () => {
      const tenant = freshTenant()
      const { checking } = await link(tenant)
      const input = { accountId: checking.id, direction: 'debit' as const, amount: 300n, currency: 'USD' }
      const results = await Promise.all(
        [1, 2, 3].map(() => t.banking.createTransfer(tenant, input, { idempotencyKey: 'same' })),
      )
      expect(new Set(results.map((r) => r.transfer.id)).size).toBe(1)
      expect(results.filter((r) => !r.replayed)).toHaveLength(1)
      expect(await t.banking.listTransfers(tenant)).toHaveLength(1)
      const account = await t.ledger.getAccount(tenant, results[0]!.transfer.ledgerAccountId)
      expect(account.balances.creditsPending).toBe(300n)
    })

    it('a rail that refuses the transfer leaves it failed with its hold voided', async () => {
      const refusing = await bankingHarness(
        h,
        { sandbox },
        { rail: { name: 'broken', initiate: () => Promise.reject(new Error('rail down')) } },
      )
      const tenant = freshTenant()
      const lt = await refusing.banking.createLinkToken(tenant, {
        customerId: 'c',
        customerName: SANDBOX_OWNER,
      })
      const item = await refusing.banking.exchange(tenant, {
        linkToken: lt.linkToken,
        publicToken: 'public-sandbox-',
      })
      const accountId = item.accounts.find((a) => a.subtype === 'checking')!.id
      const err = await refusing.banking
        .createTransfer(tenant, { accountId, direction: 'debit', amount: 100n, currency: 'USD' })
        .catch((e: unknown) => e)
      expect(String(err)).toContain('rail down')
      const [failed] = await refusing.banking.listTransfers(tenant)
      expect(failed?.status).toBe('failed')
      expect((await refusing.ledger.getTransaction(tenant, failed!.ledgerTransactionId)).status).toBe(
        'voided',
      )
    })
  })

  describe('transaction sync', () => {
    it('pulls by cursor, upserts, marks removals, and emits one synced event per run', async () => {
      const tenant = freshTenant()
      const { item, checking } = await link(tenant)
      const first = await t.banking.sync(tenant, item.id)
      expect(first).toMatchObject({ skipped: false, added: 12, modified: 0, removed: 0 })
      const page = await t.banking.transactions(tenant, checking.id, { limit: 5 })
      expect(page.items).toHaveLength(5)
      const rest = await t.banking.transactions(tenant, checking.id, { limit: 100, after: page.next! })
      expect(rest.items).toHaveLength(7)
      expect(new Set([...page.items, ...rest.items].map((x) => x.providerTransactionId)).size).toBe(12)

      const victim = page.items[0]!.providerTransactionId
      sandbox.simulate(item.providerItemId, { addTransactions: 3, removeTransactions: [victim] })
      const second = await t.banking.sync(tenant, item.id, 'poll')
      expect(second).toMatchObject({ added: 3, removed: 1 })
      const all = await t.banking.transactions(tenant, checking.id, { limit: 100 })
      expect(all.items).toHaveLength(14)
      expect(all.items.map((x) => x.providerTransactionId)).not.toContain(victim)
      // Nothing new: an empty run.
      expect(await t.banking.sync(tenant, item.id)).toMatchObject({ added: 0, modified: 0, removed: 0 })
      const events = await t.outboxPayloads(tenant, BANKING_EVENTS.transactionsSynced)
      expect(events.map((e) => [e.trigger, e.added, e.removed])).toEqual([
        ['manual', 12, 0],
        ['poll', 3, 1],
        ['manual', 0, 0],
      ])
    })

    it('the poll syncs items not synced recently', async () => {
      const tenant = freshTenant()
      const { item } = await link(tenant)
      expect(await t.banking.pollDue(1000)).toBeGreaterThanOrEqual(1)
      expect((await t.banking.getItem(tenant, item.id)).lastSyncedAt).not.toBeNull()
    })
  })

  describe('webhooks', () => {
    it('a signed webhook syncs the item; a duplicate is acknowledged and ignored; a forged one is refused', async () => {
      const tenant = freshTenant()
      const { item } = await link(tenant)
      const providerItemId = (await t.banking.getItem(tenant, item.id)).providerItemId
      const hook = sandbox.webhook({
        id: `evt_${item.id}`,
        item_id: providerItemId,
        code: 'SYNC_UPDATES_AVAILABLE',
      })
      const headers = hook.headers
      const first = await t.banking.handleWebhook('sandbox', Buffer.from(hook.body), headers)
      expect(first).toEqual({ items: 1, duplicate: false, action: 'sync' })
      await t.banking.idle()
      expect((await t.banking.getItem(tenant, item.id)).lastSyncedAt).not.toBeNull()
      const dup = await t.banking.handleWebhook('sandbox', Buffer.from(hook.body), headers)
      expect(dup.duplicate).toBe(true)
      await t.banking.idle()
      expect(await t.outboxPayloads(tenant, BANKING_EVENTS.transactionsSynced)).toHaveLength(1)

      const forged = hook.body.replace('SYNC_UPDATES_AVAILABLE', 'ITEM_LOGIN_REQUIRED')
      expect(await codeOf(t.banking.handleWebhook('sandbox', Buffer.from(forged), headers))).toBe(
        'BANK_WEBHOOK_INVALID',
      )
      expect((await t.banking.getItem(tenant, item.id)).status).toBe('active')

      const error = sandbox.webhook({
        id: `err_${item.id}`,
        item_id: providerItemId,
        code: 'ITEM_LOGIN_REQUIRED',
      })
      await t.banking.handleWebhook('sandbox', Buffer.from(error.body), error.headers)
      expect((await t.banking.getItem(tenant, item.id)).status).toBe('login_required')
    })
  })
})
