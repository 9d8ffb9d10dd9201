import pino, { type Logger, type LoggerOptions } from 'pino'
import { buildServer, type ApiApp } from './api/server.js'
import { hostname } from 'node:os'
import { describeConfig, type Config } from './config.js'
import { allMigrations, allRoutines } from './migrations.js'
import { createLedger, type Ledger } from './modules/ledger/index.js'
import { createAudit, type Audit } from './modules/audit/index.js'
import {
  auditSigner,
  createCrypto,
  loggerRedaction,
  masterKeyStore,
  type Crypto,
} from './modules/crypto/index.js'
import { createPlatform, DEFAULT_TENANT, generateApiKey, type Platform } from './modules/platform/index.js'
import { createScreening, screeningEvents, type Screening } from './modules/screening/index.js'
import {
  createMonitoring,
  monitoringEvents,
  startLedgerConsumer,
  txnSummary,
  type Monitoring,
} from './modules/monitoring/index.js'
import { createEventBackbone, type EventBackbone } from './modules/events/index.js'
import { createMarket, marketEvents, type Market } from './modules/market/index.js'
import { createWebhooks, webhooksEvents, type Webhooks } from './modules/webhooks/index.js'
import {
  createGatewayRegistry,
  createPayments,
  createAsyncCommands,
  type AsyncCommands,
  asSandbox,
  createSandboxGateway,
  createWebhookInbox,
  paymentEvents,
  createStripeGateway,
  createBraintreeGateway,
  createReconciliation,
  reconciliationEvents,
  type Reconciliation,
  type Payments,
  type WebhookInbox,
} from './modules/payments/index.js'
import {
  authEvents,
  createAuth,
  DEFAULT_ADDRESS_LOCKOUT,
  DEFAULT_OPERATOR_LOCKOUT,
  type Auth,
} from './modules/auth/index.js'
import { bankingEvents, type Banking } from './modules/banking/index.js'
import { casesEvents, createCases, type Cases } from './modules/cases/index.js'
import { createRisk, type Risk } from './modules/risk/index.js'
import { createAnalytics, createS3ObjectStore, type Analytics } from './modules/analytics/index.js'
import { createSearch, loadInstrumentReferences, type Search } from './modules/search/index.js'
import { searchEngineOf } from './search-engines.js'
import { createBankingServices } from './banking-providers.js'
import {
  createListRefresher,
  createParties,
  partiesEvents,
  partyOfSubject,
  type ListRefresher,
  type Parties,
} from './modules/parties/index.js'
import { billingEvents, createBilling, type Billing } from './modules/billing/index.js'
import { createBillingGateways } from './billing-gateways.js'
import { moneyExecutors } from './money-executors.js'
import { systemClock, type Clock } from './shared/clock.js'
import { createMetrics, type Metrics } from './shared/metrics.js'
import { instrumentDecisions, instrumentLedger, registerDatabaseGauges } from './metrics-wiring.js'
import { retrainRiskModels } from './risk-retrain.js'
import { everyWithoutOverlap } from './shared/interval.js'
import { connect, type DbHandle } from './shared/db/connect.js'
import { migrateToLatest } from './shared/db/migrate.js'
import { systemIds, type IdGenerator } from './shared/ids.js'
import { createViews, type Views } from './modules/views/index.js'

