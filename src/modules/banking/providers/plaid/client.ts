/**
 * The Plaid adapter: the only file that imports the `plaid` SDK. Vendor errors ({error_type,
 * error_code} bodies) become ProviderError kinds here, once.
 */
import {
  Configuration,
  CountryCode,
  PlaidApi,
  PlaidEnvironments,
  Products,
  type AccountBase,
  type Transaction,
} from 'plaid'
import { currency as lookupCurrency } from '../../../../shared/money.js'
import { decimalToMinor } from '../../banking.js'
import {
  ProviderError,
  type AccountBalance,
  type BankDataProvider,
  type ItemSnapshot,
  type ProviderAccount,
  type ProviderFailure,
  type ProviderTransaction,
} from '../../provider.js'
import { createPlaidWebhookVerifier } from './webhook.js'

export interface PlaidOptions {
  readonly clientId: string
  readonly secret: string
  readonly env: 'sandbox' | 'development' | 'production'
  /** Overrides the environment's host (a local server that speaks Plaid's protocol, a proxy). */
  readonly basePath?: string
  readonly clientName?: string
  readonly timeoutMs?: number
  /** For the webhook's iat check. */
  readonly now?: () => Date
}

const LOGIN_REQUIRED = new Set([
  'ITEM_LOGIN_REQUIRED',
  'INVALID_CREDENTIALS',
  'INVALID_MFA',
  'ITEM_LOCKED',
  'USER_SETUP_REQUIRED',
  'ACCESS_NOT_GRANTED',
  'INVALID_UPDATED_USERNAME',
  'USER_PERMISSION_REVOKED',
])
const INVALID_TOKEN = new Set(['INVALID_ACCESS_TOKEN', 'INVALID_PUBLIC_TOKEN', 'ITEM_NOT_FOUND'])
const MISCONFIGURED = new Set([
  'INVALID_API_KEYS',
  'UNAUTHORIZED_ENVIRONMENT',
  'INVALID_PRODUCT',
  'ADDITION_LIMIT',
])

interface AxiosLikeError {
  isAxiosError: true
  code?: string
  message: string
  response?: { status: number; data?: unknown }
}
// The SDK's HTTP client is axios; its errors are recognised by shape, so only the SDK is imported.
const isAxiosError = (e: unknown): e is AxiosLikeError =>
  typeof e === 'object' && e !== null && (e as { isAxiosError?: unknown }).isAxiosError === true

/** Translates an SDK (axios) error into the port's error, keeping Plaid's code. */
export function plaidError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err
  if (isAxiosError(err)) {
    const data = err.response?.data as
      { error_type?: string; error_code?: string; error_message?: string } | undefined
    const code = data?.error_code
    if (!err.response || !code) {
      return new ProviderError(
        'unavailable',
        err.code ?? 'NETWORK_ERROR',
        `Plaid did not answer: ${err.message}`,
        {
          cause: err,
        },
      )
    }
    const failure: ProviderFailure =
      code === 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION'
        ? 'sync_mutation'
        : LOGIN_REQUIRED.has(code)
          ? 'item_login_required'
          : INVALID_TOKEN.has(code)
            ? 'invalid_token'
            : MISCONFIGURED.has(code)
              ? 'misconfigured'
              : err.response.status === 429 ||
                  err.response.status >= 500 ||
                  data.error_type === 'API_ERROR' ||
                  data.error_type === 'INSTITUTION_ERROR' ||
                  data.error_type === 'RATE_LIMIT_EXCEEDED'
                ? 'unavailable'
                : 'invalid_request'
    return new ProviderError(failure, code, data.error_message ?? code, { cause: err })
  }
  return new ProviderError('unavailable', 'UNKNOWN', String(err), { cause: err })
}

const verification = (status: string | null | undefined): ProviderAccount['verification'] => {
  if (
    !status ||
    status === 'automatically_verified' ||
    status === 'manually_verified' ||
    status === 'database_matched'
  )
    return 'verified'
  if (status.startsWith('pending')) return 'pending'
  return 'failed'
}

function minor(value: number | null | undefined, cur: string): bigint | null {
  return value === null || value === undefined ? null : decimalToMinor(value, lookupCurrency(cur).exponent)
}

function balanceOf(a: AccountBase): AccountBalance {
  const cur = a.balances.iso_currency_code ?? 'USD'
  return {
    providerAccountId: a.account_id,
    currency: cur,
    available: minor(a.balances.available, cur),
    current: minor(a.balances.current, cur),
  }
}

function toTransaction(t: Transaction): ProviderTransaction {
  const cur = t.iso_currency_code ?? 'USD'
  return {
    providerTransactionId: t.transaction_id,
    providerAccountId: t.account_id,
    amount: decimalToMinor(t.amount, lookupCurrency(cur).exponent),
    currency: cur,
    date: t.date,
    name: t.name ?? t.merchant_name ?? '',
    merchantName: t.merchant_name ?? null,
    pending: t.pending,
    category: t.personal_finance_category?.primary ?? t.category?.[0] ?? null,
  }
}

