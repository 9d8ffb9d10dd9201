import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { CommandOptions } from '../../shared/command.js'
import type { Db } from '../../shared/db/connect.js'
import { invalid } from '../../shared/errors.js'
import type { IdGenerator } from '../../shared/ids.js'
import { currency as lookupCurrency } from '../../shared/money.js'
import type { BoundField, FieldCipher } from '../crypto/index.js'
import type { Outbox } from '../events/index.js'
import type { Ledger } from '../ledger/index.js'
import {
  type BankAccount,
  type BankItem,
  type BankTransaction,
  type BankTransfer,
  type TransferDirection,
} from './banking.js'
import { bankingError } from './banking.errors.js'
import { BANKING_EVENTS } from './banking.events.js'
import type { SandboxPatch, SandboxProvider } from './providers/sandbox.js'
import { createBankingStore, type ItemRow } from './banking.store.js'
import { createTransferOps } from './banking.transfers.js'
import {
  isProviderError,
  type BankDataProvider,
  type ProviderName,
  type SyncPage,
  type TransferRail,
} from './provider.js'

export interface BankingDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger?: Logger
  readonly ledger: Ledger
  readonly outbox: Outbox
  readonly fieldCipher: FieldCipher
  /** The configured providers; the sandbox is always there. */
  readonly providers: Partial<Record<ProviderName, BankDataProvider>>
  /** Provider used when a link-token request names none. */
  readonly defaultProvider: ProviderName
  readonly rail: TransferRail
  /** Webhook URL base given to providers at link time, e.g. https://moneta.example.com. */
  readonly publicUrl?: string
  /** Transactions per provider page (Plaid allows 1–500). */
  readonly syncPageSize?: number
  /** Items not synced for this long are polled (webhooks can be lost and are not replayed). */
  readonly pollAfterMs?: number
}

export interface ItemView extends BankItem {
  readonly accounts: readonly BankAccount[]
}

export interface SyncResult {
  readonly itemId: string
  readonly skipped: boolean
  readonly added: number
  readonly modified: number
  readonly removed: number
  readonly restarts: number
  readonly pages: number
}

export type SyncTrigger = 'webhook' | 'poll' | 'manual'

export interface TransferInput {
  readonly accountId: string
  readonly direction: TransferDirection
  readonly amount: bigint
  readonly currency: string
  /** The customer's ledger account credited by a pay-in or debited by a payout. */
  readonly ledgerAccountId?: string
  readonly description?: string
}

export interface Banking {
  /** Errors: BANK_PROVIDER_NOT_CONFIGURED · BANK_ITEM_NOT_FOUND (update mode). */
  createLinkToken(
    tenant: string,
    req: { customerId: string; customerName: string; provider?: ProviderName; itemId?: string },
  ): Promise<{ linkToken: string; expiresAt: Date; provider: ProviderName; mode: 'create' | 'update' }>
  /** Errors: BANK_LINK_TOKEN_NOT_FOUND · BANK_LINK_TOKEN_EXPIRED · BANK_PUBLIC_TOKEN_INVALID. */
  exchange(tenant: string, req: { linkToken: string; publicToken: string }): Promise<ItemView>
  getItem(tenant: string, itemId: string): Promise<ItemView>
  listItems(tenant: string, customerId?: string): Promise<readonly BankItem[]>
  /** Revokes the access token at the provider (/item/remove) and marks the item removed. */
  unlink(tenant: string, itemId: string): Promise<ItemView>
  listAccounts(
    tenant: string,
    filter?: { itemId?: string; customerId?: string },
  ): Promise<readonly BankAccount[]>
  getAccount(tenant: string, accountId: string): Promise<BankAccount>
  /** Real-time balance from the provider. */
  balance(
    tenant: string,
    accountId: string,
  ): Promise<{
    accountId: string
    currency: string
    available: bigint | null
    current: bigint | null
    asOf: Date
  }>
  transactions(
    tenant: string,
    accountId: string,
    page?: { limit?: number; after?: string },
  ): Promise<{ items: readonly BankTransaction[]; next: string | null }>
  /** Pulls every change since the stored cursor; skipped when another sync of the item runs. */
  sync(tenant: string, itemId: string, trigger?: SyncTrigger): Promise<SyncResult>
  /** Syncs items not synced within pollAfterMs; returns how many were synced. */
  pollDue(limit?: number): Promise<number>
  /** Verifies, deduplicates and acts on a provider webhook. */
  handleWebhook(
    provider: ProviderName,
    rawBody: Buffer,
    headers: Readonly<Record<string, string | undefined>>,
  ): Promise<{ items: number; duplicate: boolean; action: string }>
  /** Sandbox items only: change what the sandbox bank reports (demo, tests). */
  simulate(tenant: string, itemId: string, patch: SandboxPatch): Promise<ItemView>
  /** Waits for syncs started by webhooks (tests, shutdown). */
  idle(): Promise<void>
  /**
   * Checks the institution, then writes the transfer and its pending ledger transaction in one DB
   * transaction. Errors: BANK_ROUTING_CHANGED · BANK_INSTITUTION_CHANGED · BANK_ACCOUNT_NOT_VERIFIED ·
   * BANK_ACCOUNT_CLOSED · BANK_INSUFFICIENT_BALANCE · BANK_OWNER_MISMATCH · BANK_ITEM_LOGIN_REQUIRED ·
   * BANK_LEDGER_REJECTED · IDEMPOTENCY_CONFLICT.
   */
  createTransfer(
    tenant: string,
    input: TransferInput,
    opts?: CommandOptions,
  ): Promise<{ transfer: BankTransfer; replayed: boolean }>
  getTransfer(tenant: string, id: string): Promise<BankTransfer>
  listTransfers(tenant: string, accountId?: string): Promise<readonly BankTransfer[]>
  /** Posts the pending ledger transaction. */
  settleTransfer(tenant: string, id: string): Promise<BankTransfer>
  /** Voids the hold (pending) or reverses the posting (settled); the code may close or revoke the account. */
  returnTransfer(tenant: string, id: string, code: string): Promise<BankTransfer>
}

