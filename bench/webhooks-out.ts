import http from 'node:http'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { sql } from 'kysely'
import pino from 'pino'
import { createServices, type AppServices } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import type { EventMessage } from '../src/modules/events/index.js'
import { CONSUMER_GROUP, createWebhooks, type Webhooks } from '../src/modules/webhooks/index.js'
import { newId } from '../src/shared/ids.js'

/**
 * npm run bench -- webhooks-out [--events N] [--endpoints N] [--concurrency N] [--rate N] [--seconds N] [--pglite]
 *
 * 1. backlog: N events (default 10,000) fanned out to the endpoints through the consumer inbox (as
 *    the bus consumer does), then the delivery worker drains them: signed POSTs to a local receiver
 *    (its own thread), attempts recorded. Deliveries per second, and the attempt round trip p50/p99.
 * 2. steady: events published on the bus at a fixed rate (default 500/s for 5 s) → fan-out consumer
 *    → worker → receiver; publish-to-receipt latency p50/p99 (the dispatch latency a tenant sees).
 * PostgreSQL: DATABASE_URL or MONETA_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test);
 * --pglite uses the embedded engine.
 */
const arg = (args: string[], name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : fallback
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`)
  return v
}
const log = (s: string) => process.stdout.write(`${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pct = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d
const wallNow = () => performance.timeOrigin + performance.now()

// ---- the receiver, in its own thread so it does not share the worker's event loop ----
interface ReceiverJob {
  role: 'webhook-receiver'
}
if (!isMainThread && (workerData as ReceiverJob | undefined)?.role === 'webhook-receiver') {
  const seen = new Map<string, number>()
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    req.resume()
    req.on('end', () => {
      const id = String(req.headers['webhook-id'])
      if (!seen.has(id)) seen.set(id, wallNow())
      res.writeHead(204).end()
    })
  })
  server.listen(0, '127.0.0.1', () => {
    parentPort!.postMessage({ port: (server.address() as { port: number }).port })
  })
  parentPort!.on('message', (m: string) => {
    if (m === 'report') parentPort!.postMessage({ seen: [...seen.entries()] })
    if (m === 'reset') seen.clear()
    if (m === 'close') server.close(() => process.exit(0))
  })
}

async function startReceiverThread() {
  const w = new Worker(
    `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}) })`,
    { eval: true, workerData: { role: 'webhook-receiver' } satisfies ReceiverJob },
  )
  const port = await new Promise<number>((resolve) =>
    w.once('message', (m: { port: number }) => resolve(m.port)),
  )
  const ask = () =>
    new Promise<Map<string, number>>((resolve) => {
      w.once('message', (m: { seen: [string, number][] }) => resolve(new Map(m.seen)))
      w.postMessage('report')
    })
  return {
    url: `http://127.0.0.1:${port}`,
    report: ask,
    reset: () => w.postMessage('reset'),
    close: async () => {
      w.postMessage('close')
      await new Promise((r) => w.once('exit', r))
    },
  }
}

function instance(s: AppServices, tenant: string, concurrency: number): Webhooks {
  return createWebhooks({
    db: s.db.db,
    clock: s.clock,
    ids: s.ids,
    logger: s.logger,
    fieldCipher: s.crypto.fieldCipher,
    catalogue: s.events.catalogue,
    outbox: s.events.outbox,
    bus: s.events.bus,
    inbox: s.events.inbox,
    options: { allowPrivate: true, concurrency, pollMs: 20 },
    workerTenants: [tenant],
  })
}

