import type { PoolClient } from 'pg'
import type { Logger } from 'pino'
import type { DbHandle } from '../../../shared/db/connect.js'
import type { ProcessDue } from './round.js'
import { WEBHOOK_INBOX_CHANNEL } from './webhook-inbox.migrations.js'

/**
 * The inbox's background processors: `loops` rounds run side by side, each sleeping until a receipt
 * of this process or a NOTIFY from another (LISTEN on PostgreSQL) wakes it, or `pollMs` passes (due
 * retries, missed notifications; the only wake-up on PGlite).
 */
export interface ProcessingLoop {
  readonly start: () => Promise<void>
  readonly stop: () => Promise<void>
  /** Wakes the sleeping loops (a new row, a replay). */
  readonly kick: () => void
}

export interface ProcessingLoopDeps {
  readonly db: DbHandle
  readonly logger?: Logger | undefined
  readonly processDue: ProcessDue
  readonly loops: number
  readonly pollMs: number
  /** A round that claimed this many rows runs again at once (there may be more due). */
  readonly claimBatch: number
}

export function createProcessingLoop(deps: ProcessingLoopDeps): ProcessingLoop {
  const { db, logger } = deps
  let running = false
  let kicked = false
  const sleepers = new Set<() => void>()
  const kick = () => {
    kicked = true
    for (const wake of sleepers) wake()
  }
  let listener: { client: PoolClient; release: (destroy: boolean) => void } | undefined
  const loopsDone: Promise<void>[] = []

  const listen = async () => {
    if (!db.pool || listener) return
    const client = await db.pool.connect()
    let released = false
    const onError = (err: Error) => {
      logger?.warn({ err }, 'webhook inbox listener connection lost')
      release(true)
    }
    // once only: an error after stop() gave the client back released it a second time, and
    // pg-pool throws on that (an uncaught exception in a CI run, session 36)
    const release = (destroy: boolean): void => {
      if (released) return
      released = true
      if (listener?.client === client) listener = undefined
      client.removeListener('notification', kick)
      // onError stays: a later error on this client must still find a listener, and does nothing
      client.release(destroy)
    }
    client.on('notification', kick)
    client.on('error', onError)
    await client.query(`LISTEN ${WEBHOOK_INBOX_CHANNEL}`)
    listener = { client, release }
  }

  const sleep = () =>
    new Promise<void>((resolve) => {
      const wake = () => {
        sleepers.delete(wake)
        resolve()
      }
      sleepers.add(wake)
      setTimeout(wake, deps.pollMs).unref()
    })

  const loop = async () => {
    while (running) {
      kicked = false
      let claimed = 0
      try {
        if (!listener) await listen()
        claimed = (await deps.processDue()).claimed
      } catch (err) {
        logger?.warn({ err }, 'webhook inbox round failed; retrying')
      }
      if (!running || claimed >= deps.claimBatch || kicked) continue
      await sleep()
    }
  }

  return {
    kick,
    async start() {
      if (running || deps.loops === 0) return
      running = true
      await listen().catch((err: unknown) => logger?.warn({ err }, 'webhook inbox LISTEN failed; polling'))
      for (let i = 0; i < deps.loops; i++) loopsDone.push(loop())
    },
    async stop() {
      running = false
      kick()
      await Promise.all(loopsDone.splice(0))
      const l = listener
      if (l) {
        await l.client.query(`UNLISTEN ${WEBHOOK_INBOX_CHANNEL}`).catch(() => undefined)
        l.release(false)
      }
    },
  }
}
