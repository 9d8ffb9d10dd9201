import { createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request an endpoint received. */
export interface Received {
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
  readonly at: number
}

export type Responder = (req: Received) => { status: number; body?: string; delayMs?: number }

/**
 * A real HTTP server standing in for tenants' endpoints. Each path answers through its responder
 * (default 204), so one receiver serves many endpoints.
 */
export interface WebhookReceiver {
  readonly url: string
  readonly received: Received[]
  on(path: string, responder: Responder): void
  for(path: string): Received[]
  close(): Promise<void>
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = []
  const responders = new Map<string, Responder>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r: Received = {
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      }
      received.push(r)
      const responder: Responder = responders.get(r.path) ?? (() => ({ status: 204 }))
      const answer = responder(r)
      const send = () => {
        if (res.destroyed) return
        res.writeHead(answer.status, { 'content-type': 'text/plain' })
        res.end(answer.body ?? '')
      }
      if (answer.delayMs) setTimeout(send, answer.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    on: (path, responder) => responders.set(path, responder),
    for: (path) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * Standard Webhooks verification as a receiver implements it, written from the specification
 * (independently of the module's signer): HMAC-SHA256 keyed by the base64-decoded secret over
 * `${webhook-id}.${webhook-timestamp}.${body}`, compared with any "v1,<sig>" in the header.
 */
export function verifyStandardWebhook(
  secret: string,
  r: Received,
  toleranceSec = 300,
  nowSec?: number,
): boolean {
  const id = String(r.headers['webhook-id'] ?? '')
  const ts = String(r.headers['webhook-timestamp'] ?? '')
  const header = String(r.headers['webhook-signature'] ?? '')
  if (!id || !/^[0-9]+$/.test(ts) || !header) return false
  if (nowSec !== undefined && Math.abs(nowSec - Number(ts)) > toleranceSec) return false
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${r.body}`).digest()
  return header.split(' ').some((part) => {
    const [version, sig] = part.split(',')
    if (version !== 'v1' || !sig) return false
    const got = Buffer.from(sig, 'base64')
    return got.length === expected.length && timingSafeEqual(got, expected)
  })
}
