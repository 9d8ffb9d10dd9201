/**
 * The built-in sandbox gateway: deterministic, in memory, no network. Magic payment methods (see
 * docs/payments.md) produce declines, 3-D Secure, timeouts, outages and disputes, so every path of the
 * payment state machine can be driven without a vendor account. `npm start` uses it.
 */
/* eslint-disable @typescript-eslint/require-await -- an in-memory adapter of an async port: no I/O to await */
import { createHash } from 'node:crypto'
import type { Clock } from '../../../../shared/clock.js'
import { systemClock } from '../../../../shared/clock.js'
import {
  GatewayError,
  webhookSignatureInvalid,
  type AuthorizeInput,
  type GatewayEvent,
  type GatewayEventType,
  type GatewayPaymentState,
  type PaymentGateway,
  type PayoutResult,
  type RefundResult,
  type SettlementRecord,
} from '../../gateway.js'
import { sandboxWebhookBody, signSandboxWebhook, verifySandboxWebhook } from './webhook-signature.js'

export interface SandboxCard {
  readonly brand: string
  readonly country: string
  readonly last4: string
}

/** The magic payment methods and what each does. */
export const SANDBOX_METHODS: Readonly<Record<string, { card: SandboxCard; behaviour: string }>> = {
  pm_card_visa: { card: { brand: 'visa', country: 'US', last4: '4242' }, behaviour: 'succeeds' },
  pm_card_mastercard: { card: { brand: 'mastercard', country: 'US', last4: '4444' }, behaviour: 'succeeds' },
  pm_card_amex: { card: { brand: 'amex', country: 'US', last4: '8431' }, behaviour: 'succeeds' },
  pm_card_visa_gb: { card: { brand: 'visa', country: 'GB', last4: '0005' }, behaviour: 'succeeds (UK card)' },
  pm_card_declined: {
    card: { brand: 'visa', country: 'US', last4: '0002' },
    behaviour: 'declined: generic_decline',
  },
  pm_card_insufficient_funds: {
    card: { brand: 'visa', country: 'US', last4: '9995' },
    behaviour: 'declined: insufficient_funds',
  },
  pm_card_3ds: {
    card: { brand: 'visa', country: 'FR', last4: '3220' },
    behaviour: 'requires_action (3-D Secure)',
  },
  pm_card_timeout: {
    card: { brand: 'visa', country: 'US', last4: '0119' },
    behaviour: 'outcome unknown (timeout); retrieve later reports it authorised (captured if automatic)',
  },
  pm_card_unavailable: {
    card: { brand: 'visa', country: 'US', last4: '0503' },
    behaviour: 'gateway unavailable (retryable); routing fails over',
  },
  pm_card_misconfigured: {
    card: { brand: 'visa', country: 'US', last4: '0401' },
    behaviour: 'gateway misconfigured (an operator must act)',
  },
  pm_card_dispute: {
    card: { brand: 'visa', country: 'US', last4: '0259' },
    behaviour: 'succeeds; a dispute opens right after capture (event dispute.opened)',
  },
}

/** Card details a payment-method token tells us before any gateway call (for routing). */
export function sandboxCardOf(paymentMethod: string): SandboxCard | undefined {
  return SANDBOX_METHODS[paymentMethod]?.card
}

/** Sandbox fee on a capture: 2.9% + 30 minor units, rounded down. Deterministic, like everything here. */
export const sandboxFee = (amount: bigint): bigint => (amount * 29n) / 1000n + 30n

interface SandboxPayment {
  readonly ref: string
  readonly paymentId: string
  readonly tenantId: string
  readonly paymentMethod: string
  readonly currency: string
  readonly capture: 'automatic' | 'manual'
  /** The amount asked at authorize time (what 3-D Secure authorises once completed). */
  readonly requested: bigint
  status: GatewayPaymentState['status']
  authorized: bigint
  captured: bigint
  refunded: bigint
  fee: bigint
  declineCode?: string
}

export interface SandboxOptions {
  readonly clock?: Clock
  /** Standard Webhooks secret (whsec_…) for verifyWebhook and for signing the events it emits. */
  readonly webhookSecret?: string
  /**
   * Id under which this instance is registered (default "sandbox"); a second instance ("sandbox2")
   * proves failover. Refs carry it so two instances never collide.
   */
  readonly id?: string
  /** Every call fails as unavailable (a whole-gateway outage, for failover tests). */
  readonly down?: boolean
}

