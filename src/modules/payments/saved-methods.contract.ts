/**
 * The contract every SavedMethodsGateway adapter honours (run by each adapter's
 * *.saved-methods.contract.test.ts): a setup session, a saved method that charges off-session, a
 * decline that comes back as an outcome with a normalised code, a method the vault refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { GatewayError } from './gateway.js'
import { isRetryableDecline, type SavedMethodsGateway } from './saved-methods.js'

export interface SavedMethodsHarness {
  readonly gateway: SavedMethodsGateway
  readonly currency: string
  /** What the browser would hand us for a good card, for a PayPal account, and for a card verification refuses. */
  readonly methods: { readonly card: string; readonly paypal?: string; readonly refused: string }
  /** A method + amount that the gateway declines for insufficient funds when charged off-session. */
  readonly insufficientFunds: { readonly method: string; readonly amount: bigint }
  /** A method whose off-session charge needs the customer (authentication_required), if the gateway has one. */
  readonly authenticationRequired?: string
  close(): Promise<void>
}

export function runSavedMethodsContract(target: {
  name: string
  setup(): Promise<SavedMethodsHarness>
}): void {
  describe(`saved-methods contract: ${target.name}`, () => {
    let h: SavedMethodsHarness
    beforeAll(async () => {
      h = await target.setup()
    }, 60_000)
    afterAll(async () => h?.close())

    const charge = (customerRef: string, token: string, amount = 1250n) =>
      h.gateway.charge({
        tenantId: 'ten_contract',
        customerRef,
        token,
        amount,
        currency: h.currency,
        idempotencyKey: `contract:${randomUUID()}`,
        at: new Date(),
      })

    it('a setup session names a customer and carries what the browser needs', async () => {
      const s = await h.gateway.startSetup({ tenantId: 'ten_contract' })
      expect(s.customerRef).toMatch(/\S/)
      expect(s.clientSecret.length).toBeGreaterThan(8)
    })

    it('a saved card keeps only a token and display data, and charges off-session', async () => {
      const m = await h.gateway.save({ tenantId: 'ten_contract', paymentMethod: h.methods.card })
      expect(m.kind).toBe('card')
      expect(m.token).not.toBe(h.methods.card)
      expect(m.last4).toMatch(/^\d{4}$/)
      // No card number: a run of 12+ digits standing alone (a random hex token may hold one inside it).
      expect(JSON.stringify(m)).not.toMatch(/(?<![0-9a-z])\d{12,19}(?![0-9a-z])/i)
      const again = await h.gateway.save({
        tenantId: 'ten_contract',
        paymentMethod: h.methods.card,
        customerRef: m.customerRef,
      })
      expect(again.customerRef).toBe(m.customerRef)
      const o = await charge(m.customerRef, m.token)
      expect(o.status).toBe('succeeded')
    })

    it('a PayPal billing agreement is vaulted and charged like a card', async ({ skip }) => {
      if (!h.methods.paypal) skip()
      const m = await h.gateway.save({ tenantId: 'ten_contract', paymentMethod: h.methods.paypal! })
      expect(m.kind).toBe('paypal')
      expect((await charge(m.customerRef, m.token)).status).toBe('succeeded')
    })

    it('a decline is an outcome with a normalised code, worth retrying for insufficient funds', async () => {
      const m = await h.gateway.save({ tenantId: 'ten_contract', paymentMethod: h.insufficientFunds.method })
      const o = await charge(m.customerRef, m.token, h.insufficientFunds.amount)
      expect(o).toMatchObject({ status: 'declined', declineCode: 'insufficient_funds' })
      expect(isRetryableDecline('insufficient_funds')).toBe(true)
      expect(isRetryableDecline('stolen_card')).toBe(false)
    })

    it('a method verification refuses is not saved (a declined GatewayError)', async () => {
      const err = await h.gateway
        .save({ tenantId: 'ten_contract', paymentMethod: h.methods.refused })
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(GatewayError)
      expect((err as GatewayError).failure).toBe('declined')
    })

    it('an off-session charge that needs the customer says authentication_required', async ({ skip }) => {
      if (!h.authenticationRequired) skip()
      const m = await h.gateway.save({ tenantId: 'ten_contract', paymentMethod: h.authenticationRequired! })
      const o = await charge(m.customerRef, m.token)
      expect(o).toMatchObject({ status: 'requires_action', declineCode: 'authentication_required' })
    })
  })
}
