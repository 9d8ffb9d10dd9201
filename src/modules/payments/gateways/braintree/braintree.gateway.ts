/**
 * Braintree adapter: transaction.sale with a nonce (submitForSettlement for automatic capture) or a
 * vaulted token, submitForSettlement (partial), void, refund, find / search by order id, client
 * tokens, customer + payment method vaulting, settled transactions for reconciliation, and
 * bt_signature / bt_payload webhooks. SDK calls and error translation live in client.ts.
 *
 * Braintree has no idempotency keys: a retried sale may charge twice, so callers must not retry an
 * `unknown` outcome blindly; the sweeper finds the transaction by our payment id (order id) instead.
 */
import { currency as currencyOf, formatMinor } from '../../../../shared/money.js'
import {
  GatewayError,
  type AuthorizeInput,
  type DateRange,
  type GatewayCapabilities,
  type GatewayEvent,
  type GatewayEventType,
  type GatewayPaymentState,
  type PaymentGateway,
  type RefundResult,
  type SettlementRecord,
} from '../../gateway.js'
import {
  createBraintreeClient,
  refundWithOptions,
  type BraintreeClientOptions,
  type BraintreeNotification,
  type BraintreeTransaction,
  type BraintreeTransactionStatus,
} from './client.js'

export type BraintreeGatewayOptions = BraintreeClientOptions

const CAPABILITIES: GatewayCapabilities = {
  manualCapture: true,
  partialCapture: true,
  multipleRefunds: true,
  idempotentRefunds: false,
  disputes: true,
  payouts: false,
  settlements: true,
  vaultedMethods: true,
  clientToken: true,
  // A merchant account settles in one currency; a mismatch is refused after the fact (see authorize).
  currencies: 'any',
}

/** Braintree speaks decimal strings ("10.50"); we speak minor units. */
const toDecimal = (amount: bigint, code: string): string => formatMinor(amount, currencyOf(code))

export function toMinor(decimal: string, code: string): bigint {
  const { exponent } = currencyOf(code)
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal.trim())
  if (!match) throw new GatewayError('unknown', `Braintree returned an amount we cannot read: "${decimal}"`)
  const [, sign, whole, frac = ''] = match
  if (frac.replace(/0+$/, '').length > exponent)
    throw new GatewayError('unknown', `Braintree amount ${decimal} has more decimals than ${code} allows`)
  const minor = BigInt(whole! + frac.padEnd(exponent, '0').slice(0, exponent))
  return sign === '-' ? -minor : minor
}

const CAPTURED = new Set([
  'submitted_for_settlement',
  'settling',
  'settlement_pending',
  'settled',
  'settlement_confirmed',
])
const DECLINED = new Set(['processor_declined', 'gateway_rejected', 'failed', 'settlement_declined'])
const SETTLED: BraintreeTransactionStatus[] = ['settled', 'settlement_confirmed']

function paymentState(t: BraintreeTransaction): GatewayPaymentState {
  const status: GatewayPaymentState['status'] = CAPTURED.has(t.status)
    ? 'captured'
    : DECLINED.has(t.status)
      ? 'declined'
      : t.status === 'authorized'
        ? 'authorized'
        : t.status === 'voided' || t.status === 'authorization_expired'
          ? 'canceled'
          : 'processing'
  const amount = toMinor(t.amount, t.currencyIsoCode)
  const card = t.creditCard as { cardType?: string; countryOfIssuance?: string; last4?: string } | undefined
  return {
    gatewayRef: t.id,
    status,
    amountAuthorized: status === 'authorized' || status === 'captured' ? amount : 0n,
    amountCaptured: status === 'captured' ? amount : 0n,
    currency: t.currencyIsoCode,
    ...(status === 'declined' ? { declineCode: String(t.processorResponseCode) } : {}),
    ...(card
      ? {
          card: {
            ...(card.cardType ? { brand: card.cardType.toLowerCase() } : {}),
            ...(card.countryOfIssuance ? { country: card.countryOfIssuance } : {}),
            ...(card.last4 ? { last4: card.last4 } : {}),
          },
        }
      : {}),
  }
}

function settlementRecord(t: BraintreeTransaction): SettlementRecord {
  const amount = toMinor(t.amount, t.currencyIsoCode)
  const at = (t as { settledAt?: string }).settledAt ?? t.updatedAt
  return {
    id: t.id,
    type: t.type === 'credit' ? 'refund' : 'charge',
    sourceRef: t.id,
    ...(t.type === 'credit'
      ? t.refundedTransactionId
        ? { paymentRef: t.refundedTransactionId }
        : {}
      : { paymentRef: t.id }),
    amount: t.type === 'credit' ? -amount : amount,
    // Braintree reports fees in its merchant reports, not per transaction in the API.
    fee: 0n,
    currency: t.currencyIsoCode,
    createdAt: new Date(at),
  }
}

