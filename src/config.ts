import { existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
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
  /** Prefix of every Redis key (event streams, leases, rate limits): one per deployment sharing a Redis. */
  readonly redisPrefix: string
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
  /**
   * `moneta start` also runs the background workers (outbox relay, consumers, sweeps, the webhook
   * inbox processor). false: it serves the API only and `moneta worker` processes do the rest, so
   * consumers reacting to events never share the event loop that answers requests.
   */
  readonly startWorkers: boolean
  /** `moneta intake` (gateway webhooks only, src/intake.ts): its port and how many processes share it. */
  readonly intake: { readonly port: number; readonly processes: number }
  /** Key-encryption key (32 bytes, hex or base64); else masterKeyFile; else <dataDir>/master.key. */
  readonly masterKey: Secret | undefined
  readonly masterKeyFile: string | undefined
  /** Audit entry texts older than this are pruned (hashes stay, so the log still verifies). */
  readonly auditRetentionDays: number | undefined
  /** Outgoing webhooks (docs/webhooks-out.md). */
  readonly webhooks: WebhooksConfig
  /** Incoming gateway webhooks (docs/payments.md#gateway-webhooks): retries before dead-lettering. */
  readonly gatewayWebhooks: GatewayWebhooksConfig
  /** Operators' passwords, sessions and lockout (docs/security.md). */
  readonly auth: AuthConfig
  /** OpenID Connect sign-in (docs/security.md#sign-in-with-openid-connect); undefined when not configured. */
  readonly oidc: OidcConfig | undefined
  /** Requests per minute per API key or session, per address, for sign-in and for webhooks. */
  readonly rateLimits: RateLimitConfig
  /**
   * Behind a reverse proxy: whom to trust for X-Forwarded-For (true = any, or the proxies' addresses and
   * CIDRs). Rate limits and the per-address lockout count the client address this yields.
   */
  readonly trustProxy: boolean | string[]
  /** Bank data providers (docs/banking.md). */
  readonly banking: BankingConfig
  /** Payments (docs/payments.md): the unknown-outcome sweeper and the sandbox gateway. */
  readonly payments: PaymentsConfig
  /** Compliance cases (docs/cases.md): alert sources, SLA per kind, four-eyes threshold. */
  readonly cases: CasesConfig
  /** Sanctions list sources fetched on a schedule and by `moneta lists refresh` (docs/parties.md). */
  readonly lists: ListsConfig
  /** Where the settings came from, for `moneta pci report` (PCI DSS 8.6.2: no secret in a plain file). */
  readonly provenance: ConfigProvenance
  /** Fraud analytics (docs/analytics.md): Parquet export directory, DuckDB resources, export interval. */
  readonly analytics: AnalyticsConfig
  /** Recurring billing (docs/billing.md): the worker's run interval and the run's batch size. */
  readonly billing: { readonly runIntervalMs: number; readonly batchSize: number; readonly runLanes: number }
  /**
   * Risk model (docs/risk.md). MONETA_RISK_RETRAIN_MS: every tenant with a model in the registry gets a
   * challenger trained on its history (with a change report) and its champion's drift checked; 0 (the
   * default) = only `moneta risk train`. MONETA_RISK_TRAIN_IN: `worker` (default) trains in a worker
   * thread of its own; `process` on the server's thread, in slices (turns of up to ~0.7 s remain).
   * MONETA_RISK_MAX_SHADOWS: shadows kept per tenant; a training retires the older ones.
   */
  readonly risk: {
    readonly retrainMs: number
    readonly trainIn: 'worker' | 'process'
    readonly maxShadows: number
  }
  /** MONETA_MONITORING_WARM_TENANTS: tenants whose engine and model scorer `moneta start` builds at once. */
  readonly monitoring: { readonly warmTenants: number }
  /** Search (docs/search.md): the engine and its address, instrument reference data. */
  readonly search: SearchConfig
}

export interface SearchConfig {
  /** MONETA_SEARCH_ENGINE: postgres (default: the service's own database), elasticsearch or opensearch. */
  readonly engine: 'postgres' | 'elasticsearch' | 'opensearch'
  /** MONETA_SEARCH_URL: the Elasticsearch / OpenSearch node (credentials may ride in the URL; redacted). */
  readonly url: string | undefined
  /** MONETA_SEARCH_INDEX: name of the index in Elasticsearch / OpenSearch (default moneta-search). */
  readonly index: string
  /** MONETA_SEARCH_INSTRUMENTS: CSV of instrument reference data (symbol,name,isin,cusip,figi). */
  readonly instrumentsFile: string | undefined
}

export interface ConfigProvenance {
  /** The JSON config file read, if any. */
  readonly configFile: string | undefined
  /** Secret settings (by variable name) whose value came from the config file, not the environment. */
  readonly secretsFromFile: readonly string[]
  readonly nodeEnv: string | undefined
}

/** Settings that hold credentials: they belong in the environment (a secrets manager), never in a file. */
export const SECRET_SETTINGS: readonly string[] = [
  'MONETA_API_KEY',
  'MONETA_MASTER_KEY',
  'MONETA_SANDBOX_WEBHOOK_SECRET',
  'MONETA_STRIPE_SECRET_KEY',
  'MONETA_STRIPE_WEBHOOK_SECRET',
  'MONETA_BRAINTREE_PRIVATE_KEY',
  'MONETA_OIDC_CLIENT_SECRET',
  'MONETA_PLAID_SECRET',
  'MONETA_TELLER_SIGNING_SECRET',
  'MONETA_ANALYTICS_S3_SECRET_ACCESS_KEY',
]

export interface AnalyticsConfig {
  /** MONETA_ANALYTICS_DIR (default <dataDir>/analytics): Parquet files, partitioned by tenant and day (with object storage: this process's mirror of the store). */
  readonly dir: string
  /** MONETA_ANALYTICS_THREADS: DuckDB worker threads (0 = one per core). */
  readonly threads: number
  /** MONETA_ANALYTICS_MEMORY_LIMIT, e.g. "2GB" (DuckDB spills beyond it); unset = DuckDB's default. */
  readonly memoryLimit: string | undefined
  /** MONETA_ANALYTICS_EXPORT_MS: export round interval in the worker; 0 (default) = only `moneta analytics export`. */
  readonly exportMs: number
  /** Where the Parquet files live: the local directory (default) or S3-compatible object storage (docs/analytics.md). */
  readonly storage: AnalyticsStorageConfig
}

