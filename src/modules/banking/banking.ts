/** Bank data domain: types and pure rules (institution checks, names, ACH returns). */
import { createHash } from 'node:crypto'
import type { BankingErrorCode } from './banking.errors.js'
import type { ProviderName, ProviderTransaction } from './provider.js'

export interface InstitutionCapture {
  readonly institutionId: string
  readonly institutionName: string
  readonly routingNumber: string | null
  readonly mask: string | null
  readonly ownerNames: readonly string[]
}

export interface BankItem {
  readonly id: string
  readonly provider: ProviderName
  readonly providerItemId: string
  readonly customerId: string
  readonly customerName: string
  readonly institutionId: string
  readonly institutionName: string
  readonly status: 'active' | 'login_required' | 'removed'
  readonly errorCode: string | null
  readonly lastSyncedAt: Date | null
  readonly createdAt: Date
}

export interface BankAccount {
  readonly id: string
  readonly itemId: string
  readonly providerAccountId: string
  readonly customerId: string
  readonly name: string
  readonly type: string
  readonly subtype: string | null
  readonly currency: string
  readonly status: 'open' | 'closed'
  readonly verification: 'verified' | 'pending' | 'failed' | 'revoked'
  /** What was captured at link time; transfers are checked against it. */
  readonly capture: InstitutionCapture
  readonly createdAt: Date
}

/** A synced transaction: the provider's record, tied to our account id. */
export type BankTransaction = Omit<ProviderTransaction, 'providerAccountId'> & { readonly accountId: string }

export type TransferDirection = 'debit' | 'credit'
export type TransferStatus = 'pending' | 'settled' | 'returned' | 'failed'

export interface BankTransfer {
  readonly id: string
  readonly accountId: string
  /** debit = pay-in (we pull from the customer's bank); credit = payout (we push to it). */
  readonly direction: TransferDirection
  readonly amount: bigint
  readonly currency: string
  readonly status: TransferStatus
  readonly ledgerAccountId: string
  readonly ledgerTransactionId: string
  readonly reversalTransactionId: string | null
  readonly rail: string
  readonly railTransferId: string | null
  readonly returnCode: string | null
  readonly returnReason: string | null
  readonly description: string | null
  readonly idempotencyKey: string | null
  readonly createdAt: Date
  readonly settledAt: Date | null
  readonly returnedAt: Date | null
}

/** What the provider says now about the account, reduced to what the checks compare. */
export interface LiveAccountView {
  readonly institutionId: string
  /** undefined: the account is no longer reported (closed or removed at the institution). */
  readonly account:
    | {
        readonly status: 'open' | 'closed'
        readonly verification: 'verified' | 'pending' | 'failed'
        readonly routingNumber: string | null
        readonly ownerNames: readonly string[]
        readonly available: bigint | null
        readonly current: bigint | null
        readonly currency: string
      }
    | undefined
}

export interface CheckFailure {
  readonly code: BankingErrorCode
  readonly message: string
}

/**
 * Lower case, accents folded, punctuation dropped, honorifics and suffixes removed, tokens sorted:
 * "Dr. José  O'Brien Jr." and "obrien jose" compare equal.
 */
export function normalizeOwnerName(name: string): string {
  const drop = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'jr', 'sr', 'ii', 'iii', 'iv'])
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((t) => t && !drop.has(t))
    .sort()
    .join(' ')
}

/** A customer matches when any reported owner normalises to the same tokens. */
export function ownerMatches(customerName: string, owners: readonly string[]): boolean {
  const want = normalizeOwnerName(customerName)
  return want !== '' && owners.some((o) => normalizeOwnerName(o) === want)
}

/**
 * Every institution check before a transfer, in a fixed order; empty means the transfer may go.
 * The balance must cover a pull (debit) only: a payout does not need the customer's funds.
 */