export async function main(args: string[]): Promise<void> {
  const nEvents = arg(args, 'events', 10_000)
  const nEndpoints = arg(args, 'endpoints', 1)
  const concurrency = arg(args, 'concurrency', 64)
  const rate = arg(args, 'rate', 500)
  const seconds = arg(args, 'seconds', 5)
  const pglite = args.includes('--pglite')
  const url =
    process.env.DATABASE_URL ??
    process.env.MONETA_TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test'
  const config = loadConfig({
    ...(pglite ? { MONETA_DATA_DIR: 'memory://' } : { DATABASE_URL: url, MONETA_DB_POOL_SIZE: '20' }),
    LOG_LEVEL: 'warn',
    MONETA_CONFIG_FILE: '',
  })
  const s = await createServices(config, { logger: pino({ level: 'warn' }) })
  const rx = await startReceiverThread()
  const engine = pglite ? 'pglite' : 'postgres'
  log(`webhooks-out bench: ${engine}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)}`)

  // ---- 1. backlog ----
  const tenant = newId('ten')
  const w = instance(s, tenant, concurrency)
  for (let i = 0; i < nEndpoints; i++)
    await w.createEndpoint(tenant, { url: `${rx.url}/ep${i}`, eventTypes: ['events.*'] })
  const messages: EventMessage[] = Array.from({ length: nEvents }, (_, i) => ({
    id: newId('evt'),
    topic: 'events.probe.sent.v1',
    key: `k${i % 64}`,
    tenantId: tenant,
    payload: { n: i, note: 'bench' },
    occurredAt: new Date(),
    headers: {},
    position: String(i),
  }))
  let t0 = performance.now()
  for (let i = 0; i < messages.length; i += 1000)
    await s.events.inbox.apply(CONSUMER_GROUP, messages.slice(i, i + 1000), async (tx, fresh) => {
      await w.fanOut(tx, fresh)
    })
  const fanOutS = (performance.now() - t0) / 1000
  const total = nEvents * nEndpoints
  log(`fan-out: ${total} deliveries queued in ${fanOutS.toFixed(2)} s (${Math.round(total / fanOutS)}/s)`)

  t0 = performance.now()
  w.worker.start()
  for (;;) {
    await sleep(100)
    const r = await sql<{ n: string }>`
      SELECT count(*)::text AS n FROM webhook_deliveries WHERE tenant_id = ${tenant} AND status = 'delivered'`.execute(
      s.db.db,
    )
    const done = Number(r.rows[0]!.n)
    if (done >= total) break
    if (performance.now() - t0 > 600_000) throw new Error(`only ${done}/${total} delivered after 10 minutes`)
  }
  const drainS = (performance.now() - t0) / 1000
  await w.worker.stop()
  const lat = (
    await sql<{
      ms: number
    }>`SELECT latency_ms AS ms FROM webhook_attempts WHERE tenant_id = ${tenant}`.execute(s.db.db)
  ).rows
    .map((r) => r.ms)
    .sort((a, b) => a - b)
  const received = (await rx.report()).size
  const deliveriesPerS = total / drainS
  log(
    `delivered ${total} in ${drainS.toFixed(2)} s: ${Math.round(deliveriesPerS)}/s; attempt round trip p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms; receiver saw ${received} distinct ids; ${lat.length} attempts`,
  )

  // ---- 2. steady state through the bus ----
  rx.reset()
  const tenant2 = newId('ten')
  const w2 = instance(s, tenant2, concurrency)
  await w2.createEndpoint(tenant2, { url: `${rx.url}/steady`, eventTypes: ['events.*'] })
  const sub = await w2.startConsumer({ consumerName: 'bench' })
  w2.worker.start()
  const sent = new Map<string, number>()
  const n2 = rate * seconds
  const tick = 20
  const perTick = Math.max(1, Math.round((rate * tick) / 1000))
  const start = wallNow()
  for (let i = 0; i < n2;) {
    const batch = Array.from({ length: Math.min(perTick, n2 - i) }, (_, j) => ({
      topic: 'events.probe.sent.v1',
      key: `s${(i + j) % 64}`,
      tenantId: tenant2,
      payload: { n: i + j },
    }))
    const at = wallNow()
    const wire = await s.events.bus.publish(batch)
    for (const e of wire) sent.set(e.id, at)
    i += batch.length
    const due = start + (i / rate) * 1000
    const wait = due - wallNow()
    if (wait > 0) await sleep(wait)
  }
  let seen = new Map<string, number>()
  for (let i = 0; i < 600 && seen.size < n2; i++) {
    await sleep(100)
    seen = await rx.report()
  }
  const e2e = [...sent]
    .flatMap(([id, at]) => (seen.has(id) ? [seen.get(id)! - at] : []))
    .sort((a, b) => a - b)
  log(
    `steady ${rate}/s for ${seconds} s: ${e2e.length}/${n2} received; publish→receipt p50 ${round(pct(e2e, 50))} ms, p99 ${round(pct(e2e, 99))} ms, max ${round(e2e[e2e.length - 1] ?? NaN)} ms`,
  )
  await sub.close()
  await w2.close()
  await w.close()
  await rx.close()
  await s.events.close()
  await s.ledger.close()
  await s.db.close()
  log(
    JSON.stringify({
      bench: 'webhooks-out',
      engine,
      events: nEvents,
      endpoints: nEndpoints,
      concurrency,
      fanout_per_s: Math.round(total / fanOutS),
      deliveries_per_s: Math.round(deliveriesPerS),
      attempt_p50_ms: pct(lat, 50),
      attempt_p99_ms: pct(lat, 99),
      steady_rate: rate,
      steady_received: e2e.length,
      dispatch_p50_ms: round(pct(e2e, 50)),
      dispatch_p99_ms: round(pct(e2e, 99)),
    }),
  )
}