export function createPlaidProvider(opts: PlaidOptions): BankDataProvider {
  const basePath = opts.basePath ?? PlaidEnvironments[opts.env] ?? PlaidEnvironments.sandbox!
  const api = new PlaidApi(
    new Configuration({
      basePath,
      baseOptions: {
        headers: {
          'PLAID-CLIENT-ID': opts.clientId,
          'PLAID-SECRET': opts.secret,
          'Plaid-Version': '2020-09-14',
        },
        timeout: opts.timeoutMs ?? 30_000,
      },
    }),
  )
  const institutions = new Map<string, string>()
  const call = async <T>(fn: () => Promise<{ data: T }>): Promise<T> => {
    try {
      return (await fn()).data
    } catch (err) {
      throw plaidError(err)
    }
  }

  async function institutionName(id: string): Promise<string> {
    const known = institutions.get(id)
    if (known) return known
    const r = await call(() =>
      api.institutionsGetById({
        institution_id: id,
        country_codes: [CountryCode.Us, CountryCode.Ca, CountryCode.Gb],
      }),
    )
    institutions.set(id, r.institution.name)
    return r.institution.name
  }

  return {
    name: 'plaid',
    async createLinkToken(req) {
      const r = await call(() =>
        api.linkTokenCreate({
          client_name: opts.clientName ?? 'Moneta',
          language: 'en',
          country_codes: [CountryCode.Us],
          user: { client_user_id: req.customerId, legal_name: req.customerName },
          // Update mode takes the item's access token and no products.
          ...(req.accessToken
            ? { access_token: req.accessToken }
            : { products: [Products.Auth, Products.Transactions], optional_products: [Products.Identity] }),
          ...(req.webhookUrl ? { webhook: req.webhookUrl } : {}),
        }),
      )
      return { linkToken: r.link_token, expiresAt: new Date(r.expiration) }
    },

    async exchangePublicToken(publicToken) {
      const r = await call(() => api.itemPublicTokenExchange({ public_token: publicToken }))
      return { accessToken: r.access_token, providerItemId: r.item_id }
    },

    async snapshot(accessToken): Promise<ItemSnapshot> {
      // Real-time balance, account and routing numbers, and owners, read together.
      const [balances, auth, identity] = await Promise.all([
        call(() => api.accountsBalanceGet({ access_token: accessToken })),
        call(() => api.authGet({ access_token: accessToken })),
        call(() => api.identityGet({ access_token: accessToken })),
      ])
      const institutionId = balances.item.institution_id ?? auth.item.institution_id ?? 'unknown'
      const numbers = new Map(auth.numbers.ach.map((n) => [n.account_id, n]))
      const owners = new Map(
        identity.accounts.map((a) => [a.account_id, a.owners.flatMap((o) => o.names)] as const),
      )
      return {
        providerItemId: balances.item.item_id,
        institutionId,
        institutionName: institutionId === 'unknown' ? 'unknown' : await institutionName(institutionId),
        accounts: balances.accounts.map((a) => ({
          providerAccountId: a.account_id,
          name: a.name,
          mask: a.mask ?? null,
          type: String(a.type),
          subtype: a.subtype ? String(a.subtype) : null,
          currency: a.balances.iso_currency_code ?? 'USD',
          // Plaid stops reporting closed accounts; one it reports is open.
          status: 'open' as const,
          verification: verification(a.verification_status),
          routingNumber: numbers.get(a.account_id)?.routing ?? null,
          accountNumber: numbers.get(a.account_id)?.account ?? null,
          ownerNames: owners.get(a.account_id) ?? [],
          balance: balanceOf(a),
        })),
      }
    },

    async balances(accessToken, ids) {
      const r = await call(() =>
        api.accountsBalanceGet({
          access_token: accessToken,
          ...(ids ? { options: { account_ids: [...ids] } } : {}),
        }),
      )
      return r.accounts.map(balanceOf)
    },

    async syncTransactions(accessToken, cursor, count) {
      const r = await call(() =>
        api.transactionsSync({ access_token: accessToken, count, ...(cursor ? { cursor } : {}) }),
      )
      return {
        added: r.added.map(toTransaction),
        modified: r.modified.map(toTransaction),
        removed: r.removed.map((x) => x.transaction_id),
        nextCursor: r.next_cursor,
        hasMore: r.has_more,
      }
    },

    async removeItem(accessToken) {
      await call(() => api.itemRemove({ access_token: accessToken }))
    },

    verifyWebhook: createPlaidWebhookVerifier({
      fetchKey: async (kid) => (await call(() => api.webhookVerificationKeyGet({ key_id: kid }))).key,
      now: opts.now ?? (() => new Date()),
    }),
  }
}