interface DisputeSubject {
  id: string
  amountDisputed?: string
  amount?: string
  currencyIsoCode?: string
  transaction?: { id?: string; orderId?: string }
}
interface DisbursementSubject {
  id: string
  amount?: string
  currencyIsoCode?: string
  merchantAccount?: { currencyIsoCode?: string }
}

function eventOf(n: BraintreeNotification): GatewayEvent {
  const raw = n as unknown as {
    kind: string
    timestamp: string
    transaction?: BraintreeTransaction
    dispute?: DisputeSubject
    disbursement?: DisbursementSubject
    paymentMethodCustomerDataUpdatedMetadata?: MethodUpdatedSubject
  }
  const occurredAt = new Date(raw.timestamp)
  const updated = raw.paymentMethodCustomerDataUpdatedMetadata
  const subjectId = raw.transaction?.id ?? raw.dispute?.id ?? raw.disbursement?.id ?? updated?.token ?? 'none'
  const base = {
    id: `${raw.kind}:${subjectId}:${occurredAt.toISOString()}`,
    vendorType: raw.kind,
    occurredAt,
  }
  const money = (amount: string | undefined, code: string | undefined) =>
    amount && code ? { amount: toMinor(amount, code), currency: code } : {}

  const t = raw.transaction
  if (t && (raw.kind === 'transaction_settled' || raw.kind === 'transaction_settlement_declined')) {
    const settled = raw.kind === 'transaction_settled'
    const credit = t.type === 'credit'
    const type: GatewayEventType = credit
      ? settled
        ? 'refund.succeeded'
        : 'refund.failed'
      : settled
        ? 'payment.captured'
        : 'payment.failed'
    const paymentRef = credit ? (t.refundedTransactionId ?? undefined) : t.id
    return {
      ...base,
      type,
      ...(paymentRef ? { paymentRef } : {}),
      ...(credit ? { objectRef: t.id } : {}),
      ...(t.orderId ? { paymentId: t.orderId } : {}),
      ...money(t.amount, t.currencyIsoCode),
    }
  }
  const d = raw.dispute
  const disputeTypes: Record<string, GatewayEventType> = {
    dispute_opened: 'dispute.opened',
    dispute_won: 'dispute.won',
    dispute_lost: 'dispute.lost',
  }
  const disputeType = disputeTypes[raw.kind]
  if (d && disputeType) {
    return {
      ...base,
      type: disputeType,
      objectRef: d.id,
      ...(d.transaction?.id ? { paymentRef: d.transaction.id } : {}),
      ...(d.transaction?.orderId ? { paymentId: d.transaction.orderId } : {}),
      ...money(d.amountDisputed ?? d.amount, d.currencyIsoCode),
    }
  }
  const b = raw.disbursement
  // Braintree pays out by itself (disbursements); we hear about them but cannot ask for one.
  if (b && raw.kind === 'disbursement') {
    return {
      ...base,
      type: 'payout.paid',
      objectRef: b.id,
      ...money(b.amount, b.currencyIsoCode ?? b.merchantAccount?.currencyIsoCode),
    }
  }
  const card = updated?.paymentMethod
  // A vaulted card's data changed (new expiry, replaced number): the vault token stays the same.
  // Other vaulted kinds (Venmo, PayPal) have no card data to show, so they change nothing here.
  if (updated?.token && raw.kind === 'payment_method_customer_data_updated' && card?.last4) {
    return {
      ...base,
      type: 'payment_method.updated',
      objectRef: updated.token,
      method: {
        ref: updated.token,
        ...(card.customerId ? { customerRef: card.customerId } : {}),
        ...(card.cardType ? { brand: card.cardType.toLowerCase() } : {}),
        last4: card.last4,
        ...(card.expirationMonth ? { expMonth: Number(card.expirationMonth) } : {}),
        ...(card.expirationYear ? { expYear: Number(card.expirationYear) } : {}),
      },
    }
  }
  return { ...base, type: 'ignored' }
}

/** The subject of `payment_method_customer_data_updated` as the SDK parses it. */
interface MethodUpdatedSubject {
  readonly token?: string
  readonly paymentMethod?: {
    readonly customerId?: string
    readonly cardType?: string
    readonly last4?: string
    readonly expirationMonth?: string
    readonly expirationYear?: string
  }
}

/** A refund (credit) transaction as the port answers it. */
function refundResult(t: BraintreeTransaction): RefundResult {
  // Card refunds accepted for settlement do not fail later in practice; declines come back at once.
  const status: RefundResult['status'] = DECLINED.has(t.status) ? 'failed' : 'succeeded'
  return {
    gatewayRef: t.id,
    status,
    amount: toMinor(t.amount, t.currencyIsoCode),
    currency: t.currencyIsoCode,
  }
}

