import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { cpus, loadavg } from 'node:os'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { sql, type Kysely } from 'kysely'
import pino from 'pino'
import { createServices, type AppServices } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createSandboxGateway, type GatewayEvent } from '../src/modules/payments/index.js'
import { newId } from '../src/shared/ids.js'
import { DEFAULT_TENANT } from '../src/modules/platform/index.js'
import { benchDatabase } from './args.js'
import { RawClient, rawRequest } from './webhooks-client.js'
import { EffectTracker } from './webhooks-effects.js'
import { stageFigures, type StageFigures } from './webhooks-stages.js'
import { traceFigures, waitShares, type TraceData, type WaitSample } from './webhooks-trace.js'
import { firstCopyPeakPerSecond, orderDeliveries, type DeliveryOrder } from './webhooks-order.js'
import { startMoneta, stopMoneta } from './moneta-process.js'

/**
 * npm run bench -- webhooks [--distinct N] [--copies N] [--concurrency N | --rate N] [--port N] [--worker-nice N] [--api-only 0|1] [--intake-processes N] [--client raw|http] [--linger MS] [--worker-loops N] [--claim-batch N] [--apply 0|1] [--order retries|shuffle] [--retry-window MS] [--trace FILE] [--server-node-options 'FLAGS']
 * Real PostgreSQL (--postgres, DATABASE_URL or MONETA_BENCH_DATABASE_URL, created if missing; else a fresh
 * database for the run, dropped after it unless --keep). Creates N manual-capture sandbox payments through the payments service, starts
 * `moneta start` (receiving only: MONETA_GATEWAY_WEBHOOK_WORKERS=0; with `--api-only 1` also
 * MONETA_START_WORKERS=false) and `moneta worker` as child processes, then sends each payment's signed
 * `payment.captured` webhook `copies` times (all shuffled, or with `--order retries` the copies as
 * retries within `--retry-window` ms of the original; bench/webhooks-order.ts), over keep-alive HTTP from `concurrency`
 * clients (closed loop: each sends its next delivery once answered), or with `--rate N` at N
 * deliveries per second on a fixed schedule whatever the answers (open loop, as a gateway sends them;
 * latency counted from the scheduled send time, up to `--concurrency` sockets, default 256 then).
 * Figures: deliveries per second and per-request latency (each answered after its inbox
 * row committed), requests answered outside 2xx (`non_2xx`); each event's time from receipt to its
 * ledger effect (bench/webhooks-effects.ts) and the distinct events applied per second; then, once
 * the workers drained the inbox, the ledger transactions the events produced (must equal N) and
 * `ledger verify`. The load generator (`--client raw`, default since session 11) writes pre-built
 * requests on plain keep-alive sockets (bench/webhooks-client.ts); `--client http` is Node's
 * http.Agent as before, for comparison. Diagnostics in the JSON line: the server's own view of the
 * route's latency (`server_p50_ms`/`server_p99_ms`, histogram bucket bounds from /metrics), the
 * server's and the generator's event-loop delay p99, and the generator's CPU per delivery.
 * `--trace FILE` (`moneta start` only): the API process records each webhook request, receipt INSERT,
 * long event-loop iteration and GC (bench/webhooks-trace.ts; a 1 ms timer and a hook on every pg
 * query, so a little CPU of its own) and a `trace:` line after the run splits the server's time.
 * `--server-node-options 'FLAGS'`: Node/V8 flags for `moneta start` only (NODE_OPTIONS of that
 * process), to compare e.g. garbage-collector settings on the API process alone.
 */
const arg = (args: string[], name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const log = (s: string) => process.stdout.write(`${s}\n`)
/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export const cpuSeconds = (pid: number | undefined): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}
/** CPU seconds of a process and its child processes (`moneta intake --processes N`: the primary and its N). */
const treeCpuSeconds = (pid: number | undefined): number => {
  if (pid === undefined) return Number.NaN
  let children: number[] = []
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number)
  } catch {
    // no /proc children list: the process alone
  }
  return children.reduce((sum, c) => sum + cpuSeconds(c), cpuSeconds(pid))
}
/** The bench's settings (a fresh sandbox webhook secret) and the services in this process (shared with bench/webhooks-drain.ts). */
export async function benchServices<E extends Record<string, string>>(url: string, extra: E) {
  const secret = `whsec_${randomBytes(32).toString('base64')}`
  const env = {
    DATABASE_URL: url,
    MONETA_SANDBOX_WEBHOOK_SECRET: secret,
    MONETA_CONFIG_FILE: '',
    LOG_LEVEL: 'warn',
    REDIS_URL: '',
    MONETA_EVENT_BUS: 'memory',
    ...extra,
  }
  const services = await createServices(loadConfig({ ...process.env, ...env }), {
    logger: pino({ level: 'warn' }),
  })
  return { services, env, secret }
}
/** The gateway's capture event of a bench payment (shared with bench/webhooks-drain.ts). */
export const captureEventOf = (p: { id: string; ref: string; amount: bigint }): GatewayEvent => ({
  id: newId('evt'),
  type: 'payment.captured',
  vendorType: 'charge.captured',
  paymentRef: p.ref,
  paymentId: p.id,
  amount: p.amount,
  currency: 'USD',
  occurredAt: new Date(),
})
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
const round2 = (n: number) => Math.round(n * 100) / 100

