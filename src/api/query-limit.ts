import { Type } from '@sinclair/typebox'
import { AppError } from '../shared/errors.js'

/**
 * A `limit` query parameter. Query values arrive as strings and the validator does not coerce types
 * (server.ts), so a querystring typed integer refused every value, `?limit=5` included: limits are
 * strings of digits, converted and range-checked here (INVALID_LIMIT).
 */
export const LimitQuery = (max: number) => Type.String({ pattern: '^[0-9]{1,7}$', description: `1–${max}` })

export function parseLimit(raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!(n >= 1 && n <= max)) throw new AppError('INVALID_LIMIT', 'invalid', `limit must be from 1 to ${max}.`)
  return n
}
