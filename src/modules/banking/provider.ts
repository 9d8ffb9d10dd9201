/**
 * The bank data provider port. Adapters: sandbox (built in), Plaid (official SDK), Teller (HTTPS with
 * a client certificate). Only an adapter's own files talk to the vendor; vendor errors become a
 * `ProviderError` there, once.
 */
export type ProviderName = 'sandbox' | 'plaid' | 'teller'

export interface LinkTokenRequest {
  readonly customerId: string
  readonly customerName: string
  /** Update mode (re-authentication): the item's access token. */
  readonly accessToken?: string
  readonly webhookUrl?: string
}

export interface LinkToken {
  readonly linkToken: string
  readonly expiresAt: Date
}

/** One account as the institution reports it now. Amounts are minor units of `currency`. */
export interface ProviderAccount {
  readonly providerAccountId: string
  readonly name: string
  readonly mask: string | null
  readonly type: string
  readonly subtype: string | null
  readonly currency: string
  readonly status: 'open' | 'closed'
  readonly verification: 'verified' | 'pending' | 'failed'
  readonly routingNumber: string | null
  readonly accountNumber: string | null
  readonly ownerNames: readonly string[]
  readonly balance: AccountBalance
}

export interface AccountBalance {
  readonly providerAccountId: string
  readonly currency: string
  /** null when the institution does not report it. */
  readonly available: bigint | null
  readonly current: bigint | null
}

/** Everything the provider knows about an item now: link-time capture and pre-transfer checks read it. */
export interface ItemSnapshot {
  readonly providerItemId: string
  readonly institutionId: string
  readonly institutionName: string
  readonly accounts: readonly ProviderAccount[]
}

export interface ProviderTransaction {
  readonly providerTransactionId: string
  readonly providerAccountId: string
  /** Signed minor units: positive = money out of the account (Plaid's convention). */
  readonly amount: bigint
  readonly currency: string
  readonly date: string
  readonly name: string
  readonly merchantName: string | null
  readonly pending: boolean
  readonly category: string | null
}

export interface SyncPage {
  readonly added: readonly ProviderTransaction[]
  readonly modified: readonly ProviderTransaction[]
  readonly removed: readonly string[]
  readonly nextCursor: string
  readonly hasMore: boolean
  /**
   * The provider has no change feed (Teller): the pages list every transaction it holds, and
   * anything stored but not listed by the end of the run was removed.
   */
  readonly fullRefresh?: boolean
}

/** A verified provider webhook, reduced to what the service acts on. */
export interface ProviderWebhook {
  /** Deduplication key: the provider's event id, else a hash of the body. */
  readonly dedupKey: string
  readonly providerItemId: string | null
  readonly action:
    | { readonly kind: 'sync' }
    | { readonly kind: 'item_error'; readonly code: string; readonly message: string }
    | { readonly kind: 'item_repaired' }
    | { readonly kind: 'ignore'; readonly type: string }
}

export type ProviderFailure =
  /** The item needs the customer (ITEM_LOGIN_REQUIRED, Teller enrollment.disconnected…). */
  | 'item_login_required'
  | 'invalid_token'
  | 'sync_mutation'
  | 'invalid_request'
  | 'unavailable'
  | 'misconfigured'

/** The one error type adapters throw; `vendorCode` keeps the provider's own code. */
export class ProviderError extends Error {
  constructor(
    readonly failure: ProviderFailure,
    readonly vendorCode: string,
    message: string,
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'ProviderError'
  }
}

export const isProviderError = (e: unknown): e is ProviderError => e instanceof ProviderError

export interface BankDataProvider {
  readonly name: ProviderName
  createLinkToken(req: LinkTokenRequest): Promise<LinkToken>
  exchangePublicToken(publicToken: string): Promise<{ accessToken: string; providerItemId: string }>
  /** Accounts with status, verification, account and routing numbers, owners and real-time balances. */
  snapshot(accessToken: string): Promise<ItemSnapshot>
  /** Real-time balances (Plaid: /accounts/balance/get). */
  balances(accessToken: string, providerAccountIds?: readonly string[]): Promise<readonly AccountBalance[]>
  /** One page of changes after `cursor` (null: from the beginning). */
  syncTransactions(accessToken: string, cursor: string | null, count: number): Promise<SyncPage>
  /** Revokes the access token at the provider. */
  removeItem(accessToken: string): Promise<void>
  /** Verifies the signature and freshness of a webhook; throws BANK_WEBHOOK_INVALID otherwise. */
  verifyWebhook(
    rawBody: Buffer,
    headers: Readonly<Record<string, string | undefined>>,
  ): Promise<ProviderWebhook>
}

/**
 * The money-movement rail. Only the sandbox rail is built in; a real one (Plaid Transfer, a bank's
 * ACH API) implements the same calls and reports settlement and returns through the service.
 */
export interface TransferRail {
  readonly name: string
  initiate(req: {
    readonly transferId: string
    readonly direction: 'debit' | 'credit'
    readonly amount: bigint
    readonly currency: string
    readonly routingNumber: string | null
    readonly accountMask: string | null
  }): Promise<{ railTransferId: string }>
}
