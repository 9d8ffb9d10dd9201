import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../../../shared/clock.js'
import { GatewayError, type AuthorizeInput } from '../../gateway.js'
import { createSandboxGateway, SANDBOX_METHODS, sandboxCardOf, sandboxFee } from './sandbox.js'

const input = (over: Partial<AuthorizeInput> = {}): AuthorizeInput => ({
  paymentId: `pay_${randomBytes(6).toString('hex')}`,
  tenantId: 'ten_1',
  amount: 1000n,
  currency: 'USD',
  paymentMethod: 'pm_card_visa',
  capture: 'automatic',
  idempotencyKey: 'k',
  ...over,
})
const failure = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    if (e instanceof GatewayError) return e
    throw e
  }
  throw new Error('expected a GatewayError')
}

describe('sandbox gateway', () => {
  it('every documented magic method behaves as documented', async () => {
    const g = createSandboxGateway()
    expect((await g.authorize(input())).status).toBe('captured')
    expect(
      (await g.authorize(input({ paymentMethod: 'pm_card_mastercard', capture: 'manual' }))).status,
    ).toBe('authorized')
    expect(await failure(g.authorize(input({ paymentMethod: 'pm_card_declined' })))).toMatchObject({
      failure: 'declined',
      vendorCode: 'generic_decline',
    })
    expect(await failure(g.authorize(input({ paymentMethod: 'pm_card_insufficient_funds' })))).toMatchObject({
      failure: 'declined',
      vendorCode: 'insufficient_funds',
    })
    expect((await g.authorize(input({ paymentMethod: 'pm_card_3ds' }))).status).toBe('requires_action')
    expect((await failure(g.authorize(input({ paymentMethod: 'pm_card_unavailable' })))).retryable).toBe(true)
    expect((await failure(g.authorize(input({ paymentMethod: 'pm_card_misconfigured' })))).failure).toBe(
      'misconfigured',
    )
    const timeout = input({ paymentMethod: 'pm_card_timeout', capture: 'manual' })
    expect((await failure(g.authorize(timeout))).failure).toBe('unknown')
    expect(await g.retrieve({ paymentId: timeout.paymentId })).toMatchObject({
      status: 'authorized',
      amountAuthorized: 1000n,
    })
    const disputed = await g.authorize(input({ paymentMethod: 'pm_card_dispute' }))
    expect(g.events.filter((e) => e.paymentRef === disputed.gatewayRef).map((e) => e.type)).toEqual([
      'payment.authorized',
      'payment.captured',
      'dispute.opened',
    ])
    expect((await failure(g.authorize(input({ paymentMethod: 'garbage' })))).failure).toBe('declined')
    expect(Object.keys(SANDBOX_METHODS)).toContain('pm_card_visa_gb')
    expect(sandboxCardOf('pm_card_visa_gb')).toMatchObject({ brand: 'visa', country: 'GB' })
  })

  it('is deterministic: the same payment gets the same refs and fee', async () => {
    const a = createSandboxGateway()
    const b = createSandboxGateway()
    const i = input({ amount: 12_345n })
    const x = await a.authorize(i)
    const y = await b.authorize(i)
    expect(x).toEqual(y)
    expect(x.fee).toBe(sandboxFee(12_345n))
    expect(sandboxFee(12_345n)).toBe((12_345n * 29n) / 1000n + 30n)
    const other = createSandboxGateway({ id: 'sandbox2' })
    expect((await other.authorize(i)).gatewayRef).not.toBe(x.gatewayRef)
  })

  it('3-D Secure completes (or fails) out of band, and the next confirm sees it', async () => {
    const g = createSandboxGateway()
    const i = input({ paymentMethod: 'pm_card_3ds', capture: 'manual', amount: 700n })
    const first = await g.authorize(i)
    expect(g.completeAction(first.gatewayRef)).toMatchObject({ type: 'payment.authorized', amount: 700n })
    expect(await g.authorize(i)).toMatchObject({ status: 'authorized', amountAuthorized: 700n })
    const j = input({ paymentMethod: 'pm_card_3ds' })
    const second = await g.authorize(j)
    expect(g.completeAction(second.gatewayRef, false).type).toBe('payment.failed')
    expect((await g.authorize(j)).status).toBe('declined')
  })

  it('an outage makes every call unavailable until it recovers', async () => {
    const g = createSandboxGateway()
    g.setDown(true)
    expect((await failure(g.authorize(input()))).failure).toBe('unavailable')
    g.setDown(false)
    expect((await g.authorize(input())).status).toBe('captured')
    expect(g.calls.authorize).toBe(2)
  })

  it('refunds, disputes and payouts appear as settlement records with signed amounts', async () => {
    const clock = fixedClock(new Date('2026-06-01T00:00:00Z'))
    const g = createSandboxGateway({ clock })
    const paid = await g.authorize(input({ amount: 5000n }))
    const refund = await g.refund(paid.gatewayRef, 1000n, 'USD', 're_1')
    expect(await g.refund(paid.gatewayRef, 1000n, 'USD', 're_1')).toEqual(refund) // idempotent
    const dispute = g.openDispute(paid.gatewayRef, 2000n)
    g.closeDispute(dispute.objectRef!, 'won')
    await g.payout!(3000n, 'USD', 'po_1')
    const records = await g.listSettlements({ from: new Date('2026-01-01'), to: new Date('2027-01-01') })
    expect(records.map((r) => [r.type, r.amount, r.fee])).toEqual([
      ['charge', 5000n, sandboxFee(5000n)],
      ['refund', -1000n, 0n],
      ['dispute', -2000n, 0n],
      ['dispute_reversal', 2000n, 0n],
      ['payout', -3000n, 0n],
    ])
    expect(await failure(g.refund(paid.gatewayRef, 4001n, 'USD', 're_2'))).toMatchObject({
      failure: 'declined',
    })
  })

  it('signs its webhooks with the Standard Webhooks scheme and verifies them on the raw body', async () => {
    const clock = fixedClock(new Date('2026-06-01T00:00:00Z'))
    const secret = `whsec_${randomBytes(32).toString('base64')}`
    const g = createSandboxGateway({ clock, webhookSecret: secret })
    const paid = await g.authorize(input())
    const event = g.events.find((e) => e.type === 'payment.captured')!
    const { body, headers } = g.webhookFor(event)
    const parsed = await g.verifyWebhook(Buffer.from(body), headers, clock.now())
    expect(parsed).toMatchObject({
      id: event.id,
      type: 'payment.captured',
      paymentRef: paid.gatewayRef,
      tenantId: 'ten_1',
      amount: 1000n,
    })
    await expect(
      g.verifyWebhook(Buffer.from(body.replace('1000', '9000')), headers, clock.now()),
    ).rejects.toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
    })
    const other = createSandboxGateway({
      clock,
      webhookSecret: `whsec_${randomBytes(32).toString('base64')}`,
    })
    await expect(other.verifyWebhook(Buffer.from(body), headers, clock.now())).rejects.toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
    })
  })
})