/**
 * MONETA_ANALYTICS_STORAGE_URL `s3://bucket[/prefix]` with MONETA_ANALYTICS_S3_ENDPOINT (http(s), for
 * S3-compatible stores), MONETA_ANALYTICS_S3_REGION (default us-east-1) and the key pair
 * MONETA_ANALYTICS_S3_ACCESS_KEY_ID / MONETA_ANALYTICS_S3_SECRET_ACCESS_KEY (both or neither: neither
 * means the environment's own credentials). An endpoint is addressed path-style (MinIO and other
 * S3-compatible stores). The store holds the Parquet files and the analytics directory is a mirror
 * DuckDB reads, reached through the AWS SDK (ADR 1201; app.ts builds the store).
 */
export type AnalyticsStorageConfig =
  | { readonly kind: 'local' }
  | {
      readonly kind: 's3'
      readonly bucket: string
      readonly prefix: string
      readonly endpoint: string | undefined
      readonly region: string
      readonly accessKeyId: string | undefined
      readonly secretAccessKey: string | undefined
    }

export interface CasesConfig {
  /** Alert sources that open cases (MONETA_CASES_SOURCES; default all three). */
  readonly sources: readonly ('monitoring' | 'screening' | 'market')[]
  /** Hours to work a case of each kind (MONETA_CASES_SLA_HOURS, e.g. "screening=24,monitoring=72"). */
  readonly slaHours: { readonly monitoring: number; readonly screening: number; readonly market: number }
  /** A screening score at or above this is a strong match: clearing it needs a second operator. */
  readonly strongMatchScore: number
}

export interface PaymentsConfig {
  /** How often the sweeper asks gateways about payments whose outcome is unknown. */
  readonly sweepMs: number
  /** A payment is swept once it has not changed for this long (a call may still be under way before). */
  readonly sweepAfterMs: number
  /** An Idempotency-Key claimed by a request that never finished (its process died) is taken over after this. */
  readonly keyTakeoverMs: number
  /** Standard Webhooks secret (whsec_<base64>) the sandbox gateway signs and verifies webhooks with. */
  readonly sandboxWebhookSecret: Secret | undefined
  /** Stripe is registered as a gateway when MONETA_STRIPE_SECRET_KEY is set (docs/payments-gateways.md). */
  readonly stripe: StripeConfig | undefined
  /** Braintree is registered when MONETA_BRAINTREE_MERCHANT_ID, _PUBLIC_KEY and _PRIVATE_KEY are all set. */
  readonly braintree: BraintreeConfig | undefined
  /** Scheduled reconciliation of the last complete day, checked this often; off when unset. */
  readonly reconcileIntervalMs: number | undefined
}

export interface StripeConfig {
  readonly secretKey: Secret
  readonly webhookSecret: Secret | undefined
  /** A local server speaking Stripe's API (tests, stripe-mock); api.stripe.com when unset. */
  readonly apiUrl: string | undefined
}

export interface BraintreeConfig {
  readonly merchantId: string
  readonly publicKey: string
  readonly privateKey: Secret
  readonly environment: 'sandbox' | 'production'
  /** A local server speaking Braintree's gateway API (tests); the environment's host when unset. */
  readonly apiUrl: string | undefined
}

export interface BankingConfig {
  /** Set when MONETA_PLAID_CLIENT_ID and MONETA_PLAID_SECRET are. */
  readonly plaid:
    | {
        clientId: string
        secret: Secret
        env: 'sandbox' | 'development' | 'production'
        apiUrl: string | undefined
      }
    | undefined
  /** Set when MONETA_TELLER_CERT_FILE and MONETA_TELLER_KEY_FILE are (mutual TLS). */
  readonly teller:
    | {
        certFile: string
        keyFile: string
        apiUrl: string
        signingSecret: Secret | undefined
        caFile: string | undefined
      }
    | undefined
  /**
   * The built-in sandbox bank (fake accounts; demo and tests): on unless NODE_ENV=production or
   * MONETA_BANKING_SANDBOX=false. Its webhook secret: MONETA_SANDBOX_BANK_WEBHOOK_SECRET, else random.
   */
  readonly sandbox: { webhookSecret: Secret | undefined } | undefined
  /** Provider used when a link-token request names none: plaid when configured, else sandbox. */
  readonly defaultProvider: 'sandbox' | 'plaid' | 'teller'
  /** Items not synced for this long are synced by the poll (webhooks can be lost). */
  readonly pollMs: number
  /** Public base URL given to providers for webhooks, e.g. https://moneta.example.com. */
  readonly publicUrl: string | undefined
}

export interface OidcConfig {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: Secret
  /** Our callback as registered at the provider: https://…/v1/auth/oidc/callback */
  readonly redirectUri: string
  /** Role given to a verified email that matches no operator; undefined: such sign-ins are refused. */
  readonly autoProvisionRole: string | undefined
  /** Tenant of auto-provisioned operators; undefined: the default tenant. */
  readonly tenant: string | undefined
}

export interface AuthConfig {
  readonly passwordMinLength: number
  /** At least one letter and one digit (PCI DSS 8.3.6); MONETA_PASSWORD_REQUIRE_LETTERS_AND_DIGITS. */
  readonly passwordRequireLettersAndDigits: boolean
  /** Argon2id cost: memory (KiB) and passes; stored hashes are upgraded at the next sign-in. */
  readonly argon2MemoryKiB: number
  readonly argon2Passes: number
  readonly sessionIdleMs: number
  readonly sessionMaxMs: number
  /**
   * How long an API key found once is answered from the process's memory (ms; 0: read every request).
   * A revocation in another process takes effect here within this time; in this process at once.
   */
  readonly apiKeyCacheMs: number
  /** Failures in a row that lock an operator (at most 10) or a source address. */
  readonly lockoutThreshold: number
  readonly lockoutAddressThreshold: number
  /** First lockout (at least 30 minutes); each further one in a row doubles it. */
  readonly lockoutMs: number
}

export interface RateLimitConfig {
  readonly perKey: number
  /** Requests without valid credentials, per source address. */
  readonly perAddress: number
  readonly login: number
  /** Gateway and bank webhooks (/v1/webhooks/*, /v1/banking/webhooks/*), per source address. */
  readonly webhooks: number
}

export interface GatewayWebhooksConfig {
  /** Failed processing attempts after which an event is dead-lettered. */
  readonly maxAttempts: number
  /** Wait after the first failure; doubles per attempt up to 10 minutes. */
  readonly retryBaseMs: number
  /**
   * Processing loops per process (PostgreSQL; PGlite uses one). 0: this process only receives and
   * stores (an API process), and `moneta worker` processes run with 1 or more.
   */
  readonly workers: number
  /**
   * Receipt group commit under steady arrivals: a batch leaves at most this often while requests
   * keep coming (GroupCommit's lingerMs); adds at most this to a delivery's latency. 0: off.
   */
  readonly batchLingerMs: number
  /**
   * Rows a processing loop claims and applies in one transaction. Larger rounds share more of their
   * fixed cost; every row of a round becomes visible only at its commit, so a round's length is also
   * part of each of its events' time from receipt to effect.
   */
  readonly claimBatch: number
}

