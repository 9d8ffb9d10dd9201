export * from './gateway.js'
// The payments core: one use case per file in use-cases/, the single transition writer in
// apply-fact.ts, one narrow interface per consumer in ports.ts.
export { createPayments } from './payments.service.js'
export type { PaymentsDeps } from './payments.service.js'
export type {
  Payments,
  PaymentCommands,
  PaymentQueries,
  PaymentFacts,
  RoutingAdmin,
  PaymentsSweeper,
  CreatePaymentInput,
  RefundInput,
  PayoutInput,
  WriteOptions,
  PaymentFilter,
  PaymentSort,
} from './ports.js'
export { PAYMENT_SORTS } from './ports.js'
export { PAYMENT_ERRORS, paymentError } from './payments.errors.js'
export type { PaymentErrorCode } from './payments.errors.js'
export type { Payment, PaymentStatus, CaptureMethod, Fact, PaymentState } from './payments.js'
export { PAYMENT_STATUSES, amountCapturable, amountRefundable, plan, factOf } from './payments.js'
export type { Refund } from './store/refunds.js'
export type { StrayCharge, StrayChargeStatus } from './store/stray-charges.js'
export { STRAY_CHARGE_STATUSES } from './store/stray-charges.js'
export type { ResolveStrayChargeInput } from './use-cases/resolve-stray-charge.js'
export type { Dispute } from './store/disputes.js'
export type { Payout } from './store/payouts.js'
export { TRANSITION_FIELDS as PAYMENT_TRANSITION_FIELDS } from './store/transitions.js'
export { paymentsMigrations } from './payments.migrations.js'
export { PAYMENT_EVENTS, paymentEvents } from './payments.events.js'
export { chartOfAccounts } from './ledger-mapping.js'
export type { ChartOfAccounts } from './ledger-mapping.js'
export { createGatewayRegistry, route, weightedOrder } from './routing.js'
export type { GatewayRegistry, RoutingRule, RuleMatch } from './routing.js'
export {
  createSandboxGateway,
  asSandbox,
  SANDBOX_METHODS,
  sandboxCardOf,
  sandboxFee,
} from './gateways/sandbox/sandbox.js'
export type { SandboxGateway, SandboxOptions } from './gateways/sandbox/sandbox.js'
export {
  signSandboxWebhook,
  sandboxWebhookBody,
  verifySandboxWebhook,
} from './gateways/sandbox/webhook-signature.js'
// Gateway webhook inbox (pay-inbox): receipt, async processing, retries, dead letters, replay.
export { createWebhookInbox } from './inbox/webhook-inbox.service.js'
export type {
  WebhookInbox,
  WebhookIntake,
  WebhookInboxAdmin,
  WebhookProcessor,
  WebhookInboxDeps,
  WebhookPaymentsPort,
  WebhookMethodsPort,
  WebhookVerifier,
  ReceiveResult,
  RoundResult,
} from './inbox/webhook-inbox.service.js'
export { webhookInboxMigrations } from './inbox/webhook-inbox.migrations.js'
// Asynchronous intake (?async=true): commands accepted durably, applied by bus consumers (issue #18).
export { createAsyncCommands, COMMANDS_CONSUMER_GROUP } from './commands/commands.service.js'
export type {
  AsyncCommands,
  AsyncCommandsDeps,
  AcceptedCommand,
  LedgerBulkRequest,
} from './commands/commands.service.js'
export type { StoredCommand, CommandKind, CommandStatus } from './commands/commands.store.js'
export { paymentCommandsMigrations } from './commands/commands.migrations.js'
export { COMMAND_EVENTS } from './commands/commands.events.js'
export { INBOX_STATUSES, UNROUTED_TENANT, DEFAULT_RETRY } from './inbox/webhook-inbox.js'
export type { InboxEntry, InboxStatus, InboxOutcome, RetryPolicy } from './inbox/webhook-inbox.js'
// Vendor adapters and reconciliation (pay-vendors).
export { createStripeGateway } from './gateways/stripe/stripe.gateway.js'
export type { StripeGatewayOptions } from './gateways/stripe/stripe.gateway.js'
export { createBraintreeGateway } from './gateways/braintree/braintree.gateway.js'
export type { BraintreeGatewayOptions } from './gateways/braintree/braintree.gateway.js'
export { matchSettlements, countLines, lineJson, verdict, MISMATCH_STATUSES } from './reconcile/reconcile.js'
export type {
  ReconciliationLine,
  ReconciliationLineStatus,
  ReconciliationCounts,
  ReconciliationStatus,
} from './reconcile/reconcile.js'
export { createReconciliation } from './reconcile/reconcile.service.js'
export type {
  Reconciliation,
  ReconciliationDeps,
  ReconciliationFacts,
  ReconciliationRun,
  RunInput as ReconciliationRunInput,
  RunReport as ReconciliationReport,
} from './reconcile/reconcile.service.js'
export { reconcileMigrations } from './reconcile/reconcile.migrations.js'
export {
  reconciliationEvents,
  RECONCILIATION_MISMATCH,
  ReconciliationLineSchema,
} from './reconcile/reconcile.events.js'
// Saved payment methods (billing): the vault + off-session port and its adapters.
export { isRetryableDecline } from './saved-methods.js'
export type {
  SavedMethodsGateway,
  SavedMethodsCapabilities,
  SavedMethod,
  OffSessionChargeInput,
  OffSessionOutcome,
  SetupSession,
} from './saved-methods.js'
export { createSandboxSavedMethods, SANDBOX_SAVED_METHODS } from './gateways/sandbox/sandbox.saved-methods.js'
export type { SandboxSavedMethods } from './gateways/sandbox/sandbox.saved-methods.js'
export { createBraintreeSavedMethods } from './gateways/braintree/braintree.saved-methods.js'
export { createStripeSavedMethods } from './gateways/stripe/stripe.saved-methods.js'
