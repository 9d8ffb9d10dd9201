import { execFileSync } from 'node:child_process'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import { allMigrations, allRoutines } from '../src/migrations.js'
import {
  createCatalogue,
  createEventBackbone,
  createEventBus,
  createOutboxRelay,
  createRedisTransport,
  type EventBackbone,
  type OutboxRelay,
  type Subscription,
} from '../src/modules/events/index.js'
import {
  ALERT_TOPIC,
  createAlertEngine,
  createMarket,
  marketEvents,
  TICK_TOPIC,
  type AlertPayload,
  type AlertRule,
} from '../src/modules/market/index.js'
import { systemClock } from '../src/shared/clock.js'
import { connect, type DbHandle } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { newId } from '../src/shared/ids.js'

/**
 * npm run bench -- events [--events N] [--relays N] [--consumers N] [--consumer-threads N] [--live-rate N | --prefilled] [--tick-rate N] [--tick-seconds N] [--batch N] [--only e2e|ticks]
 *
 * 1. ceiling: `redis-benchmark` XADD throughput (pipelined) on the same Redis;
 * 2. end to end: N events already committed in the PostgreSQL outbox → relays (cursor by seq, ADR 0101;
 *    disjoint lanes) → Redis Streams → a consumer group (in its own worker thread, as a consumer
 *    process beside the relay) whose effect commits with its inbox rows; checks that every event's
 *    effect is applied exactly once. The headline is live (issue 15): producers commit at
 *    --live-rate N events/s (default 50,000) while the relays and consumers drain, and the figure is
 *    the rate sustained end to end (bounded by N); --prefilled drains an outbox filled beforehand
 *    instead (the earlier headline, which flatters: no producer competes for the database);
 * 3. market: ticks published at a fixed rate through Redis Streams → alert worker (rules, alert rows
 *    in PostgreSQL, alert events) → an alert subscriber; tick-to-alert latency percentiles, and the
 *    alerts expected (the same rules run by a reference engine over the generated ticks) against
 *    those stored and received, so a fast figure cannot hide lost alerts.
 * Redis: MONETA_BENCH_REDIS_URL or REDIS_URL (default redis://127.0.0.1:6379).
 * PostgreSQL: DATABASE_URL or MONETA_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
const arg = (args: string[], name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : fallback
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`)
  return v
}
const log = (s: string) => process.stdout.write(`${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
/** Wall-clock milliseconds with sub-millisecond precision, comparable across threads. */
const wallNow = () => performance.timeOrigin + performance.now()

interface WatcherJob {
  role: 'alert-watcher'
  redisUrl: string
  prefix: string
}

interface LatencyReport {
  alerts: number
  samples: number
  p50: number
  p99: number
  max: number
}

/** The alert subscriber runs in its own thread too, as an API process serving SSE would. */
async function alertWatcher(job: WatcherJob) {
  const latencies: number[] = []
  let alerts = 0
  let warmFrom = Infinity
  const bus = createEventBus({
    transport: createRedisTransport({ url: job.redisUrl, prefix: job.prefix, partitions: 8, blockMs: 20 }),
    catalogue: createCatalogue(marketEvents),
    deadLetters: { put: () => Promise.resolve() },
  })
  const sub = await bus.subscribe({
    group: 'bench-alerts',
    topics: [ALERT_TOPIC],
    from: 'latest',
    ephemeral: true,
    maxInFlight: 2000,
    batchHandler: (msgs) => {
      // Latency = now − the tick's own time (Date.now() when the generator built it, whole ms, so
      // this overstates by < 1 ms). No per-tick bookkeeping anywhere: nothing for the GC to walk.
      const now = wallNow()
      for (const m of msgs) {
        alerts++
        const tickTs = (m.payload as AlertPayload).tickTs
        if (tickTs >= warmFrom) latencies.push(now - tickTs)
      }
      return Promise.resolve()
    },
  })
  while (sub.assigned() === 0) await sleep(20)
  parentPort!.postMessage({ ready: true })
  parentPort!.on('message', (m: { warmFrom?: number; close?: true }) => {
    if (m.warmFrom !== undefined) warmFrom = m.warmFrom
    if (!m.close) return
    void sub
      .close()
      .then(() => bus.close())
      .then(() => {
        latencies.sort((a, b) => a - b)
        const report: LatencyReport = {
          alerts,
          samples: latencies.length,
          p50: pct(latencies, 50),
          p99: pct(latencies, 99),
          max: latencies.at(-1) ?? NaN,
        }
        parentPort!.postMessage({ report })
      })
  })
}

