import { createHmac } from 'node:crypto'
import type { Exchange, HttpClient } from './http.js'

/** Standard Webhooks: "v1,<base64 HMAC-SHA256(id.timestamp.body)>" keyed with the bytes after whsec_. */
export function signStandardWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

/** The headers of one delivery of `body` to /v1/webhooks/sandbox, signed with `secret`. */
export const sandboxWebhookHeaders = (
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> => ({
  'content-type': 'application/json',
  'webhook-id': id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signStandardWebhook(secret, id, timestamp, body),
})

/** The sandbox gateway's event (docs/payments.md), delivered as the gateway would: signed, no API key. */
export function postSandboxEvent(
  http: HttpClient,
  secret: string,
  event: { readonly id: string } & Record<string, unknown>,
): Promise<Exchange> {
  const body = JSON.stringify(event)
  return http.request('POST', '/v1/webhooks/sandbox', {
    token: null,
    rawBody: body,
    headers: sandboxWebhookHeaders(secret, event.id, Math.floor(Date.now() / 1000), body),
  })
}