export interface SandboxGateway extends PaymentGateway {
  readonly id: string
  /** Simulates an outage (true) or recovery (false). */
  setDown(down: boolean): void
  /** Completes (or fails) the 3-D Secure step of a payment in requires_action. */
  completeAction(gatewayRef: string, succeed?: boolean): GatewayEvent
  /** Opens a dispute on a captured payment; returns the event a webhook would carry. */
  openDispute(gatewayRef: string, amount?: bigint): GatewayEvent
  /** Closes a dispute won or lost. */
  closeDispute(disputeRef: string, outcome: 'won' | 'lost'): GatewayEvent
  /** Events the sandbox emitted (as webhooks), oldest first; listeners get them as they happen. */
  readonly events: readonly GatewayEvent[]
  onEvent(listener: (event: GatewayEvent) => void): void
  /** The signed webhook request a real gateway would send for this event. */
  webhookFor(event: GatewayEvent, at?: Date): { body: string; headers: Record<string, string> }
  /** How many calls reached it, by method (for failover tests). */
  readonly calls: Readonly<Record<string, number>>
}

const MAX_EVENTS = 10_000

/** The sandbox behind a registry entry, when it is one (for delivering its webhooks in-process). */
export function asSandbox(gateway: PaymentGateway | undefined): SandboxGateway | undefined {
  return gateway && 'onEvent' in gateway && 'webhookFor' in gateway ? (gateway as SandboxGateway) : undefined
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24)