interface ProducerJob {
  role: 'tick-producer'
  redisUrl: string
  prefix: string
  tenant: string
  rate: number
  seconds: number
  instruments: string[]
}

const TICK_LEVEL = 100
const TICK_MOVE = { pct: 1.5, windowSec: 5 }

/** The rules of the tick bench: a price cross per instrument and one move rule over all of them. */
function benchRules(tenantId: string, instruments: readonly string[]): AlertRule[] {
  return [
    ...instruments.map((instrument, i) => ({
      ruleId: `cross${i}`,
      tenantId,
      instrument,
      kind: 'price_cross' as const,
      params: { level: TICK_LEVEL, direction: 'any' as const },
    })),
    { ruleId: 'move', tenantId, instrument: '*', kind: 'pct_move' as const, params: TICK_MOVE },
  ]
}

/**
 * The load generator runs in a worker thread (its own event loop), as an ingest process would:
 * it publishes ticks at a fixed rate and reports when each id left.
 */
async function tickProducer(job: ProducerJob) {
  const bus = createEventBus({
    transport: createRedisTransport({ url: job.redisUrl, prefix: job.prefix, partitions: 8 }),
    catalogue: createCatalogue(marketEvents),
    deadLetters: { put: () => Promise.resolve() },
  })
  const price = job.instruments.map(() => 100)
  // The alerts these ticks must raise: the market's own engine, fed the same ticks in the same order.
  const reference = createAlertEngine(job.tenant, benchRules(job.tenant, job.instruments))
  let expected = 0
  let sent = 0
  parentPort!.postMessage({ started: Date.now() })
  const start = performance.now()
  const end = start + job.seconds * 1000
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) * job.rate) / 1000) - sent
    if (due > 0) {
      const batch = Array.from({ length: due }, (_, i) => {
        const k = (sent + i) % job.instruments.length
        price[k] = Math.max(1, price[k]! + (100 - price[k]!) * 0.05 + (Math.random() - 0.5) * 0.6)
        const tick = {
          instrument: job.instruments[k]!,
          price: price[k].toFixed(2),
          volume: 100 + Math.floor(Math.random() * 900),
          ts: Date.now(),
        }
        expected += reference.onTick({ ...tick, price: Number(tick.price) }, `t${sent + i}`).length
        return { topic: TICK_TOPIC, key: tick.instrument, tenantId: job.tenant, payload: tick }
      })
      await bus.publish(batch)
      sent += due
    }
    await sleep(1)
  }
  parentPort!.postMessage({ sent, expected, seconds: (performance.now() - start) / 1000 })
  await bus.close()
}

interface ConsumerJob {
  role: 'e2e-consumer'
  redisUrl: string
  dbUrl: string
  prefix: string
  tenant: string
  group: string
  consumers: string[]
  batch: number
}

/**
 * Consumer group members in their own thread, as consumer processes run beside the relay: each
 * applies its batches through the inbox, with an effect that would overcount any duplicate.
 */
