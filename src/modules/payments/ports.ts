/**
 * The narrow interfaces payments offers, one per consumer. A caller depends on the one it needs:
 * the HTTP API and CLI on PaymentCommands / PaymentQueries / RoutingAdmin, the webhook inbox on
 * WebhookPaymentsPort (inbox/), reconciliation on ReconciliationFacts (reconcile/), the workers on
 * PaymentsSweeper. createPayments returns them together as `Payments`, one facet each.
 */
import type { DateRange, LedgerFact } from './gateway.js'
import type { WebhookPaymentsPort } from './inbox/inbox.ports.js'
import type { CaptureMethod, Payment, PaymentStatus } from './payments.js'
import type { Actor } from './payments.audit.js'
import type { Payout } from './store/payouts.js'
import type { Refund } from './store/refunds.js'
import type { StrayCharge, StrayChargeStatus } from './store/stray-charges.js'
import type { ResolveStrayChargeInput } from './use-cases/resolve-stray-charge.js'
import type { ReconciliationFacts } from './reconcile/reconcile.service.js'
import type { GatewayRegistry, RoutingRule } from './routing.js'

export type { WebhookPaymentsPort, ReconciliationFacts }

export interface CreatePaymentInput {
  readonly amount: bigint
  readonly currency: string
  readonly paymentMethod: string
  readonly capture?: CaptureMethod
  /** Send it to a gateway now (default true); else it waits in requires_confirmation. */
  readonly confirm?: boolean
  readonly customer?: string
  readonly description?: string
  readonly metadata?: Record<string, string>
  /** Card details known before authorisation, for routing (else a gateway derives them from the token). */
  readonly card?: { readonly brand?: string; readonly country?: string }
}

export interface WriteOptions {
  /** Same key + same request → the original result; same key + another request → IDEMPOTENCY_CONFLICT. */
  readonly idempotencyKey?: string
  /**
   * Who the change is made for — the request's principal and the client's address — named as the
   * actor of its transitions' audit entries. Omitted (a worker): the gateway is named instead.
   */
  readonly by?: Actor
}

export interface RefundInput {
  readonly amount?: bigint
  readonly reason?: string
}

export interface PayoutInput {
  readonly gateway: string
  readonly amount: bigint
  readonly currency: string
}

export interface PaymentFilter {
  readonly status?: PaymentStatus
  readonly customer?: string
  readonly gateway?: string
  readonly after?: string
  readonly limit?: number
  /** 'asc' (default) or 'desc', on the sort key. */
  readonly order?: 'asc' | 'desc'
  /**
   * What the page is ordered by (ties broken by id, which is creation time): 'created' (default),
   * 'amount' or 'status' (PAYMENT_SORTS). Anything else is INVALID_SORT. `after` stays a payment id
   * whatever the sort: the page goes on after that payment's place in the order.
   */
  readonly sort?: string
}

/** The orders a payments list can be asked for (each has a keyset index: migration 0504). */
export const PAYMENT_SORTS = ['created', 'amount', 'status'] as const
export type PaymentSort = (typeof PAYMENT_SORTS)[number]

/** What the HTTP API and the CLI command: every write is idempotent on its key. */
export interface PaymentCommands {
  /** Creates a payment and, unless confirm is false, sends it to a gateway chosen by routing. */
  create(tenant: string, input: CreatePaymentInput, opts?: WriteOptions): Promise<Payment>
  /** requires_confirmation | requires_action → processing → the gateway's answer. */
  confirm(tenant: string, id: string, opts?: WriteOptions): Promise<Payment>
  /** Captures all (default) or part of the authorised amount, once. */
  capture(tenant: string, id: string, amount?: bigint, opts?: WriteOptions): Promise<Payment>
  cancel(tenant: string, id: string, opts?: WriteOptions): Promise<Payment>
  /** Refunds all that is left (default) or part; several refunds up to the captured amount. */
  refund(tenant: string, id: string, input?: RefundInput, opts?: WriteOptions): Promise<Refund>
  /** Only metadata can change after creation. */
  updateMetadata(
    tenant: string,
    id: string,
    metadata: Record<string, string>,
    opts?: WriteOptions,
  ): Promise<Payment>
  payout(tenant: string, input: PayoutInput, opts?: WriteOptions): Promise<Payout>
  /**
   * Marks a stray charge whose reversal failed as reversed by hand at its gateway (ADR 0506), for
   * `opts.by`. Errors: STRAY_CHARGE_NOT_FOUND, STRAY_CHARGE_NOT_FAILED, INVALID_NOTE, INVALID_REVERSAL_REF.
   */
  resolveStrayCharge(
    tenant: string,
    id: string,
    input: ResolveStrayChargeInput,
    opts?: WriteOptions,
  ): Promise<StrayCharge>
}

export interface PaymentQueries {
  get(tenant: string, id: string): Promise<Payment>
  list(tenant: string, filter?: PaymentFilter): Promise<{ items: readonly Payment[]; next: string | null }>
  listRefunds(tenant: string, id: string): Promise<readonly Refund[]>
  /** Charges a gateway made for the payment where it is not booked, and their reversal (ADR 0506). */
  listStrayCharges(tenant: string, id: string): Promise<readonly StrayCharge[]>
  /** The tenant's stray charges, newest first (limit 1..1000, default 100); `failed` ones need an operator. */
  strayCharges(
    tenant: string,
    filter?: { status?: StrayChargeStatus; limit?: number },
  ): Promise<readonly StrayCharge[]>
  /** Gateway attempts of a payment (routing and failover trail). */
  attempts(tenant: string, id: string): Promise<readonly Record<string, string>[]>
  getPayout(tenant: string, id: string): Promise<Payout>
}

/** What reconciliation reads (also satisfies ReconciliationFacts). */
export interface PaymentFacts extends ReconciliationFacts {
  ledgerFacts(tenant: string, gateway: string, range: DateRange): Promise<LedgerFact[]>
}

export interface RoutingAdmin {
  setRoutingRules(tenant: string, rules: readonly RoutingRule[]): Promise<readonly RoutingRule[]>
  routingRules(tenant: string): Promise<readonly RoutingRule[]>
  readonly gateways: GatewayRegistry
}

export interface PaymentsSweeper {
  /**
   * Asks the gateways about payments in unknown / processing / in-flight states, refunds and payouts
   * never answered, late requests in doubt, and reverses stray charges; returns how many changed.
   * Every tenant's, unless `tenants` names some.
   */
  sweep(scope?: { readonly tenants?: readonly string[] }): Promise<number>
}

/** The payments module, one facet per consumer. */
export interface Payments {
  readonly commands: PaymentCommands
  readonly queries: PaymentQueries
  readonly webhooks: WebhookPaymentsPort
  readonly facts: PaymentFacts
  readonly routing: RoutingAdmin
  readonly sweeper: PaymentsSweeper
  readonly gateways: GatewayRegistry
  /** Waits for bookings in flight (core/booker.ts) and refuses new ones. */
  close(): Promise<void>
}
