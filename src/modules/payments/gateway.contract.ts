/**
 * The contract every PaymentGateway adapter honours, run against the sandbox, Stripe and Braintree
 * (each through its official SDK pointed at a local server speaking the vendor's protocol, and at the
 * vendor's real sandbox when its keys are set). A target describes its test payment methods and what
 * it can simulate; the assertions are the same for all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import {
  GatewayError,
  type GatewayEventType,
  type GatewayPaymentState,
  type PaymentGateway,
} from './gateway.js'
import { isAppError } from '../../shared/errors.js'

export interface SignedWebhook {
  readonly rawBody: Buffer
  readonly headers: Record<string, string>
}

export interface ContractPayment {
  readonly gatewayRef: string
  readonly paymentId: string
  readonly amount: bigint
  readonly currency: string
}

export interface GatewayContractHarness {
  readonly gateway: PaymentGateway
  readonly currency: string
  readonly methods: {
    readonly ok: string
    readonly declined: string
    readonly insufficientFunds: string
    /** 3-D Secure or similar; absent where the vendor has no such test method. */
    readonly requiresAction?: string
    /** Fails before reaching the processor (local servers and sandbox only). */
    readonly unavailable?: string
    /** The gateway acts but the answer never arrives in time (local servers and sandbox only). */
    readonly timeout?: string
  }
  /** Braintree's sandbox declines by amount (2001.00 → 2001 Insufficient Funds), not by card. */
  readonly insufficientFundsAmount?: bigint
  /** Vendor codes the declines carry (e.g. "insufficient_funds", Braintree "2001"). */
  readonly declineCodes: { readonly declined: string; readonly insufficientFunds: string }
  /** Whether the vendor honours our idempotency key (Stripe does; Braintree has no such thing). */
  readonly idempotentAuthorize: boolean
  /** Whether captured funds show up in listSettlements right away (false for a real vendor sandbox). */
  readonly settlesImmediately: boolean
  /** Settles a captured payment now (Braintree refunds only settled sales); absent where capture settles. */
  readonly settle?: (gatewayRef: string) => Promise<void>
  /** The same adapter with credentials the vendor refuses. */
  readonly misconfigured?: () => PaymentGateway
  /** A webhook the vendor would send about a payment, signed the vendor's way, dated `at`. */
  signedWebhook(kind: 'payment.captured', payment: ContractPayment, at: Date): Promise<SignedWebhook>
  /** The same webhook with its signature removed; default: without headers (Braintree signs in the body). */
  readonly withoutSignature?: (hook: SignedWebhook) => SignedWebhook
  close(): Promise<void>
}

export interface GatewayContractTarget {
  readonly name: string
  setup(): Promise<GatewayContractHarness>
}

/** Resolves with the GatewayError a call failed with; fails the test if it succeeded or threw anything else. */
export async function gatewayFailure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p
  } catch (err) {
    if (err instanceof GatewayError) return err
    throw err
  }
  throw new Error('expected the gateway call to fail')
}

