/**
 * The payment state machine, pure. Every change to a payment, whether it comes from the API (the
 * gateway's answer to our call), from a gateway webhook or from the sweeper, is a `Fact` reduced by
 * `plan()`. It returns the new state, the ledger steps and the events; the service writes all of them
 * in one database transaction under a row lock, so there is exactly one writer of transitions.
 */
import type { AppError } from '../../shared/errors.js'
import type { GatewayPaymentState } from './gateway.js'
import { paymentError } from './payments.errors.js'

export const PAYMENT_STATUSES = [
  'requires_confirmation',
  'processing',
  'requires_action',
  'requires_capture',
  'succeeded',
  'failed',
  'canceled',
  'unknown',
] as const
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number]

export type CaptureMethod = 'automatic' | 'manual'

/** Statuses no fact moves a payment out of (refunds and disputes change amounts, not status). */
export const TERMINAL: ReadonlySet<PaymentStatus> = new Set(['succeeded', 'failed', 'canceled'])

/** The state the machine reasons about: status and amounts (all minor units of `currency`). */
export interface PaymentState {
  readonly status: PaymentStatus
  readonly amount: bigint
  readonly currency: string
  readonly capture: CaptureMethod
  readonly amountAuthorized: bigint
  readonly amountCaptured: bigint
  readonly amountRefunded: bigint
  /** Refunds asked of the gateway and not answered yet: reserved against the captured amount. */
  readonly amountRefundPending: bigint
  /** Disputed and not yet won back. */
  readonly amountDisputed: bigint
  /** The gateway's fee on the capture, once known (0 until then). */
  readonly amountFee: bigint
  readonly gatewayRef: string | null
  readonly declineCode: string | null
  readonly nextAction: Record<string, string> | null
}

