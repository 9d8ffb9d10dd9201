/**
 * A local server that speaks Plaid's HTTP API (JSON POST endpoints authenticated by client_id and
 * secret in the body or the PLAID-CLIENT-ID / PLAID-SECRET headers; errors as
 * {error_type, error_code, error_message, display_message, request_id} with Plaid's statuses) well
 * enough for the banking adapter: link tokens (update mode), public-token exchange, accounts,
 * real-time balances, auth, identity, transactions/sync with cursors, item removal and the webhook
 * verification key. The official `plaid` SDK is pointed at it (Configuration basePath), so the adapter
 * is tested through the SDK's own request encoding and error handling.
 *
 * Transactions are generated on demand from an index, so a 100,000-transaction item costs no memory:
 * positions 0..generated-1 of an item's change log are generated "added" entries; explicit changes
 * (more adds, modifications, removals) follow. A sync cursor is a position in that log.
 *
 * Webhooks: `signedWebhook(body)` returns the body and a Plaid-Verification ES256 JWT made with the
 * server's key, which /webhook_verification_key/get hands out by kid.
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

type Json = Record<string, unknown>

export interface PlaidAccountState {
  account_id: string
  name: string
  mask: string
  subtype: 'checking' | 'savings'
  available: number | null
  current: number
  routing: string
  account: string
  owners: string[]
  /** Absent = instantly verified; otherwise Plaid's verification_status. */
  verification_status?: string
}

interface Change {
  kind: 'added' | 'modified' | 'removed'
  txn: Json
}

export interface PlaidItemState {
  item_id: string
  access_token: string
  institution_id: string
  accounts: PlaidAccountState[]
  error: { error_type: string; error_code: string; error_message: string } | null
  /** Generated transactions at the start of the change log. */
  generated: number
  log: Change[]
  /** Transactions gone from history entirely (skipped wherever they appear). */
  vanished: Set<string>
  /** The next continuation page answers TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION, then runs this. */
  mutateOnNextPage: (() => void) | null
  removed: boolean
  webhook: string | null
}

export interface PlaidServer {
  readonly url: string
  readonly clientId: string
  readonly secret: string
  readonly requests: { path: string; body: Json }[]
  /** Creates an item at an institution and returns a public token for it (like /sandbox/public_token/create). */
  createPublicToken(opts?: {
    institutionId?: string
    owners?: string[]
    transactions?: number
    available?: number
  }): { publicToken: string; item: () => PlaidItemState }
  item(itemId: string): PlaidItemState
  /** A transaction as the generator makes it (index within the item). */
  generatedTransaction(item: PlaidItemState, index: number): Json
  /** Appends changes to the item's log. */
  addTransactions(itemId: string, n: number): string[]
  modifyTransaction(itemId: string, txnId: string, patch: Json): void
  removeTransactions(itemId: string, ids: string[]): void
  signedWebhook(
    body: Json,
    opts?: { iatOffsetSeconds?: number; key?: KeyObject; kid?: string },
  ): { body: string; headers: Record<string, string> }
  readonly kid: string
  close(): Promise<void>
}

class PlaidHttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const INSTITUTION_NAMES: Record<string, string> = {
  ins_109508: 'First Platypus Bank',
  ins_109509: 'First Gingham Credit Union',
  ins_109510: 'Tattersall Federal Credit Union',
}

