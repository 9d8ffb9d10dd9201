/**
 * Access: operators (argon2id passwords, TOTP MFA, recovery codes), brute-force lockout, sessions,
 * API keys with scopes and rotation, roles and permissions. docs/security.md describes the policy.
 *
 *   services.auth.login({ email, password, code }, ip)  → { token: 'ses_…', … }   (AUTH_FAILED otherwise)
 *   services.auth.authenticate(bearerToken)             → Principal | undefined   (API key or session)
 *   grants(principal.scopes, 'payments:write')          → may it?
 */
export { createAuth } from './auth.service.js'
export type { Auth, AuthDeps, CreateOperatorInput, LoginInput, LoginResult } from './auth.service.js'
export type { Grantor, Principal, SessionPolicy } from './sessions.js'
export { CLI_GRANTOR, DEFAULT_SESSION_POLICY, SESSION_PREFIX } from './sessions.js'
export type { OperatorAdmin } from './operator-admin.js'
export type { Operator } from './operators.js'
export type { ApiKeyInfo, NewApiKey, CreateKeyInput } from './api-keys.js'
export { DEFAULT_ROTATION_OVERLAP_SECONDS, MAX_ROTATION_OVERLAP_SECONDS } from './api-keys.js'
export {
  ROLES,
  ROLE_GRANTS,
  MFA_REQUIRED_ROLES,
  PERMISSIONS,
  EXPLICIT_ONLY,
  SELF,
  grants,
  missingGrants,
  isRole,
  isValidGrant,
  type Permission,
  type Role,
} from './permissions.js'
export {
  DEFAULT_HASH_PARAMS,
  DEFAULT_PASSWORD_POLICY,
  passwordProblems,
  generatePassword,
  createPasswordHasher,
} from './passwords.js'
export type { HashParams, PasswordPolicy } from './passwords.js'
export { DEFAULT_OPERATOR_LOCKOUT, DEFAULT_ADDRESS_LOCKOUT, lockDurationMs } from './lockout.js'
export type { LockoutPolicy } from './lockout.js'
export { totpCode, stepAt, TOTP_PERIOD_SECONDS } from './totp.js'
export type { Enrolment } from './totp.js'
export { AUTH_ERRORS, AUTH_FAILED_MESSAGE, forbidden, mfaEnrollmentRequired } from './auth.errors.js'
export { AUTH_EVENTS, authEvents } from './auth.events.js'
export { authMigrations } from './auth.migrations.js'
export {
  createOidcClient,
  signInWithOidc,
  oidcNotConfigured,
  FLOW_COOKIE as OIDC_FLOW_COOKIE,
  SECOND_FACTOR_AMR,
} from './oidc.js'
export type { OidcClient, OidcSettings, VerifiedIdentity, OidcAccounts, OidcSignInPolicy } from './oidc.js'
export { createOidcAccounts } from './oidc-accounts.js'
