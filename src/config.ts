import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { redactUrl } from './shared/db/connect.js'

/**
 * The only reader of process.env. Values come from the environment, else from an optional JSON
 * file (MONETA_CONFIG_FILE, default ./moneta.config.json), else defaults. Validated once, frozen.
 */
export interface Config {
  readonly port: number
  readonly host: string
  /** PostgreSQL when set; otherwise embedded PGlite in dataDir. */
  readonly databaseUrl: string | undefined
  readonly dataDir: string
  readonly dbPoolSize: number
  readonly apiKey: Secret | undefined
  readonly redisUrl: string | undefined
  /** Event bus: memory (in-process), redis (REDIS_URL) or kafka (MONETA_KAFKA_BROKERS). */
  readonly eventBus: 'memory' | 'redis' | 'kafka'
  readonly kafkaBrokers: readonly string[]
  /** Sent outbox rows are kept this long so they can be republished. */
  readonly outboxRetentionMs: number
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  readonly bodyLimitBytes: number
  /** Largest number of items the ledger batcher sends in one call. */
  readonly ledgerBatchMax: number
  /** How often expired pending transactions are voided. */
  readonly pendingSweepMs: number
  /** Key-encryption key (32 bytes, hex or base64); else masterKeyFile; else <dataDir>/master.key. */
  readonly masterKey: Secret | undefined
  readonly masterKeyFile: string | undefined
  /** Audit entry texts older than this are pruned (hashes stay, so the log still verifies). */
  readonly auditRetentionDays: number | undefined
  /** Outgoing webhooks (docs/webhooks-out.md). */
  readonly webhooks: WebhooksConfig
}

export interface WebhooksConfig {
  /** Plain http to any host (otherwise only localhost / 127.0.0.1). */
  readonly allowHttp: boolean
  /** Endpoints on private / loopback addresses; default true unless NODE_ENV=production. */
  readonly allowPrivate: boolean
  readonly timeoutMs: number
  /** How long a rotated-out secret keeps signing. */
  readonly rotationOverlapMs: number
  /** An endpoint whose every attempt failed for this long is disabled. */
  readonly disableAfterMs: number
  /** Delivery attempts in flight per worker process. */
  readonly concurrency: number
}

