import pino from 'pino'
import { createServices, type AppServices } from '../app.js'
import { loadConfig } from '../config.js'

/** Opens the configured database (migrated) for one CLI command and closes it afterwards. */
export async function withServices<T>(fn: (services: AppServices) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const services = await createServices(config, { logger: pino({ level: 'warn' }) })
  try {
    return await fn(services)
  } finally {
    await services.ledger.close()
    await services.db.close()
  }
}
