import { redactValue } from '../modules/crypto/index.js'

/**
 * What the log gets of an unexpected (500) error. Database errors carry the statement and its
 * parameters (PGlite: `query`, `params`; pg: `detail` with the offending values, `where`,
 * `internalQuery`), and those are personal data, card numbers and secrets as often as not: only
 * named, value-free fields are kept, strings are scrubbed (card numbers), and causes likewise.
 */
const KEPT = ['code', 'severity', 'routine', 'constraint', 'table', 'column', 'dataType', 'schema'] as const

export function loggableError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err }
  const e = err as Error & Record<string, unknown>
  const out: Record<string, unknown> = {
    type: e.name,
    message: redactValue(e.message),
    stack: redactValue(e.stack ?? ''),
  }
  for (const k of KEPT) if (typeof e[k] === 'string' || typeof e[k] === 'number') out[k] = e[k]
  if (e.cause !== undefined && depth < 3) out.cause = loggableError(e.cause, depth + 1)
  return out
}
