/**
 * Stripe adapter: PaymentIntents for authorize / capture / cancel / retrieve, Refunds, Payouts,
 * Balance Transactions for settlements, Stripe-Signature webhooks. SDK calls and error translation
 * live in client.ts; this file only maps between Stripe's objects and the port's.
 */
import {
  GatewayError,
  type AuthorizeInput,
  type DateRange,
  type GatewayCapabilities,
  type GatewayEvent,
  type GatewayEventType,
  type GatewayPaymentState,
  type PaymentGateway,
  type PayoutResult,
  type RefundResult,
  type SettlementRecord,
} from '../../gateway.js'
import {
  createStripeClient,
  type StripeBalanceTransaction,
  type StripeCharge,
  type StripeClientOptions,
  type StripeEvent,
  type StripePaymentIntent,
  type StripePaymentMethod,
} from './client.js'

export type StripeGatewayOptions = StripeClientOptions

const CAPABILITIES: GatewayCapabilities = {
  manualCapture: true,
  partialCapture: true,
  multipleRefunds: true,
  idempotentRefunds: true,
  disputes: true,
  payouts: true,
  settlements: true,
  vaultedMethods: true,
  clientToken: false,
  currencies: 'any',
}

/** Stripe takes amounts as JS numbers; anything beyond 2^53 is not a real charge. */
const toStripeAmount = (amount: bigint): number => {
  if (amount <= 0n || amount > BigInt(Number.MAX_SAFE_INTEGER))
    throw new GatewayError('not_supported', `Stripe cannot take an amount of ${amount}`)
  return Number(amount)
}

const upper = (currency: string): string => currency.toUpperCase()

/** A refund's or payout's status for the port: `done` when Stripe says so, failed or canceled is failed, else pending. */
function finalStatus<Done extends string>(status: string | null, done: Done): Done | 'failed' | 'pending' {
  if (status === done) return done
  return status === 'failed' || status === 'canceled' ? 'failed' : 'pending'
}

function paymentState(pi: StripePaymentIntent): GatewayPaymentState {
  const charge = typeof pi.latest_charge === 'object' && pi.latest_charge ? pi.latest_charge : undefined
  const bt =
    charge && typeof charge.balance_transaction === 'object' && charge.balance_transaction
      ? charge.balance_transaction
      : undefined
  const card = charge?.payment_method_details?.card
  const status = ((): GatewayPaymentState['status'] => {
    const vendorStatus: string = pi.status
    switch (vendorStatus) {
      case 'requires_capture':
        return 'authorized'
      case 'succeeded':
        return 'captured'
      case 'canceled':
        return 'canceled'
      case 'requires_action':
        return 'requires_action'
      case 'requires_payment_method':
        // After a failed attempt Stripe waits for another method; for us the attempt is declined.
        return pi.last_payment_error ? 'declined' : 'processing'
      default:
        // requires_confirmation, processing, and statuses Stripe may add later.
        return 'processing'
    }
  })()
  const declineCode = pi.last_payment_error?.decline_code ?? pi.last_payment_error?.code
  return {
    gatewayRef: pi.id,
    status,
    amountAuthorized: BigInt(
      status === 'authorized' ? pi.amount_capturable : status === 'captured' ? pi.amount_received : 0,
    ),
    amountCaptured: BigInt(pi.amount_received),
    currency: upper(pi.currency),
    ...(bt ? { fee: BigInt(bt.fee) } : {}),
    ...(status === 'declined' && declineCode ? { declineCode } : {}),
    ...(card
      ? {
          card: {
            ...(card.brand ? { brand: card.brand } : {}),
            ...(card.country ? { country: card.country } : {}),
            ...(card.last4 ? { last4: card.last4 } : {}),
          },
        }
      : {}),
  }
}

const EXPAND = ['latest_charge.balance_transaction']

const refOf = (v: string | { id: string } | null | undefined): string | undefined =>
  typeof v === 'string' ? v : (v?.id ?? undefined)