export interface WebhooksConfig {
  /** Plain http (default false: https only, localhost included). */
  readonly allowHttp: boolean
  /** Endpoints on private / loopback / reserved addresses (default false, in every environment). */
  readonly allowPrivate: boolean
  readonly timeoutMs: number
  /** How long a rotated-out secret keeps signing. */
  readonly rotationOverlapMs: number
  /** An endpoint whose every attempt failed for this long is disabled. */
  readonly disableAfterMs: number
  /** Delivery attempts in flight per worker process. */
  readonly concurrency: number
  /** Finished deliveries and their attempts are deleted after this long. */
  readonly retentionMs: number
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
  MONETA_ANALYTICS_DIR: 'analyticsDir',
  MONETA_ANALYTICS_THREADS: 'analyticsThreads',
  MONETA_ANALYTICS_MEMORY_LIMIT: 'analyticsMemoryLimit',
  MONETA_ANALYTICS_EXPORT_MS: 'analyticsExportMs',
  MONETA_RISK_RETRAIN_MS: 'riskRetrainMs',
  MONETA_RISK_TRAIN_IN: 'riskTrainIn',
  MONETA_RISK_MAX_SHADOWS: 'riskMaxShadows',
  MONETA_ANALYTICS_STORAGE_URL: 'analyticsStorageUrl',
  MONETA_ANALYTICS_S3_ENDPOINT: 'analyticsS3Endpoint',
  MONETA_ANALYTICS_S3_REGION: 'analyticsS3Region',
  MONETA_ANALYTICS_S3_ACCESS_KEY_ID: 'analyticsS3AccessKeyId',
  MONETA_ANALYTICS_S3_SECRET_ACCESS_KEY: 'analyticsS3SecretAccessKey',
  MONETA_DB_POOL_SIZE: 'dbPoolSize',
  MONETA_API_KEY: 'apiKey',
  REDIS_URL: 'redisUrl',
  MONETA_REDIS_PREFIX: 'redisPrefix',
  MONETA_EVENT_BUS: 'eventBus',
  MONETA_KAFKA_BROKERS: 'kafkaBrokers',
  MONETA_OUTBOX_RETENTION_MS: 'outboxRetentionMs',
  LOG_LEVEL: 'logLevel',
  MONETA_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  MONETA_LEDGER_BATCH_MAX: 'ledgerBatchMax',
  MONETA_PENDING_SWEEP_MS: 'pendingSweepMs',
  MONETA_START_WORKERS: 'startWorkers',
  MONETA_INTAKE_PORT: 'intakePort',
  MONETA_INTAKE_PROCESSES: 'intakeProcesses',
  MONETA_MASTER_KEY: 'masterKey',
  MONETA_MASTER_KEY_FILE: 'masterKeyFile',
  MONETA_AUDIT_RETENTION_DAYS: 'auditRetentionDays',
  MONETA_WEBHOOKS_ALLOW_HTTP: 'webhooksAllowHttp',
  MONETA_WEBHOOKS_ALLOW_PRIVATE: 'webhooksAllowPrivate',
  MONETA_WEBHOOKS_TIMEOUT_MS: 'webhooksTimeoutMs',
  MONETA_WEBHOOKS_SECRET_OVERLAP_MS: 'webhooksSecretOverlapMs',
  MONETA_WEBHOOKS_DISABLE_AFTER_MS: 'webhooksDisableAfterMs',
  MONETA_WEBHOOKS_CONCURRENCY: 'webhooksConcurrency',
  MONETA_WEBHOOKS_RETENTION_DAYS: 'webhooksRetentionDays',
  MONETA_GATEWAY_WEBHOOK_MAX_ATTEMPTS: 'gatewayWebhookMaxAttempts',
  MONETA_GATEWAY_WEBHOOK_RETRY_BASE_MS: 'gatewayWebhookRetryBaseMs',
  MONETA_GATEWAY_WEBHOOK_WORKERS: 'gatewayWebhookWorkers',
  MONETA_GATEWAY_WEBHOOK_BATCH_LINGER_MS: 'gatewayWebhookBatchLingerMs',
  MONETA_GATEWAY_WEBHOOK_CLAIM_BATCH: 'gatewayWebhookClaimBatch',
  MONETA_PAYMENTS_SWEEP_MS: 'paymentsSweepMs',
  MONETA_PAYMENTS_SWEEP_AFTER_MS: 'paymentsSweepAfterMs',
  MONETA_PAYMENTS_KEY_TAKEOVER_MS: 'paymentsKeyTakeoverMs',
  MONETA_SANDBOX_WEBHOOK_SECRET: 'sandboxWebhookSecret',
  MONETA_STRIPE_SECRET_KEY: 'stripeSecretKey',
  MONETA_STRIPE_WEBHOOK_SECRET: 'stripeWebhookSecret',
  MONETA_STRIPE_API_URL: 'stripeApiUrl',
  MONETA_BRAINTREE_MERCHANT_ID: 'braintreeMerchantId',
  MONETA_BRAINTREE_PUBLIC_KEY: 'braintreePublicKey',
  MONETA_BRAINTREE_PRIVATE_KEY: 'braintreePrivateKey',
  MONETA_BRAINTREE_ENVIRONMENT: 'braintreeEnvironment',
  MONETA_BRAINTREE_API_URL: 'braintreeApiUrl',
  MONETA_RECONCILE_INTERVAL_MS: 'reconcileIntervalMs',
  MONETA_PASSWORD_MIN_LENGTH: 'passwordMinLength',
  MONETA_PASSWORD_REQUIRE_LETTERS_AND_DIGITS: 'passwordRequireLettersAndDigits',
  MONETA_ARGON2_MEMORY_KIB: 'argon2MemoryKiB',
  MONETA_ARGON2_PASSES: 'argon2Passes',
  MONETA_SESSION_IDLE_MINUTES: 'sessionIdleMinutes',
  MONETA_SESSION_MAX_HOURS: 'sessionMaxHours',
  MONETA_API_KEY_CACHE_MS: 'apiKeyCacheMs',
  MONETA_LOCKOUT_THRESHOLD: 'lockoutThreshold',
  MONETA_LOCKOUT_ADDRESS_THRESHOLD: 'lockoutAddressThreshold',
  MONETA_LOCKOUT_MINUTES: 'lockoutMinutes',
  MONETA_OIDC_ISSUER: 'oidcIssuer',
  MONETA_OIDC_CLIENT_ID: 'oidcClientId',
  MONETA_OIDC_CLIENT_SECRET: 'oidcClientSecret',
  MONETA_OIDC_REDIRECT_URI: 'oidcRedirectUri',
  MONETA_OIDC_AUTO_PROVISION_ROLE: 'oidcAutoProvisionRole',
  MONETA_OIDC_TENANT: 'oidcTenant',
  MONETA_RATE_LIMIT_PER_KEY: 'rateLimitPerKey',
  MONETA_RATE_LIMIT_PER_ADDRESS: 'rateLimitPerAddress',
  MONETA_RATE_LIMIT_LOGIN: 'rateLimitLogin',
  MONETA_RATE_LIMIT_WEBHOOKS: 'rateLimitWebhooks',
  MONETA_TRUST_PROXY: 'trustProxy',
  MONETA_PLAID_CLIENT_ID: 'plaidClientId',
  MONETA_PLAID_SECRET: 'plaidSecret',
  MONETA_PLAID_ENV: 'plaidEnv',
  MONETA_PLAID_API_URL: 'plaidApiUrl',
  MONETA_TELLER_CERT_FILE: 'tellerCertFile',
  MONETA_TELLER_KEY_FILE: 'tellerKeyFile',
  MONETA_TELLER_CA_FILE: 'tellerCaFile',
  MONETA_TELLER_API_URL: 'tellerApiUrl',
  MONETA_TELLER_SIGNING_SECRET: 'tellerSigningSecret',
  MONETA_BANKING_PROVIDER: 'bankingProvider',
  MONETA_BANKING_POLL_MS: 'bankingPollMs',
  MONETA_PUBLIC_URL: 'publicUrl',
  MONETA_CASES_SOURCES: 'casesSources',
  MONETA_LISTS_SOURCES: 'listsSources',
  MONETA_LISTS_REFRESH_MS: 'listsRefreshMs',
  MONETA_LISTS_FETCH_TIMEOUT_MS: 'listsFetchTimeoutMs',
  MONETA_LISTS_URL_OFAC_SDN: 'listsUrlOfacSdn',
  MONETA_LISTS_URL_OFAC_CONS: 'listsUrlOfacCons',
  MONETA_LISTS_URL_UN: 'listsUrlUn',
  MONETA_LISTS_URL_EU: 'listsUrlEu',
  MONETA_LISTS_URL_UK: 'listsUrlUk',
  MONETA_CASES_SLA_HOURS: 'casesSlaHours',
  MONETA_CASES_STRONG_MATCH: 'casesStrongMatch',
  MONETA_SEARCH_ENGINE: 'searchEngine',
  MONETA_SEARCH_URL: 'searchUrl',
  MONETA_SEARCH_INDEX: 'searchIndex',
  MONETA_SEARCH_INSTRUMENTS: 'searchInstruments',
}

