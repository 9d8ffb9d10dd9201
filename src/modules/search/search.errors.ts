import { AppError, type ErrorKind } from '../../shared/errors.js'

/** Every code a search call can fail with, its kind, and what to tell the caller (docs/errors.md). */
export const SEARCH_ERRORS = {
  SEARCH_INVALID_QUERY: ['invalid', 'The search query is not valid'],
  SEARCH_ENGINE_UNAVAILABLE: ['unavailable', 'The search engine cannot be reached; try again'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type SearchErrorCode = keyof typeof SEARCH_ERRORS

export function searchError(
  code: SearchErrorCode,
  detail?: string,
  opts: { cause?: unknown; details?: Record<string, unknown> } = {},
): AppError {
  const [kind, message] = SEARCH_ERRORS[code]
  return new AppError(code, kind, detail ? `${message}: ${detail}` : message, opts)
}