export function createSandboxGateway(opts: SandboxOptions = {}): SandboxGateway {
  const clock = opts.clock ?? systemClock
  const id = opts.id ?? 'sandbox'
  let down = opts.down ?? false
  const byRef = new Map<string, SandboxPayment>()
  const byPaymentId = new Map<string, string>()
  const refunds = new Map<string, RefundResult>()
  const payouts = new Map<string, PayoutResult>()
  const disputes = new Map<
    string,
    { paymentRef: string; paymentId: string; amount: bigint; currency: string; status: string }
  >()
  const settlements: SettlementRecord[] = []
  const events: GatewayEvent[] = []
  const listeners: ((e: GatewayEvent) => void)[] = []
  const calls: Record<string, number> = {}
  let seq = 0

  const ref = (kind: string, key: string) => `sbx_${kind}_${digest(`${id}:${kind}:${key}`)}`

  function count(method: string): void {
    calls[method] = (calls[method] ?? 0) + 1
    if (down)
      throw new GatewayError('unavailable', `The ${id} gateway is down (simulated outage).`, {
        unprocessed: true,
      })
  }

  function emit(
    type: GatewayEventType,
    vendorType: string,
    p: SandboxPayment | undefined,
    extra: Partial<GatewayEvent> = {},
  ): GatewayEvent {
    seq += 1
    const event: GatewayEvent = {
      id: `sbx_evt_${digest(`${id}:${seq}:${vendorType}:${p?.ref ?? ''}:${extra.objectRef ?? ''}`)}`,
      type,
      vendorType,
      ...(p ? { paymentRef: p.ref, paymentId: p.paymentId, tenantId: p.tenantId, currency: p.currency } : {}),
      ...extra,
      occurredAt: clock.now(),
    }
    events.push(event)
    // A long-running demo keeps only the recent history; listeners see every event.
    if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS)
    for (const l of listeners) l(event)
    return event
  }

  function settle(
    type: SettlementRecord['type'],
    sourceRef: string,
    amount: bigint,
    fee: bigint,
    currency: string,
    paymentRef?: string,
  ): void {
    settlements.push({
      id: `sbx_txn_${digest(`${id}:${settlements.length}:${sourceRef}`)}`,
      type,
      sourceRef,
      // Like Stripe's balance transactions: the payment behind a record, so reconciliation can tell
      // whose it is when the ledger has not booked it.
      ...(paymentRef ? { paymentRef } : {}),
      amount,
      fee,
      currency,
      createdAt: clock.now(),
    })
  }

  const stateOf = (p: SandboxPayment): GatewayPaymentState => {
    const card = SANDBOX_METHODS[p.paymentMethod]?.card
    return {
      gatewayRef: p.ref,
      status: p.status,
      amountAuthorized: p.authorized,
      amountCaptured: p.captured,
      currency: p.currency,
      ...(p.captured > 0n ? { fee: p.fee } : {}),
      ...(p.declineCode ? { declineCode: p.declineCode } : {}),
      ...(card ? { card } : {}),
    }
  }

  function doCapture(p: SandboxPayment, amount: bigint): void {
    p.captured = amount
    p.fee = sandboxFee(amount)
    p.status = 'captured'
    settle('charge', p.ref, amount, p.fee, p.currency, p.ref)
    emit('payment.captured', 'charge.captured', p, { amount, fee: p.fee })
    if (p.paymentMethod === 'pm_card_dispute') openDispute(p.ref)
  }

  function find(gatewayRef: string): SandboxPayment {
    const p = byRef.get(gatewayRef)
    if (!p)
      throw new GatewayError('declined', `No sandbox payment ${gatewayRef}.`, {
        vendorCode: 'resource_missing',
      })
    return p
  }

  function openDispute(gatewayRef: string, amount?: bigint): GatewayEvent {
    const p = find(gatewayRef)
    if (p.status !== 'captured') throw new Error(`Cannot dispute ${gatewayRef} in status ${p.status}`)
    const disputeRef = ref('dp', `${gatewayRef}:${disputes.size}`)
    const amt = amount ?? p.captured - p.refunded
    disputes.set(disputeRef, {
      paymentRef: p.ref,
      paymentId: p.paymentId,
      amount: amt,
      currency: p.currency,
      status: 'opened',
    })
    settle('dispute', disputeRef, -amt, 0n, p.currency, p.ref)
    return emit('dispute.opened', 'dispute.created', p, { objectRef: disputeRef, amount: amt })
  }

  const gateway: SandboxGateway = {
    name: 'sandbox',
    cardOf: sandboxCardOf,
    id,
    capabilities: {
      manualCapture: true,
      partialCapture: true,
      multipleRefunds: true,
      idempotentRefunds: true,
      disputes: true,
      payouts: true,
      settlements: true,
      vaultedMethods: false,
      clientToken: false,
      currencies: 'any',
    },
    events,
    calls,

    setDown(value) {
      down = value
    },

    onEvent(listener) {
      listeners.push(listener)
    },

    async authorize(input: AuthorizeInput) {
      count('authorize')
      const existingRef = byPaymentId.get(input.paymentId)
      if (existingRef) {
        // A repeated confirm (after 3-D Secure, or a retry): the gateway answers with its current state.
        return stateOf(byRef.get(existingRef)!)
      }
      const magic = input.paymentMethod
      if (magic === 'pm_card_unavailable')
        throw new GatewayError('unavailable', 'The sandbox acquirer is unavailable (pm_card_unavailable).', {
          unprocessed: true,
        })
      if (magic === 'pm_card_misconfigured')
        throw new GatewayError('misconfigured', 'Sandbox credentials rejected (pm_card_misconfigured).')
      if (!magic.startsWith('pm_') && !magic.startsWith('tok_') && !magic.startsWith('nonce_'))
        throw new GatewayError('declined', `Unknown payment method ${magic}.`, {
          vendorCode: 'invalid_payment_method',
        })
      const p: SandboxPayment = {
        ref: ref('pi', input.paymentId),
        paymentId: input.paymentId,
        tenantId: input.tenantId,
        paymentMethod: magic,
        currency: input.currency,
        capture: input.capture,
        requested: input.amount,
        status: 'authorized',
        authorized: input.amount,
        captured: 0n,
        refunded: 0n,
        fee: 0n,
      }
      byRef.set(p.ref, p)
      byPaymentId.set(input.paymentId, p.ref)
      if (magic === 'pm_card_declined' || magic === 'pm_card_insufficient_funds') {
        const code = magic === 'pm_card_declined' ? 'generic_decline' : 'insufficient_funds'
        p.status = 'declined'
        p.authorized = 0n
        p.declineCode = code
        emit('payment.failed', 'charge.failed', p)
        throw new GatewayError('declined', `The card was declined (${code}).`, { vendorCode: code })
      }
      if (magic === 'pm_card_3ds') {
        p.status = 'requires_action'
        p.authorized = 0n
        return stateOf(p)
      }
      emit('payment.authorized', 'charge.authorized', p, { amount: input.amount })
      if (input.capture === 'automatic') doCapture(p, input.amount)
      if (magic === 'pm_card_timeout')
        throw new GatewayError('unknown', 'The sandbox did not answer in time (pm_card_timeout).')
      return stateOf(p)
    },

    async capture(gatewayRef, amount, currency) {
      count('capture')
      const p = find(gatewayRef)
      if (p.status === 'captured' && p.captured === amount) return stateOf(p) // idempotent repeat
      if (p.status !== 'authorized')
        throw new GatewayError('declined', `Cannot capture a payment in status ${p.status}.`, {
          vendorCode: 'payment_intent_unexpected_state',
        })
      if (currency !== p.currency || amount <= 0n || amount > p.authorized)
        throw new GatewayError('declined', `Capture of ${amount} ${currency} is not allowed.`, {
          vendorCode: 'amount_too_large',
        })
      doCapture(p, amount)
      return stateOf(p)
    },

    async cancel(gatewayRef) {
      count('cancel')
      const p = find(gatewayRef)
      if (p.status === 'canceled') return stateOf(p)
      if (p.status !== 'authorized' && p.status !== 'requires_action')
        throw new GatewayError('declined', `Cannot cancel a payment in status ${p.status}.`, {
          vendorCode: 'payment_intent_unexpected_state',
        })
      p.status = 'canceled'
      emit('payment.canceled', 'charge.voided', p)
      return stateOf(p)
    },

    async refund(gatewayRef, amount, currency, idempotencyKey) {
      count('refund')
      const cached = refunds.get(idempotencyKey)
      if (cached) return cached
      const p = find(gatewayRef)
      if (p.status !== 'captured')
        throw new GatewayError('declined', `Cannot refund a payment in status ${p.status}.`, {
          vendorCode: 'charge_not_captured',
        })
      if (currency !== p.currency || amount <= 0n || p.refunded + amount > p.captured)
        throw new GatewayError('declined', `Refund of ${amount} exceeds what is left.`, {
          vendorCode: 'amount_too_large',
        })
      p.refunded += amount
      const result: RefundResult = {
        gatewayRef: ref('re', idempotencyKey),
        status: 'succeeded',
        amount,
        currency,
      }
      refunds.set(idempotencyKey, result)
      settle('refund', result.gatewayRef, -amount, 0n, currency, p.ref)
      // Like Stripe's refund metadata, the event names our refund (the idempotency key is its id).
      emit('refund.succeeded', 'charge.refunded', p, {
        objectRef: result.gatewayRef,
        amount,
        refundId: idempotencyKey,
      })
      return result
    },

    async retrieve({ gatewayRef, paymentId }) {
      count('retrieve')
      const r = gatewayRef ?? byPaymentId.get(paymentId)
      const p = r ? byRef.get(r) : undefined
      return p && p.paymentId === paymentId ? stateOf(p) : undefined
    },

    async payout(amount, currency, idempotencyKey) {
      count('payout')
      const cached = payouts.get(idempotencyKey)
      if (cached) return cached
      const result: PayoutResult = { gatewayRef: ref('po', idempotencyKey), status: 'paid', amount, currency }
      payouts.set(idempotencyKey, result)
      settle('payout', result.gatewayRef, -amount, 0n, currency)
      emit('payout.paid', 'payout.paid', undefined, { objectRef: result.gatewayRef, amount, currency })
      return result
    },

    async listSettlements(range) {
      count('listSettlements')
      return settlements.filter((s) => s.createdAt >= range.from && s.createdAt < range.to)
    },

    async verifyWebhook(rawBody, headers, now) {
      if (!opts.webhookSecret) throw webhookSignatureInvalid('No sandbox webhook secret is configured.')
      return verifySandboxWebhook(opts.webhookSecret, rawBody, headers, now)
    },

    completeAction(gatewayRef, succeed = true) {
      const p = find(gatewayRef)
      if (p.status !== 'requires_action') throw new Error(`${gatewayRef} is not waiting for authentication`)
      if (!succeed) {
        p.status = 'declined'
        p.declineCode = 'authentication_failed'
        return emit('payment.failed', 'charge.failed', p)
      }
      p.status = 'authorized'
      p.authorized = p.requested
      const e = emit('payment.authorized', 'charge.authorized', p, { amount: p.authorized })
      if (p.capture === 'automatic') doCapture(p, p.authorized)
      return e
    },

    openDispute,

    closeDispute(disputeRef, outcome) {
      const d = disputes.get(disputeRef)
      if (!d) throw new Error(`No sandbox dispute ${disputeRef}`)
      d.status = outcome
      const p = byRef.get(d.paymentRef)
      if (outcome === 'won') settle('dispute_reversal', disputeRef, d.amount, 0n, d.currency, d.paymentRef)
      return emit(outcome === 'won' ? 'dispute.won' : 'dispute.lost', `dispute.closed.${outcome}`, p, {
        objectRef: disputeRef,
        amount: d.amount,
      })
    },

    webhookFor(event, at = clock.now()) {
      if (!opts.webhookSecret) throw new Error('No sandbox webhook secret is configured.')
      const body = sandboxWebhookBody(event)
      return {
        body,
        headers: {
          'content-type': 'application/json',
          ...signSandboxWebhook(opts.webhookSecret, body, { id: event.id, at }),
        },
      }
    },
  }

  return gateway
}