/** Everything the HTTP edge, the CLI and the workers call. Built only here. */
export interface AppServices {
  readonly config: Config
  readonly db: DbHandle
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger: Logger
  /** Prometheus registry and the instruments the edge and wrappers observe (docs/metrics.md). */
  readonly metrics: Metrics
  readonly platform: Platform
  readonly ledger: Ledger
  /** Field encryption, blind indexes, key rotation, card vault. */
  readonly crypto: Crypto
  /** Tamper-evident audit log: `await audit.recordIn(tx, …)` / `await audit.record(…)` (src/modules/audit/index.ts). */
  readonly audit: Audit
  readonly screening: Screening
  /** Event backbone: outbox (`events.outbox.enqueue(tx, …)`), relay, bus, consumer inbox, dead letters. */
  readonly events: EventBackbone
  /** Market data: tick ingestion, rolling state, alert rules, alerts as events. */
  readonly market: Market
  /** Transaction monitoring: CEL rules, velocity features, typologies, decisions, alerts, backtests. */
  readonly monitoring: Monitoring
  /** Outgoing webhooks to tenants' endpoints: endpoints, fan-out consumer, delivery worker. */
  readonly webhooks: Webhooks
  /** Payments: intents, refunds, disputes, payouts through routed gateways; ledger mapping; sweeper. */
  readonly payments: Payments
  /** Reconciliation of gateway settlements against ledger facts (docs/payments-gateways.md). */
  readonly reconciliation: Reconciliation
  /** Incoming gateway webhooks: verified receipt, inbox, async processing, retries, dead letters, replay. */
  readonly gatewayWebhooks: WebhookInbox
  /** Asynchronous intake (`?async=true`): payment and ledger commands accepted now, applied by consumers. */
  readonly paymentCommands: AsyncCommands
  /** Operators (passwords, MFA, lockout), sessions, API keys with scopes, roles (docs/security.md). */
  readonly auth: Auth
  /** Bank data: Plaid / Teller / sandbox linking, balances, transaction sync, checked bank transfers. */
  readonly banking: Banking
  /** Customers and counterparties: encrypted details, risk rating, screening, holds on money movement. */
  readonly parties: Parties
  /** Sanctions list sources (MONETA_LISTS_*): fetched on a schedule, checked, imported, parties rescreened. */
  readonly lists: ListRefresher
  /** Compliance cases: alerts → cases → four-eyes decisions → SAR drafts, evidence bundles (docs/cases.md). */
  readonly cases: Cases
  /** Risk model: GBDT on case outcomes, TreeSHAP explanations, shadow gate, drift (docs/risk.md). */
  readonly risk: Risk
  /** Fraud analytics: Parquet export and DuckDB queries (docs/analytics.md). */
  readonly analytics: Analytics
  /** Search over parties, payments, ledger, counterparties, instruments; kept current from events (docs/search.md). */
  readonly search: Search
  /** Recurring billing: products, prices, subscriptions, invoices in the ledger, saved methods, dunning (docs/billing.md). */
  readonly billing: Billing
  /** Read-only views across modules for the console: payment timeline, ledger series, overview (ADR 1702). */
  readonly views: Views
}

export interface App {
  readonly services: AppServices
  readonly server: ApiApp
  /** Set on first start when no key existed: shown once, stored only hashed. */
  readonly generatedApiKey: string | undefined
  /** Background workers (what `moneta worker` runs), and the sandbox's own webhook delivery. */
  startWorkers(): void
  /**
   * Only the sandbox's delivery of its events as signed webhooks to this process's endpoint (its
   * simulated payments live in this process): an API-only `moneta start` (MONETA_START_WORKERS=false).
   */
  startSandboxWebhooks(): void
  close(): Promise<void>
}

export interface CreateAppOptions {
  readonly clock?: Clock
  readonly logger?: Logger
  /** Tests and the CLI open the database without background workers. */
  readonly workers?: boolean
  /** In-memory PGlite only: the data directory image it starts from (ConnectOptions.pgliteImage). */
  readonly pgliteImage?: Blob
}

/** The server's logger settings: level and redaction (`moneta pci report` probes them, PCI DSS 3.5.1). */
export function serverLoggerOptions(config: Config): LoggerOptions {
  return { level: config.logLevel, ...loggerRedaction(['*.apiKey', '*.password', '*.secret']) }
}

