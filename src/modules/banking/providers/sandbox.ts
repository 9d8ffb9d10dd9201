import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { bankingError } from '../banking.errors.js'
import {
  ProviderError,
  type AccountBalance,
  type BankDataProvider,
  type ItemSnapshot,
  type ProviderAccount,
  type ProviderTransaction,
  type ProviderWebhook,
  type TransferRail,
} from '../provider.js'

/**
 * The built-in sandbox: deterministic, no network. A public token `public-sandbox-<flags>` links an
 * item whose behaviour the flags pick (docs/banking.md lists them):
 *   low-balance · owner-mismatch · unverified · closed · login-required · routing-change · institution-change
 * State lives in memory per process; everything else derives from the token, so a restart gives the
 * same item back. `simulate` changes an item at run time (demo, tests).
 */
export const SANDBOX_FLAGS = [
  'low-balance',
  'owner-mismatch',
  'unverified',
  'closed',
  'login-required',
  'routing-change',
  'institution-change',
] as const
export type SandboxFlag = (typeof SANDBOX_FLAGS)[number]

export const SANDBOX_OWNER = 'Alex Morgan'
export const SANDBOX_ROUTING = '011401533'

export interface SandboxPatch {
  routingNumber?: string
  institutionId?: string
  /** Available balance of the checking account, minor units. */
  balance?: bigint
  ownerNames?: string[]
  closed?: boolean
  verification?: 'verified' | 'pending' | 'failed'
  /** Puts the item in ITEM_LOGIN_REQUIRED (true) or repairs it (false). */
  loginRequired?: boolean
  addTransactions?: number
  removeTransactions?: string[]
}

interface SandboxItem {
  readonly itemId: string
  readonly flags: ReadonlySet<SandboxFlag>
  snapshots: number
  routingNumber: string
  institutionId: string
  balance: bigint
  ownerNames: string[]
  closed: boolean
  verification: 'verified' | 'pending' | 'failed'
  loginRequired: boolean
  removed: boolean
  /** The change log the cursor indexes into. */
  log: { kind: 'added' | 'modified' | 'removed'; txn: ProviderTransaction }[]
  nextTxn: number
}

export interface SandboxProvider extends BankDataProvider {
  /** Changes a linked item (by its provider item id, as the webhook and GET /items show it). */
  simulate(providerItemId: string, patch: SandboxPatch): void
  /** A signed webhook body and headers, as the sandbox would send them. */
  webhook(body: Record<string, unknown>): { body: string; headers: Record<string, string> }
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16)

