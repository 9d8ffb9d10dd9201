import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { DbHandle } from './connect.js'

/**
 * A NOTIFY sent on its own, after the writer's transaction committed, never inside it: a NOTIFY in a
 * transaction takes PostgreSQL's server-wide notify lock at commit and holds it across that commit's
 * WAL flush, so every transaction that notifies commits one at a time (issue #18). Here at most one
 * NOTIFY is in flight per channel and process; a request made meanwhile sends one more after it (the
 * one in flight may have left before the caller's rows committed), so every commit is followed by a
 * NOTIFY. Never awaited by the writer; a lost one is caught by the listeners' polling. PGlite has no
 * other process to wake: nothing is sent.
 */
export interface PostCommitNotifier {
  /** Call after the rows committed (a plain function: pass it around as a callback). */
  readonly notify: () => void
  /** Resolves once no NOTIFY is in flight (before closing the pool). */
  settled(): Promise<void>
}

export function createPostCommitNotifier(
  db: Pick<DbHandle, 'db' | 'engine'>,
  channel: string,
  logger?: Logger,
): PostCommitNotifier {
  let inFlight: Promise<void> | undefined
  let again = false
  const notify = () => {
    if (db.engine !== 'postgres') return
    if (inFlight) {
      again = true
      return
    }
    again = false
    inFlight = sql`SELECT pg_notify(${channel}, '')`
      .execute(db.db)
      .then(
        () => undefined,
        (err: unknown) => logger?.warn({ err, channel }, 'NOTIFY failed; listeners poll'),
      )
      .finally(() => {
        inFlight = undefined
        if (again) notify()
      })
  }
  return {
    notify,
    async settled() {
      while (inFlight) await inFlight
    },
  }
}
