/**
 * One error type for the whole service. `code` is stable and documented (docs/errors.md);
 * `kind` decides the HTTP status in exactly one place (src/api/error-status.ts).
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rejected'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal'

export class AppError extends Error {
  readonly code: string
  readonly kind: ErrorKind
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: string,
    kind: ErrorKind,
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'AppError'
    this.code = code
    this.kind = kind
    this.details = opts.details
  }
}

export const invalid = (code: string, message: string, details?: Record<string, unknown>): AppError =>
  new AppError(code, 'invalid', message, details ? { details } : {})

export const notFound = (code: string, message: string): AppError => new AppError(code, 'not_found', message)

export const conflict = (code: string, message: string, details?: Record<string, unknown>): AppError =>
  new AppError(code, 'conflict', message, details ? { details } : {})

export const isAppError = (e: unknown): e is AppError => e instanceof AppError