/** The payment a balance transaction settles: charges point at their PaymentIntent. */
function settlementRecord(bt: StripeBalanceTransaction): SettlementRecord {
  const source = bt.source as unknown as
    string | (StripeCharge & { object: 'charge' }) | { object: string; id: string } | null
  const sourceRef = ((): string | undefined => {
    if (source && typeof source === 'object') {
      if (source.object === 'charge') return refOf((source as StripeCharge).payment_intent) ?? source.id
      return source.id
    }
    return source ?? undefined
  })()
  // Refunds and disputes name their PaymentIntent: lets reconciliation tell whose record it is.
  const paymentRef =
    source && typeof source === 'object'
      ? source.object === 'charge'
        ? sourceRef
        : refOf((source as { payment_intent?: string | { id: string } | null }).payment_intent)
      : undefined
  const category = bt.reporting_category
  const type = ((): SettlementRecord['type'] => {
    if (bt.type === 'charge' || bt.type === 'payment') return 'charge'
    if (bt.type === 'refund' || bt.type === 'payment_refund') return 'refund'
    if (bt.type === 'payout' || bt.type === 'payout_failure' || bt.type === 'payout_cancel') return 'payout'
    if (bt.type === 'stripe_fee' || bt.type === 'application_fee') return 'fee'
    if (category === 'dispute') return 'dispute'
    if (category === 'dispute_reversal') return 'dispute_reversal'
    return 'adjustment'
  })()
  return {
    id: bt.id,
    type,
    ...(sourceRef ? { sourceRef } : {}),
    ...(paymentRef ? { paymentRef } : {}),
    amount: BigInt(bt.amount),
    fee: BigInt(bt.fee),
    currency: upper(bt.currency),
    createdAt: new Date(bt.created * 1000),
  }
}

function eventOf(event: StripeEvent): GatewayEvent {
  const object = event.data.object as unknown as Record<string, unknown> & { id: string }
  const base = { id: event.id, vendorType: event.type, occurredAt: new Date(event.created * 1000) }
  const money = (amount: unknown, currency: unknown): { amount?: bigint; currency?: string } => ({
    ...(typeof amount === 'number' ? { amount: BigInt(amount) } : {}),
    ...(typeof currency === 'string' ? { currency: upper(currency) } : {}),
  })
  const ofIntent = (
    type: GatewayEventType,
    amountField: 'amount' | 'amount_received' | 'amount_capturable',
  ) => {
    const pi = object as unknown as StripePaymentIntent
    return {
      ...base,
      type,
      paymentRef: pi.id,
      ...(pi.metadata.paymentId ? { paymentId: pi.metadata.paymentId } : {}),
      ...(pi.metadata.tenantId ? { tenantId: pi.metadata.tenantId } : {}),
      ...money(pi[amountField], pi.currency),
    }
  }
  /** Refunds and disputes: the object is the refund / dispute, the payment is its payment_intent. */
  const ofObject = (type: GatewayEventType): GatewayEvent => {
    const paymentRef = refOf(object.payment_intent as string | null)
    const refundId = (object.metadata as Record<string, string> | null | undefined)?.refundId
    return {
      ...base,
      type,
      objectRef: object.id,
      ...(refundId && object.object === 'refund' ? { refundId } : {}),
      ...(paymentRef ? { paymentRef } : {}),
      ...money(object.amount, object.currency),
    }
  }
  // A plain string: Stripe adds event types over time, and all the others are `ignored`.
  const vendorType: string = event.type
  switch (vendorType) {
    case 'payment_intent.amount_capturable_updated':
      return ofIntent('payment.authorized', 'amount_capturable')
    case 'payment_intent.succeeded':
      return ofIntent('payment.captured', 'amount_received')
    case 'payment_intent.payment_failed':
      return ofIntent('payment.failed', 'amount')
    case 'payment_intent.canceled':
      return ofIntent('payment.canceled', 'amount')
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed': {
      const status = object.status
      return ofObject(
        vendorType === 'refund.failed' || status === 'failed' || status === 'canceled'
          ? 'refund.failed'
          : status === 'succeeded'
            ? 'refund.succeeded'
            : 'ignored',
      )
    }
    case 'charge.dispute.created':
      return ofObject('dispute.opened')
    case 'charge.dispute.closed':
      return ofObject(
        object.status === 'won' ? 'dispute.won' : object.status === 'lost' ? 'dispute.lost' : 'ignored',
      )
    // Card updater (the issuer renewed or replaced the card) and edits of a saved card: the
    // PaymentMethod keeps its id, so `ref` is also the token to charge.
    case 'payment_method.updated':
    case 'payment_method.automatically_updated': {
      const pm = object as unknown as StripePaymentMethod
      if (!pm.card) return { ...base, type: 'ignored' }
      const customer = typeof pm.customer === 'string' ? pm.customer : pm.customer?.id
      return {
        ...base,
        type: 'payment_method.updated',
        objectRef: pm.id,
        method: {
          ref: pm.id,
          ...(customer ? { customerRef: customer } : {}),
          brand: pm.card.brand,
          last4: pm.card.last4,
          expMonth: pm.card.exp_month,
          expYear: pm.card.exp_year,
        },
      }
    }
    case 'payout.paid':
    case 'payout.failed':
      return {
        ...base,
        type: vendorType === 'payout.paid' ? 'payout.paid' : 'payout.failed',
        objectRef: object.id,
        ...money(object.amount, object.currency),
      }
    default:
      return { ...base, type: 'ignored' }
  }
}

