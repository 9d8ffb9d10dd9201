import { analyticsError } from './analytics.errors.js'

/** A fraud query's parameter: integers (counts, minutes, days, minor units) or UTC instants. */
export type ParamSpec =
  | {
      readonly type: 'int'
      readonly default: number
      readonly min: number
      readonly max: number
      readonly doc: string
    }
  | { readonly type: 'bigint'; readonly default: bigint; readonly min: bigint; readonly doc: string }
  | { readonly type: 'timestamp'; readonly default: string; readonly doc: string }

export type ParamValue = number | bigint | string
export type ParamSpecs = Readonly<Record<string, ParamSpec>>

/** Every query takes a period and a row limit. */
export const COMMON_PARAMS = {
  from: {
    type: 'timestamp',
    default: '1970-01-01T00:00:00Z',
    doc: 'start of the period (inclusive, ISO 8601)',
  },
  to: { type: 'timestamp', default: '9999-12-31T00:00:00Z', doc: 'end of the period (exclusive, ISO 8601)' },
  limit: { type: 'int', default: 100, min: 1, max: 100_000, doc: 'most rows returned' },
} as const satisfies ParamSpecs

const INTEGER = /^-?\d{1,19}$/

/**
 * Validates raw parameters (strings from the CLI or JSON values from HTTP) against the specs and
 * fills defaults. Instants become `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, the one literal form both
 * engines read the same way.
 */
export function resolveParams(
  specs: ParamSpecs,
  raw: Readonly<Record<string, unknown>>,
): Record<string, ParamValue> {
  for (const k of Object.keys(raw)) {
    if (!(k in specs))
      throw analyticsError(
        'ANALYTICS_INVALID_PARAMS',
        `unknown parameter "${k}"; known: ${Object.keys(specs).join(', ')}`,
      )
  }
  const out: Record<string, ParamValue> = {}
  for (const [name, spec] of Object.entries(specs)) {
    const v = raw[name]
    out[name] = v === undefined || v === null || v === '' ? defaultOf(spec) : parse(name, spec, v)
  }
  return out
}

function defaultOf(spec: ParamSpec): ParamValue {
  return spec.type === 'timestamp' ? utcLiteral('', spec.default) : spec.default
}

function parse(name: string, spec: ParamSpec, v: unknown): ParamValue {
  const text =
    typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v).trim() : null
  if (text === null) throw analyticsError('ANALYTICS_INVALID_PARAMS', `"${name}" must be a ${spec.type}`)
  switch (spec.type) {
    case 'int': {
      const n = Number(text)
      if (!INTEGER.test(text) || n < spec.min || n > spec.max)
        throw analyticsError(
          'ANALYTICS_INVALID_PARAMS',
          `"${name}" must be an integer from ${spec.min} to ${spec.max}`,
        )
      return n
    }
    case 'bigint': {
      if (!INTEGER.test(text) || BigInt(text) < spec.min || BigInt(text) > 9_223_372_036_854_775_807n)
        throw analyticsError(
          'ANALYTICS_INVALID_PARAMS',
          `"${name}" must be an integer ≥ ${spec.min} (minor units)`,
        )
      return BigInt(text)
    }
    case 'timestamp':
      return utcLiteral(name, text)
  }
}

function utcLiteral(name: string, text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ]([\d:.]+)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text)
  // A time without a zone is UTC here, never the server's local time.
  const ms = m ? Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${m[3] ?? 'Z'}`) : NaN
  if (Number.isNaN(ms))
    throw analyticsError('ANALYTICS_INVALID_PARAMS', `"${name}" must be an ISO 8601 date or instant`)
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000')
}
