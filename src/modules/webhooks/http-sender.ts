import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { guardedLookup, isPrivateAddress } from './url-guard.js'

/** What one POST to an endpoint produced. `statusCode` is null when no response came back. */
export interface SendResult {
  readonly statusCode: number | null
  readonly latencyMs: number
  readonly error: string | null
  readonly responseBody: string | null
}

export interface SendRequest {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export type Sender = (req: SendRequest) => Promise<SendResult>

export interface SenderOptions {
  readonly timeoutMs: number
  readonly allowPrivate: boolean
  /** Most response-body bytes kept for the delivery log. */
  readonly responseBodyMax: number
  readonly userAgent: string
  /** Sockets per origin; keep-alive makes a busy endpoint cheap. */
  readonly maxSockets?: number
  /**
   * Keep response bodies from private addresses (reachable only with allowPrivate). Default false:
   * a tenant must not read our internal services' answers through the delivery log or a test call.
   */
  readonly keepPrivateResponseBodies?: boolean
}

/** Stands in for the body of a response that came from a private address. */
export const WITHHELD_BODY = '<withheld: the endpoint is a private address>'

/**
 * POSTs with node:http(s) rather than fetch so the connection-time DNS answer can be checked
 * (the SSRF guard) and redirects are never followed (a 3xx is a failed attempt, as in Standard
 * Webhooks providers). The timeout covers the whole exchange, headers and body.
 */
export function createSender(o: SenderOptions): { send: Sender; close(): void } {
  const agentOptions = {
    keepAlive: true,
    maxSockets: o.maxSockets ?? 64,
    ...(o.allowPrivate ? {} : { lookup: guardedLookup }),
  }
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) }
  const send: Sender = (req) =>
    new Promise((resolve) => {
      const started = performance.now()
      const done = (statusCode: number | null, error: string | null, responseBody: string | null) =>
        resolve({ statusCode, latencyMs: Math.round(performance.now() - started), error, responseBody })
      let url: URL
      try {
        url = new URL(req.url)
      } catch {
        return done(null, 'invalid url', null)
      }
      const host = url.hostname.replace(/^\[|\]$/g, '')
      // A literal address skips the lookup, so it is checked here.
      if (!o.allowPrivate && isIP(host) && isPrivateAddress(host))
        return done(null, `${host} is a private address`, null)
      const secure = url.protocol === 'https:'
      const signal = AbortSignal.timeout(o.timeoutMs)
      const request = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          agent: secure ? agents.https : agents.http,
          signal,
          headers: {
            ...req.headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(req.body),
            'user-agent': o.userAgent,
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          let kept = 0
          res.on('data', (chunk: Buffer) => {
            if (kept < o.responseBodyMax) {
              chunks.push(chunk.subarray(0, o.responseBodyMax - kept))
              kept += Math.min(chunk.length, o.responseBodyMax - kept)
            }
          })
          // the address actually connected to, not the one the name resolved to at registration
          const peer = res.socket.remoteAddress
          const withhold = !o.keepPrivateResponseBodies && (peer === undefined || isPrivateAddress(peer))
          const body = (): string => (withhold ? WITHHELD_BODY : Buffer.concat(chunks).toString('utf8'))
          res.on('end', () => done(res.statusCode ?? null, null, body()))
          res.on('error', (err) => done(res.statusCode ?? null, describe(err, signal), body()))
        },
      )
      request.on('error', (err) => done(null, describe(err, signal), null))
      request.end(req.body)
    })
  return {
    send,
    close() {
      agents.http.destroy()
      agents.https.destroy()
    },
  }
}

function describe(err: Error, signal: AbortSignal): string {
  if (signal.aborted) return 'timeout'
  const code = (err as NodeJS.ErrnoException).code
  return code ? `${code}: ${err.message}` : err.message
}
