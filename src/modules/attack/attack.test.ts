import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { runAttack } from './attack.js'
import { formatTable } from './report.js'

/** A deliberately broken target: every route answers 200, so every check must FAIL. */
async function pushover(): Promise<{ url: string; server: Server }> {
  const doc = {
    openapi: '3.1.0',
    security: [{ apiKey: [] }],
    paths: {
      '/health': { get: { security: [] } },
      '/v1/payments/{id}': { get: {}, patch: { requestBody: {} } },
      '/v1/accounts': { get: {} },
    },
  }
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url === '/docs/json') return res.end(JSON.stringify(doc))
    res.statusCode = req.method === 'POST' && !req.url?.startsWith('/v1/auth/') ? 201 : 200
    res.end(
      JSON.stringify({
        id: 'pay_x',
        apiKey: 'mk_x',
        status: 'requires_capture',
        amount: '1',
        token: 'ses_x',
        secret: 'JBSWY3DPEHPK3PXP',
        recoveryCodes: ['r'],
      }),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe('moneta attack detects a target that gives way', () => {
  let server: Server | undefined
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

  it('fails every check, with the evidence, against a server that accepts everything', async () => {
    const p = await pushover()
    server = p.server
    const report = await runAttack({ target: p.url, apiKey: 'k'.repeat(32), mfaGuesses: 50 })
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['credentials', 'FAIL'],
      ['cross-tenant', 'FAIL'],
      ['payment-tampering', 'FAIL'],
      ['idempotency-replay', 'FAIL'],
      ['webhook-forgery', 'FAIL'],
      ['rule-redos', 'FAIL'],
      ['webhook-ssrf', 'FAIL'],
      ['privilege-escalation', 'FAIL'],
      ['detokenize-wildcard', 'FAIL'],
      ['totp-replay', 'FAIL'],
      ['mfa-brute-force', 'FAIL'],
      ['mfa-guesses', 'FAIL'],
    ])
    expect(report.failed).toBe(12)
    const creds = report.checks[0]!
    expect(creds.evidence).toContain(
      'BAD  GET /v1/payments/attack-probe → 200 with no Authorization header (want 401 UNAUTHENTICATED)',
    )
    const mass = report.checks.find((c) => c.id === 'mfa-guesses')!
    expect(mass.figures).toMatchObject({ attempted: 50, accepted: 50 })
    expect(formatTable(report)).toMatch(/^FAIL {2}mfa-guesses/m)
  }, 120_000) // seeders poll an accept-everything target until their own waits end (the analytics one: 8 s)

  it('fails the keyed checks honestly when no API key is given', async () => {
    const p = await pushover()
    server = p.server
    const report = await runAttack({ target: p.url, only: ['cross-tenant', 'mfa-brute-force'] })
    expect(report.checks.map((c) => c.status)).toEqual(['FAIL', 'FAIL'])
    expect(report.checks[0]!.evidence[0]).toMatch(/needs --api-key/)
  })
})
