import { AppError, type ErrorKind } from '../../shared/errors.js'

/** Every code a risk command can fail with, its kind, and what to tell the caller (docs/errors.md). */
export const RISK_ERRORS = {
  RISK_MODEL_NOT_FOUND: ['not_found', 'No such risk model in this tenant'],
  RISK_NO_LIVE_MODEL: ['conflict', 'No risk model is live: train one and promote it through the gate'],
  RISK_NOT_ENOUGH_LABELS: [
    'conflict',
    'Not enough labelled history to train (confirmed cases and imported labels, before and after the split)',
  ],
  RISK_INVALID_INPUT: ['invalid', 'The request is not valid'],
  RISK_TRAINING_IN_PROGRESS: [
    'conflict',
    'A model is already being trained for this tenant: wait for it (GET /v1/risk/models lists it when done)',
  ],
  RISK_PROMOTION_REFUSED: [
    'conflict',
    'The model does not beat the live configuration on the time-split holdout at the same alert budget',
  ],
  RISK_MODEL_NOT_SHADOW: ['conflict', 'Only a shadow model can be promoted or retired'],
  RISK_OPERATOR_REQUIRED: ['forbidden', 'Promoting a model needs a signed-in operator (not an API key)'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type RiskErrorCode = keyof typeof RISK_ERRORS

export function riskError(code: RiskErrorCode, detail?: string, details?: Record<string, unknown>): AppError {
  const [kind, message] = RISK_ERRORS[code]
  return new AppError(code, kind, detail ? `${message}: ${detail}` : message, details ? { details } : {})
}
