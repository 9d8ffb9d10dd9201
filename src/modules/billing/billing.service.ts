/**
 * The billing module's interfaces, one per consumer: the catalogue, subscriptions, invoices, saved
 * payment methods, and the scheduler (API, CLI, workers). Each method is a use case in its own file;
 * this file only binds them to the dependencies.
 */
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { FieldCipher } from '../crypto/index.js'
import type { Outbox } from '../events/index.js'
import type { Ledger } from '../ledger/index.js'
import type { SavedMethodsGateway, SetupSession, WebhookMethodsPort } from '../payments/index.js'
import type { Actor, CreditNote, Invoice, PaymentMethod, Product, Subscription } from './billing.js'
import { billingAccounts } from './billing.ledger.js'
import {
  creditNoteOf,
  invoiceOf,
  loadInvoice,
  loadPrice,
  loadSubscription,
  subscriptionOf,
} from './billing.store.js'
import {
  createPrice,
  createProduct,
  getProduct,
  listPrices,
  listProducts,
  type PriceInput,
  type ProductInput,
} from './catalog.js'
import type { ChargeSummary } from './charge.js'
import { creditInvoice } from './credit-invoice.js'
import {
  advanceTestClock,
  billingNow,
  priceTaxPolicy,
  type BillingAuditPort,
  type BillingContext,
  type CustomersPort,
  type TaxPolicy,
} from './context.js'
import { afterMethodUpdate, applyMethodUpdate, findTenantsByMethodRefs } from './card-updates.js'
import { attachMethod, detachMethod, listMethods, startSetup, type AttachInput } from './methods.js'
import type { Price } from './pricing.js'
import { runBilling, type RunReport } from './scheduler.js'
import {
  cancelSubscription,
  changePlan,
  createSubscription,
  setPaused,
  type CreateSubscriptionInput,
  type PlanChange,
} from './subscriptions.js'

export interface BillingDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly ledger: Ledger
  readonly outbox: Outbox
  readonly audit: BillingAuditPort
  readonly fieldCipher: FieldCipher
  readonly gateways: readonly SavedMethodsGateway[]
  readonly customers: CustomersPort
  readonly tax?: TaxPolicy
  readonly logger?: Logger
  /** Subscriptions (and invoices) per transaction in a run; default 1,000. */
  readonly batchSize?: number
  /** Gateway calls in flight during a run; default 32. */
  readonly chargeConcurrency?: number
  /** Renew-and-charge lanes at once in a run; default 1 (PGlite has one connection, keep it 1). */
  readonly runLanes?: number
  /** A charge still pending after this long (wall clock) is resent under its key; default 10 min. */
  readonly resendAfterMs?: number
}

export interface BillingCatalog {
  createProduct(tenant: string, input: ProductInput, actor: Actor): Promise<Product>
  getProduct(tenant: string, id: string): Promise<Product>
  listProducts(tenant: string, limit?: number): Promise<Product[]>
  /** Errors: BILLING_INVALID · BILLING_PRODUCT_NOT_FOUND · IDEMPOTENCY_CONFLICT. */
  createPrice(tenant: string, input: PriceInput, actor: Actor): Promise<Price>
  getPrice(tenant: string, id: string): Promise<Price>
  listPrices(tenant: string, productId?: string, limit?: number): Promise<Price[]>
}

export interface BillingSubscriptions {
  /** Errors: BILLING_CUSTOMER_NOT_FOUND · BILLING_PRICE_NOT_FOUND · BILLING_PAYMENT_METHOD_REQUIRED · IDEMPOTENCY_CONFLICT. */
  create(tenant: string, input: CreateSubscriptionInput, actor: Actor): Promise<Subscription>
  get(tenant: string, id: string): Promise<Subscription>
  list(
    tenant: string,
    filter?: { customerId?: string; limit?: number; after?: string },
  ): Promise<Subscription[]>
  /** Errors: BILLING_SUBSCRIPTION_STATE. Prorated: credit note for the old, invoice for the new. */
  changeQuantity(tenant: string, id: string, quantity: bigint, actor: Actor): Promise<Subscription>
  /** A new quantity and/or price (same currency and interval), prorated like changeQuantity. */
  changePlan(tenant: string, id: string, change: PlanChange, actor: Actor): Promise<Subscription>
  pause(tenant: string, id: string, actor: Actor): Promise<Subscription>
  resume(tenant: string, id: string, actor: Actor): Promise<Subscription>
  cancel(tenant: string, id: string, mode: { atPeriodEnd: boolean }, actor: Actor): Promise<Subscription>
}

