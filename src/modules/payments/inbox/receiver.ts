import type { Logger } from 'pino'
import type { Clock } from '../../../shared/clock.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import { createPostCommitNotifier } from '../../../shared/db/notifier.js'
import { BoundedKeySet } from '../../../shared/bounded-key-set.js'
import { GroupCommit } from '../../../shared/group-commit.js'
import type { WebhookVerifier } from './inbox.ports.js'
import { webhookGatewayUnknown, webhookInboxUnavailable } from './webhook-inbox.errors.js'
import { WEBHOOK_INBOX_CHANNEL } from './webhook-inbox.migrations.js'
import { routingTenant, toStoredEvent } from './webhook-inbox.js'
import { insertRows, rowKey, type NewInboxRow } from './webhook-inbox.store.js'

/**
 * The receiving half of the webhook inbox (the API process's hot path): verify the signature on the
 * raw body, store the event once through a group commit, answer. Processing is round.ts's.
 */

export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>

export interface ReceiveResult {
  readonly eventId: string
  /** The row's tenant key: the tenant the event names, or `_unrouted`. */
  readonly tenantId: string
  /** Already in the inbox: nothing new was stored. */
  readonly duplicate: boolean
}

export interface ReceiverDeps {
  readonly db: DbHandle
  readonly clock: Clock
  readonly logger?: Logger | undefined
  readonly gateway: (name: string) => WebhookVerifier | undefined
  readonly batchMax?: number | undefined
  readonly batchMinWhileBusy?: number | undefined
  readonly batchLingerMs?: number | undefined
  /** How many stored events' keys this process remembers to answer their redeliveries without a query. */
  readonly storedKeysMax?: number | undefined
  /** A new row committed (this process's processing loops may sleep). */
  readonly onNew: () => void
}

export interface Receiver {
  readonly receive: (gateway: string, rawBody: Buffer, headers: RequestHeaders) => Promise<ReceiveResult>
  readonly close: () => Promise<void>
}

const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization'])

const keptHeaders = (h: RequestHeaders) => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || DROPPED_HEADERS.has(k.toLowerCase())) continue
    out[k.toLowerCase()] = typeof v === 'string' ? v : v.join(', ')
  }
  return out
}

export function createReceiver(deps: ReceiverDeps): Receiver {
  const { db, clock, logger } = deps
  // Wakes `moneta worker` processes (LISTEN) after new rows committed, never inside the INSERT's
  // transaction (migration 0541). Not awaited: the gateway's answer waits for its row, not the wake-up.
  const workersNotifier = createPostCommitNotifier(db, WEBHOOK_INBOX_CHANNEL, logger)
  const batcher = new GroupCommit<NewInboxRow, boolean>({
    maxBatch: deps.batchMax ?? 500,
    maxInFlight: db.engine === 'postgres' ? 4 : 1,
    // Under a burst, a few receipts leave beside a batch in flight only once enough wait; the rest
    // join the next batch. Fewer, larger INSERTs: each one costs the API process a write to
    // PostgreSQL and a wake-up, whatever its size (issue #18: receive cheaper per delivery).
    minBatchWhileBusy: deps.batchMinWhileBusy ?? 32,
    // A gateway sends at its merchants' pace, one request at a time, not in bursts: without this,
    // each receipt found the previous commit done and left in an INSERT of its own (issue #18).
    lingerMs: db.engine === 'postgres' ? (deps.batchLingerMs ?? 0) : 0,
    closedMessage: 'webhook inbox is closed',
    async send(rows) {
      const fresh = await insertRows(db.db, rows)
      if (fresh.size > 0) workersNotifier.notify()
      // A key repeated inside one batch is new only for its first occurrence.
      return rows.map((r) => fresh.delete(rowKey(r.tenantId, r.gateway, r.event.id)))
    },
  })
  // Keys whose row this process saw committed (new or found). Inbox rows are never deleted, so a
  // gateway's redelivery of one of them is answered as a duplicate without touching PostgreSQL: a
  // retry storm (gateways resend until they get a 2xx, often several times) then costs the API a
  // signature check, not an INSERT and a WAL flush each (issue #18). A key forgotten or never seen
  // here (another intake process took the first copy) takes the INSERT path, which is still right.
  const stored = new BoundedKeySet(deps.storedKeysMax ?? 100_000)

  return {
    async receive(gatewayName, rawBody, headers) {
      const gw = deps.gateway(gatewayName)
      if (!gw) throw webhookGatewayUnknown(gatewayName)
      const event = await gw.verifyWebhook(rawBody, headers, clock.now())
      const tenantId = routingTenant(event)
      const key = rowKey(tenantId, gw.name, event.id)
      if (stored.has(key)) return { eventId: event.id, tenantId, duplicate: true }
      const row: NewInboxRow = {
        tenantId,
        gateway: gw.name,
        event: toStoredEvent(event),
        rawBody,
        headers: keptHeaders(headers),
        receivedAt: clock.now(),
      }
      let isNew: boolean
      try {
        isNew = await batcher.submit(row)
      } catch (err) {
        logger?.error({ err, eventId: event.id }, 'webhook inbox insert failed')
        throw webhookInboxUnavailable(err)
      }
      stored.add(key)
      if (isNew) deps.onNew()
      return { eventId: event.id, tenantId: row.tenantId, duplicate: !isNew }
    },
    async close() {
      await batcher.close()
      await workersNotifier.settled()
    },
  }
}
