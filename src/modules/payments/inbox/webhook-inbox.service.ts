import type { Logger } from 'pino'
import type { Clock } from '../../../shared/clock.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import type { WebhookMethodsPort, WebhookPaymentsPort, WebhookVerifier } from './inbox.ports.js'
import { createProcessingLoop } from './processing-loop.js'
import { createReceiver, type ReceiveResult, type RequestHeaders } from './receiver.js'
import { addRounds, createRoundProcessor, NO_ROUND, type ProcessDue, type RoundResult } from './round.js'
import { webhookEventNotDead } from './webhook-inbox.errors.js'
import { DEFAULT_RETRY, type InboxEntry, type InboxStatus, type RetryPolicy } from './webhook-inbox.js'
import { countByStatus, listRows, reviveDead, type ListFilter } from './webhook-inbox.store.js'

/**
 * The gateway webhook inbox, composed: receiver.ts stores each verified event once (the API's hot
 * path), round.ts applies due rows in rounds (round-plan.ts decides each row's tenant first),
 * processing-loop.ts runs the rounds in the background, and the operator's view (list, counts,
 * replay of dead letters) is here. Each consumer takes the narrow interface it uses.
 */

export type { WebhookMethodsPort, WebhookPaymentsPort, WebhookVerifier } from './inbox.ports.js'
export type { ReceiveResult } from './receiver.js'
export type { RoundResult } from './round.js'

export interface WebhookInboxDeps {
  readonly db: DbHandle
  readonly clock: Clock
  readonly logger?: Logger
  /** The configured gateway of that name, or undefined. */
  readonly gateway: (name: string) => WebhookVerifier | undefined
  readonly payments: WebhookPaymentsPort
  /** Billing's saved methods (card-updater events); optional: without it those events are ignored. */
  readonly methods?: WebhookMethodsPort
  readonly retry?: Partial<RetryPolicy>
  /** Receipts written per INSERT (group commit). Default 500. */
  readonly batchMax?: number
  /** While a receipt batch is in flight, another leaves only with this many (adaptive group commit). Default 32. */
  readonly batchMinWhileBusy?: number
  /** With nothing in flight, a receipt batch leaves at most this often under steady arrivals (GroupCommit's lingerMs). Default 0. */
  readonly batchLingerMs?: number
  /** Rows claimed per processing transaction (applied as one set). Default 500. */
  readonly claimBatch?: number
  /** Processing loops on PostgreSQL (PGlite: 1). 0: receive only (an API process; workers elsewhere). Default 2. */
  readonly workers?: number
  /** Safety-net polling interval (due retries, missed notifications). */
  readonly pollMs?: number
}

/** The HTTP route's view: receive a delivery. */
export interface WebhookIntake {
  /** Verifies the signature on the raw body, stores the event once, returns before it is processed. */
  receive(gateway: string, rawBody: Buffer, headers: RequestHeaders): Promise<ReceiveResult>
}

/** The operator's view (API and CLI): what is in the inbox, and dead letters put back. */
export interface WebhookInboxAdmin {
  list(filter?: ListFilter): Promise<InboxEntry[]>
  counts(tenantId?: string): Promise<Record<InboxStatus, number>>
  /**
   * Puts dead-lettered events back in the queue with a fresh attempt budget and processes them now.
   * Applying is idempotent, so a replay never has a second effect.
   */
  replay(filter: { eventId?: string; gateway?: string; tenantId?: string }): Promise<{
    revived: InboxEntry[]
    round: RoundResult
  }>
}

/** The worker's view: process rounds, in the background or one at a time. */
export interface WebhookProcessor {
  /** One processing round: claim due rows, apply each in the round's transaction, mark them. */
  processDue: ProcessDue
  /** Starts the background processor (LISTEN/NOTIFY on PostgreSQL, polling on PGlite). */
  start(): Promise<void>
  stop(): Promise<void>
}

export interface WebhookInbox extends WebhookIntake, WebhookInboxAdmin, WebhookProcessor {
  close(): Promise<void>
}

export function createWebhookInbox(deps: WebhookInboxDeps): WebhookInbox {
  const { db } = deps
  const claimBatch = deps.claimBatch ?? 500
  const wanted = deps.workers ?? 2
  const processDue = createRoundProcessor({
    db,
    clock: deps.clock,
    logger: deps.logger,
    payments: deps.payments,
    methods: deps.methods,
    policy: { ...DEFAULT_RETRY, ...deps.retry },
    claimBatch,
  })
  const loop = createProcessingLoop({
    db,
    logger: deps.logger,
    processDue,
    loops: wanted === 0 ? 0 : db.engine === 'postgres' ? wanted : 1,
    pollMs: deps.pollMs ?? (db.engine === 'postgres' ? 1000 : 200),
    claimBatch,
  })
  const receiver = createReceiver({
    db,
    clock: deps.clock,
    logger: deps.logger,
    gateway: deps.gateway,
    batchMax: deps.batchMax,
    batchMinWhileBusy: deps.batchMinWhileBusy,
    batchLingerMs: deps.batchLingerMs,
    onNew: loop.kick,
  })

  return {
    receive: receiver.receive,
    processDue,
    start: loop.start,
    stop: loop.stop,
    list: (filter = {}) => listRows(db.db, filter),
    counts: (tenantId) => countByStatus(db.db, tenantId),
    async replay(filter) {
      const revived = await reviveDead(db.db, filter, deps.clock.now())
      if (revived.length === 0) throw webhookEventNotDead(filter.eventId ?? '(any)')
      const only: ListFilter = {
        ...(filter.gateway ? { gateway: filter.gateway } : {}),
        ...(filter.eventId ? { eventId: filter.eventId } : {}),
      }
      let round: RoundResult = NO_ROUND
      for (let left = revived.length; left > 0;) {
        const r = await processDue({ limit: Math.min(left, claimBatch), only })
        round = addRounds(round, r)
        if (r.claimed === 0) break
        left -= r.claimed
      }
      loop.kick()
      return { revived, round }
    },
    async close() {
      await loop.stop()
      await receiver.close()
    },
  }
}