function readFile(
  env: NodeJS.ProcessEnv,
  problems: string[],
): { values: Record<string, unknown>; path: string | undefined } {
  const none = { values: {}, path: undefined }
  const explicit = env.MONETA_CONFIG_FILE
  if (explicit === '') return none // set but empty: no config file at all
  const path = resolve(explicit ?? 'moneta.config.json')
  if (!existsSync(path)) {
    if (explicit) problems.push(`MONETA_CONFIG_FILE points to ${path}, which does not exist.`)
    return none
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return { values: parsed as Record<string, unknown>, path }
    problems.push(`${path} must hold a JSON object.`)
  } catch (e) {
    problems.push(`${path} is not valid JSON: ${(e as Error).message}`)
  }
  return none
}

/** Secret settings taken from the file (the environment, when set, wins). URLs count when they carry a password. */
function secretsFromFile(env: NodeJS.ProcessEnv, file: Record<string, unknown>): string[] {
  const fromFile = (name: string) =>
    (env[name] === undefined || env[name] === '') && file[FILE_KEYS[name] ?? ''] != null
  const urlWithPassword = (name: string) => {
    const v = file[FILE_KEYS[name] ?? '']
    return typeof v === 'string' && /^[a-z]+:\/\/[^/@]*:[^/@]+@/i.test(v)
  }
  return [
    ...SECRET_SETTINGS.filter(fromFile),
    ...['DATABASE_URL', 'REDIS_URL'].filter((n) => fromFile(n) && urlWithPassword(n)),
  ]
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = []
  const { values: file, path: configFile } = readFile(env, problems)
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
  const redisPrefix = get('MONETA_REDIS_PREFIX') ?? 'moneta'
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/.test(redisPrefix) || redisPrefix.endsWith(':'))
    problems.push(
      'MONETA_REDIS_PREFIX is 1 to 64 letters, digits, "_", ".", "-" or ":" (not ending with ":"), e.g. "moneta-eu".',
    )
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
    redisPrefix,
    eventBus: eventBus as Config['eventBus'],
    kafkaBrokers,
    outboxRetentionMs: int('MONETA_OUTBOX_RETENTION_MS', 7 * 24 * 3_600_000, 60_000, 365 * 24 * 3_600_000),
    logLevel: logLevel as Config['logLevel'],
    bodyLimitBytes: int('MONETA_BODY_LIMIT_BYTES', 1_048_576, 1024, 64 * 1_048_576),
    ledgerBatchMax: int('MONETA_LEDGER_BATCH_MAX', 1000, 1, 10_000),
    pendingSweepMs: int('MONETA_PENDING_SWEEP_MS', 1000, 50, 3_600_000),
    startWorkers: bool('MONETA_START_WORKERS', true),
    intake: {
      port: int('MONETA_INTAKE_PORT', 4001, 0, 65535),
      processes: int('MONETA_INTAKE_PROCESSES', 1, 1, 64),
    },
    masterKey: get('MONETA_MASTER_KEY') === undefined ? undefined : new Secret(get('MONETA_MASTER_KEY')!),
    masterKeyFile: get('MONETA_MASTER_KEY_FILE'),
    auditRetentionDays:
      get('MONETA_AUDIT_RETENTION_DAYS') === undefined
        ? undefined
        : int('MONETA_AUDIT_RETENTION_DAYS', 0, 1, 36_500),
    webhooks: {
      allowHttp: bool('MONETA_WEBHOOKS_ALLOW_HTTP', false),
      // The SSRF guard is on unless switched off by name: never by the absence of NODE_ENV.
      allowPrivate: bool('MONETA_WEBHOOKS_ALLOW_PRIVATE', false),
      timeoutMs: int('MONETA_WEBHOOKS_TIMEOUT_MS', 10_000, 100, 60_000),
      rotationOverlapMs: int('MONETA_WEBHOOKS_SECRET_OVERLAP_MS', 24 * 3_600_000, 0, 7 * 24 * 3_600_000),
      disableAfterMs: int(
        'MONETA_WEBHOOKS_DISABLE_AFTER_MS',
        5 * 24 * 3_600_000,
        60_000,
        30 * 24 * 3_600_000,
      ),
      concurrency: int('MONETA_WEBHOOKS_CONCURRENCY', 64, 1, 1000),
      retentionMs: int('MONETA_WEBHOOKS_RETENTION_DAYS', 30, 1, 3650) * 24 * 3_600_000,
    },
    gatewayWebhooks: {
      maxAttempts: int('MONETA_GATEWAY_WEBHOOK_MAX_ATTEMPTS', 10, 1, 100),
      retryBaseMs: int('MONETA_GATEWAY_WEBHOOK_RETRY_BASE_MS', 2000, 10, 3_600_000),
      workers: int('MONETA_GATEWAY_WEBHOOK_WORKERS', 2, 0, 32),
      batchLingerMs: int('MONETA_GATEWAY_WEBHOOK_BATCH_LINGER_MS', 5, 0, 100),
      claimBatch: int('MONETA_GATEWAY_WEBHOOK_CLAIM_BATCH', 500, 1, 5000),
    },
    auth: {
      passwordMinLength: int('MONETA_PASSWORD_MIN_LENGTH', 12, 8, 128),
      passwordRequireLettersAndDigits: bool('MONETA_PASSWORD_REQUIRE_LETTERS_AND_DIGITS', true),
      argon2MemoryKiB: int('MONETA_ARGON2_MEMORY_KIB', 24_576, 1024, 4_194_304),
      argon2Passes: int('MONETA_ARGON2_PASSES', 3, 1, 20),
      // 15 minutes: PCI DSS v4.0.1 8.2.8 asks re-authentication after at most 15 minutes idle.
      sessionIdleMs: int('MONETA_SESSION_IDLE_MINUTES', 15, 1, 1440) * 60_000,
      sessionMaxMs: int('MONETA_SESSION_MAX_HOURS', 12, 1, 720) * 3_600_000,
      apiKeyCacheMs: int('MONETA_API_KEY_CACHE_MS', 1000, 0, 60_000),
      lockoutThreshold: int('MONETA_LOCKOUT_THRESHOLD', 10, 3, 10),
      lockoutAddressThreshold: int('MONETA_LOCKOUT_ADDRESS_THRESHOLD', 100, 10, 1_000_000),
      lockoutMs: int('MONETA_LOCKOUT_MINUTES', 30, 30, 1440) * 60_000,
    },
    oidc: oidcConfig(get, problems),
    // Per minute. A key's and a gateway's budgets sit above the rates the platform is built to take
    // (issue #18: 1,000 payments/s on one merchant, spikes of asynchronous commands at 10,000/s,
    // 3,000 webhooks/s), so a merchant's spike queues instead of failing with 429; they stop a
    // runaway client before it takes every core. The address and sign-in budgets guard
    // unauthenticated traffic and stay tight.
    rateLimits: {
      perKey: int('MONETA_RATE_LIMIT_PER_KEY', 600_000, 1, 100_000_000),
      perAddress: int('MONETA_RATE_LIMIT_PER_ADDRESS', 1000, 1, 100_000_000),
      login: int('MONETA_RATE_LIMIT_LOGIN', 30, 1, 100_000_000),
      webhooks: int('MONETA_RATE_LIMIT_WEBHOOKS', 300_000, 1, 100_000_000),
    },
    trustProxy: trustProxy(get('MONETA_TRUST_PROXY')),
    banking: bankingConfig(get, int, bool, problems, env.NODE_ENV === 'production'),
    cases: casesConfig(get, problems),
    analytics: {
      dir: analyticsDir(get('MONETA_ANALYTICS_DIR'), get('MONETA_DATA_DIR')),
      threads: int('MONETA_ANALYTICS_THREADS', 0, 0, 256),
      memoryLimit: memoryLimit(get('MONETA_ANALYTICS_MEMORY_LIMIT'), problems),
      exportMs: int('MONETA_ANALYTICS_EXPORT_MS', 0, 0, 86_400_000),
      storage: analyticsStorage(get, problems),
    },
    lists: listsConfig(get, int, problems),
    risk: {
      retrainMs: int('MONETA_RISK_RETRAIN_MS', 0, 0, 30 * 86_400_000),
      trainIn: trainIn(get('MONETA_RISK_TRAIN_IN'), problems),
      maxShadows: int('MONETA_RISK_MAX_SHADOWS', 3, 1, 20),
    },
    monitoring: { warmTenants: int('MONETA_MONITORING_WARM_TENANTS', 20, 0, 10_000) },
    provenance: { configFile, secretsFromFile: secretsFromFile(env, file), nodeEnv: env.NODE_ENV },
    search: searchConfig(get, problems),
    billing: {
      // 0 turns the worker's billing run off (the CLI's `moneta billing run` still works).
      runIntervalMs: int('MONETA_BILLING_RUN_INTERVAL_MS', 60_000, 0, 86_400_000),
      batchSize: int('MONETA_BILLING_BATCH_SIZE', 1000, 1, 10_000),
      // Renew-and-charge lanes at once: one lane's database work overlaps another's gateway calls
      // (docs/benchmarks.md: 2 lanes renewed 100,000 in half the time of 1). PGlite runs one lane.
      runLanes: int('MONETA_BILLING_RUN_LANES', 2, 1, 16),
    },
    payments: {
      sweepMs: int('MONETA_PAYMENTS_SWEEP_MS', 30_000, 100, 3_600_000),
      sweepAfterMs: int('MONETA_PAYMENTS_SWEEP_AFTER_MS', 60_000, 0, 24 * 3_600_000),
      keyTakeoverMs: int('MONETA_PAYMENTS_KEY_TAKEOVER_MS', 60_000, 1000, 24 * 3_600_000),
      sandboxWebhookSecret: sandboxSecret(get('MONETA_SANDBOX_WEBHOOK_SECRET'), problems),
      ...vendorGateways(get, problems),
      reconcileIntervalMs:
        get('MONETA_RECONCILE_INTERVAL_MS') === undefined
          ? undefined
          : int('MONETA_RECONCILE_INTERVAL_MS', 3_600_000, 60_000, 7 * 24 * 3_600_000),
    },
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(config)
}

