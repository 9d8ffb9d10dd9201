import { subscribe } from 'node:diagnostics_channel'
import { writeFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { pct, round } from './args.js'

/**
 * Where a webhook request's time goes inside the API process (issue #18, session 21), for
 * `npm run bench -- webhooks --trace FILE`: bench/webhooks-trace-preload.ts loads `recordTrace` into
 * `moneta start` only, and the bench reads the file the server writes on exit. Recorded, on the
 * process's own clock (performance.now(), ms):
 *  - each `POST /v1/webhooks/…`: Node's HTTP parser handed it over (`http.server.request.start`) and
 *    its answer was written (`http.server.response.finish`);
 *  - each receipt INSERT (the inbox's group commit): sent to and answered by PostgreSQL, as the pg
 *    client sees it (so an answer that waits for a busy event loop counts in the INSERT);
 *  - each event-loop iteration longer than 3 ms, seen by a 1 ms timer, with the process's CPU time
 *    (all its threads) meanwhile: an iteration whose CPU is close to its length ran code (or GC) all
 *    along and would stall as long on an idle core; one with little CPU waited for a core;
 *  - garbage collections (kind and length).
 * What the file cannot hold: the time before the HTTP parser saw a request (the generator's own
 * delay, the socket, an event loop busy elsewhere). The bench's client-side latency minus the server
 * time is that part.
 */
export interface TraceData {
  /** Flat [start, finish, start, finish, …] of the webhook requests. */
  readonly reqs: number[]
  /** Flat [sent, answered, …] of the receipt INSERTs. */
  readonly inserts: number[]
  /** Flat [start, length, cpuMs, …] of the event-loop iterations longer than 3 ms. */
  readonly gaps: number[]
  /** Flat [start, length, kind, …] of the garbage collections (kind: 1 scavenge, 4 mark-compact…). */
  readonly gcs: number[]
  /** process.hrtime in µs at performance.now() 0: maps the trace onto a `--cpu-prof` profile's clock. */
  hrOffsetUs?: number
}

/** Installs the recorders in this process; writes the trace to `out` when it exits. */
export function recordTrace(out: string): void {
  const data: TraceData = { reqs: [], inserts: [], gaps: [], gcs: [] }
  const started = new WeakMap<IncomingMessage, number>()
  subscribe('http.server.request.start', (msg) => {
    const { request } = msg as { request: IncomingMessage }
    if (request.url?.startsWith('/v1/webhooks/')) started.set(request, performance.now())
  })
  subscribe('http.server.response.finish', (msg) => {
    const at = started.get((msg as { request: IncomingMessage }).request)
    if (at !== undefined) data.reqs.push(at, performance.now())
  })
  // pg is an external package of the CLI bundle: this is the instance the server's pool uses.
  const pg = createRequire(`${process.cwd()}/package.json`)('pg') as {
    Client: { prototype: { query: (...args: unknown[]) => unknown } }
  }
  const query = pg.Client.prototype.query
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: unknown } | undefined
    const text = typeof first === 'string' ? first : first?.text
    const result = query.apply(this, args)
    if (typeof text === 'string' && text.includes('INSERT INTO payment_webhook_inbox')) {
      const sent = performance.now()
      if (result instanceof Promise)
        result.then(
          () => data.inserts.push(sent, performance.now()),
          () => undefined,
        )
    }
    return result
  }
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  setInterval(() => {
    const now = performance.now()
    const cpu = process.cpuUsage()
    if (now - last > 3)
      data.gaps.push(last, now - last, (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000)
    last = now
    lastCpu = cpu
  }, 1).unref()
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      data.gcs.push(e.startTime, e.duration, (e as { detail?: { kind?: number } }).detail?.kind ?? 0)
  }).observe({ entryTypes: ['gc'] })
  process.on('exit', () => {
    data.hrOffsetUs = Number(process.hrtime.bigint() / 1000n) - Math.round(performance.now() * 1000)
    writeFileSync(out, JSON.stringify(data))
  })
}

export interface TraceFigures {
  readonly requests: number
  /** Request handed over by the HTTP parser → its answer written (ms). */
  readonly serverP50Ms: number
  readonly serverP99Ms: number
  /** Of each request: start → its receipt INSERT sent (handler, batcher queue and linger). */
  readonly toInsertP99Ms: number
  /** Its INSERT, sent → answered as the event loop saw it (PostgreSQL, fsync, a busy loop). */
  readonly insertP99Ms: number
  /** INSERT answered → its answer written (the batch's answers are written one after another). */
  readonly afterInsertP99Ms: number
  /** The slowest 1 % of requests (server time): mean of each part, ms. */
  readonly tail: {
    readonly totalMs: number
    readonly toInsertMs: number
    readonly insertMs: number
    readonly afterInsertMs: number
  }
  /** Event-loop iterations over 10 ms during the run: count, share of the run's wall time, and their CPU share. */
  readonly longIterations: number
  readonly longIterationWallShare: number
  readonly longIterationCpuShare: number
  /** Iterations that used ≥ 10 ms of CPU: as long on an idle core (code or GC, not waiting for one). */
  readonly cpuBoundIterations: number
  readonly maxIterationCpuMs: number
  /** Garbage collection during the run: count, share of wall time, longest (ms). */
  readonly gcs: number
  readonly gcWallShare: number
  readonly gcMaxMs: number
}

