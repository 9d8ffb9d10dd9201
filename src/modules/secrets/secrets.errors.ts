import { AppError, type ErrorKind } from '../../shared/errors.js'

/** Every code `moneta scan-secrets` and the secrets library raise (docs/errors.md, "Secrets scanning"). */
export const SECRETS_ERRORS = {
  SECRETS_PATH_NOT_FOUND: ['not_found', 'The path to scan does not exist'],
  SECRETS_NOT_A_GIT_REPOSITORY: ['invalid', 'History, --since and --staged scans need a git repository'],
  SECRETS_GIT_FAILED: ['unavailable', 'A git command failed'],
  SECRETS_BASELINE_INVALID: ['invalid', 'The baseline file is not a moneta scan-secrets baseline'],
  SECRETS_HOOK_EXISTS: [
    'conflict',
    'A pre-commit hook that is not ours already exists; pass --force to replace it',
  ],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type SecretsErrorCode = keyof typeof SECRETS_ERRORS

export function secretsError(code: SecretsErrorCode, detail?: string, cause?: unknown): AppError {
  const [kind, message] = SECRETS_ERRORS[code]
  return new AppError(
    code,
    kind,
    detail ? `${message}: ${detail}` : message,
    cause === undefined ? {} : { cause },
  )
}
