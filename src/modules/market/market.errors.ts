import { AppError } from '../../shared/errors.js'

export const invalidTick = (message: string): AppError =>
  new AppError('MARKET_INVALID_TICK', 'invalid', message)
export const invalidRule = (message: string): AppError =>
  new AppError('MARKET_INVALID_RULE', 'invalid', message)
export const ruleNotFound = (id: string): AppError =>
  new AppError('MARKET_RULE_NOT_FOUND', 'not_found', `No alert rule ${id}.`)
