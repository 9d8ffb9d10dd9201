import { Redis } from 'ioredis'
import pino from 'pino'
import { createApp, type App } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { newId } from '../../src/shared/ids.js'
import type { Clock } from '../../src/shared/clock.js'
import type { TestDbTarget } from './db.js'
import { migratedPgliteImage } from './pglite-image.js'
import { scratchDatabase } from './scratch-db.js'
import { testRedisUrl } from './redis.js'

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
  opts: {
    clock?: Clock
    env?: Record<string, string>
    /**
     * On a PostgreSQL target, a database of this app's own (dropped on close). Every suite that
     * starts background workers needs it: a worker serves every tenant of its database, so on the
     * shared one it claims the gateway webhooks, retries and outbox rows that other suites drive
     * by hand and assert on (CI once failed on an event another suite's worker had claimed but not
     * yet applied when the gateway-webhooks suite looked).
     */
    ownDatabase?: boolean
  } = {},
): Promise<TestApp> {
  const own = opts.ownDatabase && target.url ? scratchDatabase(target.url, 'moneta_app') : undefined
  await own?.create()
  const databaseUrl = own?.url ?? target.url
  const bootstrapApiKey = `test-key-${newId('k')}`
  // Production uses the Redis bus whenever REDIS_URL is set, so the whole app runs on it in tests too
  // when MONETA_TEST_REDIS_URL is (CI sets it); each app gets its own key prefix on the shared Redis.
  const redisUrl = testRedisUrl()
  const redisPrefix = `test-${newId('app')}`
  const config = loadConfig({
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { MONETA_DATA_DIR: 'memory://' }),
    ...(redisUrl ? { REDIS_URL: redisUrl, MONETA_REDIS_PREFIX: redisPrefix } : {}),
    MONETA_API_KEY: bootstrapApiKey,
    LOG_LEVEL: 'silent',
    MONETA_CONFIG_FILE: '',
    // Operators' argon2id at test cost (the production default takes ~70 ms a hash).
    MONETA_ARGON2_MEMORY_KIB: '1024',
    MONETA_ARGON2_PASSES: '1',
    // the shared test database holds every suite's tenants: warming them at start is work no test asks for
    MONETA_MONITORING_WARM_TENANTS: '0',
    ...opts.env,
  })
  const app = await createApp(config, {
    logger: pino({ level: 'silent' }),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(databaseUrl ? {} : { pgliteImage: await migratedPgliteImage() }),
  })
  await app.server.ready()
  const newTenant = async () => {
    const tenantId = newId('ten')
    await app.services.platform.ensureTenant(tenantId, tenantId)
    const apiKey = await app.services.platform.createApiKey(tenantId)
    return { tenantId, apiKey }
  }
  const first = await newTenant()
  const close = async () => {
    await app.close()
    if (config.redisUrl && config.redisPrefix === redisPrefix) await dropKeys(config.redisUrl, redisPrefix)
    await own?.drop()
  }
  return { app, ...first, bootstrapApiKey, newTenant, close }
}

/** Removes this app's keys from the shared Redis (never FLUSHALL: other suites use it too). */
async function dropKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}