function bankingConfig(
  get: (name: string) => string | undefined,
  int: (name: string, fallback: number, min: number, max: number) => number,
  bool: (name: string, fallback: boolean) => boolean,
  problems: string[],
  production: boolean,
): BankingConfig {
  const clientId = get('MONETA_PLAID_CLIENT_ID')
  const secret = get('MONETA_PLAID_SECRET')
  const env = get('MONETA_PLAID_ENV') ?? 'sandbox'
  if (!['sandbox', 'development', 'production'].includes(env))
    problems.push(`MONETA_PLAID_ENV must be sandbox, development or production, got "${env}".`)
  if (Boolean(clientId) !== Boolean(secret))
    problems.push('Set both MONETA_PLAID_CLIENT_ID and MONETA_PLAID_SECRET, or neither.')
  const apiUrl = get('MONETA_PLAID_API_URL')
  for (const [name, url] of [
    ['MONETA_PLAID_API_URL', apiUrl],
    ['MONETA_TELLER_API_URL', get('MONETA_TELLER_API_URL')],
    ['MONETA_PUBLIC_URL', get('MONETA_PUBLIC_URL')],
  ] as const) {
    if (url && !/^https?:\/\//.test(url)) problems.push(`${name} must be an http(s) URL, got "${url}".`)
  }
  const certFile = get('MONETA_TELLER_CERT_FILE')
  const keyFile = get('MONETA_TELLER_KEY_FILE')
  if (Boolean(certFile) !== Boolean(keyFile))
    problems.push(
      'Teller needs a client certificate: set both MONETA_TELLER_CERT_FILE and MONETA_TELLER_KEY_FILE.',
    )
  for (const [name, file] of [
    ['MONETA_TELLER_CERT_FILE', certFile],
    ['MONETA_TELLER_KEY_FILE', keyFile],
    ['MONETA_TELLER_CA_FILE', get('MONETA_TELLER_CA_FILE')],
  ] as const) {
    if (file && !existsSync(file)) problems.push(`${name} points to ${file}, which does not exist.`)
  }
  const signing = get('MONETA_TELLER_SIGNING_SECRET')
  const plaid =
    clientId && secret
      ? { clientId, secret: new Secret(secret), env: env as 'sandbox' | 'development' | 'production', apiUrl }
      : undefined
  const teller =
    certFile && keyFile
      ? {
          certFile,
          keyFile,
          apiUrl: get('MONETA_TELLER_API_URL') ?? 'https://api.teller.io',
          signingSecret: signing ? new Secret(signing) : undefined,
          caFile: get('MONETA_TELLER_CA_FILE'),
        }
      : undefined
  // The sandbox bank links fake accounts and accepts webhooks signed with its secret: off in
  // production unless switched on by name, and its secret is per deployment (random if unset).
  const sandboxOn = bool('MONETA_BANKING_SANDBOX', !production)
  const sandboxSecret = get('MONETA_SANDBOX_BANK_WEBHOOK_SECRET')
  if (sandboxSecret !== undefined && sandboxSecret.length < 32)
    problems.push(
      'MONETA_SANDBOX_BANK_WEBHOOK_SECRET must be at least 32 characters (`openssl rand -hex 32`).',
    )
  const provider =
    get('MONETA_BANKING_PROVIDER') ?? (plaid ? 'plaid' : teller && !sandboxOn ? 'teller' : 'sandbox')
  if (!['sandbox', 'plaid', 'teller'].includes(provider)) {
    problems.push(`MONETA_BANKING_PROVIDER must be sandbox, plaid or teller, got "${provider}".`)
  } else if ((provider === 'plaid' && !plaid) || (provider === 'teller' && !teller)) {
    problems.push(`MONETA_BANKING_PROVIDER=${provider} but that provider is not configured.`)
  } else if (provider === 'sandbox' && !sandboxOn && get('MONETA_BANKING_PROVIDER') !== undefined) {
    problems.push('MONETA_BANKING_PROVIDER=sandbox but the sandbox bank is off (MONETA_BANKING_SANDBOX).')
  }
  return {
    plaid,
    teller,
    sandbox: sandboxOn
      ? { webhookSecret: sandboxSecret === undefined ? undefined : new Secret(sandboxSecret) }
      : undefined,
    defaultProvider: provider as BankingConfig['defaultProvider'],
    pollMs: int('MONETA_BANKING_POLL_MS', 3_600_000, 1000, 7 * 24 * 3_600_000),
    publicUrl: get('MONETA_PUBLIC_URL')?.replace(/\/$/, ''),
  }
}

function vendorGateways(
  get: (name: string) => string | undefined,
  problems: string[],
): Pick<PaymentsConfig, 'stripe' | 'braintree'> {
  const url = (name: string): string | undefined => {
    const raw = get(name)
    if (raw !== undefined && !/^https?:\/\/[^/]+/.test(raw))
      problems.push(`${name} must be an http(s) URL, got "${raw}".`)
    return raw
  }
  const stripeKey = get('MONETA_STRIPE_SECRET_KEY')
  const stripeHook = get('MONETA_STRIPE_WEBHOOK_SECRET')
  if (stripeKey !== undefined && !/^(sk|rk)_(test|live)_\w+/.test(stripeKey))
    problems.push(
      'MONETA_STRIPE_SECRET_KEY must be a Stripe secret or restricted key (sk_test_…, sk_live_…, rk_…).',
    )
  if (stripeHook !== undefined && !stripeHook.startsWith('whsec_'))
    problems.push(
      'MONETA_STRIPE_WEBHOOK_SECRET must be the endpoint signing secret (whsec_…) from the Stripe dashboard.',
    )
  const stripeUrl = url('MONETA_STRIPE_API_URL')
  const names = [
    'MONETA_BRAINTREE_MERCHANT_ID',
    'MONETA_BRAINTREE_PUBLIC_KEY',
    'MONETA_BRAINTREE_PRIVATE_KEY',
  ]
  const [merchantId, publicKey, privateKey] = names.map((n) => get(n))
  const someBraintree = [merchantId, publicKey, privateKey].some((v) => v !== undefined)
  if (someBraintree && !(merchantId && publicKey && privateKey))
    problems.push(`Braintree needs all of ${names.join(', ')}; only some are set.`)
  const environment = get('MONETA_BRAINTREE_ENVIRONMENT') ?? 'sandbox'
  if (environment !== 'sandbox' && environment !== 'production')
    problems.push(`MONETA_BRAINTREE_ENVIRONMENT must be sandbox or production, got "${environment}".`)
  const braintreeUrl = url('MONETA_BRAINTREE_API_URL')
  return {
    stripe: stripeKey
      ? {
          secretKey: new Secret(stripeKey),
          webhookSecret: stripeHook === undefined ? undefined : new Secret(stripeHook),
          apiUrl: stripeUrl,
        }
      : undefined,
    braintree:
      merchantId && publicKey && privateKey
        ? {
            merchantId,
            publicKey,
            privateKey: new Secret(privateKey),
            environment: environment === 'production' ? 'production' : 'sandbox',
            apiUrl: braintreeUrl,
          }
        : undefined,
  }
}

function sandboxSecret(raw: string | undefined, problems: string[]): Secret | undefined {
  if (raw === undefined) return undefined
  const key = raw.startsWith('whsec_') ? Buffer.from(raw.slice(6), 'base64') : Buffer.alloc(0)
  if (key.length < 16) {
    problems.push(
      'MONETA_SANDBOX_WEBHOOK_SECRET must be whsec_ followed by at least 16 bytes in base64; generate one with `echo whsec_$(openssl rand -base64 32)`.',
    )
    return undefined
  }
  return new Secret(raw)
}

const OIDC_ROLES = ['admin', 'operator', 'analyst', 'auditor', 'read_only']

/** All four of issuer, client id, secret and redirect URI, or none (OIDC sign-in off). */
function oidcConfig(get: (name: string) => string | undefined, problems: string[]): OidcConfig | undefined {
  const names = [
    'MONETA_OIDC_ISSUER',
    'MONETA_OIDC_CLIENT_ID',
    'MONETA_OIDC_CLIENT_SECRET',
    'MONETA_OIDC_REDIRECT_URI',
  ]
  const [issuer, clientId, clientSecret, redirectUri] = names.map(get)
  if (!issuer && !clientId && !clientSecret && !redirectUri) return undefined
  if (!issuer || !clientId || !clientSecret || !redirectUri) {
    problems.push(
      `OIDC sign-in needs all of ${names.join(', ')}; missing ${names.filter((n) => !get(n)).join(', ')}.`,
    )
    return undefined
  }
  const url = (name: string, value: string): URL | undefined => {
    try {
      return new URL(value)
    } catch {
      problems.push(`${name} must be an absolute URL, got "${value}".`)
      return undefined
    }
  }
  const loopback = (u: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
  for (const [name, value] of [
    ['MONETA_OIDC_ISSUER', issuer],
    ['MONETA_OIDC_REDIRECT_URI', redirectUri],
  ] as const) {
    const u = url(name, value)
    if (u && u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback(u)))
      problems.push(`${name} must use https (plain http only on a loopback address), got "${value}".`)
  }
  const role = get('MONETA_OIDC_AUTO_PROVISION_ROLE')
  if (role !== undefined && !OIDC_ROLES.includes(role))
    problems.push(`MONETA_OIDC_AUTO_PROVISION_ROLE must be one of ${OIDC_ROLES.join(', ')}, got "${role}".`)
  if (clientSecret.length < 16) problems.push('MONETA_OIDC_CLIENT_SECRET must be at least 16 characters.')
  return {
    issuer,
    clientId,
    clientSecret: new Secret(clientSecret),
    redirectUri,
    autoProvisionRole: role,
    tenant: get('MONETA_OIDC_TENANT'),
  }
}

/** MONETA_TRUST_PROXY: unset or "false" → false, "true", or a comma list of the proxies' addresses/CIDRs. */
function trustProxy(raw: string | undefined): boolean | string[] {
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') return true
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
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
    search: { ...c.search, url: c.search.url ? redactUrl(c.search.url) : undefined },
  }
}

