import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isConnectionLoss } from '../shared/db/retry.js'
import { AppError, isAppError } from '../shared/errors.js'
import { apiError } from './api.errors.js'
import { loggableError } from './error-log.js'
import { describePattern } from './schemas.js'
import { STATUS_BY_CODE, STATUS_BY_KIND } from './error-status.js'

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number]

/**
 * The values a field may take when it failed a fixed set: a union of literals fails each branch with
 * `must be equal to constant` (one `const` issue per branch, at the same path) and an `enum` with
 * its list. Without this the client reads "must be equal to constant" and has to guess which.
 */
export function allowedValues(
  issues: readonly ValidationIssue[],
  at: string | undefined,
): string[] | undefined {
  const here = issues.filter((i) => i.instancePath === (at ?? ''))
  const fromEnum = here.find((i) => i.keyword === 'enum')?.params.allowedValues
  if (Array.isArray(fromEnum)) return fromEnum.map(String)
  const consts = here.filter((i) => i.keyword === 'const').map((i) => String(i.params.allowedValue))
  return consts.length > 0 ? consts : undefined
}

/** Fastify's own errors, translated to stable codes that say what to fix. */
function fromFastify(err: FastifyError): AppError | undefined {
  if (err.validation) {
    const first = err.validation[0]
    const where = err.validationContext ?? 'body'
    const path = first?.instancePath ? `${where}${first.instancePath.replace(/\//g, '.')}` : where
    let message = `${path} ${first?.message ?? 'is invalid'}`
    const readable = first?.keyword === 'pattern' ? describePattern(String(first.params.pattern)) : undefined
    if (readable) message = `${path} ${readable}`
    if (first?.keyword === 'additionalProperties') {
      message = `${path} has an unknown field "${String((first.params as { additionalProperty?: string }).additionalProperty)}"`
    }
    const allowed = allowedValues(err.validation, first?.instancePath)
    if (allowed) message = `${path} must be one of: ${allowed.join(', ')}`
    return new AppError('VALIDATION_ERROR', 'invalid', message)
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return apiError('INVALID_JSON', err.message)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return apiError('BODY_TOO_LARGE')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
    case 'FST_ERR_CTP_EMPTY_TYPE':
      return apiError('UNSUPPORTED_MEDIA_TYPE')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return apiError('INVALID_CONTENT_LENGTH')
    case 'FST_ERR_BAD_URL':
      return apiError('INVALID_URL')
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return apiError('URL_PARAM_TOO_LONG', 'at most 100 characters')
    default:
      break
  }
  // JSON.parse's own errors (and the prototype-poisoning guard's) carry a 400 status and no code.
  if (err instanceof SyntaxError) return apiError('INVALID_JSON', err.message)
  // Any other client error of Fastify's, in our shape under one documented code.
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return apiError('BAD_REQUEST', err.message)
  return undefined
}

const INTERNAL_MESSAGE = 'Internal error; it has been logged.'

export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  const appError = isAppError(err)
    ? err
    : isConnectionLoss(err)
      ? // The pool has already replaced the connection: the request may be retried as it is.
        new AppError('DATABASE_UNAVAILABLE', 'unavailable', 'The database connection was lost; retry.')
      : fromFastify(err as FastifyError)
  if (!appError) {
    return {
      status: 500,
      internal: true,
      body: { error: { code: 'INTERNAL', message: INTERNAL_MESSAGE } },
    }
  }
  const status = STATUS_BY_CODE[appError.code] ?? STATUS_BY_KIND[appError.kind] ?? 500
  if (status === 500) {
    // An internal failure's message and details may name tables, SQL or parameters: log, never answer them.
    return { status, internal: true, body: { error: { code: appError.code, message: INTERNAL_MESSAGE } } }
  }
  const body: ErrorBody = { error: { code: appError.code, message: appError.message } }
  if (appError.details) body.error.details = { ...appError.details }
  return { status, body, internal: status >= 500 }
}

export function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body, internal } = toErrorResponse(err)
  if (internal) req.log.error({ err: loggableError(err) }, 'unhandled error')
  void reply.status(status).send(body)
}
