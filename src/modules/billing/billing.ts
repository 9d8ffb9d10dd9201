/** Billing's domain records, as the module's interfaces return them (amounts bigint minor units). */
import type { Interval, Price, PricingModel } from './pricing.js'

export type { Interval, Price, PricingModel }

export interface Product {
  readonly id: string
  readonly name: string
  readonly active: boolean
  readonly metadata: Record<string, unknown>
  readonly createdAt: Date
}

export const SUBSCRIPTION_STATUSES = [
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'paused',
  'canceled',
] as const
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number]

export interface Subscription {
  readonly id: string
  readonly customerId: string
  readonly priceId: string
  readonly currency: string
  readonly quantity: bigint
  readonly status: SubscriptionStatus
  /** Saved method to charge; null = the customer's default. */
  readonly paymentMethodId: string | null
  /** Start of period 0; period n starts at anchor + n intervals (period −1 is a trial or a stub). */
  readonly anchor: Date
  readonly periodIndex: number
  readonly currentPeriodStart: Date
  readonly currentPeriodEnd: Date
  readonly trialEnd: Date | null
  readonly cancelAtPeriodEnd: boolean
  readonly canceledAt: Date | null
  readonly nextRunAt: Date | null
  readonly version: number
  readonly createdAt: Date
}

export const INVOICE_STATUSES = ['open', 'paid', 'void', 'uncollectible'] as const
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number]

export interface InvoiceLine {
  readonly lineNo: number
  readonly description: string
  readonly priceId: string | null
  readonly quantity: bigint
  readonly amount: bigint
  readonly tax: bigint
  readonly credited: bigint
  readonly recognized: bigint
  readonly periodStart: Date
  readonly recognizeEnd: Date
}

export interface Invoice {
  readonly id: string
  readonly subscriptionId: string | null
  readonly customerId: string
  readonly reason: 'subscription_create' | 'subscription_cycle' | 'subscription_update'
  readonly currency: string
  readonly subtotal: bigint
  readonly tax: bigint
  readonly total: bigint
  readonly creditApplied: bigint
  readonly amountDue: bigint
  readonly amountPaid: bigint
  readonly amountCredited: bigint
  readonly status: InvoiceStatus
  readonly attemptCount: number
  readonly nextAttemptAt: Date | null
  readonly periodStart: Date
  readonly periodEnd: Date
  readonly createdAt: Date
  readonly paidAt: Date | null
  readonly lines?: readonly InvoiceLine[]
  readonly payments?: readonly BillingPayment[]
}

export interface BillingPayment {
  readonly id: string
  readonly invoiceId: string
  readonly attempt: number
  readonly amount: bigint
  readonly currency: string
  readonly status: 'pending' | 'succeeded' | 'failed' | 'requires_action' | 'refunded'
  readonly gateway: string | null
  readonly gatewayRef: string | null
  readonly declineCode: string | null
  readonly retryable: boolean | null
  readonly createdAt: Date
}

export interface CreditNote {
  readonly id: string
  readonly invoiceId: string
  readonly lineNo: number
  readonly amount: bigint
  readonly tax: bigint
  readonly reason: string
  readonly createdAt: Date
}

export interface PaymentMethod {
  readonly id: string
  readonly customerId: string
  readonly gateway: string
  readonly kind: 'card' | 'paypal'
  readonly status: 'active' | 'expired' | 'detached'
  readonly isDefault: boolean
  readonly brand: string | null
  readonly last4: string | null
  readonly expMonth: number | null
  readonly expYear: number | null
  readonly email: string | null
  readonly createdAt: Date
}

/** Who asked, for the audit log. */
export interface Actor {
  readonly actor: string
  readonly origin: string
}
