import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { connect } from '../src/shared/db/connect.js'
import { createLedger } from '../src/modules/ledger/index.js'
import { DEFAULT_TENANT } from '../src/modules/platform/index.js'
import { systemClock } from '../src/shared/clock.js'
import { systemIds } from '../src/shared/ids.js'
import { arg, benchDatabase, load, log, pct, round, str } from './args.js'
import { startMoneta, stopMoneta } from './moneta-process.js'
import { cpuSeconds } from './webhooks.js'
import { RawClient, rawRequest } from './webhooks-client.js'

/**
 * npm run bench -- payments-async-http [--commands 100000] [--connections 64] [--batch 1] [--worker 0|1] [--bus memory|redis] [--port 3391] [--postgres URL] [--keep]
 * The asynchronous intake (issue #18 item 5) as a client meets it: `moneta start` in a child process
 * (API, outbox relay and the payments-commands consumers in one Node process, in-process bus, as
 * the README's quick start on PostgreSQL), and `--commands` automatic-capture payment commands of ONE
 * merchant sent as `POST /v1/payments?async=true` with their own Idempotency-Key and API key, from
 * `--connections` keep-alive connections (closed loop: each sends its next command once answered;
 * requests built before the run, bench/webhooks-client.ts). bench/payments-async.ts measures the
 * service alone; this adds HTTP, authentication, validation and the per-request audit entry, and
 * the consumers apply while the burst is still arriving (they share the server's core). `--batch N`
 * (N > 1): the commands go N to a request through `POST /v1/payments/commands` (each item its own key).
 * `--worker 1`: a `moneta worker` process joins the consumer group too (the second core); `--bus
 * redis`: Redis Streams (REDIS_URL, default redis://127.0.0.1:6379) instead of each process's own
 * in-process bus (with which each process's relay hands the outbox rows it claims to its own consumers).
 * Figures: accepted/s and 202 latency over the burst; every command applied (time from the first
 * request to the last command completed, and from the burst's end); exactly once (one payment per
 * command, none failed); `ledger verify`; the server's CPU per command. Ends with one JSON line.
 */