/** Wraps a secret so that logging or serialising it prints `<redacted>`. */
export class Secret {
  readonly #value: string
  constructor(value: string) {
    this.#value = value
  }
  reveal(): string {
    return this.#value
  }
  toString(): string {
    return '<redacted>'
  }
  toJSON(): string {
    return '<redacted>'
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '<redacted>'
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const FILE_KEYS: Record<string, string> = {
  PORT: 'port',
  HOST: 'host',
  DATABASE_URL: 'databaseUrl',
  MONETA_DATA_DIR: 'dataDir',
  MONETA_DB_POOL_SIZE: 'dbPoolSize',
  MONETA_API_KEY: 'apiKey',
  REDIS_URL: 'redisUrl',
  MONETA_EVENT_BUS: 'eventBus',
  MONETA_KAFKA_BROKERS: 'kafkaBrokers',
  MONETA_OUTBOX_RETENTION_MS: 'outboxRetentionMs',
  LOG_LEVEL: 'logLevel',
  MONETA_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  MONETA_LEDGER_BATCH_MAX: 'ledgerBatchMax',
  MONETA_PENDING_SWEEP_MS: 'pendingSweepMs',
  MONETA_MASTER_KEY: 'masterKey',
  MONETA_MASTER_KEY_FILE: 'masterKeyFile',
  MONETA_AUDIT_RETENTION_DAYS: 'auditRetentionDays',
  MONETA_WEBHOOKS_ALLOW_HTTP: 'webhooksAllowHttp',
  MONETA_WEBHOOKS_ALLOW_PRIVATE: 'webhooksAllowPrivate',
  MONETA_WEBHOOKS_TIMEOUT_MS: 'webhooksTimeoutMs',
  MONETA_WEBHOOKS_SECRET_OVERLAP_MS: 'webhooksSecretOverlapMs',
  MONETA_WEBHOOKS_DISABLE_AFTER_MS: 'webhooksDisableAfterMs',
  MONETA_WEBHOOKS_CONCURRENCY: 'webhooksConcurrency',
}

function readFile(env: NodeJS.ProcessEnv, problems: string[]): Record<string, unknown> {
  const explicit = env.MONETA_CONFIG_FILE
  if (explicit === '') return {} // set but empty: no config file at all
  const path = resolve(explicit ?? 'moneta.config.json')
  if (!existsSync(path)) {
    if (explicit) problems.push(`MONETA_CONFIG_FILE points to ${path}, which does not exist.`)
    return {}
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
    problems.push(`${path} must hold a JSON object.`)
  } catch (e) {
    problems.push(`${path} is not valid JSON: ${(e as Error).message}`)
  }
  return {}
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = []
  const file = readFile(env, problems)
  const known = new Set(Object.values(FILE_KEYS))
  for (const key of Object.keys(file)) {
    if (!known.has(key))
      problems.push(`Unknown key "${key}" in the config file; known keys: ${[...known].join(', ')}.`)
  }
  const get = (name: string): string | undefined => {
    const fromEnv = env[name]
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv
    const fromFile = file[FILE_KEYS[name] ?? '']
    if (fromFile === undefined || fromFile === null) return undefined
    return typeof fromFile === 'string' ? fromFile : JSON.stringify(fromFile)
  }
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}".`)
      return fallback
    }
    return n
  }

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = get(name)
    if (raw === undefined) return fallback
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false
    problems.push(`${name} must be true or false, got "${raw}".`)
    return fallback
  }

  const databaseUrl = get('DATABASE_URL')
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(
      `DATABASE_URL must start with postgres:// or postgresql://, got "${redactUrl(databaseUrl)}".`,
    )
  }
  const redisUrl = get('REDIS_URL')
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    problems.push('REDIS_URL must start with redis:// or rediss://.')
  const apiKey = get('MONETA_API_KEY')
  if (apiKey !== undefined && apiKey.length < 24) {
    problems.push(
      'MONETA_API_KEY must be at least 24 characters; generate one with `openssl rand -base64 32`.',
    )
  }
  const kafkaBrokers = (get('MONETA_KAFKA_BROKERS') ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)
  const eventBus = get('MONETA_EVENT_BUS') ?? (redisUrl ? 'redis' : 'memory')
  if (!['memory', 'redis', 'kafka'].includes(eventBus)) {
    problems.push(`MONETA_EVENT_BUS must be memory, redis or kafka, got "${eventBus}".`)
  } else if (eventBus === 'redis' && !redisUrl) {
    problems.push('MONETA_EVENT_BUS=redis needs REDIS_URL.')
  } else if (eventBus === 'kafka' && kafkaBrokers.length === 0) {
    problems.push('MONETA_EVENT_BUS=kafka needs MONETA_KAFKA_BROKERS (host:port,host:port).')
  }
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
  const logLevel = get('LOG_LEVEL') ?? 'info'
  if (!levels.includes(logLevel as Config['logLevel'])) {
    problems.push(`LOG_LEVEL must be one of ${levels.join(', ')}, got "${logLevel}".`)
  }

  const config: Config = {
    port: int('PORT', 4000, 0, 65535),
    host: get('HOST') ?? '0.0.0.0',
    databaseUrl,
    dataDir: (get('MONETA_DATA_DIR') ?? '.moneta').startsWith('memory://')
      ? 'memory://'
      : resolve(get('MONETA_DATA_DIR') ?? '.moneta'),
    dbPoolSize: int('MONETA_DB_POOL_SIZE', 10, 1, 200),
    apiKey: apiKey === undefined ? undefined : new Secret(apiKey),
    redisUrl,
    eventBus: eventBus as Config['eventBus'],
    kafkaBrokers,
    outboxRetentionMs: int('MONETA_OUTBOX_RETENTION_MS', 7 * 24 * 3_600_000, 60_000, 365 * 24 * 3_600_000),
    logLevel: logLevel as Config['logLevel'],
    bodyLimitBytes: int('MONETA_BODY_LIMIT_BYTES', 1_048_576, 1024, 64 * 1_048_576),
    ledgerBatchMax: int('MONETA_LEDGER_BATCH_MAX', 1000, 1, 10_000),
    pendingSweepMs: int('MONETA_PENDING_SWEEP_MS', 1000, 50, 3_600_000),
    masterKey: get('MONETA_MASTER_KEY') === undefined ? undefined : new Secret(get('MONETA_MASTER_KEY')!),
    masterKeyFile: get('MONETA_MASTER_KEY_FILE'),
    auditRetentionDays:
      get('MONETA_AUDIT_RETENTION_DAYS') === undefined
        ? undefined
        : int('MONETA_AUDIT_RETENTION_DAYS', 0, 1, 36_500),
    webhooks: {
      allowHttp: bool('MONETA_WEBHOOKS_ALLOW_HTTP', false),
      allowPrivate: bool('MONETA_WEBHOOKS_ALLOW_PRIVATE', env.NODE_ENV !== 'production'),
      timeoutMs: int('MONETA_WEBHOOKS_TIMEOUT_MS', 10_000, 100, 60_000),
      rotationOverlapMs: int('MONETA_WEBHOOKS_SECRET_OVERLAP_MS', 24 * 3_600_000, 0, 7 * 24 * 3_600_000),
      disableAfterMs: int(
        'MONETA_WEBHOOKS_DISABLE_AFTER_MS',
        5 * 24 * 3_600_000,
        60_000,
        30 * 24 * 3_600_000,
      ),
      concurrency: int('MONETA_WEBHOOKS_CONCURRENCY', 64, 1, 1000),
    },
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(config)
}

/** What `moneta config` and the start banner print: no secret, no password. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    ...c,
    databaseUrl: c.databaseUrl ? redactUrl(c.databaseUrl) : undefined,
    redisUrl: c.redisUrl ? redactUrl(c.redisUrl) : undefined,
    apiKey: c.apiKey ? '<redacted>' : undefined,
    masterKey: c.masterKey ? '<redacted>' : undefined,
    database: c.databaseUrl ? 'postgres' : `pglite (${c.dataDir})`,
  }
}
