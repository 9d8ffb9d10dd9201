import { sql, type Kysely } from 'kysely'
import { outboxBacklog } from './modules/events/index.js'
import type { Ledger } from './modules/ledger/index.js'
import type { Monitoring } from './modules/monitoring/index.js'
import type { Screening } from './modules/screening/index.js'
import { isAppError } from './shared/errors.js'
import { scrapedGauge, timed, type Metrics } from './shared/metrics.js'

/**
 * The ledger with every command call observed: batch size (execute's commands; submit is one, which
 * the ledger may group-commit with others), duration by outcome, contention.
 */
export function instrumentLedger(ledger: Ledger, metrics: Metrics): Ledger {
  const observe = (size: number, seconds: number, err: unknown) => {
    metrics.ledgerBatchSize.observe(size)
    const outcome = err === undefined ? 'ok' : isAppError(err) ? err.code : 'error'
    metrics.ledgerPostSeconds.observe({ outcome }, seconds)
    if (outcome === 'LEDGER_CONTENDED') metrics.ledgerContended.inc()
  }
  const executing = timed(ledger, 'execute', (seconds, err, [, commands]) =>
    observe(Array.isArray(commands) ? commands.length : 1, seconds, err),
  )
  return timed(executing, 'submit', (seconds, err) => observe(1, seconds, err))
}

/** Synchronous decisions (a payment waits on them): screening checks and monitoring evaluations. */
export function instrumentDecisions(
  services: { screening: Screening; monitoring: Monitoring },
  metrics: Metrics,
): { screening: Screening; monitoring: Monitoring } {
  return {
    screening: timed(services.screening, 'check', (s) =>
      metrics.decisionSeconds.observe({ engine: 'screening' }, s),
    ),
    monitoring: timed(services.monitoring, 'evaluate', (s) =>
      metrics.decisionSeconds.observe({ engine: 'monitoring' }, s),
    ),
  }
}

/**
 * Gauges an operator alerts on whose truth is in the database, read when Prometheus scrapes, across
 * all tenants (metrics are the platform's: `metrics:read` is issued only by the platform owner).
 * Part of the composition root, like app.ts: a read-only view over several modules' tables, each
 * query bounded by an index or a small table (no scan of the outbox or inbox history).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerDatabaseGauges(metrics: Metrics, db: Kysely<any>): void {
  const rows = async <R>(q: ReturnType<typeof sql<R>>) => (await q.execute(db)).rows

  scrapedGauge(
    metrics,
    { name: 'moneta_outbox_unsent_events', help: 'Outbox events committed but not yet relayed to the bus.' },
    async () => {
      return [{ value: (await outboxBacklog(db)).pending }]
    },
  )
  scrapedGauge(
    metrics,
    {
      name: 'moneta_outbox_lag_seconds',
      help: 'Age of the oldest outbox event not yet relayed (0 when none): how far the relay is behind.',
    },
    async () => {
      const { oldestCreatedAt } = await outboxBacklog(db)
      return [{ value: oldestCreatedAt ? Math.max(0, (Date.now() - oldestCreatedAt.getTime()) / 1000) : 0 }]
    },
  )
  scrapedGauge(
    metrics,
    {
      name: 'moneta_event_dead_letters',
      help: 'Events a consumer gave up on and that were not retried, by consumer group.',
      labelNames: ['consumer_group'],
    },
    async () =>
      (
        await rows<{ g: string; n: number }>(
          sql`SELECT consumer_group AS g, count(*)::int AS n FROM event_dead_letters WHERE retried_at IS NULL GROUP BY 1`,
        )
      ).map((r) => ({ labels: { consumer_group: r.g }, value: r.n })),
  )
  scrapedGauge(
    metrics,
    {
      name: 'moneta_gateway_webhook_inbox',
      help: 'Incoming gateway webhooks waiting (pending: the inbox depth) or dead-lettered (dead).',
      labelNames: ['status'],
    },
    async () => {
      const found = await rows<{ s: string; n: number }>(
        sql`SELECT status AS s, count(*)::int AS n FROM payment_webhook_inbox WHERE status IN ('pending', 'dead') GROUP BY 1`,
      )
      return ['pending', 'dead'].map((s) => ({
        labels: { status: s },
        value: found.find((r) => r.s === s)?.n ?? 0,
      }))
    },
  )
  scrapedGauge(
    metrics,
    {
      name: 'moneta_screening_list_age_seconds',
      help: 'Time since the oldest tenant copy of each sanctions list was last imported.',
      labelNames: ['list'],
    },
    async () =>
      (
        await rows<{ l: string; age: number }>(
          sql`SELECT list_id AS l, extract(epoch FROM now() - min(updated_at))::float8 AS age FROM screening_lists GROUP BY 1`,
        )
      ).map((r) => ({ labels: { list: r.l }, value: r.age })),
  )
  scrapedGauge(
    metrics,
    {
      name: 'moneta_auth_lockouts',
      help: 'Operators and client addresses locked out of sign-in right now.',
      labelNames: ['kind'],
    },
    async () => {
      const [r] = await rows<{ operators: number; addresses: number }>(sql`SELECT
          (SELECT count(*)::int FROM auth_operators WHERE locked_until > now()) AS operators,
          (SELECT count(*)::int FROM auth_address_failures WHERE locked_until > now()) AS addresses`)
      return [
        { labels: { kind: 'operator' }, value: r?.operators ?? 0 },
        { labels: { kind: 'address' }, value: r?.addresses ?? 0 },
      ]
    },
  )
}