const SEARCH_ENGINES = ['postgres', 'elasticsearch', 'opensearch'] as const

function searchConfig(get: (name: string) => string | undefined, problems: string[]): SearchConfig {
  const raw = get('MONETA_SEARCH_ENGINE') ?? 'postgres'
  const engine = (SEARCH_ENGINES as readonly string[]).includes(raw)
    ? (raw as SearchConfig['engine'])
    : 'postgres'
  if (engine !== raw)
    problems.push(`MONETA_SEARCH_ENGINE: "${raw}" is not one of ${SEARCH_ENGINES.join(', ')}.`)
  const url = get('MONETA_SEARCH_URL')
  if (engine !== 'postgres' && !url) problems.push(`MONETA_SEARCH_ENGINE=${engine} needs MONETA_SEARCH_URL.`)
  if (url && !/^https?:\/\//.test(url)) problems.push('MONETA_SEARCH_URL must be an http(s):// URL.')
  const index = get('MONETA_SEARCH_INDEX') ?? 'moneta-search'
  if (!/^[a-z0-9][a-z0-9._-]{0,100}$/.test(index))
    problems.push('MONETA_SEARCH_INDEX must be a lower-case index name (letters, digits, . _ -).')
  const instrumentsFile = get('MONETA_SEARCH_INSTRUMENTS')
  if (instrumentsFile && !existsSync(instrumentsFile))
    problems.push(`MONETA_SEARCH_INSTRUMENTS points to ${instrumentsFile}, which does not exist.`)
  return { engine, url, index, instrumentsFile }
}

const CASE_SOURCES = ['monitoring', 'screening', 'market'] as const

/** Beside the embedded database; an in-memory database (tests, demos) gets a per-process temporary one. */
function analyticsDir(dir: string | undefined, dataDir: string | undefined): string {
  if (dir) return resolve(dir)
  if (dataDir?.startsWith('memory://')) return join(tmpdir(), `moneta-analytics-${process.pid}`)
  return resolve(dataDir ?? '.moneta', 'analytics')
}

function analyticsStorage(
  get: (name: string) => string | undefined,
  problems: string[],
): AnalyticsStorageConfig {
  const url = get('MONETA_ANALYTICS_STORAGE_URL')
  const s3Settings = ['ENDPOINT', 'REGION', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY'].map(
    (k) => `MONETA_ANALYTICS_S3_${k}`,
  )
  if (url === undefined) {
    const stray = s3Settings.filter((k) => get(k) !== undefined)
    if (stray.length > 0)
      problems.push(`${stray.join(', ')} set without MONETA_ANALYTICS_STORAGE_URL=s3://bucket/prefix.`)
    return { kind: 'local' }
  }
  // Bucket names as S3 allows them (3–63 of a-z 0-9 . -), then an optional key prefix.
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/([\w./=-]*))?$/.exec(url)
  if (!m) {
    problems.push(`MONETA_ANALYTICS_STORAGE_URL must look like s3://bucket/prefix, got "${url}".`)
    return { kind: 'local' }
  }
  const endpoint = get('MONETA_ANALYTICS_S3_ENDPOINT')
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint))
    problems.push('MONETA_ANALYTICS_S3_ENDPOINT must be an http(s):// URL.')
  const region = get('MONETA_ANALYTICS_S3_REGION') ?? 'us-east-1'
  if (!/^[a-z0-9-]{2,32}$/.test(region))
    problems.push(`MONETA_ANALYTICS_S3_REGION "${region}" is not a region name.`)
  const accessKeyId = get('MONETA_ANALYTICS_S3_ACCESS_KEY_ID')
  const secretAccessKey = get('MONETA_ANALYTICS_S3_SECRET_ACCESS_KEY')
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
    problems.push(
      'MONETA_ANALYTICS_S3_ACCESS_KEY_ID and MONETA_ANALYTICS_S3_SECRET_ACCESS_KEY go together (or neither).',
    )
  return {
    kind: 's3',
    bucket: m[1]!,
    prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, ''),
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
  }
}