/** Opens storage, applies migrations and wires every module. */
export async function createServices(config: Config, opts: CreateAppOptions = {}): Promise<AppServices> {
  const logger = opts.logger ?? pino(serverLoggerOptions(config))
  const db = await connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
    pgliteImage: opts.pgliteImage,
    onConnectionError: (err) => logger.warn({ err }, 'database connection lost; the pool reconnects'),
  })
  await migrateToLatest(db.db, allMigrations, allRoutines)
  const clock = opts.clock ?? systemClock
  const ids = systemIds
  const platform = createPlatform(db.db, clock, { apiKeyCacheMs: config.auth.apiKeyCacheMs })
  // Metrics wrap the interfaces every other module is handed (docs/metrics.md).
  const metrics = createMetrics()
  registerDatabaseGauges(metrics, db.db)
  // MONETA_EVENT_BUS picks the transport (default: Redis Streams when REDIS_URL is set, else in-process).
  const events = createEventBackbone({
    db,
    bus:
      config.eventBus === 'redis' && config.redisUrl
        ? { kind: 'redis', url: config.redisUrl, prefix: config.redisPrefix }
        : config.eventBus === 'kafka'
          ? { kind: 'kafka', brokers: config.kafkaBrokers }
          : { kind: 'memory' },
    relay: { retentionMs: config.outboxRetentionMs },
    events: [
      ...authEvents,
      ...marketEvents,
      ...monitoringEvents,
      ...screeningEvents,
      ...webhooksEvents,
      ...paymentEvents,
      ...reconciliationEvents,
      ...bankingEvents,
      ...partiesEvents,
      ...casesEvents,
      ...billingEvents,
    ],
    logger,
  })
  const ledger = instrumentLedger(
    createLedger({ db: db.db, clock, ids, batchMax: config.ledgerBatchMax, logger, outbox: events.outbox }),
    metrics,
  )
  // The master key comes from MONETA_MASTER_KEY / MONETA_MASTER_KEY_FILE, else <dataDir>/master.key.
  const crypto = await createCrypto({
    db: db.db,
    clock,
    ids,
    logger,
    keyStore: masterKeyStore(
      { MONETA_MASTER_KEY: config.masterKey?.reveal(), MONETA_MASTER_KEY_FILE: config.masterKeyFile },
      config.dataDir,
      logger,
    ),
  })
  const audit = createAudit({
    db: db.db,
    clock,
    logger,
    keys: crypto.keyring.auditKeys(),
    retentionDays: config.auditRetentionDays,
  })
  crypto.useAudit(audit)
  const market = createMarket({ db: db.db, events, clock, logger })
  // Risk reads monitoring's history and case outcomes; monitoring scores every decision with risk's
  // champion. Each side reaches the other through a narrow port (closures over services created
  // below), so neither module imports the other's service and neither is set up after construction.
  const risk = createRisk({
    db: db.db,
    clock,
    ids,
    history: {
      history: (tenant, from, to, opts) => monitoring.history(tenant, from, to, opts),
      transactionPages: (tenant, from, to) => monitoring.transactionPages(tenant, from, to),
      streamNow: (tenant) => monitoring.streamNow(tenant),
      listLabels: (tenant) => monitoring.listLabels(tenant),
      alertedSubjectDays: (tenant, from, to) => monitoring.alertedSubjectDays(tenant, from, to),
      observeWhatIf: (tenant, txn, observe) => monitoring.observeWhatIf(tenant, txn, observe),
    },
    cases: { labels: (tenant, opts) => cases.labels(tenant, opts) },
    trainIn: config.risk.trainIn,
    maxShadows: config.risk.maxShadows,
  })
  // Alerts go to the events outbox in the alert's transaction.
  const { monitoring, screening } = instrumentDecisions(
    {
      monitoring: createMonitoring({
        db: db.db,
        clock,
        ids,
        logger,
        outbox: events.outbox,
        decisionModel: risk.decisionModel,
      }),
      screening: createScreening({
        db: db.db,
        clock,
        ids,
        logger,
        outbox: events.outbox,
        subjectOwner: partyOfSubject,
      }),
    },
    metrics,
  )
  const auth = createAuth({
    db: db.db,
    clock,
    ids,
    logger,
    platform,
    fieldCipher: crypto.fieldCipher,
    outbox: events.outbox,
    audit,
    hashParams: { memoryKiB: config.auth.argon2MemoryKiB, passes: config.auth.argon2Passes, parallelism: 1 },
    passwordPolicy: {
      minLength: config.auth.passwordMinLength,
      maxLength: 256,
      checkBreached: true,
      requireLettersAndDigits: config.auth.passwordRequireLettersAndDigits,
    },
    // Operators: counted until a success, doubling, the 5th lock in a row until an admin unlocks.
    operatorLockout: {
      ...DEFAULT_OPERATOR_LOCKOUT,
      threshold: config.auth.lockoutThreshold,
      baseLockMs: config.auth.lockoutMs,
    },
    addressLockout: {
      ...DEFAULT_ADDRESS_LOCKOUT,
      threshold: config.auth.lockoutAddressThreshold,
      windowMs: config.auth.lockoutMs,
      baseLockMs: config.auth.lockoutMs,
    },
    sessions: { idleMs: config.auth.sessionIdleMs, absoluteMs: config.auth.sessionMaxMs },
  })
  // Gateways are platform-wide: the sandbox always; Stripe and Braintree are registered when configured.
  const gateways = createGatewayRegistry()
  const sandboxSecret = config.payments.sandboxWebhookSecret?.reveal()
  gateways.register(
    createSandboxGateway({ clock, ...(sandboxSecret ? { webhookSecret: sandboxSecret } : {}) }),
  )
  const { stripe, braintree } = config.payments
  if (stripe) {
    gateways.register(
      createStripeGateway({
        secretKey: stripe.secretKey.reveal(),
        ...(stripe.webhookSecret ? { webhookSecret: stripe.webhookSecret.reveal() } : {}),
        ...(stripe.apiUrl ? { apiUrl: stripe.apiUrl } : {}),
      }),
    )
  }
  if (braintree) {
    gateways.register(
      createBraintreeGateway({
        merchantId: braintree.merchantId,
        publicKey: braintree.publicKey,
        privateKey: braintree.privateKey.reveal(),
        environment: braintree.environment,
        ...(braintree.apiUrl ? { apiUrl: braintree.apiUrl } : {}),
      }),
    )
  }
  const payments = createPayments({
    db: db.db,
    clock,
    ids,
    logger,
    ledger,
    outbox: events.outbox,
    gateways,
    sweepAfterMs: config.payments.sweepAfterMs,
    audit,
    keyTakeoverMs: config.payments.keyTakeoverMs,
  })
  const reconciliation = createReconciliation({
    db: db.db,
    gateways,
    facts: payments.facts,
    outbox: events.outbox,
    clock,
    ids,
    logger,
    tenants: [DEFAULT_TENANT],
  })
  // Commands accepted with ?async=true queue on the bus instead of failing in a spike (issue #18).
  const paymentCommands = createAsyncCommands({
    db,
    clock,
    ids,
    logger,
    outbox: events.outbox,
    payments: payments.commands,
    ledger,
  })
  const webhooks = createWebhooks({
    db: db.db,
    clock,
    ids,
    logger,
    fieldCipher: crypto.fieldCipher,
    catalogue: events.catalogue,
    outbox: events.outbox,
    bus: events.bus,
    inbox: events.inbox,
    options: config.webhooks,
  })
  // Picks the bank data adapters from config (sandbox always; Plaid and Teller when configured).
  const banking = createBankingServices(config.banking, {
    db: db.db,
    clock,
    ids,
    logger,
    ledger,
    outbox: events.outbox,
    fieldCipher: crypto.fieldCipher,
  })
  // Parties screen through the screening module and hold payouts and bank transfers to possible matches.
  const parties = createParties({
    db: db.db,
    clock,
    ids,
    outbox: events.outbox,
    fieldCipher: crypto.fieldCipher,
    screening,
    audit,
    monitoringAlerts: async (tenant, subjects) => {
      let n = 0
      for (const subject of subjects)
        n += (await monitoring.listAlerts(tenant, { subject, limit: 100 })).length
      return n
    },
    executors: moneyExecutors(payments.commands, banking),
  })
  const lists = createListRefresher({
    db: db.db,
    clock,
    ids,
    outbox: events.outbox,
    logger,
    audit,
    screening,
    sources: config.lists.sources,
    tenants: () => platform.tenantIds(),
    fetchTimeoutMs: config.lists.fetchTimeoutMs,
  })
  // Case actions are audited in the change's transaction (ADR 0211: the entry commits with the change).
  const cases = createCases({
    db: db.db,
    clock,
    ids,
    logger,
    outbox: events.outbox,
    audit: {
      record: (tx, entry) => audit.recordIn(tx, entry),
      recordAll: (tx, entries) => audit.recordAllIn(tx, entries),
    },
    fieldCipher: crypto.fieldCipher,
    // The case view shows the party (decrypted details: cases:read already sees personal data).
    parties: {
      get: async (tenant, partyId) => {
        try {
          return { ...(await parties.get(tenant, partyId)) }
        } catch (err) {
          if ((err as { code?: string }).code === 'PARTY_NOT_FOUND') return undefined
          throw err
        }
      },
    },
    // A SAR describes the subject account's pattern: monitoring's stored history of that account.
    history: {
      ofAccount: async (tenant, account, from, to, limit) =>
        (await monitoring.accountTransactions(tenant, account, from, to, limit)).map(txnSummary),
    },
    // Bundles are signed with the audit log's Ed25519 key: one pinned public key checks bundle and checkpoint.
    evidence: {
      audit,
      signer: () => auditSigner(crypto.keyring.auditKeys()),
    },
    sla: config.cases.slaHours,
    fourEyes: { strongMatchScore: config.cases.strongMatchScore },
  })
  // MONETA_SEARCH_ENGINE picks the engine (default: this database); the indexer follows the outbox.
  const search = createSearch({
    db: db.db,
    engine: searchEngineOf(config.search, db.db),
    fieldCipher: crypto.fieldCipher,
    instruments: config.search.instrumentsFile
      ? loadInstrumentReferences(config.search.instrumentsFile)
      : undefined,
    onLag: (seconds, type) => metrics.searchIndexLag.observe({ type }, seconds),
  })
  // Billing charges saved methods off-session through the saved-methods port of each configured gateway.
  const billing = createBilling({
    db: db.db,
    clock,
    ids,
    logger,
    ledger,
    outbox: events.outbox,
    audit,
    fieldCipher: crypto.fieldCipher,
    gateways: createBillingGateways(config, clock),
    customers: {
      exists: async (tenant, customerId) => {
        try {
          await parties.get(tenant, customerId)
          return true
        } catch (err) {
          if ((err as { code?: string }).code === 'PARTY_NOT_FOUND') return false
          throw err
        }
      },
    },
    batchSize: config.billing.batchSize,
    // PGlite has one connection: lanes would only queue on it.
    runLanes: db.engine === 'postgres' ? config.billing.runLanes : 1,
  })
  // Verified gateway events are stored once and applied by payments' single writer (ADR 0500);
  // card-updater events about saved methods go to billing instead.
  const gatewayWebhooks = createWebhookInbox({
    db,
    clock,
    logger,
    gateway: (name) => gateways.get(name),
    payments: payments.webhooks,
    methods: billing.cardUpdates,
    retry: { maxAttempts: config.gatewayWebhooks.maxAttempts, baseMs: config.gatewayWebhooks.retryBaseMs },
    workers: config.gatewayWebhooks.workers,
    batchLingerMs: config.gatewayWebhooks.batchLingerMs,
    claimBatch: config.gatewayWebhooks.claimBatch,
  })
  return {
    config,
    db,
    clock,
    ids,
    logger,
    metrics,
    platform,
    ledger,
    crypto,
    audit,
    screening,
    monitoring,
    events,
    market,
    auth,
    webhooks,
    payments,
    reconciliation,
    gatewayWebhooks,
    paymentCommands,
    banking,
    parties,
    lists,
    cases,
    risk,
    analytics: createAnalytics({
      db: db.db,
      pool: db.pool,
      dir: config.analytics.dir,
      duck: { threads: config.analytics.threads || undefined, memoryLimit: config.analytics.memoryLimit },
      objectStore:
        config.analytics.storage.kind === 's3' ? createS3ObjectStore(config.analytics.storage) : undefined,
    }),
    search,
    billing,
    views: createViews({ db: db.db, clock }),
  }
}

