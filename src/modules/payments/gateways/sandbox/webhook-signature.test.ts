import { describe, expect, it } from 'vitest'
import { isAppError } from '../../../../shared/errors.js'
import {
  sandboxWebhookBody,
  signSandboxWebhook,
  verifySandboxWebhook,
  type WebhookHeaders,
} from './webhook-signature.js'

const SECRET = `whsec_${Buffer.from('sandbox-secret-of-32-bytes-long!').toString('base64')}`
const AT = new Date('2026-03-01T12:00:00Z')

const body = sandboxWebhookBody({
  id: 'evt_1',
  type: 'payment.captured',
  vendorType: 'payment.captured',
  paymentRef: 'sbx_ref_1',
  paymentId: 'pay_1',
  tenantId: 'ten_1',
  amount: 1050n,
  currency: 'USD',
  occurredAt: AT,
})

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (e) {
    return isAppError(e) ? e.code : 'not an AppError'
  }
}

describe('sandbox webhook signature (Standard Webhooks)', () => {
  it('round-trips a signed event', () => {
    const headers = signSandboxWebhook(SECRET, body, { id: 'evt_1', at: AT })
    const event = verifySandboxWebhook(SECRET, Buffer.from(body), headers, new Date(AT.getTime() + 299_000))
    expect(event).toEqual({
      id: 'evt_1',
      type: 'payment.captured',
      vendorType: 'payment.captured',
      paymentRef: 'sbx_ref_1',
      paymentId: 'pay_1',
      tenantId: 'ten_1',
      amount: 1050n,
      currency: 'USD',
      occurredAt: AT,
    })
  })

  it('accepts one good signature among several (key rotation)', () => {
    const headers = signSandboxWebhook(SECRET, body, { id: 'evt_1', at: AT })
    const rotated = { ...headers, 'webhook-signature': `v1,AAAA ${headers['webhook-signature']}` }
    expect(verifySandboxWebhook(SECRET, Buffer.from(body), rotated, AT).id).toBe('evt_1')
  })

  const cases: [string, (h: Record<string, string>) => WebhookHeaders, string?][] = [
    [
      'a forged signature',
      (h) => ({ ...h, 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') }),
    ],
    ['a stale timestamp', (h) => h, 'stale'],
    ['a malformed signature', (h) => ({ ...h, 'webhook-signature': 'garbage' })],
    ['a missing header', (h) => ({ ...h, 'webhook-id': undefined })],
    ['a non-numeric timestamp', (h) => ({ ...h, 'webhook-timestamp': '12:00' })],
    ['another id than the one signed', (h) => ({ ...h, 'webhook-id': 'evt_2' })],
  ]
  for (const [what, tamper, mode] of cases) {
    it(`refuses ${what} with WEBHOOK_SIGNATURE_INVALID`, () => {
      const headers = tamper(signSandboxWebhook(SECRET, body, { id: 'evt_1', at: AT }))
      const now = mode === 'stale' ? new Date(AT.getTime() + 301_000) : AT
      expect(codeOf(() => verifySandboxWebhook(SECRET, Buffer.from(body), headers, now))).toBe(
        'WEBHOOK_SIGNATURE_INVALID',
      )
    })
  }

  it('refuses a body changed by one byte', () => {
    const headers = signSandboxWebhook(SECRET, body, { id: 'evt_1', at: AT })
    const changed = Buffer.from(body.replace('1050', '1051'))
    expect(codeOf(() => verifySandboxWebhook(SECRET, changed, headers, AT))).toBe('WEBHOOK_SIGNATURE_INVALID')
  })

  it('refuses a signed body that is not an event with WEBHOOK_PAYLOAD_INVALID', () => {
    const bad = '{"id":"evt_1","type":"payment.captured","created":"yesterday"}'
    const headers = signSandboxWebhook(SECRET, bad, { id: 'evt_1', at: AT })
    expect(codeOf(() => verifySandboxWebhook(SECRET, Buffer.from(bad), headers, AT))).toBe(
      'WEBHOOK_PAYLOAD_INVALID',
    )
  })

  it('maps an unknown vendor type to ignored and keeps the vendor type', () => {
    const raw = '{"id":"evt_9","type":"customer.updated","created":"2026-03-01T12:00:00Z","data":{}}'
    const headers = signSandboxWebhook(SECRET, raw, { id: 'evt_9', at: AT })
    const e = verifySandboxWebhook(SECRET, Buffer.from(raw), headers, AT)
    expect([e.type, e.vendorType]).toEqual(['ignored', 'customer.updated'])
  })
})
