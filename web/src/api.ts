/**
 * The console's one way to the API: same origin, the session token as a bearer. The token lives in
 * sessionStorage (this tab only, gone when it closes) — never in a cookie, so no request is sent with
 * credentials the page did not attach itself (no CSRF surface).
 */
const TOKEN_KEY = 'moneta.session'

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
}

/** An API error in the catalogue's shape (docs/errors.md). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  opts: { body?: unknown; idempotencyKey?: string; bearer?: string } = {},
): Promise<T> {
  const bearer = opts.bearer ?? token.get()
  const headers: Record<string, string> = { accept: 'application/json' }
  if (bearer) headers.authorization = `Bearer ${bearer}`
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'omit',
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  })
  if (bearer && bearer === token.get() && res.status !== 401) activity.last = Date.now()
  if (res.status === 204) return undefined as T
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } }
  if (!res.ok) {
    if (res.status === 401 && bearer === token.get()) window.dispatchEvent(new Event('moneta:signed-out'))
    throw new ApiError(res.status, json.error?.code ?? 'HTTP_ERROR', json.error?.message ?? res.statusText)
  }
  return json as T
}

/** GET /v1/auth/session: who is signed in and what the role may do. */
export interface Session {
  readonly kind: 'api_key' | 'session'
  readonly tenantId: string
  readonly actor: string
  readonly role: string | null
  readonly email: string | null
  readonly scopes: readonly string[]
  readonly mfaEnrollmentRequired: boolean
  readonly expiresAt: string | null
  /** An operator session ends after this long without a request (null for API keys). */
  readonly idleTimeoutSeconds?: number | null
}

/** When this tab last reached the API with its session: every answered request restarts the idle clock. */
export const activity = { last: Date.now() }

/**
 * Whether the session's grants include a permission (as src/modules/auth/permissions.ts: exact,
 * `area:*` or `*`; the console asks for no explicit-only permission). Only hides what the role cannot do;
 * the API refuses it anyway.
 */
export function can(session: Session, permission: string): boolean {
  const area = permission.split(':')[0]
  return session.scopes.some((g) => g === permission || g === `${area}:*` || g === '*')
}

export const errorText = (e: unknown): string =>
  e instanceof ApiError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e)
