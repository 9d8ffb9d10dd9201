import fc from 'fast-check'
import { HOSTILE_NUMBERS, hostileString, hostileValue } from './hostile.js'

/** The subset of JSON Schema that @fastify/swagger emits for our TypeBox schemas. */
export interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  pattern?: string
  format?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
}

export interface SchemaArbOptions {
  /** Relative weight of a hostile value at each node (valid value: 10). */
  readonly hostileWeight: number
  /** Values seen in earlier responses (ids), offered for string fields. */
  readonly knownStrings: () => readonly string[]
}

const patterned = (pattern: string, maxLength: number | undefined): fc.Arbitrary<string> => {
  try {
    const arb = fc.stringMatching(new RegExp(pattern))
    return maxLength === undefined ? arb : arb.filter((s) => s.length <= maxLength)
  } catch {
    return fc.string({ maxLength: maxLength ?? 20 })
  }
}

function stringArb(s: JsonSchema, opts: SchemaArbOptions): fc.Arbitrary<string> {
  if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
  if (s.format === 'date') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10))
  if (s.format === 'uri' || s.format === 'url') return fc.webUrl()
  if (s.format === 'email') return fc.emailAddress()
  const base = s.pattern
    ? patterned(s.pattern, s.maxLength)
    : fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 24, 64) })
  return fc.oneof(
    { weight: 4, arbitrary: base },
    // an id an earlier response returned, so handlers get past "not found"
    { weight: 1, arbitrary: fc.constant(null).map(() => pick(opts.knownStrings()) ?? 'x') },
  )
}

let pickCounter = 0
/** Deterministic for a seeded run: the pool grows in request order. */
function pick(pool: readonly string[]): string | undefined {
  if (pool.length === 0) return undefined
  pickCounter = (pickCounter * 1103515245 + 12345) % 2 ** 31
  return pool[pickCounter % pool.length]
}

function numberArb(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000)
  const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000)
  if (integer) return fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) })
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
}

/** A value that mostly satisfies the schema, with hostile values mixed in at any depth. */
export function schemaArb(
  s: JsonSchema | undefined,
  opts: SchemaArbOptions,
  depth = 0,
): fc.Arbitrary<unknown> {
  const valid = validArb(s ?? {}, opts, depth)
  if (opts.hostileWeight <= 0) return valid
  // Mostly a hostile value of the expected type (it passes the type check and reaches the handler
  // and the database), sometimes a value of any type.
  const type = Array.isArray(s?.type) ? s.type[0] : s?.type
  const sameType =
    type === 'string'
      ? hostileString()
      : type === 'integer' || type === 'number'
        ? fc.constantFrom(...HOSTILE_NUMBERS)
        : hostileValue()
  return fc.oneof(
    { weight: 10, arbitrary: valid },
    { weight: opts.hostileWeight, arbitrary: sameType },
    { weight: 1, arbitrary: hostileValue() },
  )
}

function validArb(s: JsonSchema, opts: SchemaArbOptions, depth: number): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const)
  if (s.enum) return fc.constantFrom(...s.enum)
  const alternatives = s.anyOf ?? s.oneOf
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => schemaArb(a, opts, depth + 1)))
  if (s.allOf?.length) return schemaArb(Object.assign({}, ...s.allOf) as JsonSchema, opts, depth + 1)
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : []
  if (types.length > 1) return fc.oneof(...types.map((t) => validArb({ ...s, type: t }, opts, depth)))
  if (depth > 6) return fc.constant(null)
  switch (types[0]) {
    case 'string':
      return stringArb(s, opts)
    case 'integer':
      return numberArb(s, true)
    case 'number':
      return numberArb(s, false)
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(schemaArb(s.items, opts, depth + 1), {
        minLength: Math.min(s.minItems ?? 0, 5),
        maxLength: Math.min(Math.max(s.maxItems ?? 3, s.minItems ?? 0), 5),
      })
    case 'object':
    case undefined:
    default: {
      const props = s.properties ?? {}
      const required = new Set(s.required ?? [])
      const record: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [k, v] of Object.entries(props)) record[k] = schemaArb(v, opts, depth + 1)
      if (Object.keys(record).length === 0)
        return types[0] === 'object' ? fc.constant({}) : fc.jsonValue({ maxDepth: 2 })
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) })
    }
  }
}
