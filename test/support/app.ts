import pino from 'pino'
import { createApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { newId } from '../../src/shared/ids.js'
import type { Clock } from '../../src/shared/clock.js'
import type { TestDbTarget } from './db.js'

export interface TestApp {
  readonly app: App
  /** A fresh tenant per test app, so suites sharing one PostgreSQL never see each other's rows. */
  readonly tenantId: string
  readonly apiKey: string
  /** The bootstrap key (MONETA_API_KEY): admin of the default tenant and platform admin (POST /v1/tenants). */
  readonly bootstrapApiKey: string
  /** Another tenant with its own key, for isolation tests. */
  newTenant(): Promise<{ tenantId: string; apiKey: string }>
  close(): Promise<void>
}

export async function createTestApp(
  target: TestDbTarget,
  opts: { clock?: Clock; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const bootstrapApiKey = `test-key-${newId('k')}`
  const config = loadConfig({
    ...(target.url ? { DATABASE_URL: target.url } : { MONETA_DATA_DIR: 'memory://' }),
    MONETA_API_KEY: bootstrapApiKey,
    LOG_LEVEL: 'silent',
    MONETA_CONFIG_FILE: '',
    // Operators' argon2id at test cost (the production default takes ~70 ms a hash).
    MONETA_ARGON2_MEMORY_KIB: '1024',
    MONETA_ARGON2_PASSES: '1',
    ...opts.env,
  })
  const app = await createApp(config, {
    logger: pino({ level: 'silent' }),
    ...(opts.clock ? { clock: opts.clock } : {}),
  })
  await app.server.ready()
  const newTenant = async () => {
    const tenantId = newId('ten')
    await app.services.platform.ensureTenant(tenantId, tenantId)
    const apiKey = await app.services.platform.createApiKey(tenantId)
    return { tenantId, apiKey }
  }
  const first = await newTenant()
  return { app, ...first, bootstrapApiKey, newTenant, close: () => app.close() }
}
