import { performance } from 'node:perf_hooks'
import { sql, type Kysely } from 'kysely'

/**
 * Receipt-to-effect timing for the webhooks bench. An event is "received" when the API answered the
 * first delivery that stored it (its inbox row committed). Its ledger effect commits in the same
 * transaction that marks the inbox row processed, so the moment the row stops being pending is the
 * moment the effect became visible. A poller reads the pending rows every `pollMs` (the partial
 * index on pending rows keeps that read as small as the backlog) and stamps each received event that
 * left the pending set: latency = that moment − receipt, to within one poll period. The period grows
 * with the backlog (one poll reads every pending row: at 50 ms and 10,000 pending that was 200,000
 * rows a second for PostgreSQL and this process to read, on the cores the measured processes use),
 * so that at most ~40,000 rows a second are read: 50 ms up to 2,000 pending, 250 ms at 10,000.
 */
export class EffectTracker {
  readonly #received = new Map<string, number>()
  readonly #effectMs: number[] = []
  /** Wall-clock time (epoch ms) each event's effect was seen, for bench/webhooks-stages.ts. */
  readonly #effectAt = new Map<string, number>()
  #lastEffectAt = 0
  #firstReceiptAt = Number.POSITIVE_INFINITY
  #timer: NodeJS.Timeout | undefined
  #polling: Promise<void> = Promise.resolve()

  constructor(
    private readonly db: Kysely<unknown>,
    private readonly gateway: string,
    private readonly pollMs = 50,
  ) {}

  /** The first delivery of this event was stored (HTTP 200, not a duplicate). */
  received(eventId: string, at = performance.now()): void {
    if (!this.#received.has(eventId)) this.#received.set(eventId, at)
    this.#firstReceiptAt = Math.min(this.#firstReceiptAt, at)
  }

  start(): void {
    const tick = () => {
      this.#polling = this.#poll().finally(() => {
        if (this.#timer) this.#timer = setTimeout(tick, this.#period())
      })
    }
    this.#timer = setTimeout(tick, this.pollMs)
  }

  #period(): number {
    return Math.max(this.pollMs, Math.round(this.#received.size / 40))
  }

  /** Polls until every received event's effect is visible or `timeoutMs` passed; returns what is left. */
  async drain(timeoutMs: number): Promise<number> {
    const end = performance.now() + timeoutMs
    while (this.#received.size > 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 100))
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#polling
    return this.#received.size
  }

  /** Latencies (ms, sorted), and distinct events applied per second from the first receipt to the last effect. */
  figures(): { latencies: number[]; appliedPerSecond: number } {
    const latencies = [...this.#effectMs].sort((a, b) => a - b)
    const span = (this.#lastEffectAt - this.#firstReceiptAt) / 1000
    return { latencies, appliedPerSecond: span > 0 ? Math.round(latencies.length / span) : 0 }
  }

  /** Event id → the wall-clock time (epoch ms) its effect was seen. */
  effectTimes(): ReadonlyMap<string, number> {
    return this.#effectAt
  }

  async #poll(): Promise<void> {
    if (this.#received.size === 0) return
    // Only events stored before the query began are surely in its snapshot.
    const asked = performance.now()
    const r = await sql<{ event_id: string }>`
      SELECT event_id FROM payment_webhook_inbox
      WHERE status = 'pending' AND gateway = ${this.gateway}`.execute(this.db)
    const now = performance.now()
    const pending = new Set(r.rows.map((x) => x.event_id))
    for (const [id, at] of this.#received) {
      if (at >= asked || pending.has(id)) continue
      this.#effectMs.push(now - at)
      this.#effectAt.set(id, performance.timeOrigin + now)
      this.#received.delete(id)
      this.#lastEffectAt = now
    }
  }
}
