import { describe, expect, it } from 'vitest'
import { checkUrlShape, isPrivateAddress } from './url-guard.js'
import {
  generateSecret,
  isValidFilter,
  JITTER,
  MAX_ATTEMPTS,
  matchesAny,
  matchesFilter,
  nextAttemptDelay,
  payloadBody,
  RETRY_DELAYS_MS,
  sign,
  signatureHeader,
} from './webhooks.js'

describe('event type filters', () => {
  it('matches exact names, prefix wildcards and *', () => {
    expect(matchesFilter('payments.*', 'payments.payment.succeeded.v1')).toBe(true)
    expect(matchesFilter('payments.payment.*', 'payments.payment.succeeded.v1')).toBe(true)
    expect(matchesFilter('payments.*', 'paymentsx.payment.succeeded.v1')).toBe(false)
    expect(matchesFilter('payments.*', 'ledger.transaction.posted.v1')).toBe(false)
    expect(matchesFilter('*', 'ledger.transaction.posted.v1')).toBe(true)
    expect(matchesFilter('ledger.transaction.posted.v1', 'ledger.transaction.posted.v1')).toBe(true)
    expect(matchesFilter('ledger.transaction.posted.v1', 'ledger.transaction.posted.v2')).toBe(false)
    expect(matchesAny(['ledger.*', 'payments.refund.*'], 'payments.refund.created.v1')).toBe(true)
    expect(matchesAny(['ledger.*', 'payments.refund.*'], 'payments.payment.created.v1')).toBe(false)
  })

  it('accepts well-formed filters only', () => {
    for (const ok of ['*', 'payments.*', 'payments.payment.*', 'ledger.transaction.posted.v1'])
      expect(isValidFilter(ok), ok).toBe(true)
    for (const bad of [
      '',
      'payments*',
      '*.succeeded',
      'Payments.*',
      'payments.**',
      'a..b',
      'pay ments.*',
      '.*',
    ])
      expect(isValidFilter(bad), bad).toBe(false)
  })
})

describe('retry schedule', () => {
  it('spans about three days over ten attempts', () => {
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0)
    expect(MAX_ATTEMPTS).toBe(10)
    expect(total / 86_400_000).toBeGreaterThan(3)
    expect(total / 86_400_000).toBeLessThan(3.3)
    expect(RETRY_DELAYS_MS[0]).toBe(5_000)
    for (let i = 1; i < RETRY_DELAYS_MS.length; i++)
      expect(RETRY_DELAYS_MS[i]!).toBeGreaterThan(RETRY_DELAYS_MS[i - 1]!)
  })

  it('adds bounded jitter and stops after the last attempt', () => {
    expect(nextAttemptDelay(1, () => 0)).toBe(Math.round(5_000 * (1 - JITTER)))
    expect(nextAttemptDelay(1, () => 0.999999)).toBeLessThanOrEqual(5_000 * (1 + JITTER))
    expect(nextAttemptDelay(1, () => 0.5)).toBe(5_000)
    expect(nextAttemptDelay(9, () => 0.5)).toBe(24 * 3_600_000)
    expect(nextAttemptDelay(10, () => 0.5)).toBeUndefined()
  })
})

describe('Standard Webhooks signature', () => {
  it('matches the published test vector', () => {
    // The example of the Standard Webhooks specification.
    expect(
      sign(
        // moneta-scan: allow (the specification's published test vector, not a credential)
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  it('generates whsec_ secrets of 32 random bytes and joins signatures with spaces', () => {
    const a = generateSecret()
    const b = generateSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32)
    expect(a).not.toBe(b)
    const header = signatureHeader([a, b], 'evt_1', 1, '{}')
    expect(header.split(' ')).toEqual([sign(a, 'evt_1', 1, '{}'), sign(b, 'evt_1', 1, '{}')])
  })

  it('wraps the payload as {type, timestamp, data}', () => {
    expect(JSON.parse(payloadBody('x.y.z.v1', new Date('2026-01-01T00:00:00Z'), { a: '1' }))).toEqual({
      type: 'x.y.z.v1',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { a: '1' },
    })
  })
})

describe('url guard', () => {
  it('classifies private and public addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '100.64.0.1',
      // security finding 2: every IPv6 form embedding an IPv4 address, and the other reserved ranges
      '::ffff:7f00:1', // mapped, hex form
      '::ffff:8.8.8.8', // mapped: never a webhook endpoint
      '::7f00:1', // IPv4-compatible (::/96)
      '::127.0.0.1',
      '2002:7f00:1::1', // 6to4 of 127.0.0.1
      '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
      '64:ff9b::7f00:1', // NAT64
      'fec0::1',
      '192.88.99.1',
      '3fff::1',
    ])
      expect(isPrivateAddress(a), a).toBe(true)
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4001::1', '172.32.0.1'])
      expect(isPrivateAddress(a), a).toBe(false)
  })

  it('requires https, localhost included, unless plain http is configured', () => {
    const strict = { allowHttp: false, allowPrivate: false }
    expect(checkUrlShape('https://example.com/hook', strict).host).toBe('example.com')
    for (const local of ['http://localhost:3000/hook', 'http://127.0.0.1/health', 'http://[::1]/'])
      expect(() => checkUrlShape(local, strict), local).toThrow(
        expect.objectContaining({ code: 'WEBHOOK_URL_INSECURE' }),
      )
    expect(checkUrlShape('http://127.0.0.1/hook', { ...strict, allowHttp: true }).hostname).toBe('127.0.0.1')
    expect(() => checkUrlShape('http://example.com/hook', strict)).toThrow(
      expect.objectContaining({ code: 'WEBHOOK_URL_INSECURE' }),
    )
    expect(checkUrlShape('http://example.com/hook', { ...strict, allowHttp: true }).protocol).toBe('http:')
    for (const bad of [
      'ftp://example.com/',
      'not a url',
      'https://example.com/#frag',
      `https://example.com/${'a'.repeat(2100)}`,
    ])
      expect(() => checkUrlShape(bad, strict), bad).toThrow(
        expect.objectContaining({ code: 'WEBHOOK_URL_INVALID' }),
      )
  })
})
