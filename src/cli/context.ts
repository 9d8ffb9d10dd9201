import pino from 'pino'
import type { AppServices } from '../app.js'
import { loadConfig } from '../config.js'
import type { Operator } from '../modules/auth/index.js'
import { cliInvalid } from './output.js'

/**
 * Opens the configured database (migrated) for one CLI command and closes it afterwards.
 * Logs go to stderr, so `--json` output on stdout is only JSON. The application is imported
 * here, when a command runs, not when the CLI starts: `--help` and argument errors do not pay
 * for loading every module.
 */
export async function withServices<T>(fn: (services: AppServices) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const { createServices } = await import('../app.js')
  const logger = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }))
  const services = await createServices(config, { logger })
  try {
    return await fn(services)
  } finally {
    await services.ledger.close()
    services.analytics.close()
    await services.db.close()
  }
}

/**
 * The operator a CLI command acts as (`--as EMAIL`), so its audit entries name that operator rather
 * than `cli`; refused when there is no such operator in the tenant.
 */
export async function operatorIn(
  services: AppServices,
  tenant: string,
  email: string,
): Promise<{ readonly id: string; readonly role: Operator['role'] }> {
  const op = await services.auth.findOperator({ email })
  if (!op || op.tenantId !== tenant) throw cliInvalid(`No operator ${email} in tenant ${tenant}.`)
  return op
}