/**
 * Open loop: item i is sent at start + i / rate whatever the earlier answers (a gateway emits
 * webhooks at the rate its merchants' payments happen, not when we answer). `fn` gets the scheduled
 * send time, so a request that waits — in the load generator's timer, in the agent's socket queue, in
 * the server — counts that wait in its latency (no coordinated omission).
 */
async function openLoop<T>(
  items: readonly T[],
  rate: number,
  fn: (item: T, scheduledAt: number) => Promise<void>,
): Promise<void> {
  const start = performance.now()
  const gapMs = 1000 / rate
  const answers: Promise<void>[] = []
  let next = 0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      while (next < items.length && start + next * gapMs <= now) {
        answers.push(fn(items[next]!, start + next * gapMs))
        next++
      }
      if (next >= items.length) return resolve()
      setTimeout(tick, Math.max(0, start + next * gapMs - performance.now()))
    }
    tick()
  })
  await Promise.all(answers)
}

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!)
    }),
  )
}

/** Each applied event's receipt and round start (inbox row), with the moment its effect was seen. */
async function stagesOf(
  services: AppServices,
  seen: ReadonlyMap<string, number>,
  claimBatch: number,
): Promise<StageFigures> {
  const r = await sql<{ event_id: string; received_ms: number; round_ms: number }>`
    SELECT event_id, extract(epoch FROM received_at) * 1000 AS received_ms,
           extract(epoch FROM processed_at) * 1000 AS round_ms
    FROM payment_webhook_inbox
    WHERE gateway = 'sandbox' AND status = 'processed' AND outcome = 'applied'`.execute(services.db.db)
  const samples = r.rows.flatMap((row) => {
    const effectAt = seen.get(row.event_id)
    return effectAt === undefined
      ? []
      : [{ receivedAt: Number(row.received_ms), roundAt: Number(row.round_ms), effectAt }]
  })
  return stageFigures(samples, claimBatch)
}

interface Delivery {
  readonly eventId: string
  readonly body: string
  readonly headers: Record<string, string>
  /** The whole request, built before the run (raw client). */
  readonly bytes: Buffer
}

/** Series of the Prometheus text format: `name{labels} value` → Map. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const i = line.lastIndexOf(' ')
    out.set(line.slice(0, i), Number(line.slice(i + 1)))
  }
  return out
}

/** A quantile (ms, bucket upper bound) of the webhook route's server-side latency between two scrapes. */
function serverQuantile(before: Map<string, number>, after: Map<string, number>, q: number): number | null {
  const prefix = 'moneta_http_request_duration_seconds_bucket{le="'
  const suffix = '",method="POST",route="/v1/webhooks/:gateway"}'
  const buckets: { le: number; n: number }[] = []
  for (const [k, v] of after) {
    if (!k.startsWith(prefix) || !k.endsWith(suffix)) continue
    const le = k.slice(prefix.length, k.length - suffix.length)
    buckets.push({ le: le === '+Inf' ? Infinity : Number(le), n: v - (before.get(k) ?? 0) })
  }
  buckets.sort((a, b) => a.le - b.le)
  const total = buckets.at(-1)?.n ?? 0
  const bucket = buckets.find((b) => b.n >= total * q)
  return total > 0 && bucket ? bucket.le * 1000 : null
}

async function scrape(port: number, apiKey: string): Promise<Map<string, number>> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { authorization: `Bearer ${apiKey}` },
  })
  if (r.status !== 200) throw new Error(`GET /metrics: HTTP ${r.status}`)
  return parseMetrics(await r.text())
}

