import type { HttpClient } from './http.js'

export interface Operation {
  readonly method: string
  /** OpenAPI template: /v1/payments/{id}/refunds */
  readonly path: string
  readonly params: readonly string[]
  /** `security: []` on the operation: it authenticates by other means (health, login, signed webhooks). */
  readonly public: boolean
  readonly hasBody: boolean
  /** The JSON request body schema, when the operation declares one. */
  readonly bodySchema: unknown
}

interface OpenApiDoc {
  paths?: Record<
    string,
    Record<string, { security?: unknown[]; requestBody?: { content?: Record<string, { schema?: unknown }> } }>
  >
  security?: unknown[]
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete'])

/** Every operation of the target's own OpenAPI document (GET /docs/json). */
export async function listOperations(http: HttpClient): Promise<Operation[]> {
  const res = await http.request('GET', '/docs/json', { token: null })
  if (res.status !== 200 || typeof res.body !== 'object') {
    throw new Error(`GET /docs/json → ${res.status}: the target does not serve its OpenAPI document`)
  }
  const doc = res.body as OpenApiDoc
  const ops: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue
      const security = op.security ?? doc.security ?? []
      ops.push({
        method: method.toUpperCase(),
        path,
        params: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? ''),
        public: Array.isArray(security) && security.length === 0,
        hasBody: op.requestBody !== undefined,
        bodySchema: op.requestBody?.content?.['application/json']?.schema,
      })
    }
  }
  return ops
}

/** Fills each {param} from `value(param, collection)`; the collection is the path before it (/v1/payments). */
export function fillPath(op: Operation, value: (param: string, collection: string) => string): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string, offset: number) =>
    encodeURIComponent(value(name, op.path.slice(0, Math.max(0, offset - 1)))),
  )
}

/** Values tried in turn for a string field until one fits its pattern and length. */
const STRING_SAMPLES = [
  'attack',
  '100',
  'USD',
  'US',
  'ATKUSD',
  'attack_list',
  'https://attack.example/hook',
  'attack@example.com',
  '2026-01-01T00:00:00.000Z',
  '4242424242424242',
]

/** A body that satisfies a JSON schema's required fields, so a write reaches its lookup, not validation. */
export function sampleBody(schema: unknown, depth = 0): unknown {
  const s = (schema ?? {}) as Record<string, unknown>
  if (depth > 6) return null
  if (s.const !== undefined) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  for (const key of ['anyOf', 'oneOf'] as const) {
    const alts = s[key]
    if (Array.isArray(alts) && alts.length > 0) return sampleBody(alts[0], depth + 1)
  }
  const type = Array.isArray(s.type) ? (s.type as unknown[])[0] : s.type
  switch (type) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>
      const required = Array.isArray(s.required) ? (s.required as string[]) : []
      const out: Record<string, unknown> = {}
      for (const name of required) out[name] = sampleBody(props[name], depth + 1)
      return out
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0
      return Array.from({ length: Math.max(min, 1) }, () => sampleBody(s.items, depth + 1))
    }
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1
    case 'boolean':
      return false
    case 'string': {
      if (s.format === 'date-time') return new Date().toISOString()
      if (s.format === 'uri') return 'https://attack.example/hook'
      if (s.format === 'email') return 'attack@example.com'
      const min = typeof s.minLength === 'number' ? s.minLength : 1
      const fits = (v: string) =>
        v.length >= min &&
        (typeof s.maxLength !== 'number' || v.length <= s.maxLength) &&
        (typeof s.pattern !== 'string' || new RegExp(s.pattern, 'u').test(v))
      return STRING_SAMPLES.find(fits) ?? 'attack'.padEnd(min, 'x')
    }
    default:
      return 'attack'
  }
}