function memoryLimit(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return undefined
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(raw.trim())) {
    problems.push(`MONETA_ANALYTICS_MEMORY_LIMIT must look like 512MB or 2GB, got "${raw}".`)
    return undefined
  }
  return raw.trim()
}

function casesConfig(get: (name: string) => string | undefined, problems: string[]): CasesConfig {
  const rawSources = get('MONETA_CASES_SOURCES')
  let sources: CasesConfig['sources'] = CASE_SOURCES
  if (rawSources !== undefined) {
    const list =
      rawSources === 'none'
        ? []
        : rawSources
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
    const bad = list.filter((s) => !(CASE_SOURCES as readonly string[]).includes(s))
    if (bad.length > 0)
      problems.push(
        `MONETA_CASES_SOURCES: unknown source "${bad.join(', ')}"; use ${CASE_SOURCES.join(', ')} or none.`,
      )
    else sources = list as CasesConfig['sources']
  }
  const slaHours = { monitoring: 72, screening: 24, market: 48 }
  const rawSla = get('MONETA_CASES_SLA_HOURS')
  for (const part of rawSla ? rawSla.split(',') : []) {
    const [kind, hours] = part.split('=').map((x) => x.trim())
    const n = Number(hours)
    if (
      !kind ||
      !(CASE_SOURCES as readonly string[]).includes(kind) ||
      !Number.isFinite(n) ||
      n <= 0 ||
      n > 8760
    )
      problems.push(`MONETA_CASES_SLA_HOURS: "${part}" must look like monitoring=72 (hours, up to 8760).`)
    else slaHours[kind as keyof typeof slaHours] = n
  }
  const rawStrong = get('MONETA_CASES_STRONG_MATCH')
  const strong = rawStrong === undefined ? 0.9 : Number(rawStrong)
  if (!Number.isFinite(strong) || strong <= 0 || strong > 1)
    problems.push(`MONETA_CASES_STRONG_MATCH must be a score above 0 and at most 1, got "${rawStrong}".`)
  return {
    sources,
    slaHours,
    strongMatchScore: Number.isFinite(strong) && strong > 0 && strong <= 1 ? strong : 0.9,
  }
}