function post(agent: http.Agent, port: number, d: Delivery): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/webhooks/sandbox',
        method: 'POST',
        agent,
        headers: { ...d.headers, 'content-length': Buffer.byteLength(d.body) },
      },
      (res) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }))
      },
    )
    req.on('error', reject)
    req.end(d.body)
  })
}

/** The database URL a process connects with, naming it (pg_stat_activity.application_name). */
const named = (url: string, name: string): string => {
  const u = new URL(url)
  u.searchParams.set('application_name', name)
  return u.toString()
}
/** Whose backend: the API process's pool, the worker's, or the bench's own (payments set-up, effect poller). */
const BACKEND_OWNERS = { moneta_bench_api: 'api', moneta_bench_worker: 'worker' } as const
type BackendOwner = 'api' | 'worker' | 'bench'

/** The PostgreSQL backends connected to the bench's database (all the processes' pools), by owner. */
const backendPids = async (s: AppServices): Promise<{ pid: number; owner: BackendOwner }[]> =>
  (
    await sql<{ pid: number; app: string }>`
      SELECT pid, application_name AS app FROM pg_stat_activity WHERE datname = current_database()`.execute(
      s.db.db,
    )
  ).rows.map((r) => ({
    pid: Number(r.pid),
    owner: BACKEND_OWNERS[r.app as keyof typeof BACKEND_OWNERS] ?? 'bench',
  }))

/** Transactions committed in the bench's database so far (pg_stat_database, all sessions). */
const commits = async (s: AppServices): Promise<number> => {
  await sql`SELECT pg_stat_clear_snapshot()`.execute(s.db.db)
  const r = await sql<{ n: string | number }>`
    SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()`.execute(s.db.db)
  return Number(r.rows[0]!.n)
}

/** Ledger transactions in force: a capture posts the payment's authorisation hold (one per event). */
const postedTransactions = async (s: AppServices, tenant: string): Promise<number> =>
  Number(
    (
      await sql<{ n: string | number }>`
        SELECT count(*) AS n FROM ledger_transactions WHERE tenant_id = ${tenant} AND status = 'posted'`.execute(
        s.db.db,
      )
    ).rows[0]!.n,
  )

/**
 * `--trace`: every 10 ms until `done`, the state of the API's backends that are running a receipt
 * INSERT (pg_stat_activity: its wait event, or none while on a core or waiting for one).
 */
async function sampleReceiptWaits(s: AppServices, done: () => boolean): Promise<WaitSample[]> {
  const out: WaitSample[] = []
  while (!done()) {
    const r = await sql<{ w: string }>`
      SELECT coalesce(wait_event_type, 'CPU') || ':' || coalesce(wait_event, '') AS w FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'moneta_bench_api' AND state = 'active'
        AND query LIKE '%INSERT INTO payment_webhook_inbox%'`.execute(s.db.db)
    for (const row of r.rows) out.push(row.w)
    await new Promise((res) => setTimeout(res, 10))
  }
  return out
}

/** The `trace:` lines of `--trace` (bench/webhooks-trace.ts); the warm-up's 2,000 requests left out. */
function logTrace(file: string, clientP99: number | undefined, waits: readonly WaitSample[]): void {
  const t = traceFigures(JSON.parse(readFileSync(file, 'utf8')) as TraceData, 2000)
  const w = waitShares(waits)
  log(
    `trace: the receipt INSERTs' PostgreSQL backends, ${w.samples} samples (every 10 ms): waiting for the WAL flush ` +
      `${Math.round(w.walFlush * 100)} %, running or waiting for a core ${Math.round(w.cpu * 100)} %, row locks ` +
      `${Math.round(w.rowLock * 100)} %, other ${Math.round(w.other * 100)} % (${w.top.map(([k, v]) => `${k} ${Math.round(v * 100)} %`).join(', ')})`,
  )
  log(
    `trace (API process, ${t.requests} requests): server time p50 ${t.serverP50Ms} ms, p99 ${t.serverP99Ms} ms ` +
      `(client-side p99 ${clientP99 ?? '?'} ms: the rest is before Node's HTTP parser saw the request); ` +
      `p99 of its parts: start → receipt INSERT sent ${t.toInsertP99Ms} ms, INSERT ${t.insertP99Ms} ms, ` +
      `INSERT answered → answer written ${t.afterInsertP99Ms} ms; the slowest 1 %: ${t.tail.totalMs} ms = ` +
      `${t.tail.toInsertMs} + ${t.tail.insertMs} + ${t.tail.afterInsertMs} ms`,
  )
  log(
    `trace: event-loop iterations > 10 ms: ${t.longIterations}, ${Math.round(t.longIterationWallShare * 100)} % of the run's ` +
      `wall time, the process on a core ${Math.round(t.longIterationCpuShare * 100)} % of it; iterations using ≥ 10 ms of CPU: ` +
      `${t.cpuBoundIterations} (longest ${t.maxIterationCpuMs} ms); GC ${t.gcs}× , ${Math.round(t.gcWallShare * 100)} % of wall ` +
      `time, longest ${t.gcMaxMs} ms`,
  )
  log(JSON.stringify({ bench: 'webhooks-trace', client_p99_ms: clientP99 ?? null, ...t, insert_waits: w }))
}