export interface Payment extends PaymentState {
  readonly id: string
  readonly tenantId: string
  readonly paymentMethod: string
  readonly customer: string | null
  readonly description: string | null
  readonly metadata: Record<string, string>
  readonly gateway: string | null
  /** The ledger's pending transaction holding the authorised amount. */
  readonly holdTransactionId: string | null
  /** An operation sent to the gateway and not answered yet ("capture", "cancel"); blocks others. */
  readonly inFlight: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

export const amountCapturable = (p: PaymentState): bigint =>
  p.status === 'requires_capture' ? p.amountAuthorized - p.amountCaptured : 0n

/**
 * What can still be refunded: captured, less refunds done or in flight, less what a dispute took.
 * Never below zero: a chargeback may arrive for money whose refund is still in flight (the bank's
 * dispute is a fact, not a request), and then nothing more is refundable.
 */
export const amountRefundable = (p: PaymentState): bigint => {
  if (p.status !== 'succeeded') return 0n
  const left = p.amountCaptured - p.amountRefunded - p.amountRefundPending - p.amountDisputed
  return left > 0n ? left : 0n
}

/** Something the gateway said (or we learnt) about a payment. */
export type Fact =
  | { readonly type: 'processing' }
  | {
      readonly type: 'requires_action'
      readonly gatewayRef?: string
      readonly nextAction?: Record<string, string>
    }
  | { readonly type: 'authorized'; readonly gatewayRef?: string; readonly amount: bigint }
  | {
      readonly type: 'captured'
      readonly gatewayRef?: string
      /** Authorised amount when the gateway reported it; defaults to the captured amount. */
      readonly authorized?: bigint
      readonly amount: bigint
      readonly fee?: bigint
    }
  | { readonly type: 'failed'; readonly gatewayRef?: string; readonly declineCode?: string }
  | { readonly type: 'canceled' }
  | {
      readonly type: 'unknown'
      readonly gatewayRef?: string
      /**
       * The call whose outcome is unknown was the authorisation (a create or confirm). Booked late,
       * after another attempt with the key learnt the outcome, it changes nothing.
       */
      readonly ofAuthorization?: true
    }
  /** Every gateway was unavailable: nothing happened, the client may confirm again. */
  | { readonly type: 'unavailable' }
  /**
   * The gateway asked (by the sweeper or a retry) has no record of a payment it was sent: the request
   * never reached it, nothing happened, and the client may confirm again.
   */
  | { readonly type: 'no_record' }
  | { readonly type: 'refund_reserved'; readonly amount: bigint }
  | { readonly type: 'refund_released'; readonly amount: bigint }
  | { readonly type: 'refunded'; readonly amount: bigint; readonly reserved: boolean }
  | { readonly type: 'dispute_opened'; readonly amount: bigint }
  | { readonly type: 'dispute_won'; readonly amount: bigint }
  | { readonly type: 'dispute_lost'; readonly amount: bigint }

/** Money movements the ledger mapping turns into balanced ledger commands. */
export type LedgerStep =
  | { readonly kind: 'hold'; readonly amount: bigint }
  | { readonly kind: 'post'; readonly amount: bigint }
  | { readonly kind: 'void' }
  | { readonly kind: 'fee'; readonly amount: bigint }
  | { readonly kind: 'refund'; readonly amount: bigint }
  | { readonly kind: 'dispute'; readonly amount: bigint }
  | { readonly kind: 'dispute_reversal'; readonly amount: bigint }
  | { readonly kind: 'dispute_loss'; readonly amount: bigint }

export type PaymentEventName =
  | 'authorized'
  | 'captured'
  | 'failed'
  | 'canceled'
  | 'refund_succeeded'
  | 'dispute_opened'
  | 'dispute_won'
  | 'dispute_lost'

export interface Plan {
  readonly outcome: 'applied' | 'duplicate' | 'ignored'
  readonly next: PaymentState
  readonly ledger: readonly LedgerStep[]
  readonly events: readonly PaymentEventName[]
}

export const invalidState = (status: PaymentStatus, action: string): AppError =>
  paymentError('PAYMENT_INVALID_STATE', `Cannot ${action} a payment in status ${status}.`, { status })

/** A fact that needs an earlier one we have not seen yet; retryable (the inbox tries again later). */
export const outOfOrder = (message: string): AppError => paymentError('PAYMENT_EVENT_OUT_OF_ORDER', message)

const same = (p: PaymentState): Plan => ({ outcome: 'duplicate', next: p, ledger: [], events: [] })
const ignored = (p: PaymentState): Plan => ({ outcome: 'ignored', next: p, ledger: [], events: [] })

/** Statuses from which the gateway may still report the authorisation outcome. */
const AWAITING: ReadonlySet<PaymentStatus> = new Set([
  'requires_confirmation',
  'processing',
  'requires_action',
  'unknown',
])

const withRef = (p: PaymentState, ref: string | undefined): PaymentState =>
  ref && !p.gatewayRef ? { ...p, gatewayRef: ref } : p

/**
 * Reduces one fact. Facts are idempotent (a second `captured` is a duplicate) and order-tolerant:
 * `captured` before `authorized` implies the authorisation; `authorized` after `captured` is a
 * duplicate; a refund or dispute before the capture is known is refused as out of order (retryable),
 * never applied to a payment that has nothing captured.
 */
export function plan(p: PaymentState, fact: Fact): Plan {
  switch (fact.type) {
    case 'processing':
      if (p.status !== 'requires_confirmation' && p.status !== 'requires_action')
        throw invalidState(p.status, 'confirm')
      return { outcome: 'applied', next: { ...p, status: 'processing' }, ledger: [], events: [] }

    case 'unavailable':
      if (p.status !== 'processing') return ignored(p)
      return {
        outcome: 'applied',
        next: { ...p, status: 'requires_confirmation' },
        ledger: [],
        events: [],
      }

    // Also from `unknown` (a call that timed out before reaching the gateway), not only `processing`:
    // back to requires_confirmation, not failed, so the client's retry with its key sends it again
    // (under the same gateway idempotency key), and a request that still arrives late is applied by
    // its webhook instead of being ignored on a terminal payment. A payment with an authorisation is
    // one the gateway knew: losing it is not "never sent", and fails it as before.
    case 'no_record':
      if (p.status === 'processing' || (p.status === 'unknown' && p.amountAuthorized === 0n))
        return { outcome: 'applied', next: { ...p, status: 'requires_confirmation' }, ledger: [], events: [] }
      if (p.status === 'unknown') return plan(p, { type: 'failed', declineCode: 'gateway_no_record' })
      return ignored(p)

    case 'requires_action':
      if (p.status !== 'processing' && p.status !== 'unknown')
        return p.status === 'requires_action' ? same(p) : ignored(p)
      return {
        outcome: 'applied',
        next: {
          ...withRef(p, fact.gatewayRef),
          status: 'requires_action',
          nextAction: fact.nextAction ?? null,
        },
        ledger: [],
        events: [],
      }

    case 'unknown':
      if (TERMINAL.has(p.status) && p.status !== 'succeeded') return ignored(p)
      if (p.status === 'succeeded' || p.status === 'unknown') return same(p)
      // A stale authorisation timeout must not make an authorised payment unknown (and answer its
      // key so): only a capture's timeout does that (requires_capture --> unknown).
      if (fact.ofAuthorization && p.amountAuthorized > 0n) return same(p)
      return {
        outcome: 'applied',
        next: { ...withRef(p, fact.gatewayRef), status: 'unknown' },
        ledger: [],
        events: [],
      }

    case 'authorized': {
      if (p.amountAuthorized > 0n) {
        // The sweeper learnt that a capture which timed out did not happen: back to capturable.
        if (p.status !== 'unknown') return same(p)
        return { outcome: 'applied', next: { ...p, status: 'requires_capture' }, ledger: [], events: [] }
      }
      if (!AWAITING.has(p.status)) return ignored(p)
      checkAmount(p, fact.amount, 'authorised')
      return {
        outcome: 'applied',
        next: {
          ...withRef(p, fact.gatewayRef),
          status: 'requires_capture',
          amountAuthorized: fact.amount,
          nextAction: null,
        },
        ledger: [{ kind: 'hold', amount: fact.amount }],
        // An automatic-capture payment reported as only authorised waits here for its capture fact.
        events: ['authorized'],
      }
    }

    case 'captured': {
      if (p.amountCaptured > 0n) {
        // A fee the gateway reports after the capture (Stripe's balance transaction) is booked late.
        if (!fact.fee || fact.fee <= 0n || p.amountFee > 0n) return same(p)
        return {
          outcome: 'applied',
          next: { ...p, amountFee: fact.fee },
          ledger: [{ kind: 'fee', amount: fact.fee }],
          events: [],
        }
      }
      if (p.status === 'failed' || p.status === 'canceled') return ignored(p)
      const authorized = p.amountAuthorized > 0n ? p.amountAuthorized : (fact.authorized ?? fact.amount)
      checkAmount(p, authorized, 'authorised')
      if (fact.amount <= 0n || fact.amount > authorized)
        throw paymentError(
          'PAYMENT_CAPTURE_EXCEEDS_AUTHORIZED',
          `Captured ${fact.amount} is outside 1..${authorized}.`,
        )
      const ledger: LedgerStep[] = []
      const events: PaymentEventName[] = []
      if (p.amountAuthorized === 0n) {
        ledger.push({ kind: 'hold', amount: authorized })
        events.push('authorized')
      }
      ledger.push({ kind: 'post', amount: fact.amount })
      if (fact.fee && fact.fee > 0n) ledger.push({ kind: 'fee', amount: fact.fee })
      events.push('captured')
      return {
        outcome: 'applied',
        next: {
          ...withRef(p, fact.gatewayRef),
          status: 'succeeded',
          amountAuthorized: authorized,
          amountCaptured: fact.amount,
          amountFee: fact.fee && fact.fee > 0n ? fact.fee : 0n,
          nextAction: null,
        },
        ledger,
        events,
      }
    }

    case 'failed':
      if (p.status === 'failed') return same(p)
      if (!AWAITING.has(p.status)) return ignored(p)
      return {
        outcome: 'applied',
        next: {
          ...withRef(p, fact.gatewayRef),
          status: 'failed',
          declineCode: fact.declineCode ?? null,
          nextAction: null,
        },
        ledger: p.amountAuthorized > 0n ? [{ kind: 'void' }] : [],
        events: ['failed'],
      }

    case 'canceled':
      if (p.status === 'canceled') return same(p)
      if (p.status === 'succeeded' || p.status === 'failed') return ignored(p)
      return {
        outcome: 'applied',
        next: { ...p, status: 'canceled', nextAction: null },
        ledger: p.amountAuthorized > 0n ? [{ kind: 'void' }] : [],
        events: ['canceled'],
      }

    case 'refund_reserved':
      if (p.status !== 'succeeded') throw invalidState(p.status, 'refund')
      if (fact.amount <= 0n || fact.amount > amountRefundable(p))
        throw paymentError(
          'PAYMENT_REFUND_EXCEEDS_CAPTURED',
          `Refund of ${fact.amount} exceeds the refundable ${amountRefundable(p)}.`,
          { refundable: amountRefundable(p).toString() },
        )
      return {
        outcome: 'applied',
        next: { ...p, amountRefundPending: p.amountRefundPending + fact.amount },
        ledger: [],
        events: [],
      }

    case 'refund_released':
      return {
        outcome: 'applied',
        next: { ...p, amountRefundPending: p.amountRefundPending - fact.amount },
        ledger: [],
        events: [],
      }

    case 'refunded': {
      if (p.status !== 'succeeded') throw outOfOrder('Refund reported before the capture is known.')
      const pending = fact.reserved ? p.amountRefundPending - fact.amount : p.amountRefundPending
      const room = p.amountCaptured - p.amountRefunded - (fact.reserved ? pending : p.amountRefundPending)
      if (fact.amount <= 0n || fact.amount > room)
        throw paymentError('PAYMENT_REFUND_EXCEEDS_CAPTURED', `Refund of ${fact.amount} exceeds ${room}.`)
      return {
        outcome: 'applied',
        next: { ...p, amountRefunded: p.amountRefunded + fact.amount, amountRefundPending: pending },
        ledger: [{ kind: 'refund', amount: fact.amount }],
        events: ['refund_succeeded'],
      }
    }

    case 'dispute_opened': {
      if (p.status !== 'succeeded') throw outOfOrder('Dispute reported before the capture is known.')
      const amount = clampDispute(p, fact.amount)
      return {
        outcome: 'applied',
        next: { ...p, amountDisputed: p.amountDisputed + amount },
        ledger: [{ kind: 'dispute', amount }],
        events: ['dispute_opened'],
      }
    }

    case 'dispute_won':
      return {
        outcome: 'applied',
        next: { ...p, amountDisputed: p.amountDisputed - fact.amount },
        ledger: [{ kind: 'dispute_reversal', amount: fact.amount }],
        events: ['dispute_won'],
      }

    case 'dispute_lost':
      return {
        outcome: 'applied',
        next: p,
        ledger: [{ kind: 'dispute_loss', amount: fact.amount }],
        events: ['dispute_lost'],
      }
  }
}

function checkAmount(p: PaymentState, amount: bigint, what: string): void {
  if (amount <= 0n || amount > p.amount)
    throw paymentError(
      'PAYMENT_GATEWAY_AMOUNT_MISMATCH',
      `The gateway reported ${what} ${amount}, outside 1..${p.amount}.`,
    )
}

/** A dispute cannot take more than was captured and not refunded or already disputed. */
function clampDispute(p: PaymentState, amount: bigint): bigint {
  const room = p.amountCaptured - p.amountRefunded - p.amountDisputed
  if (amount <= 0n || amount > room)
    throw paymentError('PAYMENT_DISPUTE_EXCEEDS_CAPTURED', `Dispute of ${amount} exceeds ${room}.`)
  return amount
}

/** The fact a gateway's answer (to a call, or to the sweeper's question) amounts to. */
export function factOf(state: GatewayPaymentState): Fact {
  switch (state.status) {
    case 'requires_action':
      return { type: 'requires_action', gatewayRef: state.gatewayRef }
    case 'authorized':
      return { type: 'authorized', gatewayRef: state.gatewayRef, amount: state.amountAuthorized }
    case 'captured':
      return {
        type: 'captured',
        gatewayRef: state.gatewayRef,
        authorized: state.amountAuthorized > 0n ? state.amountAuthorized : state.amountCaptured,
        amount: state.amountCaptured,
        ...(state.fee !== undefined ? { fee: state.fee } : {}),
      }
    case 'canceled':
      return { type: 'canceled' }
    case 'declined':
      return {
        type: 'failed',
        gatewayRef: state.gatewayRef,
        ...(state.declineCode ? { declineCode: state.declineCode } : {}),
      }
    case 'processing':
      return { type: 'unknown', gatewayRef: state.gatewayRef }
  }
}