const LEASE_MS = 10 * 60_000
const MAX_RESTARTS = 5

export function createBanking(deps: BankingDeps): Banking {
  const { db, clock, ids } = deps
  const store = createBankingStore(db)
  const accessToken: BoundField = deps.fieldCipher.field({
    table: 'bank_items',
    column: 'access_token_ct',
    idColumn: 'item_id',
  })
  const accountNumber: BoundField = deps.fieldCipher.field({
    table: 'bank_accounts',
    column: 'account_number_ct',
    idColumn: 'account_id',
  })
  const pageSize = deps.syncPageSize ?? 500
  const background = new Set<Promise<unknown>>()

  function provider(name: ProviderName): BankDataProvider {
    const p = deps.providers[name]
    if (!p) throw bankingError('BANK_PROVIDER_NOT_CONFIGURED', `The ${name} provider is not configured.`)
    return p
  }

  async function loadItem(tenant: string, itemId: string): Promise<ItemRow> {
    const item = await store.getItem(tenant, itemId)
    if (!item) throw bankingError('BANK_ITEM_NOT_FOUND', `No linked bank item ${itemId}.`)
    return item
  }

  async function loadAccount(tenant: string, accountId: string) {
    const account = await store.getAccount(tenant, accountId)
    if (!account) throw bankingError('BANK_ACCOUNT_NOT_FOUND', `No linked bank account ${accountId}.`)
    return account
  }

  const tokenOf = (tenant: string, item: ItemRow) =>
    accessToken.decryptString(tenant, item.id, item.accessTokenCt)

  /** Runs a provider call for an item; item errors mark the item and become BANK_ITEM_LOGIN_REQUIRED. */
  async function call<T>(
    tenant: string,
    item: ItemRow,
    fn: (p: BankDataProvider, token: string) => Promise<T>,
  ) {
    if (item.status === 'removed')
      throw bankingError('BANK_ITEM_REMOVED', `Bank item ${item.id} was unlinked.`)
    try {
      const result = await fn(provider(item.provider), await tokenOf(tenant, item))
      if (item.status === 'login_required')
        await store.setItemStatus(tenant, item.id, 'active', null, clock.now())
      return result
    } catch (err) {
      throw await translate(tenant, item, err)
    }
  }

  async function translate(tenant: string, item: ItemRow | undefined, err: unknown): Promise<unknown> {
    if (!isProviderError(err)) return err
    const details = { vendorCode: err.vendorCode }
    switch (err.failure) {
      case 'item_login_required':
        if (item) await store.setItemStatus(tenant, item.id, 'login_required', err.vendorCode, clock.now())
        return bankingError('BANK_ITEM_LOGIN_REQUIRED', undefined, { details, cause: err })
      case 'unavailable':
        return bankingError('BANK_PROVIDER_UNAVAILABLE', `${err.message}`, { details, cause: err })
      case 'misconfigured':
        return bankingError('BANK_PROVIDER_MISCONFIGURED', undefined, { details, cause: err })
      case 'invalid_token':
      case 'invalid_request':
      case 'sync_mutation':
        return bankingError('BANK_PROVIDER_ERROR', `${err.vendorCode}: ${err.message}`, {
          details,
          cause: err,
        })
    }
  }

  async function view(tenant: string, item: ItemRow): Promise<ItemView> {
    const { accessTokenCt: _a, cursor: _c, ...rest } = item
    return { ...rest, accounts: await store.listAccounts(tenant, { itemId: item.id }) }
  }

  async function runSync(tenant: string, itemId: string, trigger: SyncTrigger): Promise<SyncResult> {
    const item = await loadItem(tenant, itemId)
    if (item.status === 'removed')
      throw bankingError('BANK_ITEM_REMOVED', `Bank item ${item.id} was unlinked.`)
    const now = clock.now()
    const lease = await store.acquireSyncLease(tenant, itemId, now, new Date(now.getTime() + LEASE_MS))
    if (!lease) return { itemId, skipped: true, added: 0, modified: 0, removed: 0, restarts: 0, pages: 0 }
    try {
      const p = provider(item.provider)
      const token = await tokenOf(tenant, item)
      const abandoned: string[] = []
      for (;;) {
        const run = ids('bsr')
        let cursor = lease.cursor
        let [removed, pages, rows] = [0, 0, 0]
        let fullRefresh = false
        try {
          // The next page is requested while this one is written (at most two pages in memory):
          // a provider's latency and our writes overlap instead of adding up.
          const fetchPage = (c: string | null) => {
            const pending = p.syncTransactions(token, c, pageSize)
            pending.catch(() => undefined) // awaited below; never an unhandled rejection
            return pending
          }
          let next: Promise<SyncPage> | undefined = fetchPage(cursor)
          while (next) {
            const page: SyncPage = await next
            cursor = page.nextCursor
            next = page.hasMore ? fetchPage(cursor) : undefined
            const at = clock.now()
            const changed = [...page.added, ...page.modified]
            await store.upsertTransactions(tenant, itemId, run, changed, at)
            rows += changed.length
            removed += await store.markRemoved(tenant, itemId, page.removed, run, at)
            fullRefresh ||= page.fullRefresh === true
            pages++
          }
        } catch (err) {
          // Data changed while we paged: Plaid wants the whole loop again from the cursor it began with.
          if (isProviderError(err) && err.failure === 'sync_mutation' && abandoned.length < MAX_RESTARTS) {
            abandoned.push(run)
            deps.logger?.info({ tenant, itemId, restarts: abandoned.length }, 'bank sync restarted')
            continue
          }
          throw err
        }
        if (fullRefresh) removed += await store.removeUnseen(tenant, itemId, run, clock.now())
        await store.dropUnconfirmed(tenant, itemId, abandoned)
        const added = await store.countCreated(tenant, itemId, [...abandoned, run])
        const modified = Math.max(0, rows - added)
        const finalCursor = cursor ?? ''
        await db.transaction().execute(async (tx) => {
          await store.commitSync(tx, tenant, itemId, finalCursor, clock.now())
          await deps.outbox.enqueue(tx, [
            {
              topic: BANKING_EVENTS.transactionsSynced,
              key: itemId,
              tenantId: tenant,
              payload: {
                itemId,
                customerId: item.customerId,
                provider: item.provider,
                trigger,
                added,
                modified,
                removed,
                restarts: abandoned.length,
              },
            },
          ])
        })
        if (item.status === 'login_required')
          await store.setItemStatus(tenant, itemId, 'active', null, clock.now())
        deps.logger?.debug({ tenant, itemId, rows, pages }, 'bank sync done')
        return { itemId, skipped: false, added, modified, removed, restarts: abandoned.length, pages }
      }
    } catch (err) {
      await store.releaseSyncLease(tenant, itemId)
      throw await translate(tenant, item, err)
    }
  }

  const transfers = createTransferOps({
    ...deps,
    store,
    loadAccount,
    loadItem,
    snapshot: (tenant, item) => call(tenant, item, (p, token) => p.snapshot(token)),
  })

  const banking: Banking = {
    async createLinkToken(tenant, req) {
      if (!req.customerName.trim()) throw invalid('BANK_CUSTOMER_NAME_REQUIRED', 'customerName is required.')
      let item: ItemRow | undefined
      if (req.itemId) item = await loadItem(tenant, req.itemId)
      if (item?.status === 'removed') throw bankingError('BANK_ITEM_REMOVED')
      const name = item?.provider ?? req.provider ?? deps.defaultProvider
      const p = provider(name)
      const webhookUrl = deps.publicUrl ? `${deps.publicUrl}/v1/banking/webhooks/${name}` : undefined
      let token
      try {
        token = await p.createLinkToken({
          customerId: item?.customerId ?? req.customerId,
          customerName: item?.customerName ?? req.customerName,
          ...(item ? { accessToken: await tokenOf(tenant, item) } : {}),
          ...(webhookUrl ? { webhookUrl } : {}),
        })
      } catch (err) {
        throw await translate(tenant, undefined, err)
      }
      await store.insertLinkToken(tenant, {
        linkToken: token.linkToken,
        provider: name,
        customerId: item?.customerId ?? req.customerId,
        customerName: item?.customerName ?? req.customerName,
        itemId: item?.id ?? null,
        createdAt: clock.now(),
        expiresAt: token.expiresAt,
      })
      return { ...token, provider: name, mode: item ? 'update' : 'create' }
    },

    async exchange(tenant, req) {
      // Claim first (one exchange per link token), then call the provider outside any transaction.
      const claim = await db
        .transaction()
        .execute((tx) => store.claimLinkToken(tx, tenant, req.linkToken, clock.now()))
      if (!claim) throw bankingError('BANK_LINK_TOKEN_NOT_FOUND')
      if (claim.state === 'stale') throw bankingError('BANK_LINK_TOKEN_EXPIRED')
      const p = provider(claim.provider)
      let exchanged, snap
      try {
        exchanged = await p.exchangePublicToken(req.publicToken)
        snap = await p.snapshot(exchanged.accessToken)
      } catch (err) {
        if (isProviderError(err) && err.failure === 'invalid_token')
          throw bankingError('BANK_PUBLIC_TOKEN_INVALID', `${err.vendorCode}: ${err.message}`, { cause: err })
        throw await translate(tenant, undefined, err)
      }
      const itemId = ids('bit')
      const now = clock.now()
      const accounts = await Promise.all(
        snap.accounts.map(async (a) => {
          lookupCurrency(a.currency)
          const id = ids('bac')
          const { balance: _b, accountNumber: number, ...fields } = a
          return {
            ...fields,
            id,
            accountNumberCt: number ? await accountNumber.encrypt(tenant, id, number) : null,
            mask: a.mask ?? (number ? number.slice(-4) : null),
          }
        }),
      )
      // The ciphertext binds the item id (generated above), so a token copied to another row fails.
      const ct = await accessToken.encrypt(tenant, itemId, exchanged.accessToken)
      await db.transaction().execute((tx) =>
        store.insertItem(
          tx,
          tenant,
          {
            id: itemId,
            provider: claim.provider,
            providerItemId: exchanged.providerItemId,
            customerId: claim.customerId,
            customerName: claim.customerName,
            accessTokenCt: ct,
            institutionId: snap.institutionId,
            institutionName: snap.institutionName,
            createdAt: now,
          },
          accounts,
        ),
      )
      return view(tenant, await loadItem(tenant, itemId))
    },

    async getItem(tenant, itemId) {
      return view(tenant, await loadItem(tenant, itemId))
    },

    async listItems(tenant, customerId) {
      return (await store.listItems(tenant, customerId)).map(
        ({ accessTokenCt: _a, cursor: _c, ...rest }) => rest,
      )
    },

    async unlink(tenant, itemId) {
      const item = await loadItem(tenant, itemId)
      if (item.status !== 'removed') {
        try {
          await provider(item.provider).removeItem(await tokenOf(tenant, item))
        } catch (err) {
          // An item the provider no longer knows is as removed as it gets; anything else is reported.
          if (!(isProviderError(err) && err.failure === 'invalid_token'))
            throw await translate(tenant, item, err)
        }
        await store.setItemStatus(tenant, itemId, 'removed', null, clock.now())
      }
      return view(tenant, await loadItem(tenant, itemId))
    },

    async listAccounts(tenant, filter = {}) {
      return store.listAccounts(tenant, filter)
    },

    async getAccount(tenant, accountId) {
      const { accountNumberCt: _n, ...a } = await loadAccount(tenant, accountId)
      return a
    },

    async balance(tenant, accountId) {
      const account = await loadAccount(tenant, accountId)
      const item = await loadItem(tenant, account.itemId)
      const balances = await call(tenant, item, (p, token) => p.balances(token, [account.providerAccountId]))
      const b = balances.find((x) => x.providerAccountId === account.providerAccountId)
      if (!b) throw bankingError('BANK_ACCOUNT_CLOSED', 'The institution no longer reports this account.')
      return {
        accountId,
        currency: b.currency,
        available: b.available,
        current: b.current,
        asOf: clock.now(),
      }
    },

    async transactions(tenant, accountId, page = {}) {
      const account = await loadAccount(tenant, accountId)
      const limit = page.limit ?? 100
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw invalid('INVALID_LIMIT', 'limit must be from 1 to 1000.')
      let after: { date: string; id: string } | undefined
      if (page.after) {
        const m = /^(\d{4}-\d{2}-\d{2})~(.+)$/.exec(Buffer.from(page.after, 'base64url').toString('utf8'))
        if (!m) throw invalid('INVALID_CURSOR', 'after is not a cursor this API returned.')
        after = { date: m[1]!, id: m[2]! }
      }
      const items = await store.listTransactions(tenant, account, { limit, ...(after ? { after } : {}) })
      const last = items.length === limit ? items[items.length - 1] : undefined
      return {
        items,
        next: last ? Buffer.from(`${last.date}~${last.providerTransactionId}`).toString('base64url') : null,
      }
    },

    sync: (tenant, itemId, trigger = 'manual') => runSync(tenant, itemId, trigger),

    async pollDue(limit = 50) {
      const due = await store.itemsDue(
        new Date(clock.now().getTime() - (deps.pollAfterMs ?? 3_600_000)),
        limit,
      )
      let synced = 0
      for (const { tenant, itemId } of due) {
        try {
          if (!(await runSync(tenant, itemId, 'poll')).skipped) synced++
        } catch (err) {
          deps.logger?.warn({ err, tenant, itemId }, 'bank sync poll failed')
        }
      }
      return synced
    },

    async handleWebhook(name, rawBody, headers) {
      const p = provider(name)
      const hook = await p.verifyWebhook(rawBody, headers).catch((err: unknown) => {
        // A signed body that is not JSON, or not the provider's shape: a 400 the sender stops retrying.
        if (err instanceof SyntaxError || err instanceof TypeError)
          throw bankingError('BANK_WEBHOOK_PAYLOAD_INVALID')
        throw err
      })
      const isKey = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 255
      if (!isKey(hook.dedupKey) || (hook.providerItemId !== null && !isKey(hook.providerItemId)))
        throw bankingError('BANK_WEBHOOK_PAYLOAD_INVALID')
      const targets = hook.providerItemId ? await store.findByProviderItem(name, hook.providerItemId) : []
      let duplicate = targets.length > 0
      for (const { tenant, itemId } of targets) {
        const fresh = await store.recordWebhook(
          tenant,
          name,
          hook.dedupKey,
          itemId,
          hook.action.kind,
          clock.now(),
        )
        if (!fresh) continue
        duplicate = false
        const action = hook.action
        switch (action.kind) {
          case 'sync': {
            const job = runSync(tenant, itemId, 'webhook').catch((err: unknown) =>
              deps.logger?.warn({ err, tenant, itemId }, 'bank sync from webhook failed'),
            )
            background.add(job)
            void job.finally(() => background.delete(job))
            break
          }
          case 'item_error':
            await store.setItemStatus(tenant, itemId, 'login_required', action.code, clock.now())
            break
          case 'item_repaired':
            await store.setItemStatus(tenant, itemId, 'active', null, clock.now())
            break
          case 'ignore':
            break
        }
      }
      return { items: targets.length, duplicate, action: hook.action.kind }
    },

    async simulate(tenant, itemId, patch) {
      const item = await loadItem(tenant, itemId)
      const p = deps.providers.sandbox as Partial<SandboxProvider> | undefined
      if (item.provider !== 'sandbox' || !p?.simulate)
        throw invalid('BANK_NOT_SANDBOX', 'Only items linked through the sandbox provider can be simulated.')
      p.simulate(item.providerItemId, patch)
      return view(tenant, item)
    },

    async idle() {
      while (background.size > 0) await Promise.all([...background])
    },

    ...transfers,
  }
  return banking
}
