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
}

/**
 * Group commit (webhook receipts, audit intake): requests that arrive while a batch is being written
 * leave together in the next one, so one WAL flush covers many requests and the commit rate, not the
 * fsync latency, bounds the writes per second (the same idea as the ledger's batcher).
 */
export class GroupCommit<T, R> {
  #queue: Waiting<T, R>[] = []
  #inFlight = 0
  #scheduled = false
  #closed = false

  constructor(private readonly opts: GroupCommitOptions<T, R>) {}

  submit(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new Error(this.opts.closedMessage ?? 'closed'))
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject })
      this.#schedule()
    })
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
    // setImmediate lets every request parsed in the current tick join the same batch.
    setImmediate(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.opts.maxInFlight) {
      const batch = this.#queue.splice(0, this.opts.maxBatch)
      this.#inFlight++
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
  }
}
