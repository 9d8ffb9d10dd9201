import cluster, { type Worker } from 'node:cluster'
import { randomUUID } from 'node:crypto'
import { AggregatorRegistry, type Registry } from 'prom-client'
import pino, { type Logger } from 'pino'
import { closeServices, createServices } from './app.js'
import { buildIntakeServer } from './api/server.js'
import { loadConfig, type Config } from './config.js'
import { connect } from './shared/db/connect.js'
import { migrateToLatest } from './shared/db/migrate.js'
import { allMigrations, allRoutines } from './migrations.js'

/**
 * `moneta intake [--processes N] [--port P]`: gateway webhooks received, verified and stored by N
 * processes sharing one port (node:cluster), apart from the API. Why: at thousands of webhooks a
 * second the receipt is CPU in Node's HTTP server (sessions 12–14: ~150–265 µs a delivery), and one
 * process near saturation queues every request behind the others. Receiving needs only the
 * gateway's secret and the database — never the sandbox gateway's in-process payments, which is why
 * the whole API cannot be clustered — so only this route is spread. Applying the stored events stays
 * with `moneta worker` (or `moneta start`): these processes run no background work.
 */
export interface IntakeOptions {
  /** Default MONETA_INTAKE_PROCESSES (1). */
  readonly processes?: number | undefined
  /** Default MONETA_INTAKE_PORT (4001). */
  readonly port?: number | undefined
}

const RESTART_MIN_MS = 500
const RESTART_MAX_MS = 30_000
/** A process that stayed up this long is healthy again: its next crash restarts it at once. */
const HEALTHY_AFTER_MS = 60_000

interface MetricsRequest {
  readonly type: 'moneta:intake-metrics'
  readonly id: string
}
interface MetricsAnswer {
  readonly type: 'moneta:intake-metrics-answer'
  readonly id: string
  readonly text?: string
  readonly error?: string
}

export async function startIntake(options: IntakeOptions = {}): Promise<void> {
  const config = loadConfig()
  const opts = {
    processes: options.processes ?? config.intake.processes,
    port: options.port ?? config.intake.port,
  }
  if (opts.processes <= 1) return runIntakeProcess(config, opts.port, undefined)
  if (cluster.isPrimary) return runPrimary(config, opts)
  return runIntakeProcess(config, opts.port, metricsFromPrimary)
}

/** One intake process: the services without background work, the intake server, stop on a signal. */
async function runIntakeProcess(
  config: Config,
  port: number,
  metricsText: ((registry: Registry) => () => Promise<string>) | undefined,
): Promise<void> {
  const services = await createServices(config, { workers: false })
  // The primary asks each process for its registry (prom-client's cluster protocol).
  if (metricsText) AggregatorRegistry.setRegistries([services.metrics.registry])
  const server = await buildIntakeServer(services, {
    bodyLimitBytes: config.bodyLimitBytes,
    logger: services.logger,
    ...(metricsText ? { metricsText: metricsText(services.metrics.registry) } : {}),
  })
  const address = await server.listen({ port, host: config.host })
  services.logger.info({ address, pid: process.pid }, 'moneta intake listening')
  // One line for the whole cluster: the first process says where it listens.
  if (!cluster.isWorker || process.env.MONETA_INTAKE_SLOT === '0')
    process.stdout.write(`moneta intake is listening on ${address}\n`)
  const stop = (signal: string) => {
    services.logger.info({ signal }, 'intake shutting down')
    // Closing the server stops new requests and waits for those in flight; closing the services
    // flushes the receipt batch, so every delivery answered 200 is stored.
    server
      .close()
      .then(() => closeServices(services))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          services.logger.error({ err }, 'intake shutdown failed')
          process.exit(1)
        },
      )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** In a cluster process: `/metrics` answers with every process's figures, gathered by the primary. */
function metricsFromPrimary(registry: Registry): () => Promise<string> {
  const pending = new Map<string, (a: MetricsAnswer) => void>()
  process.on('message', (m: unknown) => {
    const a = m as Partial<MetricsAnswer>
    if (a.type === 'moneta:intake-metrics-answer' && a.id) pending.get(a.id)?.(a as MetricsAnswer)
  })
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID()
      const timer = setTimeout(() => {
        pending.delete(id)
        // The primary did not answer (it is stopping): this process's own figures, not nothing.
        registry.metrics().then(resolve, reject)
      }, 5_000)
      pending.set(id, (a) => {
        clearTimeout(timer)
        pending.delete(id)
        if (a.text !== undefined) resolve(a.text)
        else reject(new Error(a.error ?? 'metrics unavailable'))
      })
      process.send?.({ type: 'moneta:intake-metrics', id } satisfies MetricsRequest)
    })
}

/**
 * The primary: migrations once, then N processes, each restarted when it dies (after a pause that
 * grows while it keeps dying), all stopped in turn on SIGINT/SIGTERM. It serves nothing itself.
 */
async function runPrimary(config: Config, opts: { processes: number; port: number }): Promise<void> {
  const db = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 })
  await migrateToLatest(db.db, allMigrations, allRoutines)
  await db.close()
  const logger: Logger = pino({ level: config.logLevel })
  const aggregator = new AggregatorRegistry()
  let stopping = false
  const restartDelay = new Map<number, number>()

  const fork = (slot: number) => {
    const worker = cluster.fork({ MONETA_INTAKE_SLOT: String(slot) })
    const started = Date.now()
    worker.on('message', (m: unknown) => answerMetrics(worker, m as Partial<MetricsRequest>))
    worker.on('exit', (code, signal) => {
      if (stopping) return
      const healthy = Date.now() - started > HEALTHY_AFTER_MS
      const delay = healthy
        ? RESTART_MIN_MS
        : Math.min(RESTART_MAX_MS, (restartDelay.get(slot) ?? 0) * 2 || RESTART_MIN_MS)
      restartDelay.set(slot, delay)
      logger.error({ slot, code, signal, restartInMs: delay }, 'intake process exited; restarting it')
      setTimeout(() => !stopping && fork(slot), delay).unref()
    })
  }
  const answerMetrics = (worker: Worker, m: Partial<MetricsRequest>) => {
    if (m.type !== 'moneta:intake-metrics' || !m.id) return
    const id = m.id
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: 'moneta:intake-metrics-answer', id, text } satisfies MetricsAnswer),
      (err: unknown) =>
        worker.send({ type: 'moneta:intake-metrics-answer', id, error: String(err) } satisfies MetricsAnswer),
    )
  }
  for (let slot = 0; slot < opts.processes; slot++) fork(slot)
  process.stdout.write(
    `moneta intake: ${opts.processes} processes on port ${opts.port} (pid ${process.pid}); Ctrl-C to stop\n`,
  )
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'intake stopping its processes')
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
    let left = workers.length
    if (left === 0) process.exit(0)
    for (const w of workers) {
      w.once('exit', () => --left === 0 && process.exit(0))
      w.process.kill('SIGTERM')
    }
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
