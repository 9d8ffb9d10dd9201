/**
 * Billing: products and prices, subscriptions, invoices booked in the ledger, saved payment methods,
 * dunning, and a test clock (docs/billing.md).
 *
 *   const sub = await services.billing.subscriptions.create(tenant, { customerId, priceId }, actor)
 *   await services.billing.scheduler.runTestClock(tenant, new Date('2027-01-01'), actor)
 */
export { createBilling } from './billing.service.js'
export type {
  Billing,
  BillingDeps,
  BillingCatalog,
  BillingSubscriptions,
  BillingInvoices,
  BillingPaymentMethods,
  BillingCardUpdates,
  BillingScheduler,
} from './billing.service.js'
export type {
  Actor as BillingActor,
  BillingPayment,
  CreditNote,
  Invoice,
  InvoiceLine,
  PaymentMethod as SavedPaymentMethod,
  Product,
  Subscription,
  SubscriptionStatus,
} from './billing.js'
export { INVOICE_STATUSES, SUBSCRIPTION_STATUSES } from './billing.js'
export type { Interval, Price, PricingModel, Tier } from './pricing.js'
export { amountFor } from './pricing.js'
export type { PriceInput, ProductInput } from './catalog.js'
export { DEFAULT_DUNNING_DAYS } from './catalog.js'
export type { CreateSubscriptionInput, PlanChange } from './subscriptions.js'
export type { AttachInput } from './methods.js'
export type { RunReport } from './scheduler.js'
export type { TaxPolicy, CustomersPort } from './context.js'
export { BILLING_ERRORS, billingError } from './billing.errors.js'
export type { BillingErrorCode } from './billing.errors.js'
export { BILLING_EVENTS, billingEvents } from './billing.events.js'
export { billingAccount } from './billing.ledger.js'
export { modelFromJson, modelToJson } from './billing.store.js'
export { billingMigrations } from './billing.migrations.js'
// Set-up shared by billing's tests and `npm run bench -- billing` (not used by the app).
export * as billingFixtures from './test-support/fixtures.js'