export function createBraintreeGateway(opts: BraintreeGatewayOptions): PaymentGateway {
  const client = createBraintreeClient(opts)

  const find = async (id: string): Promise<BraintreeTransaction | undefined> => {
    try {
      return await client.call('retrieve', (s) => s.transaction.find(id))
    } catch (err) {
      if (err instanceof GatewayError && err.vendorCode === 'notFoundError') return undefined
      throw err
    }
  }

  /** The refund of sale `saleRef` made under order id `orderId`, if there is one. */
  const refundOrderedAs = async (saleRef: string, orderId: string) => {
    const sale = await find(saleRef)
    for (const id of sale?.refundIds ?? []) {
      const refund = await find(id)
      if (refund?.orderId === orderId) return refund
    }
    return undefined
  }

  return {
    name: 'braintree',
    capabilities: CAPABILITIES,

    async authorize(input: AuthorizeInput) {
      const amount = toDecimal(input.amount, input.currency)
      const result = await client.call('authorize', (s) =>
        s.transaction.sale({
          amount,
          // With a customer, the method is a token from vaultPaymentMethod; otherwise a client nonce.
          ...(input.customerId
            ? { customerId: input.customerId, paymentMethodToken: input.paymentMethod }
            : { paymentMethodNonce: input.paymentMethod }),
          // Our payment id rides along as the order id: webhooks and the sweeper find it again.
          orderId: input.paymentId,
          options: { submitForSettlement: input.capture === 'automatic' },
        }),
      )
      const t = result.transaction
      if (t.currencyIsoCode !== input.currency) {
        // The merchant account settles in another currency: release it rather than charge the wrong money.
        await client.call('authorize', (s) => s.transaction.void(t.id)).catch(() => undefined)
        throw new GatewayError(
          'not_supported',
          `Braintree merchant account settles in ${t.currencyIsoCode}, not ${input.currency}`,
          { vendorCode: 'currency_mismatch' },
        )
      }
      return paymentState(t)
    },

    async capture(gatewayRef, amount, currency) {
      const result = await client.call('capture', (s) =>
        s.transaction.submitForSettlement(gatewayRef, toDecimal(amount, currency)),
      )
      return paymentState(result.transaction)
    },

    async cancel(gatewayRef) {
      const result = await client.call('cancel', (s) => s.transaction.void(gatewayRef))
      return paymentState(result.transaction)
    },

    async refund(gatewayRef, amount, currency, idempotencyKey): Promise<RefundResult> {
      // Braintree keeps no idempotency key, so a refund carries ours as its order id and a repeat
      // (the retry of an answer that was lost) finds it among the sale's refunds instead of refunding
      // again, which Braintree would refuse as too large or, for a partial refund, make twice.
      const orderId = idempotencyKey.slice(0, 255)
      const earlier = await refundOrderedAs(gatewayRef, orderId)
      if (earlier) return refundResult(earlier)
      const options = { amount: toDecimal(amount, currency), orderId }
      const result = await client.call('refund', (s) => refundWithOptions(s.transaction, gatewayRef, options))
      return refundResult(result.transaction)
    },

    async retrieve(ref) {
      if (ref.gatewayRef) {
        const t = await find(ref.gatewayRef)
        return t ? paymentState(t) : undefined
      }
      const found = await client.search('retrieve', (s) =>
        s.transaction.search((q) => {
          q.orderId().is(ref.paymentId)
          q.type().is('sale')
        }),
      )
      const latest = found.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)))[0]
      return latest ? paymentState(latest) : undefined
    },

    async clientToken(customerId) {
      const result = await client.call('clientToken', (s) =>
        s.clientToken.generate(customerId ? { customerId } : {}),
      )
      return result.clientToken
    },

    async vaultPaymentMethod(input) {
      const customerId =
        input.customerId ?? (await client.call('vault', (s) => s.customer.create({}))).customer.id
      const result = await client.call('vault', (s) =>
        s.paymentMethod.create({ customerId, paymentMethodNonce: input.paymentMethod }),
      )
      return { customerId, token: result.paymentMethod.token }
    },

    async listSettlements(range: DateRange) {
      const settled = await client.search('listSettlements', (s) =>
        s.transaction.search((q) => {
          // Braintree's ranges include both ends; ours is half-open.
          q.settledAt().between(range.from, new Date(range.to.getTime() - 1))
          q.status().in(SETTLED)
        }),
      )
      return settled.map(settlementRecord)
    },

    async verifyWebhook(rawBody, _headers, now) {
      return eventOf(await client.parseNotification(rawBody, now))
    },
  }
}
