import { AppError, type ErrorKind } from '../../shared/errors.js'

/** Every code the analytics module raises, its kind (HTTP status) and what to tell the caller (docs/errors.md). */
export const ANALYTICS_ERRORS = {
  ANALYTICS_UNKNOWN_QUERY: [
    'not_found',
    'No fraud query of that name; `moneta analytics queries` lists them',
  ],
  ANALYTICS_INVALID_PARAMS: ['invalid', 'A query parameter is missing, unknown or out of range'],
  ANALYTICS_EXPORT_BUSY: ['conflict', 'Another export holds the export lease; retry when it finishes'],
  ANALYTICS_INVALID_TENANT: [
    'invalid',
    'Tenant ids used as Parquet partition names may hold only letters, digits, _ and -',
  ],
  ANALYTICS_STORAGE_FAILED: ['unavailable', 'The analytics storage could not be read or written'],
  ANALYTICS_QUERY_FAILED: ['internal', 'The query failed while streaming its results'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type AnalyticsErrorCode = keyof typeof ANALYTICS_ERRORS

export function analyticsError(code: AnalyticsErrorCode, detail?: string, cause?: unknown): AppError {
  const [kind, message] = ANALYTICS_ERRORS[code]
  return new AppError(
    code,
    kind,
    detail ? `${message}: ${detail}` : message,
    cause === undefined ? {} : { cause },
  )
}

/** ANALYTICS_STORAGE_FAILED for `e`, unless it is one already (the object store names its own cause). */
export function storageFailure(detail: string, e: unknown): AppError {
  return e instanceof AppError && e.code === 'ANALYTICS_STORAGE_FAILED'
    ? e
    : analyticsError('ANALYTICS_STORAGE_FAILED', detail, e)
}
