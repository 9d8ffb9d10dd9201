import { AppError } from '../../shared/errors.js'

/** Stable codes of the auth module (docs/errors.md). */
export const AUTH_ERRORS = {
  AUTH_FAILED: 'AUTH_FAILED',
  PASSWORD_POLICY: 'PASSWORD_POLICY',
  MFA_ENROLLMENT_REQUIRED: 'MFA_ENROLLMENT_REQUIRED',
  MFA_ALREADY_ENROLLED: 'MFA_ALREADY_ENROLLED',
  MFA_NOT_STARTED: 'MFA_NOT_STARTED',
  MFA_CODE_INVALID: 'MFA_CODE_INVALID',
  SESSION_REQUIRED: 'SESSION_REQUIRED',
  OPERATOR_EXISTS: 'OPERATOR_EXISTS',
  OPERATOR_NOT_FOUND: 'OPERATOR_NOT_FOUND',
  TENANT_NOT_FOUND: 'TENANT_NOT_FOUND',
  API_KEY_NOT_FOUND: 'API_KEY_NOT_FOUND',
  API_KEY_SCOPE_INVALID: 'API_KEY_SCOPE_INVALID',
  FORBIDDEN: 'FORBIDDEN',
  GRANT_NOT_HELD: 'GRANT_NOT_HELD',
} as const

/**
 * One message for every failed sign-in (unknown email, wrong password, wrong, missing or replayed code,
 * locked account or address), so the answer tells an attacker nothing about which part was wrong.
 */
export const AUTH_FAILED_MESSAGE = 'The email, password or code is not correct, or sign-in is locked for now.'

export const authFailed = (): AppError =>
  new AppError(AUTH_ERRORS.AUTH_FAILED, 'unauthorized', AUTH_FAILED_MESSAGE)

export const passwordPolicy = (problems: readonly string[]): AppError =>
  new AppError(
    AUTH_ERRORS.PASSWORD_POLICY,
    'invalid',
    `The password is not accepted: ${problems.join('; ')}.`,
    {
      details: { problems: [...problems] },
    },
  )

export const forbidden = (permission: string): AppError =>
  new AppError(AUTH_ERRORS.FORBIDDEN, 'forbidden', `This needs the ${permission} permission.`, {
    details: { permission },
  })

export const mfaEnrollmentRequired = (): AppError =>
  new AppError(
    AUTH_ERRORS.MFA_ENROLLMENT_REQUIRED,
    'forbidden',
    'Your role requires two-factor sign-in: enrol with POST /v1/auth/mfa/enroll and /v1/auth/mfa/activate first.',
  )

export const sessionRequired = (): AppError =>
  new AppError(
    AUTH_ERRORS.SESSION_REQUIRED,
    'forbidden',
    'This needs an operator session (ses_…), not an API key.',
  )

export const mfaAlreadyEnrolled = (): AppError =>
  new AppError(
    AUTH_ERRORS.MFA_ALREADY_ENROLLED,
    'conflict',
    'Two-factor sign-in is already active; an admin can reset it with `moneta operators reset-mfa`.',
  )

export const mfaNotStarted = (): AppError =>
  new AppError(AUTH_ERRORS.MFA_NOT_STARTED, 'conflict', 'Start with POST /v1/auth/mfa/enroll, then activate.')

export const mfaCodeInvalid = (): AppError =>
  new AppError(
    AUTH_ERRORS.MFA_CODE_INVALID,
    'invalid',
    'The code does not match; use the current code from your app.',
  )

export const operatorExists = (): AppError =>
  new AppError(AUTH_ERRORS.OPERATOR_EXISTS, 'conflict', 'An operator with this email already exists.')

export const operatorNotFound = (ref: string): AppError =>
  new AppError(AUTH_ERRORS.OPERATOR_NOT_FOUND, 'not_found', `No operator ${ref}.`)

export const apiKeyNotFound = (id: string): AppError =>
  new AppError(AUTH_ERRORS.API_KEY_NOT_FOUND, 'not_found', `No active API key ${id}.`)

export const apiKeyScopeInvalid = (message: string): AppError =>
  new AppError(AUTH_ERRORS.API_KEY_SCOPE_INVALID, 'invalid', message)

export const tenantNotFound = (id: string): AppError =>
  new AppError(AUTH_ERRORS.TENANT_NOT_FOUND, 'not_found', `No tenant ${id}.`)

/** Creating an operator or key, changing a role or revoking a key needs every grant involved. */
export const grantNotHeld = (missing: readonly string[]): AppError =>
  new AppError(
    AUTH_ERRORS.GRANT_NOT_HELD,
    'forbidden',
    `You can only give, change or remove permissions you hold yourself; missing: ${missing.join(', ')}` +
      (missing.some((m) => m === 'vault:detokenize' || m === 'platform:admin')
        ? ' (vault:detokenize and platform:admin are issued only by the platform owner or `moneta apikeys create --scopes`).'
        : '.'),
    { details: { missing: [...missing] } },
  )
