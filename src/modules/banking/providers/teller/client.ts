/**
 * The Teller adapter: Teller's HTTPS API with a mutual-TLS client certificate and the enrollment
 * access token as the HTTP Basic user name (no SDK). Teller Connect hands the browser the access
 * token directly, so the "public token" exchanged here is that token; the enrollment id is the item.
 * Teller has no transaction change feed: a sync lists everything (fullRefresh).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { currency as lookupCurrency } from '../../../../shared/money.js'
import { bankingError } from '../../banking.errors.js'
import { decimalToMinor } from '../../banking.js'
import {
  ProviderError,
  type AccountBalance,
  type BankDataProvider,
  type ProviderTransaction,
  type ProviderWebhook,
} from '../../provider.js'

export interface TellerOptions {
  readonly certFile: string
  readonly keyFile: string
  /** Private CA of the API's certificate (tests, proxies); the system roots otherwise. */
  readonly caFile?: string
  readonly apiUrl?: string
  /** Webhook signing secret (Teller dashboard). */
  readonly signingSecret?: string
  readonly timeoutMs?: number
  readonly now?: () => Date
}

interface TellerAccount {
  id: string
  enrollment_id: string
  institution: { id: string; name: string }
  last_four: string
  name: string
  type: string
  subtype: string
  currency: string
  status: 'open' | 'closed'
}
interface TellerTransaction {
  id: string
  account_id: string
  amount: string
  date: string
  description: string
  status: 'pending' | 'posted'
  details?: { category?: string | null; counterparty?: { name?: string | null } | null }
}

const MAX_WEBHOOK_AGE_SECONDS = 5 * 60
const TLS_ERRORS = /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|EPROTO)/

export function createTellerProvider(opts: TellerOptions): BankDataProvider {
  const base = new URL(opts.apiUrl ?? 'https://api.teller.io')
  const agent = new Agent({
    cert: readFileSync(opts.certFile),
    key: readFileSync(opts.keyFile),
    ...(opts.caFile ? { ca: readFileSync(opts.caFile) } : {}),
    keepAlive: true,
    maxSockets: 8,
  })
  const now = opts.now ?? (() => new Date())

  function call<T>(method: 'GET' | 'DELETE', path: string, token: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = request(
        new URL(path, base),
        {
          method,
          agent,
          headers: {
            authorization: `Basic ${Buffer.from(`${token}:`).toString('base64')}`,
            accept: 'application/json',
          },
          timeout: opts.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            const status = res.statusCode ?? 0
            if (status >= 200 && status < 300) {
              try {
                resolve((text ? JSON.parse(text) : null) as T)
              } catch (err) {
                reject(
                  new ProviderError('unavailable', 'BAD_RESPONSE', 'Teller sent a body that is not JSON.', {
                    cause: err,
                  }),
                )
              }
              return
            }
            let code = `http_${status}`
            let message = text.slice(0, 200)
            try {
              const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error
              code = e?.code ?? code
              message = e?.message ?? message
            } catch {
              // keep the raw text
            }
            reject(tellerError(status, code, message))
          })
        },
      )
      req.on('timeout', () => req.destroy(new Error('timeout')))
      req.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? 'NETWORK_ERROR'
        // A handshake the server refuses (no or wrong client certificate) is ours to fix.
        reject(
          new ProviderError(
            TLS_ERRORS.test(code) ? 'misconfigured' : 'unavailable',
            code,
            `Teller: ${err.message}`,
            {
              cause: err,
            },
          ),
        )
      })
      req.end()
    })
  }

  const accounts = (token: string) => call<TellerAccount[]>('GET', '/accounts', token)
  const minor = (v: string | null | undefined, cur: string) =>
    v === null || v === undefined ? null : decimalToMinor(v, lookupCurrency(cur).exponent)
  const balanceOf = async (token: string, a: TellerAccount): Promise<AccountBalance> => {
    const b = await call<{ available: string | null; ledger: string | null }>(
      'GET',
      `/accounts/${a.id}/balances`,
      token,
    )
    return {
      providerAccountId: a.id,
      currency: a.currency,
      available: minor(b.available, a.currency),
      current: minor(b.ledger, a.currency),
    }
  }

  return {
    name: 'teller',
    createLinkToken() {
      // Teller Connect runs with the application id; the token here is the nonce it signs back.
      return Promise.resolve({
        linkToken: `teller-nonce-${randomBytes(16).toString('hex')}`,
        expiresAt: new Date(now().getTime() + 3_600_000),
      })
    },
    async exchangePublicToken(accessToken) {
      const list = await accounts(accessToken)
      const first = list[0]
      if (!first) throw new ProviderError('invalid_token', 'NO_ACCOUNTS', 'The enrollment has no accounts.')
      return { accessToken, providerItemId: first.enrollment_id }
    },
    async snapshot(token) {
      const list = await accounts(token)
      const identity = await call<{ account: { id: string }; owners: { names: { data: string }[] }[] }[]>(
        'GET',
        '/identity',
        token,
      )
      const owners = new Map(
        identity.map((i) => [i.account.id, i.owners.flatMap((o) => o.names.map((n) => n.data))]),
      )
      const first = list[0]
      return {
        providerItemId: first?.enrollment_id ?? '',
        institutionId: first?.institution.id ?? 'unknown',
        institutionName: first?.institution.name ?? 'unknown',
        accounts: await Promise.all(
          list.map(async (a) => {
            const open = a.status === 'open'
            const details = open
              ? await call<{ account_number: string; routing_numbers: { ach?: string | null } }>(
                  'GET',
                  `/accounts/${a.id}/details`,
                  token,
                )
              : undefined
            return {
              providerAccountId: a.id,
              name: a.name,
              mask: a.last_four,
              type: a.type,
              subtype: a.subtype,
              currency: a.currency,
              status: a.status,
              // Teller reads accounts through the customer's own bank login.
              verification: 'verified' as const,
              routingNumber: details?.routing_numbers.ach ?? null,
              accountNumber: details?.account_number ?? null,
              ownerNames: owners.get(a.id) ?? [],
              balance: open
                ? await balanceOf(token, a)
                : { providerAccountId: a.id, currency: a.currency, available: null, current: null },
            }
          }),
        ),
      }
    },
    async balances(token, ids) {
      const list = (await accounts(token)).filter((a) => a.status === 'open' && (!ids || ids.includes(a.id)))
      return Promise.all(list.map((a) => balanceOf(token, a)))
    },
    async syncTransactions(token, cursor, count) {
      // Cursor: which account and the last id read in it (Teller pages older with from_id).
      const pos = cursor
        ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
            i: number
            from: string | null
          })
        : { i: 0, from: null }
      const list = (await accounts(token)).filter((a) => a.status === 'open')
      const acct = list[pos.i]
      if (!acct)
        return { added: [], modified: [], removed: [], nextCursor: '', hasMore: false, fullRefresh: true }
      const q = new URLSearchParams({ count: String(count), ...(pos.from ? { from_id: pos.from } : {}) })
      const txns = await call<TellerTransaction[]>(
        'GET',
        `/accounts/${acct.id}/transactions?${q.toString()}`,
        token,
      )
      const last = txns.at(-1)
      const next = txns.length === count && last ? { i: pos.i, from: last.id } : { i: pos.i + 1, from: null }
      return {
        added: txns.map((t): ProviderTransaction => ({
          providerTransactionId: t.id,
          providerAccountId: t.account_id,
          // Teller signs amounts from the account's side (negative = money out); the port uses Plaid's.
          amount: -decimalToMinor(t.amount, lookupCurrency(acct.currency).exponent),
          currency: acct.currency,
          date: t.date,
          name: t.description,
          merchantName: t.details?.counterparty?.name ?? null,
          pending: t.status === 'pending',
          category: t.details?.category ?? null,
        })),
        modified: [],
        removed: [],
        // The run's last page leaves an empty cursor: every run is a full refresh from the start.
        nextCursor: next.i < list.length ? Buffer.from(JSON.stringify(next)).toString('base64url') : '',
        hasMore: next.i < list.length,
        fullRefresh: true,
      }
    },
    async removeItem(token) {
      for (const a of await accounts(token)) await call('DELETE', `/accounts/${a.id}`, token)
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- the port is async; this check is not
    async verifyWebhook(rawBody, headers): Promise<ProviderWebhook> {
      return verifyTellerWebhook(rawBody, headers, opts.signingSecret, now())
    },
  }
}

