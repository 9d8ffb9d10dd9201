import type { ApplyItem, ApplyRow } from './ledger.store.js'

interface Waiting {
  readonly tenant: string
  readonly item: ApplyItem
  resolve(row: ApplyRow): void
  reject(err: unknown): void
}

export interface BatcherOptions {
  /** Largest batch sent in one call. */
  readonly maxBatch: number
  /** Batches in flight at once; the rest of the queue waits and grows into the next batch. */
  readonly maxInFlight: number
  /** Sends one batch (one SQL round trip) and returns a row per item, in order. */
  readonly send: (tenant: string, items: ApplyItem[]) => Promise<ApplyRow[]>
}

/**
 * Group commit for single requests, as TigerBeetle does: requests that arrive while a batch is in
 * flight wait and leave together in the next one, so throughput grows with concurrency and one
 * hot account costs one row update per batch instead of one lock wait per request.
 */
export class LedgerBatcher {
  #queue: Waiting[] = []
  #inFlight = 0
  #scheduled = false
  #closed = false

  constructor(private readonly opts: BatcherOptions) {}

  submit(tenant: string, item: ApplyItem): Promise<ApplyRow> {
    if (this.#closed) return Promise.reject(new Error('ledger batcher is closed'))
    return new Promise<ApplyRow>((resolve, reject) => {
      this.#queue.push({ tenant, item, resolve, reject })
      this.#schedule()
    })
  }

  get pending(): number {
    return this.#queue.length
  }

  async close(): Promise<void> {
    this.#closed = true
    while (this.#queue.length > 0 || this.#inFlight > 0) await new Promise((r) => setTimeout(r, 5))
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.opts.maxInFlight) return
    this.#scheduled = true
    // setImmediate lets every request made in the current tick join the same batch.
    setImmediate(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.opts.maxInFlight) {
      const batch = this.#take()
      this.#inFlight++
      const tenant = batch[0]!.tenant
      this.opts
        .send(
          tenant,
          batch.map((w) => w.item),
        )
        .then(
          (rows) => batch.forEach((w, i) => w.resolve(rows[i]!)),
          (err: unknown) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          this.#inFlight--
          if (this.#queue.length > 0) this.#schedule()
        })
    }
  }

  /** One tenant per batch; an idempotency key appears at most once (the repeat waits a round). */
  #take(): Waiting[] {
    const tenant = this.#queue[0]!.tenant
    const batch: Waiting[] = []
    const keys = new Set<string>()
    const rest: Waiting[] = []
    for (const w of this.#queue) {
      const key = w.item.key ?? (w.item.op === 'create' ? null : `target:${w.item.id}`)
      if (batch.length >= this.opts.maxBatch || w.tenant !== tenant || (key !== null && keys.has(key))) {
        rest.push(w)
        continue
      }
      if (key !== null) keys.add(key)
      batch.push(w)
    }
    this.#queue = rest
    return batch
  }
}