export interface BillingInvoices {
  get(tenant: string, id: string): Promise<Invoice>
  list(
    tenant: string,
    filter?: { subscriptionId?: string; customerId?: string; limit?: number; after?: string },
  ): Promise<Invoice[]>
  creditNotes(tenant: string, invoiceId: string): Promise<CreditNote[]>
  /** Credits the unearned rest of the invoice now. Errors: BILLING_INVOICE_NOT_FOUND · BILLING_NOTHING_TO_CREDIT. */
  credit(
    tenant: string,
    invoiceId: string,
    input: { reason: string; idempotencyKey?: string },
    actor: Actor,
  ): Promise<CreditNote[]>
}

export interface BillingPaymentMethods {
  /** What the browser needs (Braintree client token, Stripe SetupIntent secret). Errors: BILLING_GATEWAY_UNSUPPORTED. */
  startSetup(tenant: string, customerId: string, gateway: string): Promise<SetupSession>
  /** Errors: BILLING_CUSTOMER_NOT_FOUND · BILLING_GATEWAY_UNSUPPORTED · BILLING_PAYMENT_METHOD_REFUSED. */
  attach(
    tenant: string,
    customerId: string,
    input: AttachInput,
    actor: Actor,
  ): Promise<{ method: PaymentMethod; recovery: ChargeSummary }>
  list(tenant: string, customerId: string): Promise<PaymentMethod[]>
  detach(tenant: string, customerId: string, id: string, actor: Actor): Promise<PaymentMethod>
}

/**
 * Card-updater events from the gateway webhook inbox (payments' WebhookMethodsPort, which the app
 * hands to the inbox): the saved method's token / expiry replaced, past-due invoices retried.
 */
export type BillingCardUpdates = WebhookMethodsPort

export interface BillingScheduler {
  /** Everything due up to `until` (renewals, retries, dunning ends, revenue recognition). */
  run(tenant: string, until: Date, actor: Actor): Promise<RunReport>
  /** Moves the tenant's test clock to `until` (forward only), then runs up to it. */
  runTestClock(tenant: string, until: Date, actor: Actor): Promise<RunReport>
  /** Billing's time for a tenant (its test clock if it has one). */
  now(tenant: string): Promise<Date>
  /** Tenants with billing work and no test clock (the worker's run list). */
  tenants(): Promise<string[]>
}

export interface Billing {
  readonly catalog: BillingCatalog
  readonly subscriptions: BillingSubscriptions
  readonly invoices: BillingInvoices
  readonly paymentMethods: BillingPaymentMethods
  readonly cardUpdates: BillingCardUpdates
  readonly scheduler: BillingScheduler
}

const pageLimit = (n: number | undefined) => Math.min(Math.max(n ?? 100, 1), 1000)

