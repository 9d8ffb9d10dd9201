import { AppError, type ErrorKind } from '../shared/errors.js'

/**
 * Codes the HTTP edge answers before a route's handler runs: bodies, URLs and text it refuses for
 * every route at once (docs/errors.md, "Request"). Statuses come from the kind, except the two the
 * HTTP standard names (STATUS_BY_CODE in error-status.ts).
 */
export const API_ERRORS = {
  INVALID_JSON: ['invalid', 'The request body is not valid JSON'],
  JSON_TOO_DEEP: ['invalid', 'The JSON body is nested deeper than the server accepts'],
  INVALID_TEXT: ['invalid', 'Text may not contain U+0000 (NUL) or an unpaired UTF-16 surrogate'],
  VALIDATION_ERROR: ['invalid', 'The request is invalid'],
  BODY_TOO_LARGE: ['too_large', 'The request body is larger than the server accepts'],
  UNSUPPORTED_MEDIA_TYPE: ['invalid', 'Send the body as application/json'],
  INVALID_CONTENT_LENGTH: ['invalid', 'Content-Length does not match the body'],
  INVALID_URL: ['invalid', 'The URL is not valid percent-encoded UTF-8'],
  URL_PARAM_TOO_LONG: ['invalid', 'A path parameter is longer than the server accepts'],
  BAD_REQUEST: ['invalid', 'The request is malformed'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type ApiErrorCode = keyof typeof API_ERRORS

export function apiError(code: ApiErrorCode, detail?: string): AppError {
  const [kind, message] = API_ERRORS[code]
  return new AppError(code, kind, detail ? `${message}: ${detail}` : `${message}.`)
}
