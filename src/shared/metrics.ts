import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * Prometheus metrics (docs/metrics.md lists every one). One registry per app instance (tests build
 * several apps in one process). Cross-cutting: services are wrapped (`timed` below) and the HTTP edge
 * observes every response in one hook; figures that live in the database (outbox, inboxes, lockouts,
 * list ages) are read when Prometheus scrapes, by the gauges' collect callbacks (src/metrics-gauges.ts).
 */
export interface Metrics {
  readonly registry: Registry
  readonly httpRequests: Counter<'method' | 'route' | 'status'>
  readonly httpDuration: Histogram<'method' | 'route'>
  readonly ledgerBatchSize: Histogram
  readonly ledgerPostSeconds: Histogram<'outcome'>
  readonly ledgerContended: Counter
  readonly decisionSeconds: Histogram<'engine'>
  readonly searchIndexLag: Histogram<'type'>
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'moneta_' })
  return {
    registry,
    httpRequests: new Counter({
      name: 'moneta_http_requests_total',
      help: 'HTTP requests answered, by route template and status (errors: status >= 400).',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'moneta_http_request_duration_seconds',
      help: 'Time from request received to response sent, by route template.',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    ledgerBatchSize: new Histogram({
      name: 'moneta_ledger_batch_size',
      help: 'Transactions per ledger post call.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
      registers: [registry],
    }),
    ledgerPostSeconds: new Histogram({
      name: 'moneta_ledger_post_duration_seconds',
      help: 'Ledger post calls, by outcome (ok or the error code).',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    ledgerContended: new Counter({
      name: 'moneta_ledger_contended_total',
      help: 'Ledger post calls that failed with LEDGER_CONTENDED (the caller retries).',
      registers: [registry],
    }),
    decisionSeconds: new Histogram({
      name: 'moneta_decision_duration_seconds',
      help: 'Synchronous screening and monitoring decisions, by engine.',
      labelNames: ['engine'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    searchIndexLag: new Histogram({
      name: 'moneta_search_index_lag_seconds',
      help: 'From an outbox event to its document being searchable (oldest event of each indexed batch), by type.',
      labelNames: ['type'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  }
}

/**
 * The same object with `method` observed: `observe(seconds, error)` runs after each call settles.
 * A Proxy, so that every other member (and `this`) is the original's.
 */
export function timed<T extends object, K extends keyof T>(
  target: T,
  method: K,
  observe: (seconds: number, error: unknown, args: unknown[]) => void,
): T {
  const original = target[method]
  if (typeof original !== 'function') return target
  const fn = original as (...args: unknown[]) => unknown
  const wrapped = async (...args: unknown[]): Promise<unknown> => {
    const started = performance.now()
    try {
      const result = await fn.apply(target, args)
      observe((performance.now() - started) / 1000, undefined, args)
      return result
    } catch (err) {
      observe((performance.now() - started) / 1000, err, args)
      throw err
    }
  }
  return new Proxy(target, {
    get: (t, p, receiver) => (p === method ? wrapped : (Reflect.get(t, p, receiver) as unknown)),
  })
}

/** A gauge whose value is read when Prometheus scrapes (a failing read leaves the series out). */
export function scrapedGauge<L extends string>(
  metrics: Metrics,
  spec: { name: string; help: string; labelNames?: readonly L[] },
  read: () => Promise<readonly { labels?: Partial<Record<L, string>>; value: number }[]>,
): Gauge<L> {
  return new Gauge<L>({
    ...spec,
    labelNames: spec.labelNames ?? [],
    registers: [metrics.registry],
    async collect() {
      this.reset()
      for (const { labels, value } of await read()) {
        if (labels) this.set(labels, value)
        else this.set(value)
      }
    },
  })
}
