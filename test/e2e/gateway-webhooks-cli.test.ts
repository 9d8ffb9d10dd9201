import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSandboxGateway } from '../../src/modules/payments/index.js'
import { fixedClock } from '../../src/shared/clock.js'
import { newId } from '../../src/shared/ids.js'
import { createTestApp } from '../support/app.js'
import { monetaCli } from '../support/cli.js'

const SECRET = `whsec_${Buffer.from('cli-gateway-webhook-secret-32-by').toString('base64')}`

describe('moneta webhooks list | replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moneta-webhooks-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('shows a dead-lettered event and replays it once the payment can take it', async () => {
    const clock = fixedClock(new Date())
    const t = await createTestApp(
      { name: 'pglite' },
      {
        clock,
        env: {
          MONETA_DATA_DIR: dir,
          MONETA_SANDBOX_WEBHOOK_SECRET: SECRET,
          MONETA_GATEWAY_WEBHOOK_MAX_ATTEMPTS: '2',
        },
      },
    )
    const headers = { authorization: `Bearer ${t.apiKey}` }
    const created = await t.app.server.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: { ...headers, 'idempotency-key': newId('k') },
      payload: { amount: '900', currency: 'USD', paymentMethod: 'pm_card_visa', capture: 'manual' },
    })
    const p = created.json<{ id: string; gatewayRef: string }>()
    // A refund reported before its capture cannot apply: it is retried, then dead-lettered.
    const refund = {
      id: newId('evt'),
      type: 'refund.succeeded' as const,
      vendorType: 'charge.refunded',
      paymentRef: p.gatewayRef,
      paymentId: p.id,
      objectRef: newId('sbx_re'),
      amount: 400n,
      currency: 'USD',
      occurredAt: clock.now(),
    }
    const w = createSandboxGateway({ webhookSecret: SECRET, clock }).webhookFor(refund)
    const sent = await t.app.server.inject({
      method: 'POST',
      url: '/v1/webhooks/sandbox',
      headers: w.headers,
      payload: w.body,
    })
    expect(sent.statusCode).toBe(200)
    for (let i = 0; i < 2; i++) {
      await t.app.services.gatewayWebhooks.processDue()
      clock.advance(600_000)
    }
    const captured = await t.app.server.inject({
      method: 'POST',
      url: `/v1/payments/${p.id}/capture`,
      headers: { ...headers, 'idempotency-key': newId('k') },
      payload: {},
    })
    expect(captured.json<{ status: string }>().status).toBe('succeeded')
    await t.close()

    const cli = monetaCli({ MONETA_DATA_DIR: dir })
    const dead = await cli('webhooks', 'list', '--status', 'dead', '--json')
    expect(dead.code).toBe(0)
    const rows = dead.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { eventId: string; status: string; attempts: number; lastError: string })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ eventId: refund.id, status: 'dead', attempts: 2 })
    expect(rows[0]!.lastError).toMatch(/PAYMENT_EVENT_OUT_OF_ORDER/)

    const replay = await cli('webhooks', 'replay', refund.id, '--gateway', 'sandbox')
    expect(replay.code).toBe(0)
    expect(replay.out).toContain('replayed 1 event(s): 1 processed')
    expect(replay.out).toContain('processed/applied')

    const again = await cli('webhooks', 'replay', refund.id)
    expect([again.code, again.err.trim()]).toEqual([1, expect.stringContaining('WEBHOOK_EVENT_NOT_DEAD')])
    const none = await cli('webhooks', 'list', '--status', 'dead')
    expect(none.out).toContain('0 event(s)')

    const reopened = await createTestApp({ name: 'pglite' }, { env: { MONETA_DATA_DIR: dir } })
    try {
      const after = await reopened.app.services.payments.queries.get(t.tenantId, p.id)
      expect([after.amountCaptured, after.amountRefunded]).toEqual([900n, 400n])
    } finally {
      await reopened.close()
    }
  }, 300_000)
})