/** One sanctions list source: where its files are and how to read them. */
export interface ListSourceConfig {
  readonly id: 'ofac_sdn' | 'ofac_cons' | 'un' | 'eu' | 'uk'
  readonly format: 'ofac-csv' | 'ofac-cons-csv' | 'un-xml' | 'eu-xml' | 'uk-csv'
  /** The file URL, or for OFAC CSV sets the directory URL the file names are appended to. */
  readonly url: string
  /** OFAC CSV sets: the files fetched from `url`. */
  readonly files?: readonly string[]
}

export interface ListsConfig {
  readonly sources: readonly ListSourceConfig[]
  /** Period of the scheduled refresh (MONETA_LISTS_REFRESH_MS, default daily; 0 = off). */
  readonly refreshMs: number
  readonly fetchTimeoutMs: number
}

/** The publishers' official download locations (override each with MONETA_LISTS_URL_<ID>). */
export const DEFAULT_LIST_SOURCES: readonly ListSourceConfig[] = [
  {
    id: 'ofac_sdn',
    format: 'ofac-csv',
    url: 'https://www.treasury.gov/ofac/downloads/',
    files: ['sdn.csv', 'add.csv', 'alt.csv', 'sdn_comments.csv'],
  },
  {
    id: 'ofac_cons',
    format: 'ofac-cons-csv',
    url: 'https://www.treasury.gov/ofac/downloads/consolidated/',
    files: ['cons_prim.csv', 'cons_add.csv', 'cons_alt.csv', 'cons_comments.csv'],
  },
  { id: 'un', format: 'un-xml', url: 'https://scsanctions.un.org/resources/xml/en/consolidated.xml' },
  {
    id: 'eu',
    format: 'eu-xml',
    url: 'https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw',
  },
  {
    id: 'uk',
    format: 'uk-csv',
    url: 'https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv',
  },
]

function listsConfig(
  get: (name: string) => string | undefined,
  int: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
): ListsConfig {
  const ids = DEFAULT_LIST_SOURCES.map((x) => x.id)
  const raw = get('MONETA_LISTS_SOURCES')
  let enabled: readonly string[] = ids
  if (raw !== undefined) {
    const list =
      raw === 'none'
        ? []
        : raw
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
    const bad = list.filter((x) => !(ids as readonly string[]).includes(x))
    if (bad.length > 0)
      problems.push(
        `MONETA_LISTS_SOURCES: unknown source "${bad.join(', ')}"; use ${ids.join(', ')} or none.`,
      )
    else enabled = list
  }
  const sources = DEFAULT_LIST_SOURCES.filter((x) => enabled.includes(x.id)).map((x) => {
    const name = `MONETA_LISTS_URL_${x.id.toUpperCase()}`
    const url = get(name)
    if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) {
      problems.push(`${name} must be an http(s) URL, got "${url}".`)
      return x
    }
    return url ? { ...x, url } : x
  })
  const refreshMs = int('MONETA_LISTS_REFRESH_MS', 86_400_000, 0, 30 * 86_400_000)
  if (refreshMs > 0 && refreshMs < 60_000)
    problems.push(`MONETA_LISTS_REFRESH_MS must be 0 (off) or at least 60000, got ${refreshMs}.`)
  return { sources, refreshMs, fetchTimeoutMs: int('MONETA_LISTS_FETCH_TIMEOUT_MS', 120_000, 1_000, 600_000) }
}

function trainIn(raw: string | undefined, problems: string[]): 'worker' | 'process' {
  if (raw === undefined || raw === 'worker') return 'worker'
  if (raw === 'process') return 'process'
  problems.push(`MONETA_RISK_TRAIN_IN is "worker" or "process", got "${raw}".`)
  return 'worker'
}
