import type { ErrorKind } from '../shared/errors.js'

/** The one table from error kind to HTTP status. */
export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  rejected: 422,
  unavailable: 503,
  internal: 500,
}

/** The few codes whose HTTP status is more specific than their kind's. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  UNSUPPORTED_MEDIA_TYPE: 415,
  URL_PARAM_TOO_LONG: 414,
}
