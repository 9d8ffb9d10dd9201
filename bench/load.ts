import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { signSandboxWebhook } from '../src/modules/payments/index.js'

/**
 * npm run bench -- load [--minutes 10] [--rate 40] [--database-url URL] [--redis-url URL]
 *
 * The API as deployed: `moneta start` as a child process on PostgreSQL + Redis (its own Redis key
 * prefix), driven at a fixed request rate (open loop: requests leave on schedule whether or not earlier
 * ones answered) with a mixed workload — payments, payment reads, ledger transfers, screening checks,
 * monitoring decisions and signed gateway webhooks. Figures come from the server's own /metrics:
 * requests and errors per route, p99 per route (from the latency histograms, over the measured
 * window), and memory growth (resident set and heap after warm-up vs at the end: a leak check).
 * Ends with one JSON line.
 */
const arg = (args: string[], name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback
}
const log = (s: string) => process.stdout.write(`${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))))
    })
  })
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

/** p99 of one route over a window, from the cumulative histogram buckets of two scrapes. */
function p99(
  before: Map<string, number>,
  after: Map<string, number>,
  method: string,
  route: string,
): number | null {
  const prefix = `moneta_http_request_duration_seconds_bucket{le="`
  const suffix = `",method="${method}",route="${route}"}`
  const buckets: { le: number; n: number }[] = []
  for (const [k, v] of after) {
    if (!k.startsWith(prefix) || !k.endsWith(suffix)) continue
    const le = k.slice(prefix.length, k.length - suffix.length)
    buckets.push({ le: le === '+Inf' ? Infinity : Number(le), n: v - (before.get(k) ?? 0) })
  }
  buckets.sort((a, b) => a.le - b.le)
  const total = buckets.at(-1)?.n ?? 0
  if (total === 0) return null
  const bucket = buckets.find((b) => b.n >= total * 0.99)
  return bucket ? bucket.le * 1000 : null
}

interface Op {
  readonly name: string
  readonly weight: number
  run(): Promise<number>
}

export async function main(args: string[]): Promise<void> {
  const minutes = Number(arg(args, 'minutes', '10'))
  const rate = Number(arg(args, 'rate', '40'))
  const databaseUrl = arg(
    args,
    'database-url',
    process.env.DATABASE_URL ??
      process.env.MONETA_TEST_DATABASE_URL ??
      'postgres://postgres@127.0.0.1:5432/moneta_fuzz',
  )
  const redisUrl = arg(
    args,
    'redis-url',
    process.env.REDIS_URL ?? process.env.MONETA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  )
  const port = await freePort()
  const apiKey = `load-${randomBytes(24).toString('hex')}`
  const gatewaySecret = `whsec_${randomBytes(32).toString('base64')}`
  const base = `http://127.0.0.1:${port}`
  log(
    `load: moneta start on :${port}, ${databaseUrl.replace(/\/\/[^@]*@/, '//')}, ${redisUrl}, ${rate} req/s for ${minutes} min`,
  )

  const child: ChildProcess = spawn('node', ['bin/moneta.js', 'start'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      MONETA_REDIS_PREFIX: `moneta-load-${process.pid}`,
      MONETA_API_KEY: apiKey,
      MONETA_SANDBOX_WEBHOOK_SECRET: gatewaySecret,
      MONETA_CONFIG_FILE: '',
      LOG_LEVEL: 'warn',
      MONETA_RATE_LIMIT_PER_KEY: '100000000',
      MONETA_RATE_LIMIT_WEBHOOKS: '100000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  // Read through a function: TypeScript cannot see the callback assign it.
  const state: { exited: number | null } = { exited: null }
  child.on('exit', (code) => (state.exited = code ?? -1))
  const exited = () => state.exited
  try {
    for (let i = 0; ; i++) {
      if (exited() !== null) throw new Error(`moneta start exited with ${String(exited())}`)
      if (i > 240) throw new Error('moneta start did not answer /health within 120 s')
      const ok = await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) break
      await sleep(500)
    }
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
    let seq = 0
    const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { ...headers, 'idempotency-key': `load-${process.pid}-${++seq}`, ...extra },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await r.text()
      return { status: r.status, text }
    }
    const scrape = async () => parseMetrics((await call('GET', '/metrics')).text)

    // Setup: two ledger accounts, an active monitoring rule set, one payment to read back.
    const run = `l${process.pid}${Date.now().toString(36)}`
    await call('POST', '/v1/accounts', { id: `${run}-cash`, currency: 'USD', normalSide: 'debit' })
    await call('POST', '/v1/accounts', { id: `${run}-wallet`, currency: 'USD', normalSide: 'credit' })
    const saved = await call('POST', '/v1/monitoring/rule-sets', {
      rules: [{ id: 'big', when: 'txn.amount >= 1000000', outcome: 'review', score: 10, reason: 'Large' }],
    })
    const version = (JSON.parse(saved.text) as { version?: number }).version
    if (version) await call('POST', `/v1/monitoring/rule-sets/${version}/activate`)
    const paymentIds: string[] = []
    const refs: string[] = []

    const ops: Op[] = [
      {
        name: 'POST /v1/payments',
        weight: 30,
        async run() {
          const r = await call('POST', '/v1/payments', {
            amount: String(100 + (seq % 5000)),
            currency: 'USD',
            paymentMethod: 'pm_card_visa',
          })
          if (r.status === 201) {
            const p = JSON.parse(r.text) as { id: string; gatewayRef: string | null }
            paymentIds.push(p.id)
            if (p.gatewayRef) refs.push(p.gatewayRef)
            if (paymentIds.length > 1000) paymentIds.shift()
            if (refs.length > 1000) refs.shift()
          }
          return r.status
        },
      },
      {
        name: 'GET /v1/payments/:id',
        weight: 10,
        run: async () =>
          (
            await call(
              'GET',
              `/v1/payments/${paymentIds[seq % Math.max(1, paymentIds.length)] ?? 'pay_none'}`,
            )
          ).status,
      },
      {
        name: 'POST /v1/transactions',
        weight: 25,
        run: async () =>
          (
            await call('POST', '/v1/transactions', {
              legs: [{ source: `${run}-cash`, destination: `${run}-wallet`, amount: '100', currency: 'USD' }],
            })
          ).status,
      },
      {
        name: 'POST /v1/screening/check',
        weight: 15,
        run: async () =>
          (await call('POST', '/v1/screening/check', { name: `Customer ${seq % 997} Smith` })).status,
      },
      {
        name: 'POST /v1/monitoring/evaluate',
        weight: 10,
        run: async () =>
          (
            await call('POST', '/v1/monitoring/evaluate', {
              id: `${run}-t${seq}`,
              amount: String(1000 + (seq % 100_000)),
              currency: 'USD',
              kind: 'transfer',
              src: `acct-${seq % 50}`,
              dst: `acct-${(seq * 7) % 50}`,
            })
          ).status,
      },
      {
        name: 'POST /v1/webhooks/:gateway',
        weight: 10,
        async run() {
          // A signed capture event for one of our payments (the gateway already told us: applied as a duplicate fact).
          const id = `evt_${run}_${seq}`
          const body = JSON.stringify({
            id,
            type: 'payment.captured',
            created: new Date().toISOString(),
            data: { paymentRef: refs[seq % Math.max(1, refs.length)] ?? 'sbx_none', currency: 'USD' },
          })
          const r = await fetch(`${base}/v1/webhooks/sandbox`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...signSandboxWebhook(gatewaySecret, body, { id, at: new Date() }),
            },
            body,
          })
          await r.text()
          return r.status
        },
      },
    ]
    const totalWeight = ops.reduce((n, o) => n + o.weight, 0)
    const pickOp = (i: number): Op => {
      let x = (i * 7919) % totalWeight
      for (const o of ops) {
        if (x < o.weight) return o
        x -= o.weight
      }
      return ops[0]!
    }

    // Open loop at a fixed rate. Warm-up: the first 10 % (at most a minute) is not measured.
    const durationMs = minutes * 60_000
    const warmupMs = Math.min(60_000, durationMs * 0.1)
    const started = Date.now()
    let sent = 0
    let clientErrors = 0
    let transportErrors = 0
    const inFlight = new Set<Promise<void>>()
    const memory: { at: number; rss: number; heap: number }[] = []
    let before: Map<string, number> | undefined
    let nextSample = started + warmupMs
    while (Date.now() - started < durationMs) {
      const due = started + (sent * 1000) / rate
      const wait = due - Date.now()
      if (wait > 0) await sleep(wait)
      const op = pickOp(sent++)
      const p = op
        .run()
        .then((status) => {
          if (status >= 400) clientErrors++
        })
        .catch(() => void transportErrors++)
        .finally(() => inFlight.delete(p))
      inFlight.add(p)
      if (Date.now() >= nextSample) {
        nextSample += 30_000
        const m = await scrape()
        before ??= m
        memory.push({
          at: Math.round((Date.now() - started) / 1000),
          rss: m.get('moneta_process_resident_memory_bytes') ?? 0,
          heap: m.get('moneta_nodejs_heap_size_used_bytes') ?? 0,
        })
        const last = memory.at(-1)!
        log(
          `load: ${last.at} s, ${sent} sent, ${inFlight.size} in flight, rss ${(last.rss / 2 ** 20).toFixed(0)} MiB, heap ${(last.heap / 2 ** 20).toFixed(0)} MiB`,
        )
      }
    }
    await Promise.allSettled([...inFlight])
    const after = await scrape()
    memory.push({
      at: Math.round((Date.now() - started) / 1000),
      rss: after.get('moneta_process_resident_memory_bytes') ?? 0,
      heap: after.get('moneta_nodejs_heap_size_used_bytes') ?? 0,
    })
    before ??= after
    const elapsed = (Date.now() - started) / 1000

    const routes: Record<
      string,
      { requests: number; errors5xx: number; errors4xx: number; p99Ms: number | null }
    > = {}
    for (const o of ops) {
      const [method, route] = o.name.split(' ') as [string, string]
      let requests = 0
      let e5 = 0
      let e4 = 0
      for (const [k, v] of after) {
        if (
          !k.startsWith('moneta_http_requests_total{') ||
          !k.includes(`method="${method}",route="${route}"`)
        )
          continue
        const n = v - (before.get(k) ?? 0)
        requests += n
        const status = /status="(\d+)"/.exec(k)?.[1] ?? ''
        if (status.startsWith('5')) e5 += n
        if (status.startsWith('4')) e4 += n
      }
      routes[o.name] = { requests, errors5xx: e5, errors4xx: e4, p99Ms: p99(before, after, method, route) }
      log(
        `load: ${o.name}: ${requests} measured, ${e5} × 5xx, ${e4} × 4xx, p99 ${routes[o.name]!.p99Ms ?? '–'} ms (bucket bound)`,
      )
    }
    const first = memory[0]!
    const last = memory.at(-1)!
    const result = {
      bench: 'load',
      minutes,
      targetRate: rate,
      achievedRate: Math.round((sent / elapsed) * 10) / 10,
      sent,
      transportErrors,
      responses4xxOr5xx: clientErrors,
      errors5xx: Object.values(routes).reduce((n, r) => n + r.errors5xx, 0),
      routes,
      memory: {
        rssAfterWarmupMiB: Math.round(first.rss / 2 ** 20),
        rssEndMiB: Math.round(last.rss / 2 ** 20),
        heapAfterWarmupMiB: Math.round(first.heap / 2 ** 20),
        heapEndMiB: Math.round(last.heap / 2 ** 20),
        samples: memory.length,
      },
      serverExited: exited(),
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    child.kill('SIGTERM')
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10_000)])
    if (exited() === null) child.kill('SIGKILL')
  }
}
