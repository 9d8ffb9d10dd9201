import { AppError, type ErrorKind } from '../../shared/errors.js'

/** Every code a cases command can fail with, its kind, and what to tell the caller (docs/errors.md). */
export const CASES_ERRORS = {
  CASES_NOT_FOUND: ['not_found', 'No such case in this tenant'],
  CASES_INVALID_INPUT: ['invalid', 'The request is not valid'],
  CASES_INVALID_TRANSITION: ['conflict', 'The case cannot move to that status from its current one'],
  CASES_CLOSED: ['conflict', 'The case is closed; it no longer changes'],
  CASES_APPROVAL_PENDING: ['conflict', 'A closing proposal already waits for a second operator'],
  CASES_NO_PROPOSAL: ['conflict', 'The case has no proposal waiting for approval'],
  CASES_FOUR_EYES_SAME_OPERATOR: ['forbidden', 'The operator who proposed a decision cannot approve it'],
  CASES_APPROVER_NOT_ALLOWED: ['forbidden', 'Approving needs the cases:approve permission'],
  CASES_ATTACHMENT_NOT_FOUND: ['not_found', 'No such attachment on this case'],
  CASES_ATTACHMENT_TOO_LARGE: ['too_large', 'An attachment may hold at most 5 MiB'],
  CASES_SAR_NOT_FOUND: ['not_found', 'The case has no SAR draft yet: create one first'],
  CASES_SAR_STALE: ['conflict', 'The SAR draft changed since the version you edited'],
  CASES_BUNDLE_INVALID: ['invalid', 'The evidence bundle does not verify'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type CasesErrorCode = keyof typeof CASES_ERRORS

export function casesError(
  code: CasesErrorCode,
  detail?: string,
  details?: Record<string, unknown>,
): AppError {
  const [kind, message] = CASES_ERRORS[code]
  return new AppError(code, kind, detail ? `${message}: ${detail}` : message, details ? { details } : {})
}
