import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { Sender } from './http-sender.js'
import { MAX_ATTEMPTS, nextAttemptDelay, signatureHeader } from './webhooks.js'
import type {
  AttemptResult,
  DisabledEndpoint,
  DueDelivery,
  EndpointSecrets,
  WebhooksStore,
} from './webhooks.store.js'

export interface RunStats {
  readonly attempted: number
  readonly delivered: number
  readonly retrying: number
  readonly failed: number
}

/**
 * Claims due deliveries (FOR UPDATE SKIP LOCKED, leased so a dead worker's rows come back), POSTs
 * them, records attempts. Every delivery is independent: a slow or failing endpoint holds only its
 * own slots, never a queue that other endpoints wait behind.
 */
export interface DeliveryWorker {
  /** Attempts everything due at the clock's "now", waits for the results; repeats until nothing is due. */
  runDue(): Promise<RunStats>
  /** Background loop: keeps up to `concurrency` attempts in flight, polls every `pollMs`. */
  start(): void
  stop(): Promise<void>
  /** Wakes the loop (new deliveries were queued in this process). */
  kick(): void
}

export interface DeliveryWorkerDeps {
  readonly db: Db
  readonly store: WebhooksStore
  readonly clock: Clock
  readonly logger: Logger
  readonly send: Sender
  readonly timeoutMs: number
  readonly concurrency: number
  readonly pollMs: number
  readonly disableAfterMs: number
  readonly random: () => number
  /** Work only these tenants' deliveries (default all): to split work, and for tests sharing a database. */
  readonly tenants?: readonly string[]
  readonly decryptSecrets: (
    tenant: string,
    endpointId: string,
    s: EndpointSecrets,
  ) => Promise<readonly string[]>
  /** Disables endpoints in the results' transaction (and emits their event). */
  readonly disable: (tx: Db, endpoints: readonly DisabledEndpoint[]) => Promise<void>
  /** Retention: deletes old finished deliveries (run hourly by the background loop). */
  readonly purge: () => Promise<number>
}

/** One attempt: sign with every valid secret at the attempt's time, POST, classify. */
export async function attemptDelivery(
  d: DueDelivery,
  deps: Pick<DeliveryWorkerDeps, 'clock' | 'send' | 'random' | 'decryptSecrets'>,
  retries = true,
): Promise<AttemptResult> {
  const at = deps.clock.now()
  const attempt = d.attempts + 1
  const base = {
    tenantId: d.tenantId,
    deliveryId: d.deliveryId,
    endpointId: d.endpointId,
    isTest: d.isTest,
    attempt,
    at,
  }
  let secrets: readonly string[]
  try {
    secrets = await deps.decryptSecrets(d.tenantId, d.endpointId, d.secrets)
  } catch (err) {
    // Undecryptable secret (key missing): nothing can be signed; retry later like any failure.
    return finish(
      base,
      {
        statusCode: null,
        latencyMs: 0,
        error: `cannot decrypt the endpoint secret: ${String(err)}`,
        responseBody: null,
      },
      deps.random,
      retries,
    )
  }
  const timestamp = Math.floor(at.getTime() / 1000)
  const res = await deps.send({
    url: d.url,
    body: d.body,
    headers: {
      'webhook-id': d.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, d.eventId, timestamp, d.body),
    },
  })
  return finish(base, res, deps.random, retries)
}

