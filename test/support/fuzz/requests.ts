import fc from 'fast-check'
import { deepJson, hostileString } from './hostile.js'
import { schemaArb, type JsonSchema, type SchemaArbOptions } from './schema-arbitrary.js'

/** One operation of the OpenAPI document, reduced to what the fuzzer needs. */
export interface Operation {
  readonly method: string
  /** OpenAPI template: /v1/accounts/{id} */
  readonly path: string
  readonly pathParams: Readonly<Record<string, JsonSchema>>
  readonly query: Readonly<Record<string, JsonSchema>>
  readonly body: JsonSchema | undefined
  readonly public: boolean
}

export interface FuzzRequest {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly payload?: string
  /** Which strategy built it (reported with a failure). */
  readonly kind: string
}

interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>
}
interface OpenApiOperation {
  parameters?: { in: string; name: string; schema?: JsonSchema }[]
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
  security?: unknown[]
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const pathParams: Record<string, JsonSchema> = {}
      const query: Record<string, JsonSchema> = {}
      for (const p of op.parameters ?? []) {
        if (p.in === 'path') pathParams[p.name] = p.schema ?? { type: 'string' }
        if (p.in === 'query') query[p.name] = p.schema ?? { type: 'string' }
      }
      const content = op.requestBody?.content
      const body = content?.['application/json']?.schema ?? (content ? {} : undefined)
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams,
        query,
        body,
        public: Array.isArray(op.security) && op.security.length === 0,
      })
    }
  }
  return ops
}

/** A request body signed the way a route's caller signs it (gateway and bank webhooks). */
export type Signer = (body: string) => Record<string, string>

export interface RequestOptions extends SchemaArbOptions {
  /** Authorization header value for a key that may call every route. */
  readonly authorization: string
  /** Signers by concrete path (e.g. /v1/webhooks/sandbox), used for most requests to that path. */
  readonly signers: Readonly<Record<string, Signer>>
}

const PATH_TRICKS: readonly string[] = [
  '%E0%A4%A', // malformed percent-encoding
  '%',
  '%zz',
  '%00',
  '%ED%A0%80', // a lone surrogate, UTF-8 encoded (invalid UTF-8)
  '%C0%AF',
  '..%2F..%2Fetc',
  'x'.repeat(101), // over find-my-way's maxParamLength
  'y'.repeat(5000),
  '%F0%9F%98%80',
]

const CONTENT_TYPES: readonly string[] = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/xml',
  'application/json, text/plain',
  '',
  'application/jsonx',
]

const RAW_BODIES: readonly string[] = [
  'null',
  'true',
  '1',
  '"x"',
  '[]',
  '{',
  'not json',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '1e400',
  '{"amount":1e400}',
  '\u0000',
  '{"x":"\\u0000"}',
  '{"x":"\\ud800"}',
  '\ufeff{}',
  deepJson(2_000),
  deepJson(20_000),
  deepJson(20_000, '{"a":', '}').replace(/}+$/, (m) => `1${m}`),
  `{"big":"${'z'.repeat(200_000)}"}`,
  `[${'1,'.repeat(100_000)}1]`,
]

function fillPath(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? 'x')
}

function queryString(values: Record<string, unknown>): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue
    const list = Array.isArray(v) ? v : [v]
    for (const item of list) {
      const s = typeof item === 'string' ? item : (JSON.stringify(item) ?? '')
      parts.push(`${percentEncode(k)}=${percentEncode(s)}`)
    }
  }
  return parts.length ? `?${parts.join('&')}` : ''
}

