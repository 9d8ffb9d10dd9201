import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { connect } from '../src/shared/db/connect.js'
import { createLedger } from '../src/modules/ledger/index.js'
import { DEFAULT_TENANT } from '../src/modules/platform/index.js'
import { systemClock } from '../src/shared/clock.js'
import { systemIds } from '../src/shared/ids.js'
import { arg, benchDatabase, load, log, pct, round } from './args.js'
import { startMoneta, stopMoneta } from './moneta-process.js'
import { cpuSeconds } from './webhooks.js'
import { RawClient, rawRequest } from './webhooks-client.js'

/**
 * npm run bench -- payments-async-http [--commands 100000] [--connections 64] [--port 3391] [--postgres URL] [--keep]
 * The asynchronous intake (issue #18 item 5) as a client meets it: `moneta start` in a child process
 * (API, outbox relay and the payments-commands consumers in one Node process, in-process bus, as
 * the README's quick start on PostgreSQL), and `--commands` automatic-capture payment commands of ONE
 * merchant sent as `POST /v1/payments?async=true` with their own Idempotency-Key and API key, from
 * `--connections` keep-alive connections (closed loop: each sends its next command once answered;
 * requests built before the run, bench/webhooks-client.ts). bench/payments-async.ts measures the
 * service alone; this adds HTTP, authentication, validation and the per-request audit entry, and
 * the consumers apply while the burst is still arriving (they share the server's core).
 * Figures: accepted/s and 202 latency over the burst; every command applied (time from the first
 * request to the last command completed, and from the burst's end); exactly once (one payment per
 * command, none failed); `ledger verify`; the server's CPU per command. Ends with one JSON line.
 */
export async function main(args: string[]): Promise<void> {
  const total = arg(args, 'commands', 100_000)
  const connections = arg(args, 'connections', 64)
  const port = arg(args, 'port', 3391)
  const database = await benchDatabase(args, 'payments_async_http')
  const apiKey = `mk_benchasync_${systemIds('k').slice(-24)}`
  const run = systemIds('run')
  log(
    `payments-async-http bench: ${database.url.replace(/\/\/[^@]*@/, '//')}; ${total} commands over ${connections} connections; load ${load()}\n` +
      `re-run: npm run bench -- payments-async-http ${args.join(' ')}`,
  )
  const server = await startMoneta(
    'start',
    {
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      MONETA_API_KEY: apiKey,
      MONETA_CONFIG_FILE: '',
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
      MONETA_EVENT_BUS: 'memory',
      MONETA_LISTS_REFRESH_MS: '0',
      MONETA_LISTS_SOURCES: 'none',
    },
    'listening',
  )
  const h = await connect({ databaseUrl: database.url, poolSize: 2 })
  const raw = new RawClient(port, connections)
  try {
    const request = (key: string, amount: number, async: boolean) =>
      rawRequest(
        port,
        async ? '/v1/payments?async=true' : '/v1/payments',
        { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
        JSON.stringify({ amount: String(amount), currency: 'USD', paymentMethod: 'pm_card_visa' }),
      )
    // The merchant's accounts exist before the burst (made by a first payment).
    const warm = await raw.request(request(`${run}-warm`, 100, false))
    if (warm.status !== 201) throw new Error(`warm-up payment answered ${warm.status}: ${warm.body}`)
    const requests = Array.from({ length: total }, (_, i) => request(`${run}-${i}`, 100 + (i % 900), true))

    // 1. accept
    const latencies: number[] = []
    const statuses = new Map<number, number>()
    let next = 0
    const cpu0 = cpuSeconds(server.pid)
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: connections }, async () => {
        for (let i = next++; i < total; i = next++) {
          const s = performance.now()
          const a = await raw.request(requests[i]!)
          latencies.push(performance.now() - s)
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
        }
      }),
    )
    const acceptMs = performance.now() - t0
    latencies.sort((a, b) => a - b)
    const accepted = statuses.get(202) ?? 0
    const acceptRate = Math.round(total / (acceptMs / 1000))
    log(
      `accepted ${accepted} of ${total} in ${(acceptMs / 1000).toFixed(2)} s = ${acceptRate}/s; 202 latency p50 ${round(pct(latencies, 0.5))} ms, p99 ${round(pct(latencies, 0.99))} ms; answers ${JSON.stringify(Object.fromEntries(statuses))}`,
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
    const cpuUs = ((cpuSeconds(server.pid) - cpu0) * 1e6) / total
    const completeRate = Math.round(total / (doneMs / 1000))
    log(
      `all applied ${(doneMs / 1000).toFixed(2)} s after the first request (${((doneMs - acceptMs) / 1000).toFixed(2)} s after the last) = ${completeRate}/s end to end; ${JSON.stringify(c)}; server CPU ${Math.round(cpuUs)} µs per command`,
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
        accept_per_s: acceptRate,
        accept_p50_ms: round(pct(latencies, 0.5)),
        accept_p99_ms: round(pct(latencies, 0.99)),
        non_202: total - accepted,
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
    await database.release()
  }
}
