import { AppError } from '../../shared/errors.js'

export const ruleSetNotFound = (version: number): AppError =>
  new AppError('MONITORING_RULE_SET_NOT_FOUND', 'not_found', `No rule set version ${version}.`)

export const noActiveRuleSet = (): AppError =>
  new AppError(
    'MONITORING_NO_ACTIVE_RULE_SET',
    'conflict',
    'No rule set is active: save one (moneta rules save) and activate it (moneta rules activate VERSION).',
  )

export const badTransition = (version: number, from: string, to: string): AppError =>
  new AppError(
    'MONITORING_RULE_SET_TRANSITION',
    'conflict',
    `Rule set ${version} is ${from}; it cannot become ${to} (draft → shadow → active, and any of them → retired).`,
  )

export const alertNotFound = (id: string): AppError =>
  new AppError('MONITORING_ALERT_NOT_FOUND', 'not_found', `No alert ${id}.`)

export const invalidTxn = (message: string): AppError =>
  new AppError('MONITORING_TXN_INVALID', 'invalid', message)

export const invalidList = (message: string): AppError =>
  new AppError('MONITORING_LIST_INVALID', 'invalid', message)

export const invalidRange = (message: string): AppError =>
  new AppError('MONITORING_RANGE_INVALID', 'invalid', message)

export const invalidLabel = (message: string): AppError =>
  new AppError('MONITORING_LABEL_INVALID', 'invalid', message)