export function createBilling(deps: BillingDeps): Billing {
  const gatewayNames = deps.gateways.map((g) => g.name)
  const ctx: BillingContext = {
    db: deps.db,
    clock: deps.clock,
    ids: deps.ids,
    ledger: deps.ledger,
    outbox: deps.outbox,
    audit: deps.audit,
    fieldCipher: deps.fieldCipher,
    gateways: new Map(deps.gateways.map((g) => [g.name, g])),
    customers: deps.customers,
    tax: deps.tax ?? priceTaxPolicy,
    logger: deps.logger,
    accounts: billingAccounts(deps.ledger, gatewayNames),
    batchSize: deps.batchSize ?? 1000,
    chargeConcurrency: deps.chargeConcurrency ?? 32,
    runLanes: Math.max(1, deps.runLanes ?? 1),
    resendAfterMs: deps.resendAfterMs ?? 600_000,
  }
  const db = deps.db
  return {
    catalog: {
      createProduct: (t, i, a) => createProduct(ctx, t, i, a),
      getProduct: (t, id) => getProduct(ctx, t, id),
      listProducts: (t, limit) => listProducts(ctx, t, pageLimit(limit)),
      createPrice: (t, i, a) => createPrice(ctx, t, i, a),
      getPrice: (t, id) => loadPrice(db, t, id),
      listPrices: (t, productId, limit) => listPrices(ctx, t, productId, pageLimit(limit)),
    },
    subscriptions: {
      create: (t, i, a) => createSubscription(ctx, t, i, a),
      get: (t, id) => loadSubscription(db, t, id),
      async list(t, f = {}) {
        const r = await sql<
          Record<string, unknown>
        >`SELECT * FROM billing_subscriptions WHERE tenant_id = ${t}
          AND (${f.customerId ?? null}::text IS NULL OR customer_id = ${f.customerId ?? null})
          AND subscription_id > ${f.after ?? ''}
          ORDER BY subscription_id LIMIT ${pageLimit(f.limit)}`.execute(db)
        return r.rows.map(subscriptionOf)
      },
      changeQuantity: (t, id, q, a) => changePlan(ctx, t, id, { quantity: q }, a),
      changePlan: (t, id, c, a) => changePlan(ctx, t, id, c, a),
      pause: (t, id, a) => setPaused(ctx, t, id, true, a),
      resume: (t, id, a) => setPaused(ctx, t, id, false, a),
      cancel: (t, id, m, a) => cancelSubscription(ctx, t, id, m, a),
    },
    invoices: {
      get: (t, id) => loadInvoice(db, t, id),
      async list(t, f = {}) {
        const r = await sql<Record<string, unknown>>`SELECT * FROM billing_invoices WHERE tenant_id = ${t}
          AND (${f.subscriptionId ?? null}::text IS NULL OR subscription_id = ${f.subscriptionId ?? null})
          AND (${f.customerId ?? null}::text IS NULL OR customer_id = ${f.customerId ?? null})
          AND invoice_id > ${f.after ?? ''}
          ORDER BY invoice_id LIMIT ${pageLimit(f.limit)}`.execute(db)
        return r.rows.map(invoiceOf)
      },
      async creditNotes(t, invoiceId) {
        const r = await sql<Record<string, unknown>>`SELECT * FROM billing_credit_notes
          WHERE tenant_id = ${t} AND invoice_id = ${invoiceId} ORDER BY credit_note_id`.execute(db)
        return r.rows.map(creditNoteOf)
      },
      credit: (t, id, i, a) => creditInvoice(ctx, t, id, i, a),
    },
    paymentMethods: {
      startSetup: (t, c, g) => startSetup(ctx, t, c, g),
      attach: (t, c, i, a) => attachMethod(ctx, t, c, i, a),
      list: (t, c) => listMethods(ctx, t, c),
      detach: (t, c, id, a) => detachMethod(ctx, t, c, id, a),
    },
    cardUpdates: {
      findTenantsByMethodRefs: (g, refs) => findTenantsByMethodRefs(ctx, g, refs),
      applyMethodUpdate: (t, g, e, { tx }) => applyMethodUpdate(ctx, tx, t, g, e),
      afterMethodUpdate: (t, g, e) => afterMethodUpdate(ctx, t, g, e),
    },
    scheduler: {
      run: (t, until, a) => runBilling(ctx, t, until, a),
      async runTestClock(t, until, a) {
        await advanceTestClock(ctx, t, until)
        return runBilling(ctx, t, until, a)
      },
      now: (t) => billingNow(ctx, t),
      async tenants() {
        const r = await sql<{ tenant_id: string }>`SELECT DISTINCT tenant_id FROM billing_subscriptions s
          WHERE next_run_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM billing_test_clocks c WHERE c.tenant_id = s.tenant_id)`.execute(db)
        return r.rows.map((x) => x.tenant_id)
      },
    },
  }
}
