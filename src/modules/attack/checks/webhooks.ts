import { randomBytes } from 'node:crypto'
import { describe, errorCode, field, idemKey, type HttpClient } from '../http.js'
import { createAuthorisedPayment, getPayment, moneyOf, type PaymentView } from '../payments.js'
import { Findings, type Verdict } from '../report.js'
import { sandboxWebhookHeaders } from '../sandbox-webhook.js'

const invalidSignature = (status: number, code: string | undefined): boolean =>
  status === 400 && code === 'WEBHOOK_SIGNATURE_INVALID'

async function waitFor(
  http: HttpClient,
  id: string,
  done: (p: PaymentView) => boolean,
): Promise<PaymentView> {
  let p = (await getPayment(http, id)).body as PaymentView
  for (let i = 0; i < 100 && !done(p); i++) {
    await new Promise((r) => setTimeout(r, 100))
    p = (await getPayment(http, id)).body as PaymentView
  }
  return p
}

/**
 * Forged, stale, tampered and replayed sandbox webhooks. A refund event has a countable effect
 * (amountRefunded), so a replay that applied twice would show.
 */
export async function checkWebhookForgery(http: HttpClient, secret: string | undefined): Promise<Verdict> {
  const f = new Findings()
  const p = await createAuthorisedPayment(http, '1000')
  const cap = await http.request('POST', `/v1/payments/${p.id}/capture`, {
    body: {},
    idempotencyKey: idemKey(),
  })
  const gatewayRef = field<string>(cap, 'gatewayRef')
  f.note(`payment ${p.id} captured (${describe(cap)}), gatewayRef ${gatewayRef}`)
  const now = Math.floor(Date.now() / 1000)
  const eventId = `atk_evt_${randomBytes(8).toString('hex')}`
  // The sandbox gateway's webhook body (docs/payments.md): a refund the gateway reports on its own.
  const event = {
    id: eventId,
    type: 'refund.succeeded',
    created: new Date().toISOString(),
    data: {
      paymentRef: gatewayRef,
      paymentId: p.id,
      objectRef: `atk_re_${randomBytes(8).toString('hex')}`,
      amount: '100',
      currency: 'USD',
    },
  }
  const body = JSON.stringify(event)
  const post = (headers: Record<string, string>, raw = body) =>
    http.request('POST', '/v1/webhooks/sandbox', { token: null, rawBody: raw, headers })

  const unsigned = await post({ 'content-type': 'application/json' })
  f.expect(
    invalidSignature(unsigned.status, errorCode(unsigned)),
    `unsigned: ${describe(unsigned)} (want 400 WEBHOOK_SIGNATURE_INVALID)`,
  )
  const wrongSecret = `whsec_${randomBytes(32).toString('base64')}`
  const forged = await post(sandboxWebhookHeaders(wrongSecret, eventId, now, body))
  f.expect(
    invalidSignature(forged.status, errorCode(forged)),
    `signed with a wrong secret: ${describe(forged)} (want 400 WEBHOOK_SIGNATURE_INVALID)`,
  )
  const garbage = await post({
    ...sandboxWebhookHeaders(wrongSecret, eventId, now, body),
    'webhook-signature': 'v1,not-base64!!',
  })
  f.expect(
    invalidSignature(garbage.status, errorCode(garbage)),
    `malformed signature: ${describe(garbage)} (want 400)`,
  )

  if (!secret) {
    f.expect(
      false,
      "stale / tampered / replayed valid webhooks not tried: pass --sandbox-webhook-secret (the target's MONETA_SANDBOX_WEBHOOK_SECRET)",
    )
    return f.verdict()
  }
  const stale = await post(sandboxWebhookHeaders(secret, eventId, now - 3600, body))
  f.expect(
    invalidSignature(stale.status, errorCode(stale)),
    `right secret, timestamp 1 h old: ${describe(stale)} (want 400)`,
  )
  const future = await post(sandboxWebhookHeaders(secret, eventId, now + 3600, body))
  f.expect(
    invalidSignature(future.status, errorCode(future)),
    `right secret, timestamp 1 h ahead: ${describe(future)} (want 400)`,
  )
  const signed = sandboxWebhookHeaders(secret, eventId, now, body)
  const tampered = await post(signed, body.replace('"amount":"100"', '"amount":"900"'))
  f.expect(
    invalidSignature(tampered.status, errorCode(tampered)),
    `valid signature, amount changed in the body: ${describe(tampered)} (want 400)`,
  )
  const before = await getPayment(http, p.id)
  f.expect(
    (before.body as PaymentView).amountRefunded === '0',
    `after the refused webhooks: ${moneyOf(before)} (want refunded=0: nothing applied)`,
  )

  const valid = await post(signed)
  f.expect(
    valid.status >= 200 && valid.status < 300,
    `valid signed refund event: ${describe(valid)} (want 2xx)`,
  )
  const applied = await waitFor(http, p.id, (x) => x.amountRefunded !== '0')
  f.expect(applied.amountRefunded === '100', `it applied: ${moneyOf(applied)} (want refunded=100)`)
  const replay = await post(signed)
  f.expect(
    replay.status < 300 || replay.status === 400,
    `the same delivery replayed: ${describe(replay)} (want 2xx duplicate or 400)`,
  )
  const redelivered = `${eventId}`
  const again = await post(
    sandboxWebhookHeaders(
      secret,
      `msg_${randomBytes(6).toString('hex')}`,
      Math.floor(Date.now() / 1000),
      body,
    ),
  )
  f.expect(
    again.status < 300 || again.status === 400,
    `same event ${redelivered} re-signed under a new delivery id: ${describe(again)}`,
  )
  // Give the processor time to (wrongly) apply a second copy before looking.
  await new Promise((r) => setTimeout(r, 1500))
  const after = await getPayment(http, p.id)
  f.expect(
    (after.body as PaymentView).amountRefunded === '100',
    `after the replays: ${moneyOf(after)} (want refunded=100: no second effect)`,
  )
  return f.verdict()
}