function finish(
  base: Pick<AttemptResult, 'tenantId' | 'deliveryId' | 'endpointId' | 'isTest' | 'attempt' | 'at'>,
  res: Pick<AttemptResult, 'statusCode' | 'latencyMs' | 'error' | 'responseBody'>,
  random: () => number,
  retries: boolean,
): AttemptResult {
  const ok = res.statusCode !== null && res.statusCode >= 200 && res.statusCode < 300
  const error = ok ? null : (res.error ?? `HTTP ${res.statusCode}`)
  if (ok) return { ...base, ...res, error, status: 'delivered', nextAttemptAt: null }
  const delay = retries && base.attempt < MAX_ATTEMPTS ? nextAttemptDelay(base.attempt, random) : undefined
  return delay === undefined
    ? { ...base, ...res, error, status: 'failed', nextAttemptAt: null }
    : { ...base, ...res, error, status: 'pending', nextAttemptAt: new Date(base.at.getTime() + delay) }
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const leaseMs = deps.timeoutMs + 60_000
  const batchSize = Math.max(1, Math.min(deps.concurrency, 500))

  const claim = (limit: number) => {
    const now = deps.clock.now()
    return deps.store.claimDue(now, limit, new Date(now.getTime() + leaseMs), deps.tenants)
  }

  const record = async (results: readonly AttemptResult[]): Promise<void> => {
    if (results.length === 0) return
    const disableBefore = new Date(deps.clock.now().getTime() - deps.disableAfterMs)
    await deps.db.transaction().execute(async (tx) => {
      const toDisable = await deps.store.recordResults(tx, results, disableBefore)
      if (toDisable.length > 0) await deps.disable(tx, toDisable)
    })
  }

  const attempt = (d: DueDelivery) => attemptDelivery(d, deps)

  /** Runs `fn` over items with at most `limit` running at once. */
  async function pool<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array<R>(items.length)
    let next = 0
    const lane = async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i]!)
      }
    }
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
    return out
  }

  // ---- background loop: a continuous pool, results flushed in batches ----
  let running = false
  let loopDone: Promise<void> = Promise.resolve()
  let inflight = 0
  let wake: (() => void) | undefined
  const pending: AttemptResult[] = []
  let flushing: Promise<void> = Promise.resolve()
  let flushTimer: NodeJS.Timeout | undefined

  const signal = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const flush = (): Promise<void> => {
    if (flushTimer) clearTimeout(flushTimer)
    flushTimer = undefined
    flushing = flushing.then(async () => {
      while (pending.length > 0) {
        const batch = pending.splice(0, 1000)
        await record(batch).catch((err: unknown) => {
          // The rows stay leased and come back after the lease: at-least-once, never lost.
          deps.logger.error({ err, n: batch.length }, 'recording webhook attempts failed')
        })
      }
    })
    return flushing
  }
  const scheduleFlush = () => {
    if (pending.length >= batchSize) void flush()
    else flushTimer ??= setTimeout(() => void flush(), 20)
  }

  let lastPurge = 0
  const loop = async () => {
    while (running) {
      if (Date.now() - lastPurge > 3_600_000) {
        lastPurge = Date.now()
        await deps
          .purge()
          .catch((err: unknown) => deps.logger.error({ err }, 'webhook delivery purge failed'))
      }
      const free = deps.concurrency - inflight
      // Claim in chunks (half the slots at least) rather than a query per freed slot.
      if (free > 0 && (inflight === 0 || free >= Math.ceil(deps.concurrency / 2))) {
        let rows: DueDelivery[] = []
        try {
          rows = await claim(Math.min(free, batchSize))
        } catch (err) {
          deps.logger.error({ err }, 'claiming webhook deliveries failed')
        }
        for (const row of rows) {
          inflight++
          void attempt(row)
            .then((r) => {
              pending.push(r)
              scheduleFlush()
            })
            .catch((err: unknown) => deps.logger.error({ err }, 'webhook attempt crashed'))
            .finally(() => {
              inflight--
              signal()
            })
        }
        if (rows.length > 0 && rows.length === Math.min(free, batchSize)) continue
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deps.pollMs)
        wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
  }

  return {
    async runDue() {
      let attempted = 0
      let delivered = 0
      let retrying = 0
      let failed = 0
      for (;;) {
        const rows = await claim(batchSize)
        if (rows.length === 0) break
        const results = await pool(rows, deps.concurrency, attempt)
        await record(results)
        attempted += results.length
        for (const r of results) {
          if (r.status === 'delivered') delivered++
          else if (r.status === 'pending') retrying++
          else failed++
        }
      }
      return { attempted, delivered, retrying, failed }
    },
    start() {
      if (running) return
      running = true
      loopDone = loop()
    },
    async stop() {
      if (!running) return
      running = false
      signal()
      await loopDone
      while (inflight > 0) await new Promise((r) => setTimeout(r, 10))
      await flush()
    },
    kick: signal,
  }
}
