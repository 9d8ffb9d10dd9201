export { createLedger } from './ledger.service.js'
export type { Ledger, LedgerDeps, ExecuteOptions, VerifyReport, Page } from './ledger.service.js'
export type {
  Account,
  AccountInput,
  Balances,
  CommandResult,
  Entry,
  EntryInput,
  Leg,
  LedgerCommand,
  NormalSide,
  Transaction,
  TransactionStatus,
} from './ledger.js'
export { entriesToLegs, MAX_LEGS } from './ledger.js'
export { InsufficientFundsError, LEDGER_ERRORS, ledgerError } from './ledger.errors.js'
export type { LedgerErrorCode } from './ledger.errors.js'
export type { VerifyViolation } from './ledger.store.js'
export { ledgerMigrations, ledgerRoutines } from './ledger.migrations.js'
