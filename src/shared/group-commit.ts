interface Waiting<T, R> {
  readonly item: T
  resolve(result: R): void
  reject(err: unknown): void
}

export interface GroupCommitOptions<T, R> {
  /** Largest batch sent in one call. */
  readonly maxBatch: number
  /** Batches in flight at once; the rest of the queue waits and grows into the next batch. */
  readonly maxInFlight: number
  /** Writes one batch (one statement, one commit) and returns a result per item, in order. */
  readonly send: (items: T[]) => Promise<R[]>
  /** What a submit after close() is rejected with (default: "closed"). */
  readonly closedMessage?: string
  /**
   * Items of different groups never share a batch (the ledger: one tenant per SQL call). The oldest
   * waiting item's group leaves first, so no group starves.
   */
  readonly groupOf?: (item: T) => string
  /**
   * Items with the same non-null key never share a batch: the repeat waits for the next one, where
   * it sees the first one's committed result (the ledger: an idempotency key, or the pending
   * transaction a post/void targets).
   */
  readonly exclusiveKey?: (item: T) => string | null
  /**
   * Adaptive batching: while a batch is in flight, another one leaves only once this many items
   * wait (otherwise they wait for a batch to finish and leave together then). Alone, a request still
   * leaves at once; under load the batches grow instead of the statements. Default 1 (send whenever
   * a slot is free).
   */
  readonly minBatchWhileBusy?: number
  /**
   * Steady arrivals: with nothing in flight, a batch leaves at once only if the previous one left at
   * least this long ago; otherwise it waits out the rest of that interval (or until
   * `minBatchWhileBusy` items wait), gathering the requests that arrive meanwhile. A request after a
   * quiet spell still leaves at once. Without it, requests arriving one by one (a gateway sending at
   * a fixed rate, not in bursts) each left in a commit of their own whenever the previous commit was
   * faster than the gap between them — one INSERT, one WAL flush, one wake-up per request, at a
   * CPU cost per delivery about twice that of a burst (issue #18, docs/benchmarks/webhooks.md,
   * session 11). Adds at most this much to a request's latency. Default 0 (off).
   */
  readonly lingerMs?: number
}

/**
 * Group commit (ledger transfers, webhook receipts, audit intake), as TigerBeetle batches requests:
 * requests that arrive while a batch is being written leave together in the next one, so one WAL
 * flush covers many requests, throughput grows with concurrency, and the commit rate, not the
 * fsync latency, bounds the writes per second.
 */
export class GroupCommit<T, R> {
  #queue: Waiting<T, R>[] = []
  #inFlight = 0
  #scheduled = false
  #closed = false
  /** performance.now() when the last batch left. */
  #lastSentAt = Number.NEGATIVE_INFINITY

  constructor(private readonly opts: GroupCommitOptions<T, R>) {}

  submit(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new Error(this.opts.closedMessage ?? 'closed'))
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject })
      this.#schedule()
    })
  }

  /** Items waiting for a batch (not counting those in flight). */
  get pending(): number {
    return this.#queue.length
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.idle()
  }

  /** Resolves once everything submitted so far has been sent (or failed). */
  async idle(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight > 0) await new Promise((r) => setTimeout(r, 1))
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.opts.maxInFlight) return
    this.#scheduled = true
    const run = () => {
      this.#scheduled = false
      this.#flush()
    }
    const wait = this.#inFlight === 0 ? this.#lingerLeft() : 0
    // setImmediate lets every request made in the current tick join the same batch.
    if (wait > 0) setTimeout(run, wait)
    else setImmediate(run)
  }

  /** How much longer a batch should gather before leaving with nothing in flight (lingerMs). */
  #lingerLeft(): number {
    const linger = this.opts.lingerMs ?? 0
    if (linger <= 0 || this.#queue.length >= (this.opts.minBatchWhileBusy ?? 1)) return 0
    return Math.max(0, this.#lastSentAt + linger - performance.now())
  }

  #flush(): void {
    const fill = this.opts.minBatchWhileBusy ?? 1
    while (
      this.#queue.length > 0 &&
      this.#inFlight < this.opts.maxInFlight &&
      (this.#inFlight === 0 ? this.#lingerLeft() <= 0 : this.#queue.length >= fill)
    ) {
      const batch = this.#take()
      this.#inFlight++
      this.#lastSentAt = performance.now()
      this.opts
        .send(batch.map((w) => w.item))
        .then(
          (results) => batch.forEach((w, i) => w.resolve(results[i]!)),
          (err: unknown) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          this.#inFlight--
          if (this.#queue.length > 0) this.#schedule()
        })
    }
    // Gathering (lingerMs): nothing left, so a timer sends what waits once the interval is over.
    if (this.#queue.length > 0 && this.#inFlight === 0) this.#schedule()
  }

  /** The next batch, oldest first; what cannot join it (other group, repeated key) keeps its place. */
  #take(): Waiting<T, R>[] {
    const { groupOf, exclusiveKey, maxBatch } = this.opts
    if (!groupOf && !exclusiveKey) return this.#queue.splice(0, maxBatch)
    const group = groupOf?.(this.#queue[0]!.item)
    const keys = new Set<string>()
    const batch: Waiting<T, R>[] = []
    const rest: Waiting<T, R>[] = []
    for (const w of this.#queue) {
      const key = exclusiveKey?.(w.item) ?? null
      const joins =
        batch.length < maxBatch &&
        (groupOf === undefined || groupOf(w.item) === group) &&
        (key === null || !keys.has(key))
      if (!joins) {
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