/** encodeURIComponent, except that a lone surrogate is sent as its WTF-8 bytes (what a buggy client sends). */
export function percentEncode(s: string): string {
  try {
    return encodeURIComponent(s)
  } catch {
    let out = ''
    for (const ch of s) {
      const u = ch.charCodeAt(0)
      out +=
        ch.length === 1 && u >= 0xd800 && u <= 0xdfff
          ? [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
              .map((b) => `%${b.toString(16).toUpperCase()}`)
              .join('')
          : encodeURIComponent(ch)
    }
    return out
  }
}

/** Safe for any string: JSON.stringify escapes lone surrogates, so the server decodes them back. */
const json = (v: unknown): string => JSON.stringify(v) ?? 'null'

/** Every way of calling one operation: mostly-valid requests, then raw-body, header and path attacks. */
export function requestArb(op: Operation, opts: RequestOptions): fc.Arbitrary<FuzzRequest> {
  const paramArbs: Record<string, fc.Arbitrary<string>> = {}
  for (const [name, schema] of Object.entries(op.pathParams)) {
    paramArbs[name] = fc.oneof(
      {
        weight: 8,
        arbitrary: schemaArb(schema, opts).map((v) => percentEncode(typeof v === 'string' ? v : json(v))),
      },
      { weight: 2, arbitrary: fc.constantFrom(...PATH_TRICKS) },
    )
  }
  const queryArbs: Record<string, fc.Arbitrary<unknown>> = {}
  for (const [name, schema] of Object.entries(op.query)) queryArbs[name] = schemaArb(schema, opts)
  const pathArb = fc.record(paramArbs).map((v) => fillPath(op, v))
  const queryArb = fc.record(queryArbs, { requiredKeys: [] }).map(queryString)
  const bodyArb = op.body ? schemaArb(op.body, opts).map(json) : fc.constant(undefined)
  // Schema-valid requests create resources whose ids later requests reuse, so handlers run deep.
  const cleanOpts = { ...opts, hostileWeight: 0 }
  const cleanBody = op.body ? schemaArb(op.body, cleanOpts).map(json) : fc.constant(undefined)
  const cleanQuery = fc
    .record(Object.fromEntries(Object.entries(op.query).map(([k, v]) => [k, schemaArb(v, cleanOpts)])), {
      requiredKeys: [],
    })
    .map(queryString)
  const signer = (url: string): Signer | undefined => opts.signers[url.split('?')[0] ?? '']

  const auth = (url: string, payload: string | undefined): Record<string, string> => {
    const sign = signer(url)
    if (sign) return sign(payload ?? '')
    return op.public ? {} : { authorization: opts.authorization }
  }
  const jsonHeaders = (payload: string | undefined): Record<string, string> =>
    payload === undefined ? {} : { 'content-type': 'application/json' }

  const mostlyValid = fc
    .tuple(pathArb, queryArb, bodyArb, fc.option(hostileString(), { nil: undefined }))
    .map(([path, query, payload, idem]): FuzzRequest => ({
      kind: 'schema',
      method: op.method,
      url: path + query,
      headers: {
        ...jsonHeaders(payload),
        ...auth(path, payload),
        ...(idem === undefined || /[^\t\x20-\x7e\x80-\xff]/.test(idem) ? {} : { 'idempotency-key': idem }),
      },
      ...(payload === undefined ? {} : { payload }),
    }))
  const clean = fc.tuple(pathArb, cleanQuery, cleanBody).map(([path, query, payload]): FuzzRequest => ({
    kind: 'valid',
    method: op.method,
    url: path + query,
    headers: {
      ...jsonHeaders(payload),
      ...auth(path, payload),
      'idempotency-key': `fuzz-${path.length}-${payload?.length ?? 0}`,
    },
    ...(payload === undefined ? {} : { payload }),
  }))
  const rawBody = fc.tuple(pathArb, fc.constantFrom(...RAW_BODIES)).map(([path, payload]): FuzzRequest => ({
    kind: 'raw-body',
    method: op.method,
    url: path,
    headers: { 'content-type': 'application/json', ...auth(path, payload) },
    payload,
  }))
  const contentType = fc
    .tuple(pathArb, bodyArb, fc.constantFrom(...CONTENT_TYPES))
    .map(([path, payload, type]): FuzzRequest => ({
      kind: 'content-type',
      method: op.method,
      url: path,
      headers: { ...auth(path, payload ?? '{}'), ...(type ? { 'content-type': type } : {}) },
      payload: payload ?? '{}',
    }))
  const headerTricks = fc
    .tuple(
      pathArb,
      bodyArb,
      fc.constantFrom(
        { authorization: 'Bearer ' },
        { authorization: 'Bearer mk_' + 'a'.repeat(5000) },
        { authorization: "Bearer ' OR 1=1 --" },
        { authorization: 'Basic Zm9vOmJhcg==' },
        { authorization: 'Bearer ses_%00' },
        { 'idempotency-key': 'k'.repeat(10_000) },
        { 'idempotency-key': '' },
        { 'x-forwarded-for': '1.1.1.1, 2.2.2.2, ::1' },
        { 'content-length': '0' },
        { accept: 'application/xml' },
        { 'accept-encoding': 'gzip, deflate, br, zstd' },
        { 'webhook-id': 'evt', 'webhook-timestamp': '99999999999999', 'webhook-signature': 'v1,AAAA' },
      ),
    )
    .map(([path, payload, extra]): FuzzRequest => {
      const headers: Record<string, string> = { ...jsonHeaders(payload), ...auth(path, payload) }
      // The auth trick replaces our key; any other trick is added to a valid request.
      Object.assign(headers, extra)
      return {
        kind: 'header',
        method: op.method,
        url: path,
        headers,
        ...(payload === undefined || 'content-length' in extra ? {} : { payload }),
      }
    })
  const arbs: { weight: number; arbitrary: fc.Arbitrary<FuzzRequest> }[] = [
    { weight: 9, arbitrary: mostlyValid },
    { weight: 4, arbitrary: clean },
    { weight: 2, arbitrary: headerTricks },
  ]
  if (op.body || op.method !== 'GET') {
    arbs.push({ weight: 3, arbitrary: rawBody }, { weight: 1, arbitrary: contentType })
  }
  return fc.oneof(...arbs)
}