export function runGatewayContract(target: GatewayContractTarget): void {
  describe(`payment gateway contract [${target.name}]`, { timeout: 60_000 }, () => {
    let h: GatewayContractHarness
    let gw: PaymentGateway
    const startedAt = new Date(Date.now() - 60_000)

    beforeAll(async () => {
      h = await target.setup()
      gw = h.gateway
    })
    afterAll(async () => {
      await h?.close()
    })

    const authorize = (
      capture: 'automatic' | 'manual',
      opts: { amount?: bigint; method?: string; key?: string; paymentId?: string } = {},
    ): Promise<GatewayPaymentState> =>
      gw.authorize({
        paymentId: opts.paymentId ?? `pay_${randomUUID()}`,
        tenantId: 'ten_contract',
        amount: opts.amount ?? 1050n,
        currency: h.currency,
        paymentMethod: opts.method ?? h.methods.ok,
        capture,
        idempotencyKey: opts.key ?? randomUUID(),
        metadata: { suite: 'contract' },
      })

    it('automatic capture: the payment comes back captured for the full amount', async () => {
      const state = await authorize('automatic', { amount: 1234n })
      expect(state.gatewayRef).toMatch(/\S/)
      expect(state.status).toBe('captured')
      expect(state.amountCaptured).toBe(1234n)
      expect(state.currency).toBe(h.currency)
    })

    it('manual capture: authorised, then a partial capture takes only that amount', async () => {
      const paymentId = `pay_${randomUUID()}`
      const auth = await authorize('manual', { amount: 2000n, paymentId })
      expect(auth.status).toBe('authorized')
      expect(auth.amountAuthorized).toBe(2000n)
      expect(auth.amountCaptured).toBe(0n)
      const partial = gw.capabilities.partialCapture ? 1500n : 2000n
      const captured = await gw.capture(auth.gatewayRef, partial, h.currency, randomUUID())
      expect(captured.status).toBe('captured')
      expect(captured.amountCaptured).toBe(partial)
      const again = await gw.retrieve({ gatewayRef: auth.gatewayRef, paymentId })
      expect(again?.status).toBe('captured')
      expect(again?.amountCaptured).toBe(partial)
    })

    it('capturing more than was authorised is refused, not retryable', async () => {
      const paymentId = `pay_${randomUUID()}`
      const auth = await authorize('manual', { amount: 1000n, paymentId })
      const err = await gatewayFailure(gw.capture(auth.gatewayRef, 1001n, h.currency, randomUUID()))
      expect(err.retryable).toBe(false)
      const after = await gw.retrieve({ gatewayRef: auth.gatewayRef, paymentId })
      expect(after?.status).toBe('authorized')
    })

    it('cancel releases an authorisation; capturing it afterwards is refused', async () => {
      const auth = await authorize('manual')
      const canceled = await gw.cancel(auth.gatewayRef, randomUUID())
      expect(canceled.status).toBe('canceled')
      const err = await gatewayFailure(gw.capture(auth.gatewayRef, 1050n, h.currency, randomUUID()))
      expect(err.retryable).toBe(false)
    })

    it('a declined card fails as declined, with the vendor decline code, not retryable', async () => {
      const err = await gatewayFailure(authorize('automatic', { method: h.methods.declined }))
      expect(err.failure).toBe('declined')
      expect(err.code).toBe('PAYMENT_DECLINED')
      expect(err.retryable).toBe(false)
      expect(err.vendorCode).toBe(h.declineCodes.declined)
    })

    it('insufficient funds is a decline with its own vendor code', async () => {
      const err = await gatewayFailure(
        authorize('automatic', {
          method: h.methods.insufficientFunds,
          amount: h.insufficientFundsAmount ?? 1050n,
        }),
      )
      expect(err.failure).toBe('declined')
      expect(err.vendorCode).toBe(h.declineCodes.insufficientFunds)
    })

    it('refunds: partial; more than was captured is refused', async () => {
      const paid = await authorize('automatic', { amount: 3000n })
      await h.settle?.(paid.gatewayRef)
      const first = await gw.refund(paid.gatewayRef, 1000n, h.currency, randomUUID())
      expect(first.gatewayRef).toMatch(/\S/)
      expect(first.amount).toBe(1000n)
      expect(first.currency).toBe(h.currency)
      expect(['succeeded', 'pending']).toContain(first.status)
      const err = await gatewayFailure(gw.refund(paid.gatewayRef, 3000n, h.currency, randomUUID()))
      expect(err.retryable).toBe(false)
    })

    it('several partial refunds of one payment (capability multipleRefunds)', async (ctx) => {
      if (!gw.capabilities.multipleRefunds) return ctx.skip()
      const paid = await authorize('automatic', { amount: 3000n })
      await h.settle?.(paid.gatewayRef)
      const first = await gw.refund(paid.gatewayRef, 1000n, h.currency, randomUUID())
      const second = await gw.refund(paid.gatewayRef, 2000n, h.currency, randomUUID())
      expect(second.gatewayRef).not.toBe(first.gatewayRef)
      expect(second.amount).toBe(2000n)
    })

    it('a refund repeated with its idempotency key is not a second refund (capability idempotentRefunds)', async (ctx) => {
      if (!gw.capabilities.idempotentRefunds) return ctx.skip()
      const paid = await authorize('automatic', { amount: 3000n })
      await h.settle?.(paid.gatewayRef)
      const key = randomUUID()
      const first = await gw.refund(paid.gatewayRef, 1000n, h.currency, key)
      const again = await gw.refund(paid.gatewayRef, 1000n, h.currency, key)
      expect(again.gatewayRef).toBe(first.gatewayRef)
    })

    it('retrieve: by gateway ref, by our payment id alone, and undefined for an unknown ref', async () => {
      const paymentId = `pay_${randomUUID()}`
      const auth = await authorize('manual', { paymentId })
      const byRef = await gw.retrieve({ gatewayRef: auth.gatewayRef, paymentId })
      expect(byRef).toMatchObject({
        gatewayRef: auth.gatewayRef,
        status: 'authorized',
        amountAuthorized: 1050n,
      })
      const byId = await gw.retrieve({ paymentId })
      expect(byId?.gatewayRef).toBe(auth.gatewayRef)
      expect(await gw.retrieve({ paymentId: `pay_${randomUUID()}` })).toBeUndefined()
    })

    it('the same idempotency key does not authorise twice (where the vendor supports keys)', async (ctx) => {
      // Absent capability: reported as skipped, not passed empty.
      if (!h.idempotentAuthorize) return ctx.skip()
      const key = randomUUID()
      const paymentId = `pay_${randomUUID()}`
      const a = await authorize('automatic', { key, paymentId })
      const b = await authorize('automatic', { key, paymentId })
      expect(b.gatewayRef).toBe(a.gatewayRef)
    })

    it('requires_action for a card that needs the payer (3-D Secure)', async (ctx) => {
      // Absent capability: reported as skipped, not passed empty.
      if (!h.methods.requiresAction) return ctx.skip()
      const state = await authorize('automatic', { method: h.methods.requiresAction })
      expect(state.status).toBe('requires_action')
      expect(state.amountCaptured).toBe(0n)
    })

    it('an unreachable processor fails as unavailable (retryable, routing may fail over)', async (ctx) => {
      // Absent capability: reported as skipped, not passed empty.
      if (!h.methods.unavailable) return ctx.skip()
      const err = await gatewayFailure(authorize('automatic', { method: h.methods.unavailable }))
      expect(err.failure).toBe('unavailable')
      expect(err.retryable).toBe(true)
      expect(err.code).toBe('GATEWAY_UNAVAILABLE')
    })

    it('a timeout after sending is unknown; retrieve by payment id later finds what happened', async (ctx) => {
      // Absent capability: reported as skipped, not passed empty.
      if (!h.methods.timeout) return ctx.skip()
      const paymentId = `pay_${randomUUID()}`
      const err = await gatewayFailure(authorize('manual', { method: h.methods.timeout, paymentId }))
      expect(err.failure).toBe('unknown')
      expect(err.code).toBe('GATEWAY_OUTCOME_UNKNOWN')
      const found = await gw.retrieve({ paymentId })
      expect(found?.status).toBe('authorized')
    })

    it('refused credentials are misconfigured, not retryable', async (ctx) => {
      // Absent capability: reported as skipped, not passed empty.
      if (!h.misconfigured) return ctx.skip()
      const err = await gatewayFailure(
        h.misconfigured().authorize({
          paymentId: `pay_${randomUUID()}`,
          tenantId: 'ten_contract',
          amount: 100n,
          currency: h.currency,
          paymentMethod: h.methods.ok,
          capture: 'automatic',
          idempotencyKey: randomUUID(),
        }),
      )
      expect(err.failure).toBe('misconfigured')
      expect(err.retryable).toBe(false)
    })

    it('listSettlements returns the captured funds as a charge record tied to the payment', async (ctx) => {
      // Absent capability: reported as skipped, not passed empty.
      if (!gw.capabilities.settlements || !h.settlesImmediately) return ctx.skip()
      const paid = await authorize('automatic', { amount: 4321n })
      await h.settle?.(paid.gatewayRef)
      const records = await gw.listSettlements({ from: startedAt, to: new Date(Date.now() + 60_000) })
      const charge = records.find((r) => r.sourceRef === paid.gatewayRef && r.type === 'charge')
      expect(charge).toBeDefined()
      expect(charge?.amount).toBe(4321n)
      expect(charge?.currency).toBe(h.currency)
      const before = await gw.listSettlements({ from: new Date(2001, 0, 1), to: new Date(2001, 0, 2) })
      expect(before.find((r) => r.sourceRef === paid.gatewayRef)).toBeUndefined()
    })

    describe('webhooks', () => {
      let payment: ContractPayment
      beforeAll(async () => {
        const paymentId = `pay_${randomUUID()}`
        const paid = await authorize('automatic', { paymentId, amount: 777n })
        payment = { gatewayRef: paid.gatewayRef, paymentId, amount: 777n, currency: h.currency }
      })

      it('a correctly signed webhook verifies and normalises', async () => {
        const now = new Date()
        const hook = await h.signedWebhook('payment.captured', payment, now)
        const event = await gw.verifyWebhook(hook.rawBody, hook.headers, now)
        expect(event.type).toBe<GatewayEventType>('payment.captured')
        expect(event.id).toMatch(/\S/)
        expect(event.paymentRef).toBe(payment.gatewayRef)
        expect(event.vendorType).toMatch(/\S/)
      })

      it('a body changed after signing is refused with WEBHOOK_SIGNATURE_INVALID', async () => {
        const now = new Date()
        const hook = await h.signedWebhook('payment.captured', payment, now)
        const body = Buffer.from(hook.rawBody)
        // Flip one character in the middle: the signature no longer covers these bytes.
        const i = Math.floor(body.length / 2)
        body[i] = body[i] === 0x41 ? 0x42 : 0x41
        await expectSignatureInvalid(gw.verifyWebhook(body, hook.headers, now))
      })

      it('a missing signature is refused', async () => {
        const signed = await h.signedWebhook('payment.captured', payment, new Date())
        const hook = h.withoutSignature
          ? h.withoutSignature(signed)
          : { rawBody: signed.rawBody, headers: {} }
        await expectSignatureInvalid(gw.verifyWebhook(hook.rawBody, hook.headers, new Date()))
      })

      it('a signature older than the tolerance is refused (no replay later)', async () => {
        const signedAt = new Date()
        const hook = await h.signedWebhook('payment.captured', payment, signedAt)
        const later = new Date(signedAt.getTime() + 301_000)
        await expectSignatureInvalid(gw.verifyWebhook(hook.rawBody, hook.headers, later))
      })
    })
  })
}

async function expectSignatureInvalid(p: Promise<unknown>): Promise<void> {
  try {
    await p
  } catch (err) {
    expect(isAppError(err) && err.code).toBe('WEBHOOK_SIGNATURE_INVALID')
    expect(isAppError(err) && err.kind).toBe('invalid')
    return
  }
  throw new Error('expected WEBHOOK_SIGNATURE_INVALID')
}
