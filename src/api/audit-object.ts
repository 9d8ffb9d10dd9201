import { REDACTED, redactValue } from '../modules/crypto/index.js'

/** What a mutating route acts on, derived from its path (docs/audit.md). */
export interface AuditObject {
  /** Static path segments before the object's id, dotted: `payments`, `monitoring.rule-sets`. */
  readonly type: string
  /** The last path parameter's value; else the created object's id from the response; else `*`. */
  readonly id: string
  /** The path after the id (`capture`, `rotate-secret`), else create/put/update/delete by method. */
  readonly verb: string
  /** The object's read route template and concrete URL (`/v1/payments/:id`), when the path has an id. */
  readonly readRoute?: string
  readonly readUrl?: string
}

const METHOD_VERBS: Readonly<Record<string, string>> = {
  POST: 'create',
  PUT: 'put',
  PATCH: 'update',
  DELETE: 'delete',
}

/**
 *   POST   /v1/payments                 → payments:<response id>, create
 *   POST   /v1/payments/:id/capture     → payments:pay_…, capture (before: GET /v1/payments/:id)
 *   PUT    /v1/monitoring/lists/:name   → monitoring.lists:<name>, put
 *   POST   /v1/screening/check          → screening.check:*, create
 */
export function objectOf(
  method: string,
  route: string,
  params: Readonly<Record<string, string>> | undefined,
  response?: unknown,
): AuditObject {
  const segs = route.split('/').filter(Boolean)
  const start = segs[0] === 'v1' ? 1 : 0
  let last = -1
  for (let i = start; i < segs.length; i++) if (segs[i]!.startsWith(':')) last = i
  const verbOf = (tail: readonly string[]): string =>
    tail.length > 0 ? tail.join('.') : (METHOD_VERBS[method] ?? method.toLowerCase())
  if (last < 0) {
    return { type: segs.slice(start).join('.') || 'root', id: idIn(response) ?? '*', verb: verbOf([]) }
  }
  const readSegs = segs.slice(0, last + 1)
  const readRoute = `/${readSegs.join('/')}`
  const readUrl = `/${readSegs
    .map((s) => (s.startsWith(':') ? encodeURIComponent(params?.[s.slice(1)] ?? '') : s))
    .join('/')}`
  return {
    type:
      segs
        .slice(start, last)
        .filter((s) => !s.startsWith(':'))
        .join('.') || 'root',
    id: params?.[segs[last]!.slice(1)] ?? '?',
    verb: verbOf(segs.slice(last + 1)),
    readRoute,
    readUrl,
  }
}

function idIn(response: unknown): string | undefined {
  if (response === null || typeof response !== 'object' || Array.isArray(response)) return undefined
  const r = response as Record<string, unknown>
  for (const k of ['id', 'version', 'token']) {
    const v = r[k]
    if ((typeof v === 'string' && v.length > 0) || typeof v === 'number') return String(v).slice(0, 200)
  }
  return undefined
}

/** Fields that carry personal data in our resources, beyond the keys the redactor already hides. */
const PERSONAL = new Set(
  [
    'names',
    'aliases',
    'addresses',
    'identifiers',
    'nationalId',
    'passport',
    'birthDate',
    'dateOfBirth',
    'holderName',
    'ownerName',
    'counterpartyName',
    'beneficiary',
    'customer',
    'description',
    'narrative',
    'comment',
    'text',
    'query',
  ].map((k) => k.toLowerCase()),
)

const MAX_FIELDS = 24
const MAX_TEXT = 120

/**
 * A before/after summary: top-level fields (one level of nesting), long texts clipped, arrays as
 * counts, secrets, card numbers and personal fields redacted. Enough to see what changed, never a copy.
 */
export function summarize(value: unknown, depth = 0): unknown {
  if (value === undefined) return null
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' && value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value
  }
  if (Array.isArray(value)) return { items: value.length }
  if (depth >= 2) return '{…}'
  const out: Record<string, unknown> = {}
  let n = 0
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (n++ >= MAX_FIELDS) {
      out['…'] = 'more fields'
      break
    }
    out[k] =
      PERSONAL.has(k.toLowerCase()) && v !== null && v !== undefined ? REDACTED : summarize(v, depth + 1)
  }
  return depth === 0 ? redactValue(out) : out
}
