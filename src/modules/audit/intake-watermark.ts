/**
 * Which of this process's `record()` writes are durable, without knowing whose they are (ADR 0212).
 *
 * Every write handed to the intake takes the next number of a process-wide counter; the watermark is
 * the highest number up to which every write has settled (batches may finish out of order: two are in
 * flight at once). A caller that noted `submitted()` earlier asks `settledSince(mark)`: it resolves
 * once every write numbered up to the counter's value *now* has settled, and says whether any write
 * numbered after `mark` failed. The HTTP edge notes the counter when a request arrives and asks before
 * it answers: every write the request started — awaited or not, in any module — is then durable, as
 * are others' writes of the same moment (the answer is conservative: another request's failed write
 * in that range also refuses this one). A request during which nothing was submitted waits for nothing.
 *
 * This replaces an AsyncLocalStorage scope per request: on Node 20, entering any AsyncLocalStorage
 * installs promise hooks for the whole process, which cost 10–25 % of the API's CPU per webhook.
 */

/** Failure ranges kept; past this the oldest are forgotten and a range reaching back to them fails. */
const FAILURES_KEPT = 1000

interface Waiter {
  readonly upTo: number
  readonly resolve: () => void
}

export class IntakeWatermark {
  #submitted = 0
  #settled = 0
  /** Writes settled above the watermark (they finished before an earlier batch). */
  readonly #ahead = new Set<number>()
  /** Failed writes, as inclusive ranges [first, last], most recent last. */
  readonly #failed: [number, number][] = []
  /** Failures up to this number are no longer listed: asking about them answers "failed". */
  #forgotten = 0
  /** Ordered by `upTo`: each is the counter's value when it asked, which never decreases. */
  readonly #waiters: Waiter[] = []

  /** Writes handed to the intake so far: note it, then ask `settledSince` with it. */
  submitted(): number {
    return this.#submitted
  }

  /** Numbers a write just handed to the intake, and notes when it settles. */
  track(write: Promise<unknown>): void {
    const n = ++this.#submitted
    write.then(
      () => this.#settle(n, false),
      () => this.#settle(n, true),
    )
  }

  /**
   * Resolves once every write submitted up to now has settled: true if none numbered after `mark`
   * failed. Nothing submitted since `mark`: true at once, without waiting for anyone.
   */
  async settledSince(mark: number): Promise<boolean> {
    const upTo = this.#submitted
    if (upTo <= mark) return true
    if (upTo > this.#settled) await new Promise<void>((resolve) => this.#waiters.push({ upTo, resolve }))
    return !this.#failedIn(mark, upTo)
  }

  #settle(n: number, failed: boolean): void {
    if (failed) this.#fail(n)
    if (n !== this.#settled + 1) {
      this.#ahead.add(n)
      return
    }
    this.#settled = n
    while (this.#ahead.delete(this.#settled + 1)) this.#settled++
    let woken = 0
    while (woken < this.#waiters.length && this.#waiters[woken]!.upTo <= this.#settled) {
      this.#waiters[woken]!.resolve()
      woken++
    }
    if (woken > 0) this.#waiters.splice(0, woken)
  }

  #fail(n: number): void {
    const last = this.#failed.at(-1)
    // A failed batch fails consecutive numbers: one range for a whole outage, not one per write.
    if (last && last[1] === n - 1) last[1] = n
    else if (last && last[0] === n + 1) last[0] = n
    else this.#failed.push([n, n])
    if (this.#failed.length > FAILURES_KEPT) {
      const [, end] = this.#failed.shift()!
      this.#forgotten = Math.max(this.#forgotten, end)
    }
  }

  /** Whether any write numbered in (mark, upTo] failed (or may have: its failure was forgotten). */
  #failedIn(mark: number, upTo: number): boolean {
    if (mark < this.#forgotten) return true
    return this.#failed.some(([first, last]) => first <= upTo && last > mark)
  }
}