/** webhookSecret: the deployment's (MONETA_SANDBOX_BANK_WEBHOOK_SECRET); default random, per instance. */
export function createSandboxProvider(opts: { webhookSecret?: string } = {}): SandboxProvider {
  const items = new Map<string, SandboxItem>()
  const webhookSecret = opts.webhookSecret ?? randomBytes(32).toString('hex')

  function parseFlags(publicToken: string): Set<SandboxFlag> {
    const m = /^public-sandbox-([a-z0-9-]*)$/.exec(publicToken)
    if (!m)
      throw new ProviderError(
        'invalid_token',
        'INVALID_PUBLIC_TOKEN',
        'Sandbox public tokens look like public-sandbox-<flags>.',
      )
    const flags = new Set<SandboxFlag>()
    for (const f of SANDBOX_FLAGS) if (m[1]!.includes(f)) flags.add(f)
    return flags
  }

  function item(accessToken: string): SandboxItem {
    const m = /^access-sandbox-([a-z0-9-]*)~([0-9a-f]{16})$/.exec(accessToken)
    if (!m) throw new ProviderError('invalid_token', 'INVALID_ACCESS_TOKEN', 'Unknown sandbox access token.')
    let it = items.get(accessToken)
    if (!it) {
      const flags = parseFlags(`public-sandbox-${m[1]!}`)
      it = {
        itemId: `sbx_item_${m[2]!}`,
        flags,
        snapshots: 0,
        routingNumber: SANDBOX_ROUTING,
        institutionId: 'ins_sandbox',
        balance: flags.has('low-balance') ? 1_000n : 100_000n,
        ownerNames: [flags.has('owner-mismatch') ? 'Jordan Lee' : SANDBOX_OWNER],
        closed: flags.has('closed'),
        verification: flags.has('unverified') ? 'pending' : 'verified',
        loginRequired: false,
        removed: false,
        log: [],
        nextTxn: 0,
      }
      for (let i = 0; i < 12; i++) it.log.push({ kind: 'added', txn: makeTxn(it) })
      items.set(accessToken, it)
    }
    if (it.removed)
      throw new ProviderError('invalid_token', 'ITEM_NOT_FOUND', 'The sandbox item was removed.')
    if (it.loginRequired)
      throw new ProviderError(
        'item_login_required',
        'ITEM_LOGIN_REQUIRED',
        'The sandbox bank wants a new login.',
      )
    return it
  }

  function makeTxn(it: SandboxItem): ProviderTransaction {
    const n = it.nextTxn++
    return {
      providerTransactionId: `sbx_txn_${it.itemId.slice(9)}_${n}`,
      providerAccountId: `${it.itemId}_chk`,
      amount: BigInt(((n * 7919) % 20_000) + 100) * (n % 5 === 0 ? -1n : 1n),
      currency: 'USD',
      date: new Date(Date.UTC(2026, 0, 1 + (n % 28))).toISOString().slice(0, 10),
      name: ['Coffee Shop', 'Payroll', 'Grocer', 'Utility Co', 'Bookstore'][n % 5]!,
      merchantName: n % 5 === 1 ? null : ['Coffee Shop', '', 'Grocer', 'Utility Co', 'Bookstore'][n % 5]!,
      pending: false,
      category: ['FOOD_AND_DRINK', 'INCOME', 'FOOD_AND_DRINK', 'RENT_AND_UTILITIES', 'GENERAL_MERCHANDISE'][
        n % 5
      ]!,
    }
  }

  function accounts(it: SandboxItem, afterLink: boolean): ProviderAccount[] {
    const routing = afterLink && it.flags.has('routing-change') ? '021000021' : it.routingNumber
    const checking: ProviderAccount = {
      providerAccountId: `${it.itemId}_chk`,
      name: 'Sandbox Checking',
      mask: '0000',
      type: 'depository',
      subtype: 'checking',
      currency: 'USD',
      status: it.closed ? 'closed' : 'open',
      verification: it.verification,
      routingNumber: routing,
      accountNumber: '1111222233330000',
      ownerNames: it.ownerNames,
      balance: {
        providerAccountId: `${it.itemId}_chk`,
        currency: 'USD',
        available: it.balance,
        current: it.balance,
      },
    }
    const savings: ProviderAccount = {
      ...checking,
      providerAccountId: `${it.itemId}_sav`,
      name: 'Sandbox Savings',
      mask: '1111',
      subtype: 'savings',
      status: 'open',
      accountNumber: '1111222233331111',
      balance: {
        providerAccountId: `${it.itemId}_sav`,
        currency: 'USD',
        available: 500_000n,
        current: 500_000n,
      },
    }
    return [checking, savings]
  }

  return {
    name: 'sandbox',
    createLinkToken(req) {
      // Update mode: in the sandbox, asking for the re-authentication link stands for the customer
      // logging in again.
      const existing = req.accessToken ? items.get(req.accessToken) : undefined
      if (existing) existing.loginRequired = false
      return Promise.resolve({
        linkToken: `link-sandbox-${hash(`${req.customerId}:${req.accessToken ?? ''}:${Math.random()}`)}`,
        expiresAt: new Date(Date.now() + 4 * 3_600_000),
      })
    },
    exchangePublicToken(publicToken) {
      const flags = [...parseFlags(publicToken)].join('-')
      const accessToken = `access-sandbox-${flags}~${hash(`${publicToken}:${Math.random()}`)}`
      const it = item(accessToken)
      return Promise.resolve({ accessToken, providerItemId: it.itemId })
    },
    snapshot(accessToken): Promise<ItemSnapshot> {
      const it = item(accessToken)
      const afterLink = it.snapshots++ > 0
      if (afterLink && it.flags.has('login-required') && it.snapshots === 2) {
        it.loginRequired = true
        return Promise.reject(
          new ProviderError(
            'item_login_required',
            'ITEM_LOGIN_REQUIRED',
            'The sandbox bank wants a new login.',
          ),
        )
      }
      return Promise.resolve({
        providerItemId: it.itemId,
        institutionId: afterLink && it.flags.has('institution-change') ? 'ins_sandbox_2' : it.institutionId,
        institutionName: 'Moneta Sandbox Bank',
        accounts: accounts(it, afterLink),
      })
    },
    balances(accessToken, ids): Promise<readonly AccountBalance[]> {
      const it = item(accessToken)
      return Promise.resolve(
        accounts(it, true)
          .filter((a) => !ids || ids.includes(a.providerAccountId))
          .map((a) => a.balance),
      )
    },
    syncTransactions(accessToken, cursor, count) {
      const it = item(accessToken)
      const from = cursor === null ? 0 : Number(/^sbx-(\d+)$/.exec(cursor)?.[1] ?? NaN)
      if (!Number.isInteger(from) || from > it.log.length)
        return Promise.reject(
          new ProviderError('invalid_request', 'INVALID_CURSOR', 'Unknown sandbox cursor.'),
        )
      const slice = it.log.slice(from, from + count)
      const next = from + slice.length
      return Promise.resolve({
        added: slice.filter((c) => c.kind === 'added').map((c) => c.txn),
        modified: slice.filter((c) => c.kind === 'modified').map((c) => c.txn),
        removed: slice.filter((c) => c.kind === 'removed').map((c) => c.txn.providerTransactionId),
        nextCursor: `sbx-${next}`,
        hasMore: next < it.log.length,
      })
    },
    removeItem(accessToken) {
      item(accessToken).removed = true
      return Promise.resolve()
    },
    verifyWebhook(rawBody, headers): Promise<ProviderWebhook> {
      const sig = headers['sandbox-signature'] ?? ''
      const want = createHmac('sha256', webhookSecret).update(rawBody).digest('hex')
      if (sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(want)))
        return Promise.reject(bankingError('BANK_WEBHOOK_INVALID'))
      const body = JSON.parse(rawBody.toString('utf8')) as { id?: string; item_id?: string; code?: string }
      const dedupKey = body.id ?? createHash('sha256').update(rawBody).digest('hex')
      const providerItemId = body.item_id ?? null
      switch (body.code ?? '') {
        case 'SYNC_UPDATES_AVAILABLE':
          return Promise.resolve({ dedupKey, providerItemId, action: { kind: 'sync' } })
        case 'ITEM_LOGIN_REQUIRED':
          return Promise.resolve({
            dedupKey,
            providerItemId,
            action: { kind: 'item_error', code: 'ITEM_LOGIN_REQUIRED', message: 'login required' },
          })
        case 'LOGIN_REPAIRED':
          return Promise.resolve({ dedupKey, providerItemId, action: { kind: 'item_repaired' } })
        default:
          return Promise.resolve({
            dedupKey,
            providerItemId,
            action: { kind: 'ignore', type: body.code ?? '?' },
          })
      }
    },
    simulate(providerItemId, patch) {
      const it = [...items.values()].find((x) => x.itemId === providerItemId)
      if (!it)
        throw new ProviderError('invalid_request', 'ITEM_NOT_FOUND', `No sandbox item ${providerItemId}.`)
      if (patch.loginRequired !== undefined) it.loginRequired = patch.loginRequired
      if (patch.routingNumber !== undefined) it.routingNumber = patch.routingNumber
      if (patch.institutionId !== undefined) it.institutionId = patch.institutionId
      if (patch.balance !== undefined) it.balance = patch.balance
      if (patch.ownerNames !== undefined) it.ownerNames = patch.ownerNames
      if (patch.closed !== undefined) it.closed = patch.closed
      if (patch.verification !== undefined) it.verification = patch.verification
      for (let i = 0; i < (patch.addTransactions ?? 0); i++) it.log.push({ kind: 'added', txn: makeTxn(it) })
      for (const id of patch.removeTransactions ?? []) {
        const found = it.log.find((c) => c.txn.providerTransactionId === id)
        if (found) it.log.push({ kind: 'removed', txn: found.txn })
      }
    },
    webhook(body) {
      const text = JSON.stringify(body)
      return {
        body: text,
        headers: {
          'content-type': 'application/json',
          'sandbox-signature': createHmac('sha256', webhookSecret).update(text).digest('hex'),
        },
      }
    },
  }
}

/** The sandbox transfer rail: accepts every transfer; settlement and returns come from the operator. */
export function createSandboxRail(): TransferRail {
  return {
    name: 'sandbox',
    initiate: (req) => Promise.resolve({ railTransferId: `sbx_tr_${req.transferId}` }),
  }
}
