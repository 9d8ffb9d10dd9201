/**
 * Retrying a database transaction that failed for a reason that says nothing about the request:
 * contention (deadlock, serialization failure, lock not available, the ledger's LEDGER_CONTENDED)
 * or, for transactions that are safe to run twice, a lost connection (a terminated backend, a
 * failover, a network blip: the pool hands the retry a fresh connection).
 */

/** PostgreSQL SQLSTATEs of contention: the transaction was rolled back, nothing was applied. */
const CONTENTION = new Set(['40001', '40P01', '55P03'])
/** SQLSTATEs of a backend that went away (admin shutdown, crash shutdown, cannot connect now). */
const CONNECTION_LOST_STATES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006'])
const CONNECTION_LOST_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'])

const codeOf = (err: unknown): string | undefined =>
  err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : undefined

/** A failure that rolled the transaction back because of other transactions, not because of its data. */
export function isContention(err: unknown): boolean {
  const code = codeOf(err)
  return code === 'LEDGER_CONTENDED' || (code !== undefined && CONTENTION.has(code))
}

/**
 * The connection died under the transaction. Whether a COMMIT in flight took effect is unknown, so
 * only transactions that check their own effect before acting again may be retried on it.
 */
export function isConnectionLoss(err: unknown): boolean {
  const code = codeOf(err)
  if (code && (CONNECTION_LOST_STATES.has(code) || CONNECTION_LOST_CODES.has(code))) return true
  const message = err instanceof Error ? err.message : ''
  return /Connection terminated|terminating connection|Client has encountered a connection error|not queryable/i.test(
    message,
  )
}

export interface RetryOptions {
  /** Attempts in all (default 8). */
  readonly attempts?: number
  /** Also retry after a lost connection: only for work that is idempotent (default false). */
  readonly onConnectionLoss?: boolean
  /** Called before each retry, for logging. */
  readonly onRetry?: (err: unknown, attempt: number) => void
}

/** Runs `work` until it succeeds, retrying transient failures with a jittered, growing pause. */
export async function retryTransient<T>(work: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 8
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (err) {
      const transient = isContention(err) || (opts.onConnectionLoss === true && isConnectionLoss(err))
      if (!transient || attempt >= attempts) throw err
      opts.onRetry?.(err, attempt)
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt))
    }
  }
}