export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<App> {
  const services = await createServices(config, opts)
  await services.platform.ensureTenant(DEFAULT_TENANT, 'Default tenant')
  let generatedApiKey: string | undefined
  if (config.apiKey) {
    await services.platform.ensureApiKey(DEFAULT_TENANT, config.apiKey.reveal())
  } else if ((await services.platform.countApiKeys(DEFAULT_TENANT)) === 0) {
    generatedApiKey = await services.platform.createApiKey(DEFAULT_TENANT, { plaintext: generateApiKey() })
  }
  // The bootstrap key is the platform owner's: it alone may create tenants (platform:admin).
  const bootstrapKey = config.apiKey?.reveal() ?? generatedApiKey
  if (bootstrapKey) await services.auth.apiKeys.grantPlatformAdmin(bootstrapKey)
  // The configuration this process runs with, redacted (secrets print as <redacted>), in the platform's log.
  await services.audit.record({
    tenant: '_system',
    actor: 'system',
    action: 'system.config.start',
    resource: `process:${hostname()}:${process.pid}`,
    outcome: 'success',
    origin: 'startup',
    details: { after: JSON.parse(JSON.stringify(describeConfig(config))) as Record<string, unknown> },
  })
  const server = await buildServer(services, {
    bodyLimitBytes: config.bodyLimitBytes,
    logger: services.logger,
  })
  const startSandboxWebhooks = () => {
    // With a webhook secret, the sandbox sends its events (captures, refunds, disputes) as signed
    // webhooks to our own endpoint, like a real gateway, so `npm start` exercises the whole path.
    const sandbox = asSandbox(services.payments.gateways.get('sandbox'))
    const sandboxSecret = config.payments.sandboxWebhookSecret
    if (sandbox && sandboxSecret) {
      sandbox.onEvent((event) => {
        const { body, headers } = sandbox.webhookFor(event)
        setTimeout(() => {
          server
            .inject({ method: 'POST', url: '/v1/webhooks/sandbox', headers, payload: body })
            .then((r) => {
              if (r.statusCode >= 300)
                services.logger.warn({ status: r.statusCode, event: event.id }, 'sandbox webhook refused')
            })
            .catch((err: unknown) => services.logger.error({ err }, 'sandbox webhook delivery failed'))
        }, 0)
      })
    }
  }
  const timers: NodeJS.Timeout[] = []
  const subscriptions: { close(): Promise<void> }[] = []
  return {
    services,
    server,
    generatedApiKey,
    startSandboxWebhooks,
    startWorkers() {
      // Audit appender: drains what this or a crashed process left in the intake into the Merkle log.
      services.audit.start()
      // Bank transaction sync poll: provider webhooks can be lost and are not replayable.
      const bankPoll = setInterval(
        () =>
          void services.banking
            .pollDue()
            .catch((err: unknown) => services.logger.error({ err }, 'bank sync poll failed')),
        Math.min(config.banking.pollMs, 60_000),
      )
      bankPoll.unref()
      timers.push(bankPoll)
      // Payments whose gateway outcome is unknown (timeouts, crashes mid-call) are settled by asking it.
      timers.push(
        everyWithoutOverlap(
          config.payments.sweepMs,
          () => services.payments.sweeper.sweep(),
          (err) => services.logger.error({ err }, 'payment sweep failed'),
        ),
      )
      // Scheduled reconciliation (MONETA_RECONCILE_INTERVAL_MS): the last complete day, once per gateway and tenant.
      const reconcileEvery = config.payments.reconcileIntervalMs
      if (reconcileEvery !== undefined) {
        timers.push(
          everyWithoutOverlap(
            reconcileEvery,
            () => services.reconciliation.runDue(),
            (err) => services.logger.error({ err }, 'scheduled reconciliation failed'),
          ),
        )
      }
      startSandboxWebhooks()
      // Gateway webhook inbox processor (also run by `moneta worker`).
      services.gatewayWebhooks
        .start()
        .catch((err: unknown) => services.logger.error({ err }, 'gateway webhook processor failed to start'))
      // Pending transactions past their timeout are voided (status "expired").
      const sweep = setInterval(() => {
        services.ledger
          .expirePending()
          .catch((err: unknown) => services.logger.error({ err }, 'pending sweep failed'))
      }, config.pendingSweepMs)
      sweep.unref()
      timers.push(sweep)
      // Pick up keys rotated by `moneta keys rotate` in another process.
      const keys = setInterval(
        () =>
          void services.crypto.keyring
            .refresh()
            .catch((err: unknown) => services.logger.error({ err }, 'keyring refresh failed')),
        30_000,
      )
      keys.unref()
      timers.push(keys)
      // Audit retention (MONETA_AUDIT_RETENTION_DAYS): prune entry texts hourly; hashes stay verifiable.
      if (config.auditRetentionDays !== undefined) {
        const prune = setInterval(
          () =>
            void services.audit
              .applyRetention()
              .catch((err: unknown) => services.logger.error({ err }, 'audit retention failed')),
          3_600_000,
        )
        prune.unref()
        timers.push(prune)
      }
      // Fraud analytics: an export round every MONETA_ANALYTICS_EXPORT_MS (a busy lease means another process exports).
      if (config.analytics.exportMs > 0) {
        timers.push(
          everyWithoutOverlap(
            config.analytics.exportMs,
            () => services.analytics.exportOnce(),
            (err: unknown) => services.logger.warn({ err }, 'analytics export round failed'),
          ),
        )
      }
      // Monitoring engines and model scorers built now rather than by the first decision after a
      // restart: a 10,000-customer tenant's rebuild takes seconds (180 days of history), and a
      // synchronous decision past its budget meanwhile gets the cold fallback, without the model.
      if (config.monitoring.warmTenants > 0) {
        services.monitoring.warmUp(config.monitoring.warmTenants).then(
          (tenants) => services.logger.info({ tenants }, 'monitoring warmed up'),
          (err: unknown) => services.logger.warn({ err }, 'monitoring warm-up failed'),
        )
      }
      // Risk: a challenger retrained per tenant every MONETA_RISK_RETRAIN_MS, with its change report.
      if (config.risk.retrainMs > 0) {
        timers.push(
          everyWithoutOverlap(
            config.risk.retrainMs,
            () => retrainRiskModels(services),
            (err: unknown) => services.logger.warn({ err }, 'risk retrain round failed'),
          ),
        )
      }
      // Outbox relay and the market alert consumer (`moneta worker` runs the same without the API).
      services.events
        .start()
        .catch((err: unknown) => services.logger.error({ err }, 'outbox relay failed to start'))
      services.market
        .startAlertWorker()
        .catch((err: unknown) => services.logger.error({ err }, 'market worker failed to start'))
      // Monitoring evaluates every ledger posting asynchronously (one monitored transaction per leg).
      startLedgerConsumer(services.events.bus, services.monitoring).then(
        (sub) => subscriptions.push(sub),
        (err: unknown) => services.logger.error({ err }, 'monitoring ledger consumer failed to start'),
      )
      // Alerts of the enabled sources (MONETA_CASES_SOURCES) land in cases through the consumer inbox.
      if (config.cases.sources.length > 0) {
        services.cases.startConsumer(services.events.bus, services.events.inbox, config.cases.sources).then(
          (sub) => subscriptions.push(sub),
          (err: unknown) => services.logger.error({ err }, 'cases alert consumer failed to start'),
        )
      }
      // Sanctions lists refreshed on a schedule (MONETA_LISTS_REFRESH_MS, default daily; the first run one
      // period after start, so a restart loop never hammers the publishers). Refusals keep the active snapshot.
      if (config.lists.refreshMs > 0 && config.lists.sources.length > 0) {
        timers.push(
          everyWithoutOverlap(
            config.lists.refreshMs,
            () => services.lists.refresh(),
            (err) => services.logger.error({ err }, 'sanctions list refresh failed'),
          ),
        )
      }
      // A list update's rescreen hits on parties' names make them possible matches (parties.party.screened.v1).
      services.parties.startListUpdateConsumer(services.events.bus).then(
        (sub) => subscriptions.push(sub),
        (err: unknown) => services.logger.error({ err }, 'parties list-update consumer failed to start'),
      )
      // Search documents follow the outbox: each event's object is re-read and indexed (docs/search.md).
      services.search.engine
        .init()
        .then(() => services.search.startIndexer(services.events.bus))
        .then(
          (sub) => subscriptions.push(sub),
          (err: unknown) => services.logger.error({ err }, 'search indexer failed to start'),
        )
      // Billing runs (renewals, dunning retries, recognition) for tenants on the real clock; a tenant with
      // a test clock moves only by `moneta billing run --until`. Several processes may run this at once.
      if (config.billing.runIntervalMs > 0) {
        timers.push(
          everyWithoutOverlap(
            config.billing.runIntervalMs,
            async () => {
              for (const tenant of await services.billing.scheduler.tenants())
                await services.billing.scheduler.run(tenant, services.clock.now(), {
                  actor: 'system',
                  origin: 'worker',
                })
            },
            (err) => services.logger.error({ err }, 'billing run failed'),
          ),
        )
      }
      // Outgoing webhooks: every event fans out to the tenant's matching endpoints; the worker sends them.
      services.webhooks.startConsumer().then(
        (sub) => subscriptions.push(sub),
        (err: unknown) => services.logger.error({ err }, 'webhooks consumer failed to start'),
      )
      services.webhooks.worker.start()
      // Asynchronous payment and ledger commands (?async=true): this process joins the consumer group.
      services.paymentCommands.startConsumer(services.events.bus).then(
        (sub) => subscriptions.push(sub),
        (err: unknown) => services.logger.error({ err }, 'payment commands consumer failed to start'),
      )
    },
    async close() {
      for (const t of timers) clearInterval(t)
      for (const sub of subscriptions) await sub.close()
      await server.close()
      await closeServices(services)
    },
  }
}

/** Closes what createServices opened, in dependency order: producers before the stores they write. */
export async function closeServices(services: AppServices): Promise<void> {
  await services.gatewayWebhooks.close()
  await services.paymentCommands.close()
  await services.banking.idle()
  await services.webhooks.close()
  await services.market.close()
  await services.events.close()
  await services.search.engine.close()
  await services.ledger.close()
  await services.audit.close()
  services.analytics.close()
  await services.db.close()
}
