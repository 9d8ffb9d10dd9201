/**
 * Bank data: Plaid and Teller account linking, balance and transaction sync, and bank transfers
 * that check the institution first. The one file other modules import.
 */
export { createBanking } from './banking.service.js'
export type {
  Banking,
  BankingDeps,
  ItemView,
  SyncResult,
  SyncTrigger,
  TransferInput,
} from './banking.service.js'
export type {
  BankAccount,
  BankItem,
  BankTransaction,
  BankTransfer,
  CheckFailure,
  InstitutionCapture,
  TransferDirection,
  TransferStatus,
} from './banking.js'
export {
  ACH_RETURN_CODES,
  normalizeOwnerName,
  ownerMatches,
  institutionChecks,
  decimalToMinor,
} from './banking.js'
export { BANKING_ERRORS, bankingError } from './banking.errors.js'
export type { BankingErrorCode } from './banking.errors.js'
export { BANKING_EVENTS, bankingEvents } from './banking.events.js'
export { bankingMigrations } from './banking.migrations.js'
export type {
  BankDataProvider,
  ProviderName,
  ProviderWebhook,
  SyncPage,
  TransferRail,
  ItemSnapshot,
  ProviderAccount,
  ProviderTransaction,
} from './provider.js'
export { ProviderError } from './provider.js'
export {
  createSandboxProvider,
  createSandboxRail,
  SANDBOX_FLAGS,
  SANDBOX_OWNER,
  SANDBOX_ROUTING,
} from './providers/sandbox.js'
export type { SandboxProvider, SandboxPatch, SandboxFlag } from './providers/sandbox.js'
export { createPlaidProvider, plaidError } from './providers/plaid/client.js'
export type { PlaidOptions } from './providers/plaid/client.js'
export { MAX_WEBHOOK_AGE_SECONDS } from './providers/plaid/webhook.js'
export { createTellerProvider, verifyTellerWebhook } from './providers/teller/client.js'
export type { TellerOptions } from './providers/teller/client.js'