async function e2eConsumer(job: ConsumerJob) {
  const h = await connect({ databaseUrl: job.dbUrl, poolSize: job.consumers.length + 1 })
  const bb = createEventBackbone({
    db: h,
    bus: { kind: 'redis', url: job.redisUrl, prefix: job.prefix, partitions: 8, blockMs: 20 },
    republishOnUnknownLoss: false,
  })
  let applied = 0
  let delivered = 0
  const subs: Subscription[] = []
  for (const consumer of job.consumers)
    subs.push(
      await bb.bus.subscribe({
        group: job.group,
        topics: ['events.probe.sent.v1'],
        consumerName: `${job.prefix}-${consumer}`,
        maxInFlight: job.batch,
        batchHandler: async (msgs) => {
          delivered += msgs.length
          // Not `applied += await …`: that reads `applied` before the await and loses the other member's counts.
          const fresh = await bb.inbox.apply(job.group, msgs, async (tx, f) => {
            await sql`UPDATE bench_event_effects SET n = n + ${f.length} WHERE tenant_id = ${job.tenant} AND consumer = ${consumer}`.execute(
              tx,
            )
          })
          applied += fresh
        },
      }),
    )
  while (subs.some((s) => s.assigned() === 0)) await sleep(20)
  parentPort!.postMessage({ ready: true })
  const report = setInterval(() => parentPort!.postMessage({ applied, delivered }), 100)
  parentPort!.on('message', (m: { close?: true }) => {
    if (!m.close) return
    clearInterval(report)
    void Promise.all(subs.map((s) => s.close()))
      .then(() => bb.close())
      .then(() => h.close())
      .then(() => parentPort!.postMessage({ applied, delivered, closed: true }))
  })
}

if (!isMainThread && (workerData as ConsumerJob | undefined)?.role === 'e2e-consumer')
  await e2eConsumer(workerData as ConsumerJob)
if (!isMainThread && (workerData as ProducerJob | undefined)?.role === 'tick-producer')
  await tickProducer(workerData as ProducerJob)
if (!isMainThread && (workerData as WatcherJob | undefined)?.role === 'alert-watcher')
  await alertWatcher(workerData as WatcherJob)

/** Starts this file in a worker thread, through tsx's loader (registered inside the worker). */
const thread = (job: ProducerJob | WatcherJob | ConsumerJob) =>
  new Worker(
    `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}) })`,
    {
      eval: true,
      workerData: job,
    },
  )

async function dropKeys(redis: Redis, prefix: string) {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== '0')
}

function xaddCeiling(url: string): number {
  const u = new URL(url)
  const key = `${newId('bench')}:xadd`
  const payload = JSON.stringify({ n: 123456 })
  const out = execFileSync(
    'redis-benchmark',
    [
      '-h',
      u.hostname,
      '-p',
      u.port || '6379',
      '-q',
      '-n',
      '400000',
      '-P',
      '64',
      '-c',
      '8',
      'XADD',
      key,
      '*',
      'id',
      newId('evt'),
      'k',
      'k123',
      'tn',
      newId('ten'),
      'ts',
      String(Date.now()),
      'd',
      payload,
    ],
    { encoding: 'utf8' },
  )
  execFileSync('redis-cli', ['-h', u.hostname, '-p', u.port || '6379', 'DEL', key])
  const m = /([\d.]+) requests per second/.exec(out.split('\r').at(-1) ?? out)
  if (!m) throw new Error(`cannot parse redis-benchmark output: ${out.slice(-200)}`)
  return Number(m[1])
}