export function createStripeGateway(opts: StripeGatewayOptions): PaymentGateway {
  const client = createStripeClient(opts)

  const retrieveIntent = async (gatewayRef: string): Promise<StripePaymentIntent | undefined> => {
    try {
      return await client.call('retrieve', (s) => s.paymentIntents.retrieve(gatewayRef, { expand: EXPAND }))
    } catch (err) {
      if (err instanceof GatewayError && err.vendorCode === 'resource_missing') return undefined
      throw err
    }
  }

  return {
    name: 'stripe',
    capabilities: CAPABILITIES,

    async authorize(input: AuthorizeInput) {
      const pi = await client.call('authorize', (s) =>
        s.paymentIntents.create(
          {
            amount: toStripeAmount(input.amount),
            currency: input.currency.toLowerCase(),
            payment_method: input.paymentMethod,
            // Server-side confirmation with a card: no redirect-based methods.
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            capture_method: input.capture === 'manual' ? 'manual' : 'automatic',
            confirm: true,
            ...(input.customerId ? { customer: input.customerId } : {}),
            // Our ids ride along so webhooks and the sweeper can find the payment again.
            metadata: { ...input.metadata, tenantId: input.tenantId, paymentId: input.paymentId },
            expand: EXPAND,
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      )
      return paymentState(pi)
    },

    async capture(gatewayRef, amount, _currency, idempotencyKey) {
      const pi = await client.call('capture', (s) =>
        s.paymentIntents.capture(
          gatewayRef,
          { amount_to_capture: toStripeAmount(amount), expand: EXPAND },
          { idempotencyKey },
        ),
      )
      return paymentState(pi)
    },

    async cancel(gatewayRef, idempotencyKey) {
      const pi = await client.call('cancel', (s) =>
        s.paymentIntents.cancel(gatewayRef, { expand: EXPAND }, { idempotencyKey }),
      )
      return paymentState(pi)
    },

    async refund(gatewayRef, amount, _currency, idempotencyKey): Promise<RefundResult> {
      const re = await client.call('refund', (s) =>
        s.refunds.create(
          // Our refund id (the key) in its metadata: its webhook can settle our call still in flight.
          {
            payment_intent: gatewayRef,
            amount: toStripeAmount(amount),
            metadata: { refundId: idempotencyKey },
          },
          { idempotencyKey },
        ),
      )
      return {
        gatewayRef: re.id,
        status: finalStatus(re.status, 'succeeded'),
        amount: BigInt(re.amount),
        currency: upper(re.currency),
      }
    },

    async retrieve(ref) {
      if (ref.gatewayRef) {
        const pi = await retrieveIntent(ref.gatewayRef)
        return pi ? paymentState(pi) : undefined
      }
      // No ref came back (timeout on create): find it by the paymentId we put in its metadata.
      const found = await client.call('retrieve', (s) =>
        s.paymentIntents.search({
          query: `metadata['paymentId']:'${ref.paymentId.replace(/'/g, '')}'`,
          expand: ['data.latest_charge.balance_transaction'],
          limit: 1,
        }),
      )
      const pi = found.data[0]
      return pi ? paymentState(pi) : undefined
    },

    async payout(amount, currency, idempotencyKey): Promise<PayoutResult> {
      const po = await client.call('payout', (s) =>
        s.payouts.create(
          { amount: toStripeAmount(amount), currency: currency.toLowerCase() },
          { idempotencyKey },
        ),
      )
      return {
        gatewayRef: po.id,
        status: finalStatus(po.status, 'paid'),
        amount: BigInt(po.amount),
        currency: upper(po.currency),
      }
    },

    async vaultPaymentMethod(input) {
      const customerId = input.customerId ?? (await client.call('vault', (s) => s.customers.create({}))).id
      const pm = await client.call('vault', (s) =>
        s.paymentMethods.attach(input.paymentMethod, { customer: customerId }),
      )
      return { customerId, token: pm.id }
    },

    async listSettlements(range: DateRange) {
      return client.call('listSettlements', async (s) => {
        const records: SettlementRecord[] = []
        const pages = s.balanceTransactions.list({
          created: {
            gte: Math.floor(range.from.getTime() / 1000),
            lt: Math.ceil(range.to.getTime() / 1000),
          },
          limit: 100,
          expand: ['data.source'],
        })
        for await (const bt of pages) records.push(settlementRecord(bt))
        return records
      })
    },

    verifyWebhook: (rawBody, headers, now) =>
      Promise.resolve().then(() => eventOf(client.verifyEvent(rawBody, headers, now))),
  }
}