export async function main(args: string[]): Promise<void> {
  const distinct = arg(args, 'distinct', 10_000)
  const copies = arg(args, 'copies', 3)
  // Open loop when > 0: deliveries per second offered, on a fixed schedule.
  const rate = arg(args, 'rate', 0)
  // 1: `moneta start` serves the API only (MONETA_START_WORKERS=false) and the relay and the
  // consumers run in `moneta worker` only; 0 (default, as in earlier sessions): both processes run them.
  // Session 10's A/B on a loaded machine did not show which is better for latency (docs/benchmarks/webhooks.md).
  // `--apply 0`: the intake alone — received, verified and persisted, the issue's words — with no
  // worker and an API-only process: the events name payments that do not exist and nothing applies
  // them. What the receive path reaches when the effects' work does not share its 2 cores.
  const applyEffects = arg(args, 'apply', 1) !== 0
  // `--intake-processes N` (N ≥ 1): the webhooks go to `moneta intake --processes N` (gateway webhooks
  // only, node:cluster, src/intake.ts) instead of `moneta start`; it runs no background work.
  const intakeProcesses = arg(args, 'intake-processes', 0)
  const apiOnly = !applyEffects || intakeProcesses > 0 || arg(args, 'api-only', 0) !== 0
  const clientKind = args.includes('--client') ? args[args.indexOf('--client') + 1] : 'raw'
  if (clientKind !== 'raw' && clientKind !== 'http') throw new Error('--client raw|http')
  // The API's receipt batch linger (MONETA_GATEWAY_WEBHOOK_BATCH_LINGER_MS); default: the config's.
  const linger = arg(args, 'linger', -1)
  // The worker's processing loops (MONETA_GATEWAY_WEBHOOK_WORKERS; the bench's default, 2, is the config's).
  const workerLoops = arg(args, 'worker-loops', 2)
  // Rows per round in the worker (MONETA_GATEWAY_WEBHOOK_CLAIM_BATCH; default: the config's, 500).
  const claimBatch = arg(args, 'claim-batch', 500)
  const concurrency = arg(args, 'concurrency', rate > 0 ? 256 : 64)
  // `--order shuffle` (default): every delivery shuffled, as in sessions 1–14; `--order retries`
  // (session 15): first copies at a steady pace, the others within `--retry-window` ms (bench/webhooks-order.ts).
  const order = (args.includes('--order') ? args[args.indexOf('--order') + 1] : 'shuffle') as DeliveryOrder
  if (order !== 'retries' && order !== 'shuffle') throw new Error('--order retries|shuffle')
  const retryWindowMs = arg(args, 'retry-window', 1000)
  const port = arg(args, 'port', 4700 + Math.floor(Math.random() * 200))
  const traceFile = args.includes('--trace') ? args[args.indexOf('--trace') + 1] : undefined
  if (traceFile !== undefined && (!traceFile || intakeProcesses > 0))
    throw new Error('--trace FILE (with `moneta start`, not --intake-processes)')
  const serverNodeOptions = args.includes('--server-node-options')
    ? args[args.indexOf('--server-node-options') + 1]!
    : ''
  // The client-side p99 of the run, for the trace's comparison once the server has exited.
  let clientP99: number | undefined
  let receiptWaits: WaitSample[] = []
  const database = await benchDatabase(args, 'webhooks')
  const url = database.url
  const { services, env, secret } = await benchServices(url, {
    MONETA_API_KEY: `bench-${randomBytes(16).toString('hex')}`,
    // The per-address webhook limit (20,000 a minute) would cut the load generator off.
    MONETA_RATE_LIMIT_WEBHOOKS: '100000000',
  })
  const settings = (
    await sql<{ fsync: string; sc: string }>`
      SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc`.execute(
      services.db.db,
    )
  ).rows[0]!
  log(
    `webhooks bench: ${url.replace(/\/\/[^@]*@/, '//')} fsync=${settings.fsync} synchronous_commit=${settings.sc}; ` +
      `${distinct} events × ${copies} deliveries, ` +
      (rate > 0 ? `open loop at ${rate}/s (up to ${concurrency} sockets)` : `${concurrency} clients`),
  )

  // 1. Payments to capture: authorised, manual capture, on the sandbox.
  const tenant = newId('ten_bench')
  await services.platform.ensureTenant(tenant, 'webhooks bench')
  const payments: { id: string; ref: string; amount: bigint }[] = []
  let t0 = performance.now()
  await pool(
    Array.from({ length: distinct }, (_, i) => i),
    16,
    async (i) => {
      const amount = BigInt(100 + (i % 900))
      if (!applyEffects) return void payments.push({ id: newId('pay'), ref: newId('ch_bench'), amount })
      const p = await services.payments.commands.create(
        tenant,
        { amount, currency: 'USD', paymentMethod: 'pm_card_visa', capture: 'manual' },
        { idempotencyKey: `bench-${tenant}-${i}` },
      )
      if (p.status !== 'requires_capture' || !p.gatewayRef) throw new Error(`payment ${p.id} is ${p.status}`)
      payments.push({ id: p.id, ref: p.gatewayRef, amount })
      if (payments.length % 2000 === 0) log(`  ${payments.length} payments authorised`)
    },
  )
  if (applyEffects)
    log(`${distinct} payments authorised in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const before = await postedTransactions(services, tenant)

  // 2. As deployed on a multi-core host: an API process that receives and stores, and a worker
  // process that applies the inbox (a Node process runs JavaScript on one core).
  // `moneta intake` creates no API key: the one the bench scrapes /metrics with is made here.
  if (intakeProcesses > 0) {
    await services.platform.ensureTenant(DEFAULT_TENANT, 'Default tenant')
    await services.platform.ensureApiKey(DEFAULT_TENANT, env.MONETA_API_KEY)
    await services.auth.apiKeys.grantPlatformAdmin(env.MONETA_API_KEY)
  }
  const server = await startMoneta(
    intakeProcesses > 0 ? 'intake' : 'start',
    {
      ...env,
      DATABASE_URL: named(url, 'moneta_bench_api'),
      PORT: String(port),
      MONETA_INTAKE_PORT: String(port),
      HOST: '127.0.0.1',
      MONETA_GATEWAY_WEBHOOK_WORKERS: '0',
      MONETA_START_WORKERS: apiOnly ? 'false' : 'true',
      ...(linger >= 0 ? { MONETA_GATEWAY_WEBHOOK_BATCH_LINGER_MS: String(linger) } : {}),
      ...(traceFile ? { MONETA_BENCH_TRACE_OUT: traceFile } : {}),
      ...(traceFile || serverNodeOptions
        ? {
            NODE_OPTIONS: [
              process.env.NODE_OPTIONS ?? '',
              serverNodeOptions,
              ...(traceFile
                ? [
                    '--import tsx',
                    `--import ${new URL('./webhooks-trace-preload.ts', import.meta.url).pathname}`,
                  ]
                : []),
            ].join(' '),
          }
        : {}),
    },
    'listening',
    0,
    intakeProcesses > 0 ? ['--processes', String(intakeProcesses)] : [],
  )
  // Applying is asynchronous by design: the worker runs at lower CPU priority than the API, so a
  // burst is received at full speed and applied as the CPU frees up (the inbox holds the backlog).
  const worker = applyEffects
    ? await startMoneta(
        'worker',
        {
          ...env,
          DATABASE_URL: named(url, 'moneta_bench_worker'),
          MONETA_GATEWAY_WEBHOOK_WORKERS: String(workerLoops),
          MONETA_GATEWAY_WEBHOOK_CLAIM_BATCH: String(claimBatch),
        },
        'worker running',
        arg(args, 'worker-nice', 10),
      )
    : undefined
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
  const raw = clientKind === 'raw' ? new RawClient(port, concurrency) : undefined
  const send = (d: Delivery) => (raw ? raw.request(d.bytes) : post(agent, port, d))
  try {
    const signer = createSandboxGateway({ webhookSecret: secret })
    const signed = (e: GatewayEvent): Delivery => {
      const w = signer.webhookFor(e, new Date())
      return {
        eventId: e.id,
        body: w.body,
        headers: w.headers,
        bytes: rawRequest(port, '/v1/webhooks/sandbox', w.headers, w.body),
      }
    }
    // Warm-up: events of a type payments ignores (no effect), so the JIT and the pool are warm.
    const warm = Array.from({ length: 2000 }, () =>
      signed({ id: newId('evt'), type: 'ignored', vendorType: 'bench.warmup', occurredAt: new Date() }),
    )
    await pool(warm, concurrency, async (d) => {
      const r = await send(d)
      if (r.status !== 200) throw new Error(`warm-up: HTTP ${r.status} ${r.body}`)
    })

    // 3. Each capture event `copies` times, in the chosen order.
    const events = payments.map((p) => signed(captureEventOf(p)))
    const deliveries = orderDeliveries(events, copies, order, { rate, windowMs: retryWindowMs })
    // Distinct events first sent in the busiest second of the schedule (open loop): the applier's peak load.
    const firstCopyPeak = rate > 0 ? firstCopyPeakPerSecond(deliveries, rate) : null
    log(
      `order ${order}${order === 'retries' ? ` (copies within ${retryWindowMs} ms of the original)` : ''}` +
        (firstCopyPeak !== null
          ? `; distinct events first sent in the busiest second: ${firstCopyPeak}`
          : ''),
    )
    const latencies: number[] = []
    // The same split by answer (session 32): a redelivery the intake saw stored is answered from
    // memory, so the mix of copies moves the overall figure; these say what each kind costs.
    const newLatencies: number[] = []
    const duplicateLatencies: number[] = []
    let fresh = 0
    // Requests answered outside 2xx, or not answered at all (connection errors).
    let non2xx = 0
    const effects = new EffectTracker(services.db.db as unknown as Kysely<unknown>, 'sandbox')
    if (applyEffects) effects.start()
    let lastLog = performance.now()
    const load0 = loadavg()[0]!
    const serverCpu0 = treeCpuSeconds(server.pid)
    const workerCpu0 = cpuSeconds(worker?.pid)
    const ownCpu0 = process.cpuUsage()
    const metrics0 = await scrape(port, env.MONETA_API_KEY)
    const commits0 = await commits(services)
    const pgPids = await backendPids(services)
    const pgCpu0 = pgPids.map((b) => cpuSeconds(b.pid))
    const ownDelay = monitorEventLoopDelay({ resolution: 10 })
    ownDelay.enable()
    t0 = performance.now()
    const deliver = async (d: Delivery, sentAt: number) => {
      const r = await send(d).catch((err: unknown) => ({ status: 0, body: String(err) }))
      const ms = performance.now() - sentAt
      latencies.push(ms)
      if (r.status < 200 || r.status > 299) non2xx++
      else if (r.body.includes('"duplicate":false')) {
        fresh++
        newLatencies.push(ms)
        effects.received(d.eventId)
      } else duplicateLatencies.push(ms)
      if (performance.now() - lastLog > 2000) {
        lastLog = performance.now()
        log(`  ${latencies.length}/${deliveries.length} delivered`)
      }
    }
    let delivered = false
    const sampling = traceFile ? sampleReceiptWaits(services, () => delivered) : Promise.resolve([])
    if (rate > 0) await openLoop(deliveries, rate, deliver)
    else await pool(deliveries, concurrency, (d) => deliver(d, performance.now()))
    delivered = true
    receiptWaits = await sampling
    const seconds = (performance.now() - t0) / 1000
    ownDelay.disable()
    const metrics1 = await scrape(port, env.MONETA_API_KEY)
    // Every process's transactions in this database (receipt INSERTs, NOTIFYs, the worker's rounds,
    // the effect poller's reads) per delivery: how well the receipts shared commits.
    const commitsPerDelivery = round2(((await commits(services)) - commits0) / deliveries.length)
    // PostgreSQL's CPU for this database: the backends that lived through the whole run, in all
    // and by whose pool they serve (session 15: the API's receipts and whatever else that process
    // runs, the worker's rounds and consumers, the bench's own effect poller).
    const pgCpuOf = (owner?: BackendOwner) =>
      Math.round(
        (pgPids.reduce((sum, b, i) => {
          const d = cpuSeconds(b.pid) - pgCpu0[i]!
          return Number.isNaN(d) || (owner && b.owner !== owner) ? sum : sum + d
        }, 0) *
          1e6) /
          deliveries.length,
      )
    const pgCpuUs = pgCpuOf()
    const pgCpuByOwner = { api: pgCpuOf('api'), worker: pgCpuOf('worker'), bench: pgCpuOf('bench') }
    const serverP50 = serverQuantile(metrics0, metrics1, 0.5)
    const serverP99 = serverQuantile(metrics0, metrics1, 0.99)
    // prom-client's event-loop delay histogram restarts at each scrape: this one covers the run.
    const serverLagP99 = round2(
      (metrics1.get('moneta_nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000,
    )
    const serverLagMax = round2(
      (metrics1.get('moneta_nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000,
    )
    const clientLagP99 = round2(ownDelay.percentile(99) / 1e6)
    const serverCpuUs = Math.round(((treeCpuSeconds(server.pid) - serverCpu0) * 1e6) / deliveries.length)
    const workerCpuUs = Math.round(((cpuSeconds(worker?.pid) - workerCpu0) * 1e6) / deliveries.length)
    const own = process.cpuUsage(ownCpu0)
    const clientCpuUs = Math.round((own.user + own.system) / deliveries.length)
    const load = Math.round(((load0 + loadavg()[0]!) / 2) * 10) / 10
    latencies.sort((a, b) => a - b)
    const eps = Math.round(deliveries.length / seconds)
    const p50 = round2(quantile(latencies, 0.5))
    const p99 = round2(quantile(latencies, 0.99))
    clientP99 = p99
    const p99Of = (v: number[]): number | null =>
      v.length
        ? round2(
            quantile(
              v.sort((a, b) => a - b),
              0.99,
            ),
          )
        : null
    const p99New = p99Of(newLatencies)
    const p99Duplicate = p99Of(duplicateLatencies)
    log(
      `${deliveries.length} deliveries in ${seconds.toFixed(2)} s = ${eps}/s; latency p50 ${p50} ms, p99 ${p99} ms, ` +
        `max ${round2(latencies.at(-1) ?? 0)} ms (p99 of the new events' ${p99New} ms, of the duplicates' ${p99Duplicate} ms); ` +
        `new rows ${fresh}, non-2xx ${non2xx}`,
    )
    // CPU per delivery is what the machine's load does not change: it bounds events/s per core.
    log(
      `CPU per delivery: API process ${serverCpuUs} µs, worker process ${workerCpuUs} µs (applying, meanwhile), ` +
        `load generator (${clientKind}) ${clientCpuUs} µs, PostgreSQL backends ${pgCpuUs} µs ` +
        `(serving the API ${pgCpuByOwner.api}, the worker ${pgCpuByOwner.worker}, the bench ${pgCpuByOwner.bench}); ` +
        `load average ${load} on ${cpus().length} cores`,
    )

    log(
      `server-side latency (bucket bounds) p50 ≤ ${serverP50} ms, p99 ≤ ${serverP99} ms; event-loop delay p99: ` +
        `API ${serverLagP99} ms (max ${serverLagMax} ms), load generator ${clientLagP99} ms; ` +
        `${commitsPerDelivery} transactions per delivery (all processes)`,
    )

    // 4. Wait for the workers to drain the bench's events (the tracker sees each effect land), then count effects.
    t0 = performance.now()
    const unapplied = applyEffects ? await effects.drain(900_000) : fresh
    const applied = effects.figures()
    // CPU per delivery from the first delivery to the drain's end: the figures above stop at the last
    // answer, so they hold more or less of the effects' work (and of the consumers of the events the
    // effects emit) depending on how far the applier lagged — runs that drain differently compare
    // only on these (session 15).
    const perDelivery = (cpu: number) => Math.round((cpu * 1e6) / deliveries.length)
    const drainedCpu = {
      server: perDelivery(treeCpuSeconds(server.pid) - serverCpu0),
      worker: perDelivery(cpuSeconds(worker?.pid) - workerCpu0),
      pg: pgCpuOf(),
      pgApi: pgCpuOf('api'),
      pgWorker: pgCpuOf('worker'),
    }
    if (applyEffects)
      log(
        `CPU per delivery through the drain: API process ${drainedCpu.server} µs, worker ${drainedCpu.worker} µs, ` +
          `PostgreSQL backends ${drainedCpu.pg} µs (serving the API ${drainedCpu.pgApi}, the worker ${drainedCpu.pgWorker})`,
      )
    // Not applied (`--apply 0`): no effect latency to report (null in the JSON line).
    const effectP50 = applyEffects ? round2(quantile(applied.latencies, 0.5)) : null
    const effectP99 = applyEffects ? round2(quantile(applied.latencies, 0.99)) : null
    log(
      `inbox drained in ${((performance.now() - t0) / 1000).toFixed(1)} s after the last delivery ` +
        `(${applied.latencies.length} applied, ${unapplied} left); receipt → ledger effect p50 ${effectP50} ms, ` +
        `p99 ${effectP99} ms, max ${round2(applied.latencies.at(-1) ?? 0)} ms; ${applied.appliedPerSecond} events applied/s`,
    )
    // Receipt → round start → effect seen, per applied event (bench/webhooks-stages.ts).
    const stages = applyEffects ? await stagesOf(services, effects.effectTimes(), claimBatch) : null
    if (stages)
      log(
        `stages: receipt → round start p50 ${stages.toRoundP50Ms} ms, p99 ${stages.toRoundP99Ms} ms; ` +
          `round start → effect seen p50 ${stages.inRoundP50Ms} ms, p99 ${stages.inRoundP99Ms} ms; ` +
          `${stages.rounds} rounds of ${stages.meanRoundRows} rows on average, ` +
          `${Math.round(stages.inFullRounds * 100)} % of the events in full rounds (${claimBatch} rows)`,
      )
    const counts = await services.gatewayWebhooks.counts(tenant)
    const ledgerEffects = (await postedTransactions(services, tenant)) - before
    const verify = await services.ledger.verify(tenant)
    log(
      `inbox for the tenant: ${JSON.stringify(counts)}; ledger transactions from the events: ${ledgerEffects}`,
    )
    log(`ledger verify: ${verify.ok ? 'ok' : JSON.stringify(verify.violations.slice(0, 5))}`)
    log(
      JSON.stringify({
        bench: 'webhooks',
        mode: rate > 0 ? 'open' : 'closed',
        // Offered: the schedule's rate (open loop) or null (closed loop: clients wait for answers).
        offered_eps: rate > 0 ? rate : null,
        order,
        first_copy_peak_eps: firstCopyPeak,
        concurrency,
        api_only: apiOnly,
        intake_processes: intakeProcesses,
        apply: applyEffects,
        eps,
        p99_ms: p99,
        p99_new_ms: p99New,
        p99_duplicate_ms: p99Duplicate,
        p50_ms: p50,
        non_2xx: non2xx,
        effect_p50_ms: effectP50,
        effect_p99_ms: effectP99,
        to_round_p50_ms: stages?.toRoundP50Ms ?? null,
        to_round_p99_ms: stages?.toRoundP99Ms ?? null,
        in_round_p50_ms: stages?.inRoundP50Ms ?? null,
        in_round_p99_ms: stages?.inRoundP99Ms ?? null,
        rounds: stages?.rounds ?? null,
        mean_round_rows: stages?.meanRoundRows ?? null,
        in_full_rounds: stages?.inFullRounds ?? null,
        applied_eps: applied.appliedPerSecond,
        deliveries: deliveries.length,
        distinct,
        stored: fresh,
        effects: ledgerEffects,
        dead: counts.dead,
        server_cpu_us: serverCpuUs,
        worker_cpu_us: workerCpuUs,
        client: clientKind,
        client_cpu_us: clientCpuUs,
        pg_cpu_us: pgCpuUs,
        pg_cpu_api_us: pgCpuByOwner.api,
        pg_cpu_worker_us: pgCpuByOwner.worker,
        pg_cpu_bench_us: pgCpuByOwner.bench,
        drained_server_cpu_us: applyEffects ? drainedCpu.server : null,
        drained_worker_cpu_us: applyEffects ? drainedCpu.worker : null,
        drained_pg_cpu_us: applyEffects ? drainedCpu.pg : null,
        drained_pg_cpu_api_us: applyEffects ? drainedCpu.pgApi : null,
        drained_pg_cpu_worker_us: applyEffects ? drainedCpu.pgWorker : null,
        server_p50_ms: serverP50,
        server_p99_ms: serverP99,
        server_lag_p99_ms: serverLagP99,
        client_lag_p99_ms: clientLagP99,
        commits_per_delivery: commitsPerDelivery,
        linger_ms: linger >= 0 ? linger : 'default',
        server_node_options: serverNodeOptions || null,
        worker_loops: applyEffects ? workerLoops : null,
        claim_batch: applyEffects ? claimBatch : null,
        load,
        verify: verify.ok ? 'ok' : 'failed',
      }),
    )
  } finally {
    agent.destroy()
    raw?.close()
    await stopMoneta(server)
    if (traceFile) logTrace(traceFile, clientP99, receiptWaits)
    if (worker) await stopMoneta(worker)
    await services.ledger.close()
    await services.db.close()
    await database.release()
  }
}
