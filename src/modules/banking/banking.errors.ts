import { AppError, type ErrorKind } from '../../shared/errors.js'

/** Every code this module raises, with its kind (HTTP status) and a default message (docs/errors.md). */
export const BANKING_ERRORS = {
  BANK_PROVIDER_NOT_CONFIGURED: ['invalid', 'That bank data provider is not configured on this server.'],
  BANK_LINK_TOKEN_NOT_FOUND: [
    'not_found',
    'No such link token; create one with POST /v1/banking/link-tokens.',
  ],
  BANK_LINK_TOKEN_EXPIRED: ['rejected', 'The link token has expired or was used; create a new one.'],
  BANK_PUBLIC_TOKEN_INVALID: ['rejected', 'The provider refused the public token.'],
  BANK_ITEM_NOT_FOUND: ['not_found', 'No such linked bank item.'],
  BANK_ITEM_REMOVED: ['conflict', 'The bank item was unlinked.'],
  BANK_ITEM_LOGIN_REQUIRED: [
    'conflict',
    'The bank needs the customer to log in again: create a link token with itemId (update mode).',
  ],
  BANK_ACCOUNT_NOT_FOUND: ['not_found', 'No such linked bank account.'],
  BANK_PROVIDER_UNAVAILABLE: ['unavailable', 'The bank data provider did not answer; retry later.'],
  BANK_PROVIDER_ERROR: ['rejected', 'The bank data provider refused the request.'],
  BANK_PROVIDER_MISCONFIGURED: ['internal', 'The bank data provider rejected our credentials.'],
  BANK_WEBHOOK_INVALID: ['unauthorized', 'The webhook signature did not verify.'],
  BANK_WEBHOOK_PAYLOAD_INVALID: [
    'invalid',
    'The webhook is signed but its body is not an event we understand.',
  ],
  BANK_TRANSFER_NOT_FOUND: ['not_found', 'No such bank transfer.'],
  BANK_TRANSFER_NOT_PENDING: ['conflict', 'The transfer is not in a state that allows this.'],
  BANK_RETURN_CODE_UNKNOWN: [
    'invalid',
    'Unknown ACH return code; see docs/banking.md for the codes handled.',
  ],
  BANK_LEDGER_REJECTED: ['rejected', 'The ledger refused the transfer.'],
  BANK_ROUTING_CHANGED: [
    'rejected',
    'The routing number differs from the one captured when the account was linked.',
  ],
  BANK_INSTITUTION_CHANGED: [
    'rejected',
    'The institution differs from the one captured when the account was linked.',
  ],
  BANK_ACCOUNT_NOT_VERIFIED: ['rejected', 'The bank account is not verified.'],
  BANK_ACCOUNT_CLOSED: ['rejected', 'The bank account is closed or no longer reported by the institution.'],
  BANK_INSUFFICIENT_BALANCE: ['rejected', 'The real-time balance does not cover the amount.'],
  BANK_OWNER_MISMATCH: ['rejected', "The account owner's name does not match the customer."],
  BANK_CURRENCY_MISMATCH: ['invalid', 'The transfer currency differs from the bank account currency.'],
  IDEMPOTENCY_CONFLICT: ['conflict', 'The idempotency key was used with a different request.'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type BankingErrorCode = keyof typeof BANKING_ERRORS

export function bankingError(
  code: BankingErrorCode,
  message?: string,
  opts: { details?: Record<string, unknown>; cause?: unknown } = {},
): AppError {
  const [kind, fallback] = BANKING_ERRORS[code]
  return new AppError(code, kind, message ?? fallback, opts)
}
