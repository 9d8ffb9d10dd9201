import { AppError, type ErrorKind } from '../../shared/errors.js'

/** Every code a ledger command can fail with, its kind, and what to tell the caller. */
export const LEDGER_ERRORS = {
  LEDGER_ACCOUNT_NOT_FOUND: ['not_found', 'Account not found'],
  LEDGER_ACCOUNT_EXISTS: ['conflict', 'An account with this id or code already exists with other attributes'],
  LEDGER_CURRENCY_MISMATCH: ['invalid', 'The leg currency does not match the account currency'],
  LEDGER_SAME_ACCOUNT: ['invalid', 'A leg cannot move money from an account to itself'],
  LEDGER_UNBALANCED: ['invalid', 'Debits and credits must balance per currency'],
  LEDGER_INSUFFICIENT_FUNDS: ['rejected', 'The account limit does not allow this amount'],
  LEDGER_BALANCE_OVERFLOW: ['rejected', 'The account balance would exceed the largest representable amount'],
  LEDGER_TRANSACTION_NOT_FOUND: ['not_found', 'Transaction not found'],
  LEDGER_NOT_PENDING: ['conflict', 'The transaction was posted directly and is not pending'],
  LEDGER_PENDING_ALREADY_POSTED: ['conflict', 'The pending transaction was already posted'],
  LEDGER_PENDING_ALREADY_VOIDED: ['conflict', 'The pending transaction was already voided'],
  LEDGER_PENDING_ALREADY_EXPIRED: ['conflict', 'The pending transaction expired'],
  LEDGER_PENDING_EXPIRED: ['conflict', 'The pending transaction passed its timeout'],
  LEDGER_POST_EXCEEDS_PENDING: ['invalid', 'A posted amount cannot exceed the pending amount of its leg'],
  LEDGER_BATCH_ABORTED: ['conflict', 'Not applied: another item of this all-or-nothing batch failed'],
  LEDGER_LIMIT_BELOW_USAGE: ['conflict', 'The new credit limit is below what the account already uses'],
  IDEMPOTENCY_CONFLICT: ['conflict', 'This idempotency key was used with a different request'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type LedgerErrorCode = keyof typeof LEDGER_ERRORS

export function ledgerError(code: LedgerErrorCode, detail?: string | null): AppError {
  const [kind, message] = LEDGER_ERRORS[code]
  return new AppError(
    code,
    kind,
    detail ? `${message}: ${detail}` : message,
    detail ? { details: { ref: detail } } : {},
  )
}

export class InsufficientFundsError extends AppError {
  constructor(accountId: string) {
    super(
      'LEDGER_INSUFFICIENT_FUNDS',
      'rejected',
      `${LEDGER_ERRORS.LEDGER_INSUFFICIENT_FUNDS[1]}: ${accountId}`,
    )
  }
}