function tellerError(status: number, code: string, message: string): ProviderError {
  if (code.startsWith('enrollment.disconnected'))
    return new ProviderError('item_login_required', code, message)
  if (status === 401 || status === 403) return new ProviderError('invalid_token', code, message)
  if (status === 429 || status >= 500) return new ProviderError('unavailable', code, message)
  return new ProviderError('invalid_request', code, message)
}

/** Teller-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t.body")> (several v1 while rotating). */
export function verifyTellerWebhook(
  rawBody: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  secret: string | undefined,
  now: Date,
): ProviderWebhook {
  const invalid = (why: string) => bankingError('BANK_WEBHOOK_INVALID', `Teller webhook refused: ${why}.`)
  if (!secret) throw invalid('no signing secret is configured (MONETA_TELLER_SIGNING_SECRET)')
  const header = headers['teller-signature']
  if (!header) throw invalid('no Teller-Signature header')
  let t: string | undefined
  const signatures: string[] = []
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2)
    if (k === 't') t = v
    else if (k === 'v1' && v) signatures.push(v)
  }
  if (!t || !/^\d+$/.test(t) || signatures.length === 0) throw invalid('the signature header is malformed')
  if (Math.abs(now.getTime() / 1000 - Number(t)) > MAX_WEBHOOK_AGE_SECONDS)
    throw invalid('the timestamp is older than 5 minutes')
  const want = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest()
  const ok = signatures.some((s) => {
    const got = Buffer.from(s, 'hex')
    return got.length === want.length && timingSafeEqual(got, want)
  })
  if (!ok) throw invalid('the signature does not verify')
  let body: { id?: string; type?: string; payload?: { enrollment_id?: string; reason?: string } }
  try {
    body = JSON.parse(rawBody.toString('utf8')) as typeof body
  } catch {
    throw invalid('the body is not JSON')
  }
  const type = body.type ?? ''
  const action: ProviderWebhook['action'] =
    type === 'transactions.processed'
      ? { kind: 'sync' }
      : type === 'enrollment.disconnected'
        ? {
            kind: 'item_error',
            code: `enrollment.disconnected.${body.payload?.reason ?? 'unknown'}`,
            message: 'Teller disconnected the enrollment.',
          }
        : { kind: 'ignore', type }
  return {
    dedupKey: body.id ?? createHash('sha256').update(rawBody).digest('hex'),
    providerItemId: body.payload?.enrollment_id ?? null,
    action,
  }
}