export function institutionChecks(
  captured: InstitutionCapture & { readonly verification: BankAccount['verification'] },
  live: LiveAccountView,
  customerName: string,
  transfer: { readonly direction: TransferDirection; readonly amount: bigint },
): CheckFailure[] {
  const failures: CheckFailure[] = []
  if (live.institutionId !== captured.institutionId) {
    failures.push({
      code: 'BANK_INSTITUTION_CHANGED',
      message: `The institution is now ${live.institutionId}; it was ${captured.institutionId} at link time.`,
    })
  }
  const acct = live.account
  if (!acct || acct.status === 'closed') {
    failures.push({
      code: 'BANK_ACCOUNT_CLOSED',
      message: 'The institution reports the account closed or gone.',
    })
    return failures
  }
  if (captured.routingNumber !== null && acct.routingNumber !== captured.routingNumber) {
    failures.push({
      code: 'BANK_ROUTING_CHANGED',
      message: `The routing number now ends in ${tail(acct.routingNumber)}; it ended in ${tail(captured.routingNumber)} at link time.`,
    })
  }
  if (captured.verification === 'revoked' || acct.verification !== 'verified') {
    failures.push({
      code: 'BANK_ACCOUNT_NOT_VERIFIED',
      message: `The account verification is ${captured.verification === 'revoked' ? 'revoked' : acct.verification}.`,
    })
  }
  if (!ownerMatches(customerName, acct.ownerNames)) {
    failures.push({
      code: 'BANK_OWNER_MISMATCH',
      message: "No owner name reported by the institution matches the customer's name.",
    })
  }
  if (transfer.direction === 'debit') {
    const balance = acct.available ?? acct.current
    if (balance === null || balance < transfer.amount) {
      failures.push({
        code: 'BANK_INSUFFICIENT_BALANCE',
        message: `The real-time balance ${balance === null ? 'is not reported' : `(${balance})`} does not cover ${transfer.amount}.`,
      })
    }
  }
  return failures
}

const tail = (s: string | null) => (s ? s.slice(-4) : 'none')

/** ACH return codes handled, what each means, and what it does to the linked account. */
export const ACH_RETURN_CODES: Readonly<
  Record<string, { readonly reason: string; readonly account: 'keep' | 'close' | 'revoke' }>
> = {
  R01: { reason: 'Insufficient funds', account: 'keep' },
  R02: { reason: 'Account closed', account: 'close' },
  R03: { reason: 'No account / unable to locate account', account: 'close' },
  R04: { reason: 'Invalid account number', account: 'close' },
  R05: { reason: 'Unauthorized debit to consumer account', account: 'revoke' },
  R06: { reason: 'Returned per originating bank request', account: 'keep' },
  R07: { reason: 'Authorization revoked by customer', account: 'revoke' },
  R08: { reason: 'Payment stopped', account: 'keep' },
  R09: { reason: 'Uncollected funds', account: 'keep' },
  R10: { reason: 'Customer advises not authorized', account: 'revoke' },
  R11: {
    reason: 'Customer advises entry not in accordance with the terms of the authorization',
    account: 'keep',
  },
  R16: { reason: 'Account frozen', account: 'close' },
  R20: { reason: 'Non-transaction account', account: 'close' },
  R29: { reason: 'Corporate customer advises not authorized', account: 'revoke' },
}

/** Converts a provider's decimal amount (number or string) to exact minor units. */
export function decimalToMinor(value: number | string, exponent: number): bigint {
  const text = typeof value === 'number' ? value.toFixed(exponent) : value.trim()
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text)
  if (!m) throw new Error(`Not a decimal amount: "${text}"`)
  const frac = (m[3] ?? '').padEnd(exponent, '0')
  if (frac.length > exponent && /[1-9]/.test(frac.slice(exponent)))
    throw new Error(`"${text}" has more than ${exponent} decimals`)
  const minor = BigInt(m[2]! + frac.slice(0, exponent))
  return m[1] ? -minor : minor
}

/** Stable hash of a transfer request: the same Idempotency-Key with another hash is a conflict. */
export function transferRequestHash(req: {
  accountId: string
  direction: TransferDirection
  amount: bigint
  currency: string
  ledgerAccountId: string
  description: string | null
}): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        req.accountId,
        req.direction,
        req.amount.toString(),
        req.currency,
        req.ledgerAccountId,
        req.description,
      ]),
    )
    .digest('base64url')
}
