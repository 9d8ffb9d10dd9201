import { randomUUID } from 'node:crypto'

/** One HTTP exchange, kept short enough to quote as evidence. */
export interface Exchange {
  readonly method: string
  readonly path: string
  readonly status: number
  /** Parsed JSON body, or the text when it is not JSON ('' for none). */
  readonly body: unknown
  readonly headers: Headers
}

export interface RequestOptions {
  readonly body?: unknown
  /** A raw body sent as is (webhooks sign the exact bytes). */
  readonly rawBody?: string
  readonly headers?: Record<string, string>
  /** Bearer token; null sends no Authorization header at all; undefined uses the client's token. */
  readonly token?: string | null
  readonly idempotencyKey?: string
  /** On 429, wait Retry-After and try again (default true); bulk guessing turns it off to count 429s. */
  readonly retryRateLimited?: boolean
  /** How long to wait for the answer (default 15 s: a probe); a setup call that trains a model takes longer. */
  readonly timeoutMs?: number
}

/** The attack talks to the target only through this: plain fetch, as an outside client would. */
export interface HttpClient {
  readonly baseUrl: string
  request(method: string, path: string, opts?: RequestOptions): Promise<Exchange>
  /** The same client with another bearer token (another tenant, an operator session). */
  as(token: string | null): HttpClient
  /** How many 429 answers were waited out, for the report. */
  readonly rateLimitWaits: { count: number }
}

const TIMEOUT_MS = 15_000
const MAX_RATE_LIMIT_WAIT_MS = 65_000

export function createHttpClient(baseUrl: string, token: string | null): HttpClient {
  const base = baseUrl.replace(/\/+$/, '')
  const waits = { count: 0 }
  const make = (tok: string | null): HttpClient => ({
    baseUrl: base,
    rateLimitWaits: waits,
    as: (other) => make(other),
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) }
      const bearer = opts.token === undefined ? tok : opts.token
      if (bearer !== null && headers.authorization === undefined) headers.authorization = `Bearer ${bearer}`
      if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey
      let body: string | undefined
      if (opts.rawBody !== undefined) body = opts.rawBody
      else if (opts.body !== undefined) body = JSON.stringify(opts.body)
      if (method === 'GET' || method === 'HEAD') body = undefined
      if (body !== undefined && headers['content-type'] === undefined)
        headers['content-type'] = 'application/json'
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${base}${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS),
        })
        const text = await res.text()
        if (res.status === 429 && opts.retryRateLimited !== false && attempt < 5) {
          waits.count++
          const seconds = Number(res.headers.get('retry-after') ?? '1')
          const ms = Math.min(
            MAX_RATE_LIMIT_WAIT_MS,
            Math.max(250, (Number.isFinite(seconds) ? seconds : 1) * 1000),
          )
          await new Promise((r) => setTimeout(r, ms))
          continue
        }
        let parsed: unknown = text
        try {
          parsed = text ? JSON.parse(text) : ''
        } catch {
          // not JSON: keep the text
        }
        return { method, path, status: res.status, body: parsed, headers: res.headers }
      }
    },
  })
  return make(token)
}

/** `POST /v1/payments → 201 …` with the error code when there is one. */
export function describe(x: Exchange): string {
  const code = errorCode(x)
  return `${x.method} ${x.path} → ${x.status}${code ? ` ${code}` : ''}`
}

export function errorCode(x: Exchange): string | undefined {
  const b = x.body as { error?: { code?: unknown } } | undefined
  return typeof b?.error?.code === 'string' ? b.error.code : undefined
}

export function field<T = unknown>(x: Exchange, name: string): T | undefined {
  const b = x.body as Record<string, unknown> | undefined
  return b && typeof b === 'object' ? (b[name] as T | undefined) : undefined
}

export const idemKey = (): string => `atk-${randomUUID()}`
