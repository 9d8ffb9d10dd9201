import type { FastifyRequest } from 'fastify'
import { apiError } from './api.errors.js'
import type { ApiApp } from './server.js'

/**
 * Hostile input refused at the edge, once, for every route (issue 15, "Faults and hostile input"):
 *  - JSON nested deeper than MAX_JSON_DEPTH, refused by a linear scan *before* anything recurses
 *    over it (parsers, validators, canonical JSON, jsonb);
 *  - U+0000 and unpaired UTF-16 surrogates in any string of a body, query or path: PostgreSQL
 *    refuses both in text and jsonb, so they would otherwise surface as a 500 deep in a handler
 *    (or, on a gateway webhook, as a 503 the gateway retries forever);
 *  - a literal `null` body (it used to read as "no body" on some routes and as invalid on others);
 *  - integers beyond the 32-bit columns that hold them, for every integer schema without its own
 *    `maximum` (a schema that needs more says so), and date-times in the year 0000.
 */
export const MAX_JSON_DEPTH = 64
const INT32_MAX = 2_147_483_647

export type TextProblem = 'JSON_TOO_DEEP' | 'INVALID_TEXT'

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff
const hex4 = (text: string, at: number): number =>
  /^[0-9a-fA-F]{4}$/.test(text.slice(at, at + 4)) ? Number.parseInt(text.slice(at, at + 4), 16) : -1

/**
 * One pass over JSON text: nesting depth outside strings, and inside strings NUL or a lone surrogate,
 * raw or as a \u escape. Malformed JSON is left to the parser.
 */
export function scanJsonText(text: string, maxDepth = MAX_JSON_DEPTH): TextProblem | undefined {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (!inString) {
      if (c === 0x22) inString = true
      else if (c === 0x5b || c === 0x7b) {
        if (++depth > maxDepth) return 'JSON_TOO_DEEP'
      } else if (c === 0x5d || c === 0x7d) depth--
      continue
    }
    if (c === 0x22) inString = false
    else if (c === 0x5c) {
      if (text.charCodeAt(i + 1) !== 0x75 /* u */) {
        i++
        continue
      }
      const u = hex4(text, i + 2)
      if (u === 0) return 'INVALID_TEXT'
      if (isLow(u)) return 'INVALID_TEXT'
      if (isHigh(u)) {
        const next =
          text.charCodeAt(i + 6) === 0x5c && text.charCodeAt(i + 7) === 0x75 ? hex4(text, i + 8) : -1
        if (!isLow(next)) return 'INVALID_TEXT'
        i += 6
      }
      i += 5
    } else if (c === 0) return 'INVALID_TEXT'
    else if (isHigh(c)) {
      if (!isLow(text.charCodeAt(i + 1))) return 'INVALID_TEXT'
      i++
    } else if (isLow(c)) return 'INVALID_TEXT'
  }
  return undefined
}

/** True when a decoded string holds NUL or an unpaired surrogate. */
export function hasInvalidText(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)
}

function checkStrings(value: unknown, where: string): void {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') {
      if (hasInvalidText(v)) throw apiError('INVALID_TEXT', where)
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (hasInvalidText(k)) throw apiError('INVALID_TEXT', where)
        stack.push(x)
      }
    }
  }
}

/** Refuses a raw body (signed webhooks keep their bytes) whose JSON is too deep or carries bad text. */
export function checkRawJson(raw: Buffer, where = 'body'): void {
  const problem = scanJsonText(raw.toString('utf8'))
  if (problem) throw apiError(problem, where)
}

/** The body must be JSON (for signed webhooks whose sender always sends JSON). */
export function parseRawJsonObject(raw: Buffer): Record<string, unknown> {
  checkRawJson(raw)
  let parsed: unknown
  try {
    parsed = JSON.parse(raw.toString('utf8'))
  } catch {
    throw apiError('INVALID_JSON', 'the signed body is not JSON')
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw apiError('INVALID_JSON', 'the signed body is not a JSON object')
  return parsed as Record<string, unknown>
}

type Schema = Record<string, unknown>

/**
 * Every integer schema without a `maximum` gets the 32-bit bounds of the column that stores it, and
 * every date-time a year PostgreSQL can store.
 */
function capIntegers(schema: unknown): void {
  const stack: unknown[] = [schema]
  const seen = new Set<unknown>()
  while (stack.length > 0) {
    const s = stack.pop()
    if (!s || typeof s !== 'object' || seen.has(s)) continue
    seen.add(s)
    const o = s as Schema
    // Year 0000 passes RFC 3339 but not PostgreSQL's timestamptz (a 500 deep in a query).
    if (o.format === 'date-time' && o.pattern === undefined) o.pattern = '^(?!0000)'
    if (o.type === 'integer') {
      if (o.maximum === undefined && o.exclusiveMaximum === undefined) o.maximum = INT32_MAX
      if (o.minimum === undefined && o.exclusiveMinimum === undefined) o.minimum = -INT32_MAX - 1
    }
    for (const v of Object.values(o)) if (v && typeof v === 'object') stack.push(v)
  }
}

export function registerInputGuards(app: ApiApp): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string
    const problem = scanJsonText(text)
    if (problem) return done(apiError(problem, 'body'), undefined)
    void parseJson(req, text, (err, parsed) => {
      if (err) return done(err, undefined)
      if (parsed === null)
        return done(apiError('VALIDATION_ERROR', 'body must be a JSON object, not null'), undefined)
      done(null, parsed)
    })
  })

  // onRequest, before access control and the audit trail: a NUL in a path must not reach either
  // (a refused request is audited, and the audit log refuses NUL too).
  app.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
    try {
      checkStrings(req.params, 'path')
      checkStrings(req.query, 'query')
    } catch (err) {
      return done(err as Error)
    }
    done()
  })

  app.addHook('onRoute', (route) => {
    const schema = route.schema as Schema | undefined
    if (!schema) return
    for (const part of ['body', 'querystring', 'params', 'headers']) capIntegers(schema[part])
  })
}