const pairs = <T>(flat: readonly number[], width: number, make: (xs: number[]) => T): T[] => {
  const out: T[] = []
  for (let i = 0; i + width <= flat.length; i += width) out.push(make(flat.slice(i, i + width)))
  return out
}
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length)
const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)

/**
 * The figures of a trace, over the requests after the first `skip` (the bench's warm-up). A request's
 * INSERT is the last one answered before its answer was written: the batch it joined.
 */
export function traceFigures(data: TraceData, skip: number): TraceFigures {
  const reqs = pairs(data.reqs, 2, ([s, f]) => ({ s: s!, f: f! }))
    .sort((a, b) => a.s - b.s)
    .slice(skip)
  const inserts = pairs(data.inserts, 2, ([s, e]) => ({ s: s!, e: e! })).sort((a, b) => a.e - b.e)
  const from = reqs[0]?.s ?? 0
  const to = reqs.reduce((m, r) => Math.max(m, r.f), from)
  const parts = reqs.flatMap((r) => {
    let lo = 0
    let hi = inserts.length - 1
    let k = -1
    while (lo <= hi) {
      const m = (lo + hi) >> 1
      if (inserts[m]!.e <= r.f) {
        k = m
        lo = m + 1
      } else hi = m - 1
    }
    const b = inserts[k]
    if (!b || b.s < r.s) return []
    return [{ total: r.f - r.s, toInsert: b.s - r.s, insert: b.e - b.s, afterInsert: r.f - b.e }]
  })
  const q99 = (k: keyof (typeof parts)[number]) => round(pct(sorted(parts.map((p) => p[k])), 0.99))
  const tail = [...parts].sort((a, b) => b.total - a.total).slice(0, Math.ceil(parts.length / 100))
  const wall = Math.max(to - from, 1e-9)
  const gaps = pairs(data.gaps, 3, ([s, len, cpu]) => ({ s: s!, len: len!, cpu: cpu! })).filter(
    (g) => g.s >= from && g.s <= to,
  )
  const long = gaps.filter((g) => g.len > 10)
  const longWall = long.reduce((a, g) => a + g.len, 0)
  const gcs = pairs(data.gcs, 3, ([s, len]) => ({ s: s!, len: len! })).filter((g) => g.s >= from && g.s <= to)
  const totals = sorted(parts.map((p) => p.total))
  return {
    requests: parts.length,
    serverP50Ms: round(pct(totals, 0.5)),
    serverP99Ms: round(pct(totals, 0.99)),
    toInsertP99Ms: q99('toInsert'),
    insertP99Ms: q99('insert'),
    afterInsertP99Ms: q99('afterInsert'),
    tail: {
      totalMs: round(mean(tail.map((p) => p.total))),
      toInsertMs: round(mean(tail.map((p) => p.toInsert))),
      insertMs: round(mean(tail.map((p) => p.insert))),
      afterInsertMs: round(mean(tail.map((p) => p.afterInsert))),
    },
    longIterations: long.length,
    longIterationWallShare: round(longWall / wall),
    longIterationCpuShare: longWall === 0 ? 0 : round(long.reduce((a, g) => a + g.cpu, 0) / longWall),
    cpuBoundIterations: gaps.filter((g) => g.cpu >= 10).length,
    maxIterationCpuMs: round(gaps.reduce((m, g) => Math.max(m, g.cpu), 0)),
    gcs: gcs.length,
    gcWallShare: round(gcs.reduce((a, g) => a + g.len, 0) / wall),
    gcMaxMs: round(gcs.reduce((m, g) => Math.max(m, g.len), 0)),
  }
}

/** What a sampled backend was doing: `wait_event_type:wait_event`, or `CPU:` with no wait event. */
export type WaitSample = string

/**
 * Shares of the sampled states of the backends running a receipt INSERT, grouped: the WAL flush its
 * commit waits for (`IO:WALSync`, `IO:WALWrite`, `LWLock:WALWrite`: its own fsync, or another
 * committer's it queues behind), running or waiting for a core (no wait event), a row lock (a
 * duplicate key another in-flight batch inserted: waits for that batch's commit), anything else.
 */
export function waitShares(samples: readonly WaitSample[]): {
  readonly samples: number
  readonly walFlush: number
  readonly cpu: number
  readonly rowLock: number
  readonly other: number
  readonly top: readonly (readonly [string, number])[]
} {
  const counts = new Map<string, number>()
  for (const s of samples) counts.set(s, (counts.get(s) ?? 0) + 1)
  const n = samples.length
  const share = (pred: (s: string) => boolean) =>
    n === 0 ? 0 : round([...counts].reduce((a, [k, v]) => (pred(k) ? a + v : a), 0) / n)
  const wal = (s: string) => s === 'IO:WALSync' || s === 'IO:WALWrite' || s === 'LWLock:WALWrite'
  const cpu = (s: string) => s === 'CPU:'
  const lock = (s: string) => s.startsWith('Lock:')
  return {
    samples: n,
    walFlush: share(wal),
    cpu: share(cpu),
    rowLock: share(lock),
    other: share((s) => !wal(s) && !cpu(s) && !lock(s)),
    top: [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, v]) => [k, round(v / n)] as const),
  }
}
