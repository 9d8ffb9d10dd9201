import { createApp } from './app.js'
import { loadConfig, describeConfig } from './config.js'

/** `moneta start`: API and background workers in one process (or the API only, MONETA_START_WORKERS=false). */
export async function start(): Promise<void> {
  const config = loadConfig()
  const app = await createApp(config)
  const { logger } = app.services
  logger.info({ config: describeConfig(config) }, 'starting Moneta')
  // API only (MONETA_START_WORKERS=false): `moneta worker` processes run the background work.
  if (config.startWorkers) app.startWorkers()
  else app.startSandboxWebhooks()
  const address = await app.server.listen({ port: config.port, host: config.host })
  if (app.generatedApiKey) {
    // Printed once: only its hash is stored. Set MONETA_API_KEY to choose the key yourself.
    process.stdout.write(`\nYour API key (shown once, keep it safe):\n\n  ${app.generatedApiKey}\n\n`)
  }
  process.stdout.write(`Moneta is listening on ${address.replace('0.0.0.0', 'localhost')} (docs at /docs)\n`)
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down')
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