export async function main(args: string[]): Promise<void> {
  const total = arg(args, 'commands', 100_000)
  const connections = arg(args, 'connections', 64)
  const batch = arg(args, 'batch', 1)
  const withWorker = arg(args, 'worker', 0) === 1
  const bus = str(args, 'bus') ?? 'memory'
  const redisUrl = bus === 'redis' ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : ''
  const port = arg(args, 'port', 3391)
  const database = await benchDatabase(args, 'payments_async_http')
  const apiKey = `mk_benchasync_${systemIds('k').slice(-24)}`
  const run = systemIds('run')
  log(
    `payments-async-http bench: ${database.url.replace(/\/\/[^@]*@/, '//')}; ${total} commands over ${connections} connections, ${batch} per request; load ${load()}\n` +
      `re-run: npm run bench -- payments-async-http ${args.join(' ')}`,
  )
  const env = {
    DATABASE_URL: database.url,
    MONETA_CONFIG_FILE: '',
    LOG_LEVEL: 'warn',
    REDIS_URL: redisUrl,
    MONETA_REDIS_PREFIX: `bench_${run}`,
    MONETA_EVENT_BUS: bus,
    MONETA_LISTS_REFRESH_MS: '0',
    MONETA_LISTS_SOURCES: 'none',
  }
  const server = await startMoneta(
    'start',
    { ...env, PORT: String(port), HOST: '127.0.0.1', MONETA_API_KEY: apiKey },
    'listening',
  )
  const worker = withWorker ? await startMoneta('worker', env, 'worker running') : undefined
  const h = await connect({ databaseUrl: database.url, poolSize: 2 })
  const raw = new RawClient(port, connections)
  try {
    const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
    const command = (i: number) => ({
      amount: String(100 + (i % 900)),
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
    })
    // The merchant's accounts exist before the burst (made by a first payment).
    const warm = await raw.request(
      rawRequest(
        port,
        '/v1/payments',
        { ...auth, 'idempotency-key': `${run}-warm` },
        JSON.stringify(command(0)),
      ),
    )
    if (warm.status !== 201) throw new Error(`warm-up payment answered ${warm.status}: ${warm.body}`)
    const requests =
      batch > 1
        ? Array.from({ length: Math.ceil(total / batch) }, (_, r) => {
            const items = Array.from({ length: Math.min(batch, total - r * batch) }, (_, j) => {
              const i = r * batch + j
              return { idempotencyKey: `${run}-${i}`, ...command(i) }
            })
            return rawRequest(port, '/v1/payments/commands', auth, JSON.stringify({ items }))
          })
        : Array.from({ length: total }, (_, i) =>
            rawRequest(
              port,
              '/v1/payments?async=true',
              { ...auth, 'idempotency-key': `${run}-${i}` },
              JSON.stringify(command(i)),
            ),
          )
    // Commands a 202 accepted: each of a batch's items that carries a command id.
    const acceptedIn = (status: number, body: string) =>
      status !== 202 ? 0 : batch > 1 ? (body.match(/"commandId"/g) ?? []).length : 1

    // 1. accept
    const latencies: number[] = []
    const statuses = new Map<number, number>()
    let accepted = 0
    let next = 0
    // CPU seconds of the Moneta processes (the server, and the worker when there is one).
    const monetaCpu = () => cpuSeconds(server.pid) + (worker ? cpuSeconds(worker.pid) : 0)
    const cpu0 = monetaCpu()
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: connections }, async () => {
        for (let i = next++; i < requests.length; i = next++) {
          const s = performance.now()
          const a = await raw.request(requests[i]!)
          latencies.push(performance.now() - s)
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
          accepted += acceptedIn(a.status, a.body)
        }
      }),
    )
    const acceptMs = performance.now() - t0
    latencies.sort((a, b) => a - b)
    const acceptRate = Math.round(total / (acceptMs / 1000))
    log(
      `accepted ${accepted} of ${total} in ${(acceptMs / 1000).toFixed(2)} s = ${acceptRate}/s; request latency p50 ${round(pct(latencies, 0.5))} ms, p99 ${round(pct(latencies, 0.99))} ms; answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    )

    // 2. applied: the server's own consumers work through the commands (they started during the burst).
    const counts = async () => {
      const r = await sql<{ status: string; n: string }>`
        SELECT status, count(*) AS n FROM payment_commands WHERE tenant_id = ${DEFAULT_TENANT} GROUP BY status`.execute(
        h.db,
      )
      return Object.fromEntries(r.rows.map((x) => [x.status, Number(x.n)])) as Record<string, number>
    }
    let c = await counts()
    let lastLog = performance.now()
    while ((c.accepted ?? 0) > 0) {
      await new Promise((r) => setTimeout(r, 250))
      c = await counts()
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now()
        log(`  ${(c.succeeded ?? 0) + (c.failed ?? 0)}/${total} applied`)
      }
    }
    const doneMs = performance.now() - t0
    const cpuUs = ((monetaCpu() - cpu0) * 1e6) / total
    const completeRate = Math.round(total / (doneMs / 1000))
    log(
      `all applied ${(doneMs / 1000).toFixed(2)} s after the first request (${((doneMs - acceptMs) / 1000).toFixed(2)} s after the last) = ${completeRate}/s end to end; ${JSON.stringify(c)}; CPU of the Moneta processes ${Math.round(cpuUs)} µs per command`,
    )

    // 3. exactly once
    const p = await sql<{
      n: string
    }>`SELECT count(*) AS n FROM payments WHERE tenant_id = ${DEFAULT_TENANT}`.execute(h.db)
    const paymentsMade = Number(p.rows[0]!.n) - 1 // less the warm-up
    const ledger = createLedger({ db: h.db, clock: systemClock, ids: systemIds })
    const verify = (await ledger.verify(DEFAULT_TENANT)).ok ? 'ok' : 'violations'
    await ledger.close()
    log(`payments ${paymentsMade} for ${total} commands; ledger verify ${verify}; load average ${load()}`)
    log(
      JSON.stringify({
        bench: 'payments-async-http',
        commands: total,
        connections,
        batch,
        worker: withWorker,
        bus,
        accept_per_s: acceptRate,
        accept_p50_ms: round(pct(latencies, 0.5)),
        accept_p99_ms: round(pct(latencies, 0.99)),
        not_accepted: total - accepted,
        complete_per_s: completeRate,
        drain_after_burst_s: round((doneMs - acceptMs) / 1000),
        succeeded: c.succeeded ?? 0,
        failed: c.failed ?? 0,
        payments: paymentsMade,
        server_cpu_us: Math.round(cpuUs),
        verify,
        load: load(),
      }),
    )
  } finally {
    raw.close()
    await h.close()
    await stopMoneta(server)
    if (worker) await stopMoneta(worker)
    await database.release()
  }
}
