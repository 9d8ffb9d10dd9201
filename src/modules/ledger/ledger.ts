import { hash } from 'node:crypto'
import { canonicalize } from '../../shared/canonical-json.js'
import { invalid } from '../../shared/errors.js'
import { currency as lookupCurrency, MAX_AMOUNT } from '../../shared/money.js'
import { ledgerError } from './ledger.errors.js'

export type NormalSide = 'debit' | 'credit'

export const FLAG_DEBITS_MUST_NOT_EXCEED_CREDITS = 1
export const FLAG_CREDITS_MUST_NOT_EXCEED_DEBITS = 2

export interface AccountInput {
  readonly id?: string
  readonly code?: string
  readonly currency: string
  readonly normalSide: NormalSide
  readonly debitsMustNotExceedCredits?: boolean
  readonly creditsMustNotExceedDebits?: boolean
  /** How far past the flag's bound the account may go (an overdraft); changeable at runtime. */
  readonly creditLimit?: bigint
  readonly metadata?: Record<string, unknown>
}

export interface Balances {
  readonly debitsPending: bigint
  readonly debitsPosted: bigint
  readonly creditsPending: bigint
  readonly creditsPosted: bigint
  /** Posted balance on the account's normal side. */
  readonly posted: bigint
  /** Posted balance less pending outflows: what can still be spent. */
  readonly available: bigint
}

export interface Account {
  readonly id: string
  readonly code: string | null
  readonly currency: string
  readonly exponent: number
  readonly normalSide: NormalSide
  readonly debitsMustNotExceedCredits: boolean
  readonly creditsMustNotExceedDebits: boolean
  readonly creditLimit: bigint
  readonly metadata: Record<string, unknown>
  readonly balances: Balances
  readonly entrySeq: bigint
  readonly createdAt: Date
}

/** Money moves from source (debited) to destination (credited), as in TigerBeetle. */
export interface Leg {
  readonly source: string
  readonly destination: string
  readonly amount: bigint
  readonly currency: string
}

export type TransactionStatus = 'pending' | 'posted' | 'voided' | 'expired'

export type LedgerCommand =
  | {
      readonly op: 'create'
      readonly legs: readonly Leg[]
      readonly pending?: boolean
      /** Seconds until a pending transaction expires (is voided by the sweeper). */
      readonly timeoutSeconds?: number
      readonly metadata?: Record<string, unknown>
      readonly idempotencyKey?: string
    }
  | {
      readonly op: 'post'
      /**
       * The pending transaction; or `{ item: i }`, the one made by item i of the same call (an
       * earlier pending create), so a hold and its post cost one call (a post after a replayed
       * create targets the transaction the replay answers).
       */
      readonly transactionId: string | { readonly item: number }
      readonly amounts?: readonly bigint[]
    }
  /** `{ item: i }` as for a post. */
  | { readonly op: 'void'; readonly transactionId: string | { readonly item: number } }
  | { readonly op: 'expire'; readonly transactionId: string }

export type CommandResult =
  | {
      readonly ok: true
      readonly transactionId: string
      readonly status: TransactionStatus
      readonly replayed: boolean
    }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly ref?: string }

export interface Transaction {
  readonly id: string
  readonly status: TransactionStatus
  readonly idempotencyKey: string | null
  readonly legs: readonly Leg[]
  readonly postedAmounts: readonly bigint[] | null
  readonly timeoutAt: Date | null
  readonly metadata: Record<string, unknown>
  readonly createdAt: Date
  readonly resolvedAt: Date | null
}

export interface Entry {
  readonly accountId: string
  readonly seq: bigint
  readonly transactionId: string
  readonly leg: number
  readonly kind: 'hold' | 'posted' | 'post' | 'void' | 'expire'
  readonly side: 'D' | 'C'
  readonly currency: string
  readonly pendingDelta: bigint
  readonly postedDelta: bigint
  readonly balanceAfter: Balances
  readonly createdAt: Date
}

export function computeBalances(
  normalSide: NormalSide,
  b: { debitsPending: bigint; debitsPosted: bigint; creditsPending: bigint; creditsPosted: bigint },
): Balances {
  const posted = normalSide === 'credit' ? b.creditsPosted - b.debitsPosted : b.debitsPosted - b.creditsPosted
  const available = normalSide === 'credit' ? posted - b.debitsPending : posted - b.creditsPending
  return { ...b, posted, available }
}

