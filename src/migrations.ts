import type { NamedMigrations } from './shared/db/migrate.js'
import { platformMigrations } from './modules/platform/index.js'
import { ledgerMigrations, ledgerRoutines } from './modules/ledger/index.js'
import { eventsMigrations } from './modules/events/index.js'
import { marketMigrations } from './modules/market/index.js'
import { cryptoMigrations } from './modules/crypto/index.js'
import { auditMigrations } from './modules/audit/index.js'
import { screeningMigrations } from './modules/screening/index.js'
import { monitoringMigrations } from './modules/monitoring/index.js'
import { webhooksMigrations } from './modules/webhooks/index.js'
import { authMigrations } from './modules/auth/index.js'
import {
  paymentCommandsMigrations,
  paymentsMigrations,
  reconcileMigrations,
  webhookInboxMigrations,
} from './modules/payments/index.js'
import { bankingMigrations } from './modules/banking/index.js'
import { partiesMigrations } from './modules/parties/index.js'
import { casesMigrations } from './modules/cases/index.js'
import { searchMigrations } from './modules/search/index.js'
import { billingMigrations } from './modules/billing/index.js'
import { analyticsMigrations } from './modules/analytics/index.js'
import { riskMigrations } from './modules/risk/index.js'

/** Every module's migrations, in the order their names sort. Add a module's set here. */
export const allMigrations: readonly NamedMigrations[] = [
  platformMigrations,
  ledgerMigrations,
  eventsMigrations,
  marketMigrations,
  cryptoMigrations,
  auditMigrations,
  screeningMigrations,
  monitoringMigrations,
  authMigrations,
  webhooksMigrations,
  paymentsMigrations,
  webhookInboxMigrations,
  paymentCommandsMigrations,
  reconcileMigrations,
  bankingMigrations,
  partiesMigrations,
  casesMigrations,
  searchMigrations,
  billingMigrations,
  analyticsMigrations,
  riskMigrations,
]

/** SQL functions re-applied (CREATE OR REPLACE) on every migrate; see migrateToLatest. */
export const allRoutines: readonly string[] = [...ledgerRoutines]
