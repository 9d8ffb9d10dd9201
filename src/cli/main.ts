import { Command } from 'commander'
import { ConfigError } from '../config.js'
import { isAppError } from '../shared/errors.js'
import { registerCoreCommands } from './commands/core.js'
import { registerGatewayWebhookCommands } from './commands/gateway-webhooks.js'
import { registerLedgerCommands } from './commands/ledger.js'
import { registerPaymentCommands } from './commands/payments.js'
import { registerReconcileCommands } from './commands/reconcile.js'
import { registerEventCommands } from './commands/events.js'
import { registerKeysCommands } from './commands/keys.js'
import { registerAuditCommands } from './commands/audit.js'
import { registerScreeningCommands } from './commands/screening.js'
import { registerMonitoringCommands } from './commands/monitoring.js'
import { registerEndpointCommands } from './commands/endpoints.js'
import { registerOperatorCommands } from './commands/operators.js'
import { registerAttackCommands } from './commands/attack.js'
import { registerBankingCommands } from './commands/banking.js'
import { registerCasesCommands } from './commands/cases.js'
import { registerRiskCommands } from './commands/risk.js'
import { registerPartiesCommands } from './commands/parties.js'
import { registerAnalyticsCommands } from './commands/analytics.js'
import { registerSearchCommands } from './commands/search.js'
import { registerBillingCommands } from './commands/billing.js'
import { registerSecretsCommands } from './commands/secrets.js'
import { registerPciCommands } from './commands/pci.js'

/** `moneta` commands call module interfaces directly, never the HTTP API. */
const program = new Command('moneta')
  .description('Moneta: payments, ledger and compliance core')
  .version('0.1.0')
program.showHelpAfterError()

registerCoreCommands(program)
registerLedgerCommands(program)
registerPaymentCommands(program)
registerReconcileCommands(program)
registerEventCommands(program)
registerGatewayWebhookCommands(program)
registerKeysCommands(program)
registerAuditCommands(program)
registerScreeningCommands(program)
registerMonitoringCommands(program)
registerEndpointCommands(program)
registerOperatorCommands(program)
registerAttackCommands(program)
registerBankingCommands(program)
registerCasesCommands(program)
registerRiskCommands(program)
registerPartiesCommands(program)
registerAnalyticsCommands(program)
registerSearchCommands(program)
registerBillingCommands(program)
registerSecretsCommands(program)
registerPciCommands(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`)
    process.exit(2)
  }
  if (isAppError(err)) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`)
    process.exit(1)
  }
  throw err
}
