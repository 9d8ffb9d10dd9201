import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isConnectionLoss } from '../shared/db/retry.js'
import { AppError, isAppError } from '../shared/errors.js'
import { loggableError } from './error-log.js'
import { STATUS_BY_KIND } from './error-status.js'

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

/** Fastify's own errors, translated to stable codes that say what to fix. */
function fromFastify(err: FastifyError): AppError | undefined {
  if (err.validation) {
    const first = err.validation[0]
    const where = err.validationContext ?? 'body'
    const path = first?.instancePath ? `${where}${first.instancePath.replace(/\//g, '.')}` : where
    let message = `${path} ${first?.message ?? 'is invalid'}`
    if (first?.keyword === 'additionalProperties') {
      message = `${path} has an unknown field "${String((first.params as { additionalProperty?: string }).additionalProperty)}"`
    }
    return new AppError('VALIDATION_ERROR', 'invalid', message)
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('INVALID_JSON', 'invalid', `The request body is not valid JSON: ${err.message}`)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        'BODY_TOO_LARGE',
        'too_large',
        'The request body is larger than the server accepts.',
      )
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'invalid', 'Send the body as application/json.')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('INVALID_CONTENT_LENGTH', 'invalid', 'Content-Length does not match the body.')
    default:
      break
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError(err.code ?? 'BAD_REQUEST', 'invalid', err.message)
  }
  return undefined
}

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
      body: { error: { code: 'INTERNAL', message: 'Internal error; it has been logged.' } },
    }
  }
  const status = appError.code === 'UNSUPPORTED_MEDIA_TYPE' ? 415 : (STATUS_BY_KIND[appError.kind] ?? 500)
  const body: ErrorBody = { error: { code: appError.code, message: appError.message } }
  if (appError.details) body.error.details = { ...appError.details }
  return { status, body, internal: status >= 500 }
}

export function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body, internal } = toErrorResponse(err)
  if (internal) req.log.error({ err: loggableError(err) }, 'unhandled error')
  void reply.status(status).send(body)
}