async function endToEnd(
  h: DbHandle,
  dbUrl: string,
  redisUrl: string,
  n: number,
  nRelays: number,
  nConsumers: number,
  threads: number,
  batch: number,
  liveRate: number,
) {
  const tenant = newId('ten')
  const prefix = newId('bench')
  const group = 'bench-e2e'
  await sql`CREATE TABLE IF NOT EXISTS bench_event_effects (tenant_id text NOT NULL, consumer text NOT NULL, n bigint NOT NULL, PRIMARY KEY (tenant_id, consumer))`.execute(
    h.db,
  )

  // Earlier runs' deleted rows would otherwise sit in the indexes this run inserts into.
  await sql`VACUUM event_outbox, event_inbox`.execute(h.db)
  /** Commits events from..to (one INSERT … SELECT, keys over 1,000 aggregates). */
  const commit = (from: number, to: number) =>
    sql`INSERT INTO event_outbox (tenant_id, topic, partition_key, payload)
      SELECT ${tenant}, 'events.probe.sent.v1', 'agg' || (g % 1000), jsonb_build_object('n', g)
      FROM generate_series(${from}::int, ${to}::int) g`.execute(h.db)
  let t = performance.now()
  if (liveRate === 0) {
    log(`e2e: committing ${n} events to the outbox (one INSERT … SELECT, keys over 1,000 aggregates)…`)
    await commit(1, n)
    await sql`ANALYZE event_outbox`.execute(h.db) // as autovacuum would after such a jump
    log(`e2e: outbox filled in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  } else
    log(
      `e2e live: producers commit ${liveRate} events/s (a transaction every 10 ms) while the relay and consumer run…`,
    )

  const bb = createEventBackbone({
    db: h,
    bus: { kind: 'redis', url: redisUrl, prefix, partitions: 8, blockMs: 20 },
    relay: { tenants: [tenant], batchSize: batch, pollMs: 5 },
    republishOnUnknownLoss: false,
  })
  const names = Array.from({ length: nConsumers }, (_, c) => `c${c}`)
  for (const consumer of names)
    await sql`INSERT INTO bench_event_effects VALUES (${tenant}, ${consumer}, 0)`.execute(h.db)
  // Consumers in `threads` worker threads (their own event loops, as separate consumer processes).
  const counts = new Map<Worker, { applied: number; delivered: number }>()
  const workers = Array.from({ length: threads }, (_, i) => {
    const job: ConsumerJob = {
      role: 'e2e-consumer',
      redisUrl,
      dbUrl,
      prefix,
      tenant,
      group,
      consumers: names.filter((_, c) => c % threads === i),
      batch,
    }
    const w = thread(job)
    counts.set(w, { applied: 0, delivered: 0 })
    w.on('message', (m: { applied?: number; delivered?: number }) => {
      if (m.applied !== undefined) counts.set(w, { applied: m.applied, delivered: m.delivered ?? 0 })
    })
    return w
  })
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve())
          w.once('error', reject)
        }),
    ),
  )
  const total = (k: 'applied' | 'delivered') => [...counts.values()].reduce((a, c) => a + c[k], 0)
  // Disjoint lanes: the relays work in parallel, each key still has one relay.
  const relays: OutboxRelay[] = Array.from({ length: nRelays }, (_, r) =>
    createOutboxRelay({
      db: h,
      bus: bb.bus,
      catalogue: bb.catalogue,
      tenants: [tenant],
      batchSize: batch,
      pollMs: 5,
      lanes: Array.from({ length: 16 }, (_, l) => l).filter((l) => l % nRelays === r),
    }),
  )
  t = performance.now()
  for (const r of relays) await r.start()
  // Live mode: the outbox fills while it drains, as in production; `lastCommit` dates the last event.
  let produced = 0
  let lastCommit = 0
  const producing =
    liveRate === 0
      ? Promise.resolve()
      : (async () => {
          while (produced < n) {
            const due = Math.min(n, Math.floor(((performance.now() - t) * liveRate) / 1000)) - produced
            if (due > 0) {
              await commit(produced + 1, produced + due)
              produced += due
              lastCommit = performance.now()
            }
            await sleep(10)
          }
        })()
  const samples: number[] = []
  let last = 0
  let lastT = t
  while (total('applied') < n) {
    await sleep(50)
    const now = performance.now()
    const applied = total('applied')
    if (now - lastT >= 1000) {
      samples.push(((applied - last) * 1000) / (now - lastT))
      last = applied
      lastT = now
      log(`e2e: ${applied}/${n} applied (${Math.round(samples.at(-1)!)} /s)`)
    }
    if (now - t > 300_000) break
  }
  const seconds = (performance.now() - t) / 1000
  await producing
  if (liveRate > 0)
    log(
      `e2e live: ${produced} committed at ${Math.round(produced / ((lastCommit - t) / 1000))}/s; ` +
        `the last one applied ${Math.round(performance.now() - lastCommit)} ms after its commit (or less)`,
    )
  // Rows the relays have not published (their cursors, not a per-row flag: ADR 0101).
  let unsent = 0
  for (const r of relays) unsent += await r.backlog()
  for (const r of relays) await r.stop()
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.on('message', (m: { closed?: true }) => {
            if (m.closed) resolve()
          })
          w.postMessage({ close: true })
        }),
    ),
  )
  for (const w of workers) await w.terminate()
  await bb.close()
  const applied = total('applied')
  const delivered = total('delivered')

  const effects = Number(
    (
      await sql<{
        s: string
      }>`SELECT coalesce(sum(n), 0)::text AS s FROM bench_event_effects WHERE tenant_id = ${tenant}`.execute(
        h.db,
      )
    ).rows[0]!.s,
  )
  const inbox = Number(
    (
      await sql<{
        c: string
      }>`SELECT count(*)::text AS c FROM event_inbox WHERE tenant_id = ${tenant} AND consumer_group = ${group}`.execute(
        h.db,
      )
    ).rows[0]!.c,
  )
  await sql`DELETE FROM event_outbox WHERE tenant_id = ${tenant}`.execute(h.db)
  await sql`DELETE FROM event_inbox WHERE tenant_id = ${tenant}`.execute(h.db)
  await sql`DELETE FROM bench_event_effects WHERE tenant_id = ${tenant}`.execute(h.db)
  const redis = new Redis(redisUrl)
  await dropKeys(redis, prefix)
  redis.disconnect()
  const eps = applied / seconds
  const minSecond = samples.length > 2 ? Math.min(...samples.slice(0, -1)) : eps
  log(
    `e2e: ${applied} events in ${seconds.toFixed(2)} s = ${Math.round(eps)} events/s (slowest full second ${Math.round(minSecond)} /s); ` +
      `delivered ${delivered}, effects ${effects}, inbox ${inbox}, unsent ${unsent}`,
  )
  return { eps, minSecond, lost: n - inbox + unsent, duplicated: effects - inbox }
}

async function tickToAlert(h: DbHandle, redisUrl: string, rate: number, seconds: number) {
  const tenant = newId('ten')
  const prefix = newId('bench')
  const bb: EventBackbone = createEventBackbone({
    db: h,
    bus: { kind: 'redis', url: redisUrl, prefix, partitions: 8, blockMs: 20 },
    events: marketEvents,
    relay: { tenants: [tenant] },
    republishOnUnknownLoss: false,
  })
  const market = createMarket({ db: h.db, events: bb, clock: systemClock, rulesTtlMs: 60_000 })
  const instruments = Array.from({ length: 50 }, (_, i) => `SYM${i}`)
  for (const instrument of instruments)
    await market.createRule(tenant, {
      instrument,
      kind: 'price_cross',
      level: String(TICK_LEVEL),
      direction: 'any',
    })
  await market.createRule(tenant, { instrument: '*', kind: 'pct_move', ...TICK_MOVE })
  const worker = await market.startAlertWorker({ maxInFlight: 2000 })
  const watcher = thread({ role: 'alert-watcher', redisUrl, prefix })
  await new Promise<void>((resolve, reject) => {
    watcher.once('message', () => resolve())
    watcher.on('error', reject)
  })
  while (worker.assigned() === 0) await sleep(20)

  log(
    `ticks: ${rate}/s for ${seconds}s over ${instruments.length} instruments (load generator and alert watcher in worker threads)…`,
  )
  const job: ProducerJob = { role: 'tick-producer', redisUrl, prefix, tenant, rate, seconds, instruments }
  const producer = thread(job)
  const finished = new Promise<{ sent: number; expected: number; seconds: number }>((resolve, reject) => {
    producer.on('message', (m: { started: number } | { sent: number; expected: number; seconds: number }) => {
      // The first second after the generator starts warms up JIT and connections: not measured.
      if ('started' in m) watcher.postMessage({ warmFrom: m.started + 1000 })
      else resolve(m)
    })
    producer.on('error', reject)
  })
  const loopDelay = monitorEventLoopDelay({ resolution: 1 })
  loopDelay.enable()
  const { sent, expected, seconds: elapsed } = await finished
  loopDelay.disable()
  log(
    `ticks: consumer event-loop delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`,
  )
  await producer.terminate()
  await sleep(1000)
  await worker.close()
  const reported = new Promise<LatencyReport>((r) =>
    watcher.once('message', (m: { report: LatencyReport }) => r(m.report)),
  )
  watcher.postMessage({ close: true })
  const lat = await reported
  await watcher.terminate()
  await market.close()
  await bb.close()
  const stored = Number(
    (
      await sql<{
        c: string
      }>`SELECT count(*)::text AS c FROM market_alerts WHERE tenant_id = ${tenant}`.execute(h.db)
    ).rows[0]!.c,
  )
  await sql`DELETE FROM market_alerts WHERE tenant_id = ${tenant}`.execute(h.db)
  await sql`DELETE FROM market_alert_rules WHERE tenant_id = ${tenant}`.execute(h.db)
  const redis = new Redis(redisUrl)
  await dropKeys(redis, prefix)
  redis.disconnect()
  const r = {
    rate: sent / elapsed,
    expected,
    alerts: lat.alerts,
    stored,
    samples: lat.samples,
    p50: lat.p50,
    p99: lat.p99,
    max: lat.max,
  }
  log(
    `ticks: sent ${sent} (${Math.round(r.rate)}/s), alerts expected ${expected}, stored ${stored}, received ${r.alerts}; tick-to-alert over ${r.samples} alerts: ` +
      `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms`,
  )
  return r
}

export async function main(args: string[]): Promise<void> {
  const n = arg(args, 'events', 1_000_000)
  const nRelays = arg(args, 'relays', 1)
  const nConsumers = arg(args, 'consumers', 1)
  const batch = arg(args, 'batch', 4000)
  const threads = arg(args, 'consumer-threads', 1)
  const liveRate = args.includes('--prefilled') ? 0 : arg(args, 'live-rate', 50_000)
  const rate = arg(args, 'tick-rate', 15_000)
  const tickSeconds = arg(args, 'tick-seconds', 10)
  const redisUrl = process.env.MONETA_BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const dbUrl =
    process.env.DATABASE_URL ??
    process.env.MONETA_TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test'
  log(`events bench: redis ${redisUrl}, postgres ${dbUrl.replace(/\/\/[^@]*@/, '//')}`)

  const ceiling = xaddCeiling(redisUrl)
  log(`ceiling: redis-benchmark XADD (pipeline 64, 8 clients) ${Math.round(ceiling)} /s`)

  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
  const h = await connect({ databaseUrl: dbUrl, poolSize: 20 })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  // Start from a settled database: an earlier run's million deleted rows would otherwise be vacuumed
  // and flushed by the checkpointer while this run measures.
  await sql`VACUUM event_outbox, event_inbox, market_alerts`.execute(h.db)
  await sql`CHECKPOINT`.execute(h.db).catch(() => log('(CHECKPOINT not allowed for this user: skipped)'))
  // Ticks first: the alert worker then starts in a process whose heap does not hold the garbage of
  // a million relayed events (a deployment would not run both in one process either).
  const ticks =
    only === 'e2e'
      ? { p99: NaN, expected: NaN, stored: NaN, alerts: NaN }
      : await tickToAlert(h, redisUrl, rate, tickSeconds)
  const e2e =
    only === 'ticks'
      ? { eps: NaN, lost: NaN, duplicated: NaN }
      : await endToEnd(
          h,
          dbUrl,
          redisUrl,
          n,
          nRelays,
          nConsumers,
          Math.min(threads, nConsumers),
          batch,
          liveRate,
        )
  await h.close()

  log(
    JSON.stringify({
      bench: 'events',
      e2e_mode: liveRate > 0 ? 'live' : 'prefilled',
      ...(liveRate > 0 ? { e2e_live_target_eps: liveRate } : {}),
      e2e_eps: Math.round(e2e.eps),
      tick_alert_p99_ms: Number(ticks.p99.toFixed(2)),
      tick_alerts_expected: ticks.expected,
      tick_alerts_stored: ticks.stored,
      tick_alerts_received: ticks.alerts,
      xadd_ceiling_eps: Math.round(ceiling),
      lost: e2e.lost,
      duplicated_effects: e2e.duplicated,
    }),
  )
}
