import type { AppServices } from '../../app.js'
import type { ApiApp } from '../server.js'
import { registerGatewayWebhookRoutes } from './gateway-webhooks.js'
import { registerHealthRoutes } from './health.js'
import { observeRequests, registerMetricsRoutes } from './metrics.js'
import { registerLedgerRoutes } from './ledger.js'
import { registerMarketRoutes } from './market.js'
import { registerVaultRoutes } from './vault.js'
import { registerAuditRoutes } from './audit.js'
import { registerScreeningRoutes } from './screening.js'
import { registerMonitoringRoutes } from './monitoring.js'
import { registerMonitoringHistoryRoutes } from './monitoring-history.js'
import { registerRiskRoutes } from './risk.js'
import { registerWebhookEndpointRoutes } from './webhook-endpoints.js'
import { registerPaymentRoutes } from './payments.js'
import { registerPaymentCommandRoutes } from './payment-commands.js'
import { registerReconciliationRoutes } from './reconciliations.js'
import { registerAuthRoutes } from './auth.js'
import { registerOperatorAdminRoutes } from './operator-admin.js'
import { registerApiKeyRoutes } from './api-keys.js'
import { registerOidcRoutes } from './oidc.js'
import { registerBankingRoutes } from './banking.js'
import { registerPartiesRoutes } from './parties.js'
import { registerCaseRoutes } from './cases.js'
import { registerAnalyticsRoutes } from './analytics.js'
import { registerSearchRoutes } from './search.js'
import { registerConsoleOverviewRoutes } from './console-overview.js'
import { registerConsoleScreeningRoutes } from './console-screening.js'
import { registerBillingRoutes } from './billing.js'
import { registerConsoleViewRoutes } from './console-views.js'

/** What `moneta intake` serves: gateway webhooks, health and metrics (src/api/server.ts `buildIntakeServer`). */
export function registerIntakeRoutes(
  app: ApiApp,
  services: AppServices,
  metricsText?: () => Promise<string>,
): void {
  registerGatewayWebhookRoutes(app, services)
  observeRequests(app, services)
  registerHealthRoutes(app, services)
  registerMetricsRoutes(app, services, metricsText)
}

/** Every route module, registered in one place. */
export function registerRoutes(app: ApiApp, services: AppServices): void {
  registerIntakeRoutes(app, services)
  registerLedgerRoutes(app, services)
  registerMarketRoutes(app, services)
  registerVaultRoutes(app, services)
  registerAuditRoutes(app, services)
  registerScreeningRoutes(app, services)
  registerMonitoringRoutes(app, services)
  registerMonitoringHistoryRoutes(app, services)
  registerRiskRoutes(app, services)
  registerWebhookEndpointRoutes(app, services)
  registerPaymentRoutes(app, services)
  registerPaymentCommandRoutes(app, services)
  registerReconciliationRoutes(app, services)
  registerAuthRoutes(app, services)
  registerOperatorAdminRoutes(app, services)
  registerApiKeyRoutes(app, services)
  registerOidcRoutes(app, services)
  registerBankingRoutes(app, services)
  registerPartiesRoutes(app, services)
  registerCaseRoutes(app, services)
  registerAnalyticsRoutes(app, services)
  registerSearchRoutes(app, services)
  registerBillingRoutes(app, services)
  registerConsoleViewRoutes(app, services)
  registerConsoleOverviewRoutes(app, services)
  registerConsoleScreeningRoutes(app, services)
}
