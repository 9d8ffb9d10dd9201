import type { Account, AccountInput, Entry, Transaction } from './ledger.js'
import type { Db } from '../../shared/db/connect.js'
import type { Kysely } from 'kysely'

/** One item as the batch function takes it: ids and hashes are decided before the call. */
export interface ApplyItem {
  readonly op: 'create' | 'post' | 'void' | 'expire'
  /** New transaction id for creates; the target pending transaction for the others. */
  readonly id: string
  readonly key: string | null
  readonly hash: string | null
  readonly pending: boolean
  readonly timeoutSeconds: number | null
  readonly metadata: Record<string, unknown> | null
  /** Legs for creates; for posts, per-leg amounts only (source/destination empty). */
  readonly legs: readonly { source: string; destination: string; amount: bigint; currency: string }[]
}

export interface ApplyRow {
  readonly item: number
  readonly transaction_id: string | null
  readonly status: string | null
  readonly replayed: boolean
  readonly error_code: string | null
  readonly error_detail: string | null
}

export interface VerifyViolation {
  readonly kind:
    'transaction_unbalanced' | 'account_balance_mismatch' | 'currency_total_nonzero' | 'entry_sequence_gap'
  readonly tenantId: string
  readonly ref: string
  readonly detail: string
}

export interface LedgerStore {
  apply(
    tenant: string,
    now: Date,
    atomic: boolean,
    items: readonly ApplyItem[],
    db?: Kysely<unknown>,
  ): Promise<ApplyRow[]>
  insertAccount(
    tenant: string,
    id: string,
    input: AccountInput,
    exponent: number,
    now: Date,
  ): Promise<Account | undefined>
  getAccount(tenant: string, id: string): Promise<Account | undefined>
  getAccountByCode(tenant: string, code: string): Promise<Account | undefined>
  listAccounts(tenant: string, after: string | undefined, limit: number): Promise<Account[]>
  updateAccount(
    tenant: string,
    id: string,
    patch: { creditLimit?: bigint; metadata?: Record<string, unknown> },
  ): Promise<Account | undefined>
  getTransaction(tenant: string, id: string): Promise<Transaction | undefined>
  listEntries(tenant: string, accountId: string, afterSeq: bigint, limit: number): Promise<Entry[]>
  transactionEntries(tenant: string, transactionId: string): Promise<Entry[]>
  /** The account's last entry at or before `at` (undefined: no entry yet). */
  entryAsOf(tenant: string, accountId: string, at: Date): Promise<Entry | undefined>
  /** Pending transactions past their timeout, oldest first, across tenants. */
  expiredPending(now: Date, limit: number): Promise<{ tenantId: string; transactionId: string }[]>
  verify(tenant?: string): Promise<VerifyViolation[]>
  readonly db: Db
}