export const MAX_LEGS = 64
export const MAX_TIMEOUT_SECONDS = 30 * 24 * 3600

/** Checks a create command before it reaches the database (what needs no state). */
export function validateCreate(cmd: Extract<LedgerCommand, { op: 'create' }>): void {
  if (cmd.legs.length === 0) throw invalid('LEDGER_NO_LEGS', 'A transaction needs at least one leg.')
  if (cmd.legs.length > MAX_LEGS)
    throw invalid('LEDGER_TOO_MANY_LEGS', `At most ${MAX_LEGS} legs per transaction.`)
  cmd.legs.forEach((leg, i) => {
    lookupCurrency(leg.currency)
    if (leg.amount <= 0n) throw invalid('INVALID_AMOUNT', `legs[${i}].amount must be greater than zero.`)
    if (leg.amount > MAX_AMOUNT)
      throw invalid('AMOUNT_OUT_OF_RANGE', `legs[${i}].amount exceeds ${MAX_AMOUNT}.`)
    if (leg.source === leg.destination) throw ledgerError('LEDGER_SAME_ACCOUNT', leg.source)
  })
  if (cmd.timeoutSeconds !== undefined) {
    if (!cmd.pending)
      throw invalid('LEDGER_TIMEOUT_WITHOUT_PENDING', 'timeoutSeconds applies only to pending transactions.')
    if (
      !Number.isInteger(cmd.timeoutSeconds) ||
      cmd.timeoutSeconds < 1 ||
      cmd.timeoutSeconds > MAX_TIMEOUT_SECONDS
    ) {
      throw invalid(
        'INVALID_TIMEOUT',
        `timeoutSeconds must be a whole number from 1 to ${MAX_TIMEOUT_SECONDS}.`,
      )
    }
  }
}

export interface EntryInput {
  readonly account: string
  readonly direction: 'debit' | 'credit'
  readonly amount: bigint
  readonly currency: string
}

/**
 * Turns balanced debit/credit entries into legs (greedy pairing per currency), so the
 * database only ever sees legs, which balance by construction. Unbalanced input is refused.
 */
export function entriesToLegs(entries: readonly EntryInput[]): Leg[] {
  const byCurrency = new Map<
    string,
    { debits: { account: string; left: bigint }[]; credits: { account: string; left: bigint }[] }
  >()
  for (const e of entries) {
    const group = byCurrency.get(e.currency) ?? { debits: [], credits: [] }
    byCurrency.set(e.currency, group)
    ;(e.direction === 'debit' ? group.debits : group.credits).push({ account: e.account, left: e.amount })
  }
  const legs: Leg[] = []
  for (const [cur, { debits, credits }] of byCurrency) {
    const sum = (xs: { left: bigint }[]) => xs.reduce((a, x) => a + x.left, 0n)
    const d = sum(debits)
    const c = sum(credits)
    if (d !== c) throw ledgerError('LEDGER_UNBALANCED', `${cur} debits ${d} ≠ credits ${c}`)
    let ci = 0
    for (const debit of debits) {
      while (debit.left > 0n) {
        const credit = credits[ci]!
        const amount = debit.left < credit.left ? debit.left : credit.left
        legs.push({ source: debit.account, destination: credit.account, amount, currency: cur })
        debit.left -= amount
        credit.left -= amount
        if (credit.left === 0n) ci++
      }
    }
  }
  return legs
}

/** Stable hash of what a create request asks for; the same key with another hash is a conflict. */
export function requestHash(cmd: Extract<LedgerCommand, { op: 'create' }>): string {
  const canonical = JSON.stringify([
    cmd.legs.map((l) => [l.source, l.destination, l.amount.toString(), l.currency]),
    cmd.pending ?? false,
    cmd.timeoutSeconds ?? null,
    canonicalize(cmd.metadata ?? {}),
  ])
  // One-shot hash: no Hash object per item (a batch hashes up to 1,000 requests).
  return hash('sha256', canonical, 'base64url')
}
