import { AppError } from '../../shared/errors.js'

export const AUDIT_ERRORS = {
  BAD_RANGE: 'AUDIT_BAD_RANGE',
  NO_CHECKPOINT: 'AUDIT_NO_CHECKPOINT',
  INVALID_RECORD: 'AUDIT_INVALID_RECORD',
  UNAVAILABLE: 'AUDIT_UNAVAILABLE',
} as const

export const auditError = (
  code: (typeof AUDIT_ERRORS)[keyof typeof AUDIT_ERRORS],
  kind: AppError['kind'],
  message: string,
  cause?: unknown,
): AppError => new AppError(code, kind, message, cause === undefined ? {} : { cause })
