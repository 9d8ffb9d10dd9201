import { AppError, type ErrorKind } from '../../shared/errors.js'

/** Every code the parties module raises, its kind (HTTP status) and what to tell the caller (docs/errors.md). */
export const PARTIES_ERRORS = {
  PARTY_NOT_FOUND: ['not_found', 'No such party.'],
  PARTY_INVALID: ['invalid', 'The party is not valid'],
  PARTY_IDENTIFIER_INVALID: ['invalid', 'An identifier is not valid'],
  PARTY_TRANSITION_INVALID: ['conflict', 'The party cannot move to that status'],
  PARTY_SCREENING_UNRESOLVED: [
    'conflict',
    'The party has unresolved screening hits: decide on them (POST /v1/parties/:id/decisions) first',
  ],
  PARTY_NOT_ACTIVE: [
    'rejected',
    'The counterparty is not active (restricted or exited): no money moves to it',
  ],
  PARTY_VERSION_CONFLICT: ['conflict', 'The party changed since it was read; fetch it again and retry'],
  PARTY_HIT_NOT_FOUND: ['not_found', 'The party has no such screening hit'],
  SCREENING_REVIEW_REQUIRED: [
    'conflict',
    'The counterparty is a possible sanctions match: the operation is held until a compliance decision',
  ],
  SCREENING_HOLD_NOT_FOUND: ['not_found', 'No such screening hold.'],
  SCREENING_HOLD_DECIDED: ['conflict', 'The screening hold was already decided'],
  SCREENING_HOLD_REJECTED: ['rejected', 'A compliance decision rejected this held operation: no money moved'],
  LIST_SOURCE_UNKNOWN: ['not_found', 'No configured list source with that id'],
  LIST_FETCH_FAILED: [
    'unavailable',
    'The list source could not be fetched or was refused; the active snapshot is kept',
  ],
  IDEMPOTENCY_CONFLICT: ['conflict', 'This idempotency key was used with a different request'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type PartiesErrorCode = keyof typeof PARTIES_ERRORS

export function partiesError(
  code: PartiesErrorCode,
  detail?: string,
  details?: Record<string, unknown>,
): AppError {
  const [kind, message] = PARTIES_ERRORS[code]
  return new AppError(code, kind, detail ? `${message}: ${detail}` : message, details ? { details } : {})
}