/** recordRequests: keep every request for assertions (default true; the benchmark turns it off). */
export async function startPlaidServer(opts: { recordRequests?: boolean } = {}): Promise<PlaidServer> {
  const clientId = 'test_client_id'
  const secret = 'test_secret'
  const items = new Map<string, PlaidItemState>()
  const byToken = new Map<string, PlaidItemState>()
  const publicTokens = new Map<string, PlaidItemState>()
  const linkTokens = new Map<string, Json>()
  const requests: { path: string; body: Json }[] = []
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const kid = randomUUID()
  const jwk = publicKey.export({ format: 'jwk' })
  let seq = 0

  function generatedTransaction(item: PlaidItemState, index: number): Json {
    const account = item.accounts[index % item.accounts.length]!
    const day = 1 + (index % 28)
    return {
      transaction_id: `${item.item_id}-t${index}`,
      account_id: account.account_id,
      amount: Math.round(((index * 7919) % 50_000) + 1) / 100,
      iso_currency_code: 'USD',
      unofficial_currency_code: null,
      date: `2026-0${1 + (index % 9)}-${String(day).padStart(2, '0')}`,
      authorized_date: null,
      name: `Merchant ${index % 97}`,
      merchant_name: index % 3 === 0 ? null : `Merchant ${index % 97}`,
      pending: index % 17 === 0,
      personal_finance_category: { primary: 'GENERAL_MERCHANDISE', detailed: 'GENERAL_MERCHANDISE_OTHER' },
      payment_channel: 'in store',
      transaction_type: 'place',
    }
  }

  function accountJson(a: PlaidAccountState): Json {
    return {
      account_id: a.account_id,
      balances: {
        available: a.available,
        current: a.current,
        limit: null,
        iso_currency_code: 'USD',
        unofficial_currency_code: null,
      },
      mask: a.mask,
      name: a.name,
      official_name: `${a.name} Account`,
      type: 'depository',
      subtype: a.subtype,
      ...(a.verification_status ? { verification_status: a.verification_status } : {}),
    }
  }

  function itemJson(item: PlaidItemState): Json {
    return {
      item_id: item.item_id,
      institution_id: item.institution_id,
      webhook: item.webhook,
      error: item.error ? { ...item.error, display_message: null } : null,
      available_products: ['balance', 'identity'],
      billed_products: ['auth', 'transactions'],
      consent_expiration_time: null,
      update_type: 'background',
    }
  }

  function itemFor(body: Json, opts: { allowError?: boolean } = {}): PlaidItemState {
    const token = body.access_token
    if (typeof token !== 'string')
      throw new PlaidHttpError(400, 'INVALID_REQUEST', 'MISSING_FIELDS', 'access_token is required')
    const item = byToken.get(token)
    if (!item || item.removed)
      throw new PlaidHttpError(
        400,
        'INVALID_INPUT',
        'INVALID_ACCESS_TOKEN',
        'provided access token is in an invalid format',
      )
    if (item.error && !opts.allowError)
      throw new PlaidHttpError(400, item.error.error_type, item.error.error_code, item.error.error_message)
    return item
  }

  const handlers: Record<string, (body: Json) => Json> = {
    '/link/token/create': (body) => {
      const user = body.user as Json | undefined
      if (!user || typeof user.client_user_id !== 'string')
        throw new PlaidHttpError(400, 'INVALID_REQUEST', 'MISSING_FIELDS', 'user.client_user_id is required')
      if (typeof body.access_token === 'string') {
        // Update mode: the customer logs in again; here that repairs the item.
        const item = itemFor(body, { allowError: true })
        item.error = null
      }
      const token = `link-sandbox-${randomUUID()}`
      linkTokens.set(token, body)
      return { link_token: token, expiration: new Date(Date.now() + 4 * 3_600_000).toISOString() }
    },
    '/item/public_token/exchange': (body) => {
      const item = typeof body.public_token === 'string' ? publicTokens.get(body.public_token) : undefined
      if (!item)
        throw new PlaidHttpError(
          400,
          'INVALID_INPUT',
          'INVALID_PUBLIC_TOKEN',
          'provided public token is expired',
        )
      publicTokens.delete(body.public_token as string)
      byToken.set(item.access_token, item)
      return { access_token: item.access_token, item_id: item.item_id }
    },
    '/accounts/get': (body) => {
      const item = itemFor(body)
      return { accounts: item.accounts.map(accountJson), item: itemJson(item) }
    },
    '/accounts/balance/get': (body) => {
      const item = itemFor(body)
      const ids = ((body.options as Json | undefined)?.account_ids as string[] | undefined) ?? null
      const accounts = item.accounts.filter((a) => !ids || ids.includes(a.account_id))
      return { accounts: accounts.map(accountJson), item: itemJson(item) }
    },
    '/auth/get': (body) => {
      const item = itemFor(body)
      return {
        accounts: item.accounts.map(accountJson),
        numbers: {
          ach: item.accounts.map((a) => ({
            account_id: a.account_id,
            account: a.account,
            routing: a.routing,
            wire_routing: a.routing,
          })),
          eft: [],
          international: [],
          bacs: [],
        },
        item: itemJson(item),
      }
    },
    '/identity/get': (body) => {
      const item = itemFor(body)
      return {
        accounts: item.accounts.map((a) => ({
          ...accountJson(a),
          owners: [{ names: a.owners, addresses: [], emails: [], phone_numbers: [] }],
        })),
        item: itemJson(item),
      }
    },
    '/item/get': (body) => {
      const item = itemFor(body, { allowError: true })
      return { item: itemJson(item), status: null }
    },
    '/item/remove': (body) => {
      const item = itemFor(body, { allowError: true })
      item.removed = true
      return {}
    },
    '/transactions/sync': (body) => {
      const item = itemFor(body)
      const count = typeof body.count === 'number' ? body.count : 100
      if (count < 1 || count > 500)
        throw new PlaidHttpError(400, 'INVALID_REQUEST', 'INVALID_FIELD', 'count must be from 1 to 500')
      const cursor = typeof body.cursor === 'string' && body.cursor !== '' ? body.cursor : null
      let from = 0
      if (cursor) {
        const m = /^c(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
        if (!m) throw new PlaidHttpError(400, 'INVALID_INPUT', 'INVALID_CURSOR', 'cursor is invalid')
        from = Number(m[1])
        if (item.mutateOnNextPage) {
          const mutate = item.mutateOnNextPage
          item.mutateOnNextPage = null
          mutate()
          throw new PlaidHttpError(
            400,
            'TRANSACTIONS_ERROR',
            'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION',
            'Underlying transaction data changed since last page was fetched. Please restart pagination from last update.',
          )
        }
      }
      const total = item.generated + item.log.length
      const to = Math.min(from + count, total)
      const added: Json[] = []
      const modified: Json[] = []
      const removed: Json[] = []
      for (let pos = from; pos < to; pos++) {
        const change: Change =
          pos < item.generated
            ? { kind: 'added', txn: generatedTransaction(item, pos) }
            : item.log[pos - item.generated]!
        if (item.vanished.has(change.txn.transaction_id as string)) continue
        if (change.kind === 'removed')
          removed.push({ transaction_id: change.txn.transaction_id, account_id: change.txn.account_id })
        else (change.kind === 'added' ? added : modified).push(change.txn)
      }
      return {
        added,
        modified,
        removed,
        next_cursor: Buffer.from(`c${to}`).toString('base64url'),
        has_more: to < total,
        transactions_update_status: 'HISTORICAL_UPDATE_COMPLETE',
        accounts: item.accounts.map(accountJson),
      }
    },
    '/institutions/get_by_id': (body) => {
      const id = body.institution_id as string
      const name = INSTITUTION_NAMES[id]
      if (!name)
        throw new PlaidHttpError(
          400,
          'INVALID_INPUT',
          'INVALID_INSTITUTION',
          'invalid institution_id provided',
        )
      return {
        institution: {
          institution_id: id,
          name,
          products: ['auth', 'transactions'],
          country_codes: ['US'],
          routing_numbers: [],
          oauth: false,
        },
      }
    },
    '/webhook_verification_key/get': (body) => {
      if (body.key_id !== kid)
        throw new PlaidHttpError(
          400,
          'INVALID_INPUT',
          'INVALID_WEBHOOK_VERIFICATION_KEY_ID',
          'key_id not found',
        )
      return { key: { ...jwk, alg: 'ES256', kid, use: 'sig', created_at: 1_700_000_000, expired_at: null } }
    },
  }

  async function readJson(req: IncomingMessage): Promise<Json> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    try {
      const parsed: unknown = JSON.parse(text || '{}')
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Json
    } catch {
      // falls through to the error below
    }
    throw new PlaidHttpError(400, 'INVALID_REQUEST', 'INVALID_BODY', 'body could not be parsed as JSON')
  }

  const send = (res: ServerResponse, status: number, body: Json) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  const server = createServer((req, res) => {
    const requestId = `req_${++seq}`
    void (async () => {
      try {
        if (req.method !== 'POST')
          throw new PlaidHttpError(404, 'INVALID_REQUEST', 'NOT_FOUND', `no such endpoint ${req.url}`)
        const body = await readJson(req)
        const path = (req.url ?? '').split('?')[0]!
        if (opts.recordRequests !== false) requests.push({ path, body })
        const id = body.client_id ?? req.headers['plaid-client-id']
        const sec = body.secret ?? req.headers['plaid-secret']
        if (id !== clientId || sec !== secret)
          throw new PlaidHttpError(
            400,
            'INVALID_INPUT',
            'INVALID_API_KEYS',
            'invalid client_id or secret provided',
          )
        const handler = handlers[path]
        if (!handler)
          throw new PlaidHttpError(404, 'INVALID_REQUEST', 'NOT_FOUND', `no such endpoint ${path}`)
        send(res, 200, { ...handler(body), request_id: requestId })
      } catch (err) {
        if (err instanceof PlaidHttpError) {
          send(res, err.status, {
            error_type: err.type,
            error_code: err.code,
            error_message: err.message,
            display_message: null,
            request_id: requestId,
            causes: [],
            status: err.status,
            documentation_url: `https://plaid.com/docs/errors/`,
            suggested_action: null,
          })
        } else {
          send(res, 500, {
            error_type: 'API_ERROR',
            error_code: 'INTERNAL_SERVER_ERROR',
            error_message: String(err),
            display_message: null,
            request_id: requestId,
          })
        }
      }
    })()
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const item = (itemId: string): PlaidItemState => {
    const it = items.get(itemId)
    if (!it) throw new Error(`no item ${itemId}`)
    return it
  }

  return {
    url,
    clientId,
    secret,
    requests,
    kid,
    createPublicToken(opts = {}) {
      const n = ++seq
      const itemId = `item_${n}_${randomUUID().slice(0, 8)}`
      const owners = opts.owners ?? ['Alberta Bobbeth Charleson']
      const state: PlaidItemState = {
        item_id: itemId,
        access_token: `access-sandbox-${randomUUID()}`,
        institution_id: opts.institutionId ?? 'ins_109508',
        accounts: [
          {
            account_id: `${itemId}-chk`,
            name: 'Plaid Checking',
            mask: '0000',
            subtype: 'checking',
            available: opts.available ?? 100,
            current: 110,
            routing: '011401533',
            account: '1111222233330000',
            owners,
          },
          {
            account_id: `${itemId}-sav`,
            name: 'Plaid Saving',
            mask: '1111',
            subtype: 'savings',
            available: 200,
            current: 210,
            routing: '011401533',
            account: '1111222233331111',
            owners,
          },
        ],
        error: null,
        generated: opts.transactions ?? 0,
        log: [],
        vanished: new Set(),
        mutateOnNextPage: null,
        removed: false,
        webhook: null,
      }
      items.set(itemId, state)
      const publicToken = `public-sandbox-${randomUUID()}`
      publicTokens.set(publicToken, state)
      return { publicToken, item: () => state }
    },
    item,
    generatedTransaction,
    addTransactions(itemId, n) {
      const it = item(itemId)
      const ids: string[] = []
      for (let i = 0; i < n; i++) {
        const txn = generatedTransaction(it, it.generated + it.log.length + 1_000_000)
        it.log.push({ kind: 'added', txn })
        ids.push(txn.transaction_id as string)
      }
      return ids
    },
    modifyTransaction(itemId, txnId, patch) {
      const it = item(itemId)
      const index = Number(/-t(\d+)$/.exec(txnId)?.[1])
      it.log.push({ kind: 'modified', txn: { ...generatedTransaction(it, index), ...patch } })
    },
    removeTransactions(itemId, ids) {
      const it = item(itemId)
      for (const id of ids) {
        const index = Number(/-t(\d+)$/.exec(id)?.[1])
        it.log.push({ kind: 'removed', txn: generatedTransaction(it, index) })
      }
    },
    signedWebhook(body, opts = {}) {
      const text = JSON.stringify(body)
      const header = { alg: 'ES256', kid: opts.kid ?? kid, typ: 'JWT' }
      const payload = {
        iat: Math.floor(Date.now() / 1000) + (opts.iatOffsetSeconds ?? 0),
        request_body_sha256: createHash('sha256').update(text).digest('hex'),
      }
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      const signingInput = `${b64(header)}.${b64(payload)}`
      const signature = sign('sha256', Buffer.from(signingInput), {
        key: opts.key ?? privateKey,
        dsaEncoding: 'ieee-p1363',
      }).toString('base64url')
      return {
        body: text,
        headers: { 'content-type': 'application/json', 'plaid-verification': `${signingInput}.${signature}` },
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export { INSTITUTION_NAMES }
