import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { BoundField, FieldCipher } from '../crypto/index.js'
import type { EventBus, EventCatalogue, EventMessage, Outbox, Subscription } from '../events/index.js'
import { attemptDelivery, createDeliveryWorker, type DeliveryWorker } from './delivery-worker.js'
import { createSender } from './http-sender.js'
import { checkUrl, type UrlPolicy } from './url-guard.js'
import {
  matchesAny,
  generateSecret,
  isValidFilter,
  isWildcard,
  payloadBody,
  type Attempt,
  type Delivery,
  type DeliveryStatus,
  type Endpoint,
} from './webhooks.js'
import {
  deliveryNotFound,
  endpointDisabled,
  endpointNotFound,
  eventTypeInvalid,
  eventTypeUnknown,
  invalidCursor,
} from './webhooks.errors.js'
import { PING_EVENT_TYPE, WEBHOOK_EVENTS } from './webhooks.events.js'
import {
  createWebhooksStore,
  type DisabledEndpoint,
  type EndpointSecrets,
  type NewDelivery,
} from './webhooks.store.js'

export const CONSUMER_GROUP = 'webhooks-out'

export interface WebhooksOptions extends UrlPolicy {
  /** Per-attempt timeout (whole request). Default 10 s. */
  readonly timeoutMs: number
  /** How long a rotated-out secret keeps signing. Default 24 h. */
  readonly rotationOverlapMs: number
  /** An endpoint whose every attempt failed for this long is disabled. Default 5 days. */
  readonly disableAfterMs: number
  /** Attempts in flight per worker. Default 64. */
  readonly concurrency: number
  /** How often the worker looks for due retries. Default 1 s. */
  readonly pollMs: number
  /** Finished deliveries (and their attempts) older than this are deleted. Default 30 days. */
  readonly retentionMs: number
  /** Log response bodies of private addresses too (tests and local development only; default false). */
  readonly keepPrivateResponseBodies?: boolean
}

export const DEFAULT_WEBHOOKS_OPTIONS: WebhooksOptions = {
  timeoutMs: 10_000,
  rotationOverlapMs: 24 * 3_600_000,
  disableAfterMs: 5 * 24 * 3_600_000,
  concurrency: 64,
  pollMs: 1000,
  retentionMs: 30 * 24 * 3_600_000,
  allowHttp: false,
  allowPrivate: false,
}

export interface WebhooksDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger: Logger
  readonly fieldCipher: FieldCipher
  readonly catalogue: EventCatalogue
  readonly outbox: Outbox
  readonly bus: EventBus
  /** The consumer inbox: fan-out rows and the processed event ids commit together. */
  readonly inbox: {
    apply(
      group: string,
      messages: readonly EventMessage[],
      effect: (tx: Db, fresh: readonly EventMessage[]) => Promise<void>,
    ): Promise<number>
  }
  readonly options?: Partial<WebhooksOptions>
  /** Jitter source, [0, 1). */
  readonly random?: () => number
  /** The delivery worker handles only these tenants (default all). */
  readonly workerTenants?: readonly string[]
}

export interface EndpointInput {
  readonly url: string
  readonly eventTypes?: readonly string[]
  readonly description?: string
  readonly enabled?: boolean
}

export interface EndpointPatchInput {
  readonly url?: string
  readonly eventTypes?: readonly string[]
  readonly description?: string
  readonly enabled?: boolean
}

/** An endpoint with its signing secret: returned only on creation and rotation. */
export interface EndpointWithSecret {
  readonly endpoint: Endpoint
  readonly secret: string
}

export interface DeliveryQuery {
  readonly status?: DeliveryStatus
  readonly limit?: number
  /** Cursor: deliveries older than this delivery id. */
  readonly before?: string
}

export interface Webhooks {
  /** Errors: WEBHOOK_URL_INVALID · WEBHOOK_URL_INSECURE · WEBHOOK_URL_PRIVATE · WEBHOOK_EVENT_TYPE_INVALID · WEBHOOK_EVENT_TYPE_UNKNOWN. */
  createEndpoint(tenant: string, input: EndpointInput): Promise<EndpointWithSecret>
  listEndpoints(tenant: string): Promise<readonly Endpoint[]>
  /** Errors: WEBHOOK_ENDPOINT_NOT_FOUND (also for another tenant's id). */
  getEndpoint(tenant: string, id: string): Promise<Endpoint>
  updateEndpoint(tenant: string, id: string, patch: EndpointPatchInput): Promise<Endpoint>
  /** Soft delete: the endpoint stops receiving, its pending deliveries are cancelled, the log stays. */
  deleteEndpoint(tenant: string, id: string): Promise<void>
  /** Re-enables after an automatic or manual disable; the failure streak restarts. */
  enableEndpoint(tenant: string, id: string): Promise<Endpoint>
  /** New secret; the old one keeps signing (second signature) for `overlapMs` (default from options). */
  rotateSecret(tenant: string, id: string, opts?: { overlapMs?: number }): Promise<EndpointWithSecret>
  /** Sends a `webhooks.endpoint.ping.v1` now (one attempt, no retries, endpoint health untouched). */
  testEndpoint(tenant: string, id: string): Promise<Delivery>
  listDeliveries(
    tenant: string,
    endpointId: string,
    q?: DeliveryQuery,
  ): Promise<{ deliveries: readonly Delivery[]; next: string | undefined }>
  getDelivery(tenant: string, id: string): Promise<Delivery & { history: readonly Attempt[] }>
  /** A new delivery of the same event (same webhook-id) with a fresh retry schedule. Errors: WEBHOOK_ENDPOINT_DISABLED. */
  replayDelivery(tenant: string, id: string): Promise<Delivery>
  /** Deletes finished deliveries (delivered, failed, cancelled) created before the retention period,
   *  with their attempts (of `workerTenants` when set); the worker runs it hourly. Returns the count. */
  purge(): Promise<number>
  /** Fan-out of bus events to matching endpoints inside `tx` (the inbox transaction). Returns rows queued. */
  fanOut(tx: Db, messages: readonly EventMessage[]): Promise<number>
  /** Subscribes the fan-out to every catalogue event (group `webhooks-out`). */
  startConsumer(opts?: { consumerName?: string }): Promise<Subscription>
  readonly worker: DeliveryWorker
  close(): Promise<void>
}

const MAX_FILTERS = 100
const RESPONSE_BODY_MAX = 1024

export function createWebhooks(deps: WebhooksDeps): Webhooks {
  const o: WebhooksOptions = { ...DEFAULT_WEBHOOKS_OPTIONS, ...deps.options }
  const store = createWebhooksStore(deps.db)
  const random = deps.random ?? Math.random
  const currentField: BoundField = deps.fieldCipher.field({
    table: 'webhook_endpoints',
    column: 'secret_ct',
    idColumn: 'endpoint_id',
  })
  const previousField: BoundField = deps.fieldCipher.field({
    table: 'webhook_endpoints',
    column: 'previous_secret_ct',
    idColumn: 'endpoint_id',
  })
  const sender = createSender({
    timeoutMs: o.timeoutMs,
    allowPrivate: o.allowPrivate,
    responseBodyMax: RESPONSE_BODY_MAX,
    userAgent: 'Moneta-Webhooks/1',
    maxSockets: o.concurrency,
    keepPrivateResponseBodies: o.keepPrivateResponseBodies === true,
  })

  // Decrypted secrets per (endpoint, secret version): signing tens of thousands of deliveries should
  // not decrypt for each. Bounded; a rotation bumps the version so stale entries are never used.
  const secretCache = new Map<string, { current: string; previous: string | null }>()
  async function secretsFor(
    tenant: string,
    endpointId: string,
    s: EndpointSecrets,
  ): Promise<readonly string[]> {
    const key = `${tenant}\u0000${endpointId}\u0000${s.version}`
    let entry = secretCache.get(key)
    if (!entry) {
      entry = {
        current: await currentField.decryptString(tenant, endpointId, s.current),
        previous: s.previous ? await previousField.decryptString(tenant, endpointId, s.previous) : null,
      }
      if (secretCache.size >= 10_000) secretCache.clear()
      secretCache.set(key, entry)
    }
    const previousValid = entry.previous && s.previousExpiresAt && s.previousExpiresAt > deps.clock.now()
    return previousValid ? [entry.current, entry.previous!] : [entry.current]
  }

  async function disable(tx: Db, endpoints: readonly DisabledEndpoint[]): Promise<void> {
    const at = deps.clock.now()
    const events = []
    for (const e of endpoints) {
      const reason = `every delivery attempt failed since ${e.failingSince.toISOString()}`
      const updated = await store.setEnabled(tx, e.tenantId, e.endpointId, false, reason, at)
      if (!updated) continue
      deps.logger.warn(
        { tenant: e.tenantId, endpoint: e.endpointId },
        'webhook endpoint disabled after persistent failure',
      )
      events.push({
        topic: WEBHOOK_EVENTS.endpointDisabled,
        key: e.endpointId,
        tenantId: e.tenantId,
        payload: {
          endpointId: e.endpointId,
          url: e.url,
          reason,
          failingSince: e.failingSince.toISOString(),
          disabledAt: at.toISOString(),
        },
      })
    }
    await deps.outbox.enqueue(tx, events)
  }

  const worker = createDeliveryWorker({
    db: deps.db,
    store,
    clock: deps.clock,
    logger: deps.logger,
    send: sender.send,
    timeoutMs: o.timeoutMs,
    concurrency: o.concurrency,
    pollMs: o.pollMs,
    disableAfterMs: o.disableAfterMs,
    random,
    ...(deps.workerTenants ? { tenants: deps.workerTenants } : {}),
    decryptSecrets: secretsFor,
    disable,
    purge: () => store.purge(new Date(deps.clock.now().getTime() - o.retentionMs), deps.workerTenants),
  })

  function checkFilters(filters: readonly string[]): string[] {
    const out = [...new Set(filters)]
    if (out.length === 0 || out.length > MAX_FILTERS)
      throw eventTypeInvalid(`${out.length} filters (1–${MAX_FILTERS})`)
    for (const f of out) {
      if (!isValidFilter(f)) throw eventTypeInvalid(f)
      if (!isWildcard(f) && !deps.catalogue.has(f)) throw eventTypeUnknown(f)
    }
    return out
  }

  async function mustGet(tenant: string, id: string): Promise<Endpoint> {
    const e = await store.getEndpoint(tenant, id)
    if (!e) throw endpointNotFound(id)
    return e
  }

  return {
    async createEndpoint(tenant, input) {
      const url = (await checkUrl(input.url, o)).toString()
      const eventTypes = checkFilters(input.eventTypes ?? ['*'])
      const id = deps.ids('whep')
      const secret = generateSecret()
      const endpoint = await store.insertEndpoint(tenant, {
        id,
        url,
        description: input.description ?? '',
        eventTypes,
        enabled: input.enabled ?? true,
        secretCt: await currentField.encrypt(tenant, id, secret),
        at: deps.clock.now(),
      })
      return { endpoint, secret }
    },

    listEndpoints: (tenant) => store.listEndpoints(tenant),
    getEndpoint: mustGet,

    async updateEndpoint(tenant, id, patch) {
      await mustGet(tenant, id)
      const url = patch.url === undefined ? undefined : (await checkUrl(patch.url, o)).toString()
      const eventTypes = patch.eventTypes === undefined ? undefined : checkFilters(patch.eventTypes)
      const at = deps.clock.now()
      let e = await store.updateEndpoint(
        tenant,
        id,
        {
          ...(url !== undefined ? { url } : {}),
          ...(eventTypes !== undefined ? { eventTypes } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
        },
        at,
      )
      if (e && patch.enabled !== undefined && patch.enabled !== e.enabled)
        e = await deps.db
          .transaction()
          .execute((tx) => store.setEnabled(tx, tenant, id, patch.enabled!, 'manual', at))
      if (!e) throw endpointNotFound(id)
      return e
    },

    async deleteEndpoint(tenant, id) {
      if (!(await store.deleteEndpoint(tenant, id, deps.clock.now()))) throw endpointNotFound(id)
    },

    async enableEndpoint(tenant, id) {
      const e = await deps.db
        .transaction()
        .execute((tx) => store.setEnabled(tx, tenant, id, true, null, deps.clock.now()))
      if (!e) throw endpointNotFound(id)
      return e
    },

    async rotateSecret(tenant, id, opts = {}) {
      const secret = generateSecret()
      const at = deps.clock.now()
      const endpoint = await deps.db.transaction().execute(async (tx) => {
        const s = await store.getSecrets(tenant, id, tx)
        if (!s) throw endpointNotFound(id)
        const old = await currentField.decryptString(tenant, id, s.current)
        return store.rotate(tx, tenant, id, {
          current: await currentField.encrypt(tenant, id, secret),
          previous: await previousField.encrypt(tenant, id, old),
          previousExpiresAt: new Date(at.getTime() + (opts.overlapMs ?? o.rotationOverlapMs)),
          at,
        })
      })
      return { endpoint, secret }
    },

    async testEndpoint(tenant, id) {
      const e = await mustGet(tenant, id)
      const at = deps.clock.now()
      const deliveryId = deps.ids('whdl')
      const eventId = deps.ids('evt')
      const body = payloadBody(PING_EVENT_TYPE, at, { endpointId: e.id, message: 'ping' })
      await store.insertDeliveries(deps.db, [
        {
          tenantId: tenant,
          id: deliveryId,
          endpointId: id,
          eventId,
          eventType: PING_EVENT_TYPE,
          body,
          at,
          isTest: true,
        },
      ])
      const secrets = await store.getSecrets(tenant, id)
      if (!secrets) throw endpointNotFound(id)
      const result = await attemptDelivery(
        {
          tenantId: tenant,
          deliveryId,
          endpointId: id,
          eventId,
          body,
          attempts: 0,
          isTest: true,
          url: e.url,
          secrets,
        },
        { clock: deps.clock, send: sender.send, random, decryptSecrets: secretsFor },
        false,
      )
      await deps.db.transaction().execute((tx) => store.recordResults(tx, [result], new Date(0)))
      const d = await store.getDelivery(tenant, deliveryId)
      return strip(d!)
    },

    async listDeliveries(tenant, endpointId, q = {}) {
      await mustGet(tenant, endpointId)
      if (q.before !== undefined && !/^whdl_[0-9a-f]{32}$/.test(q.before)) throw invalidCursor()
      const limit = q.limit ?? 50
      const rows = await store.listDeliveries(tenant, endpointId, {
        limit: limit + 1,
        ...(q.status ? { status: q.status } : {}),
        ...(q.before ? { before: q.before } : {}),
      })
      const page = rows.slice(0, limit)
      return { deliveries: page, next: rows.length > limit ? page[page.length - 1]?.id : undefined }
    },

    async getDelivery(tenant, id) {
      const d = await store.getDelivery(tenant, id)
      if (!d) throw deliveryNotFound(id)
      return { ...strip(d), history: await store.attemptsOf(tenant, id) }
    },

    async replayDelivery(tenant, id) {
      const d = await store.getDelivery(tenant, id)
      if (!d) throw deliveryNotFound(id)
      const e = await store.getEndpoint(tenant, d.endpointId)
      if (!e) throw endpointNotFound(d.endpointId)
      if (!e.enabled) throw endpointDisabled(e.id)
      const replayId = deps.ids('whdl')
      await store.insertDeliveries(deps.db, [
        {
          tenantId: tenant,
          id: replayId,
          endpointId: d.endpointId,
          eventId: d.eventId,
          eventType: d.eventType,
          body: d.body,
          at: deps.clock.now(),
          replayOf: d.replayOf ?? d.id,
        },
      ])
      worker.kick()
      return strip((await store.getDelivery(tenant, replayId))!)
    },

    fanOut,

    purge: () => store.purge(new Date(deps.clock.now().getTime() - o.retentionMs), deps.workerTenants),

    startConsumer(opts = {}) {
      return deps.bus.subscribe({
        group: CONSUMER_GROUP,
        topics: deps.catalogue.definitions.map((d) => d.name),
        maxInFlight: 1000,
        ...(opts.consumerName ? { consumerName: opts.consumerName } : {}),
        batchHandler: async (messages) => {
          // Most events (market ticks…) match no endpoint: a read decides, so they cost no inbox rows.
          const relevant = await matching(messages)
          if (relevant.length === 0) return
          let queued = 0
          await deps.inbox.apply(CONSUMER_GROUP, relevant, async (tx, fresh) => {
            queued = await fanOut(tx, fresh)
          })
          if (queued > 0) worker.kick()
        },
      })
    },

    worker,

    async close() {
      await worker.stop()
      sender.close()
    },
  }

  async function matching(messages: readonly EventMessage[]): Promise<readonly EventMessage[]> {
    const endpoints = await store.liveEndpoints(deps.db, [...new Set(messages.map((m) => m.tenantId))])
    if (endpoints.length === 0) return []
    const filters = new Map<string, string[]>()
    for (const e of endpoints) filters.set(e.tenantId, [...(filters.get(e.tenantId) ?? []), ...e.eventTypes])
    return messages.filter((m) => matchesAny(filters.get(m.tenantId) ?? [], m.topic))
  }

  async function fanOut(tx: Db, messages: readonly EventMessage[]): Promise<number> {
    const tenants = [...new Set(messages.map((m) => m.tenantId))]
    const endpoints = await store.liveEndpoints(tx, tenants)
    if (endpoints.length === 0) return 0
    const byTenant = new Map<string, typeof endpoints>()
    for (const e of endpoints) {
      const list = byTenant.get(e.tenantId)
      if (list) list.push(e)
      else byTenant.set(e.tenantId, [e])
    }
    const at = deps.clock.now()
    const rows: NewDelivery[] = []
    for (const m of messages) {
      let body: string | undefined
      for (const e of byTenant.get(m.tenantId) ?? []) {
        if (!matchesAny(e.eventTypes, m.topic)) continue
        body ??= payloadBody(m.topic, m.occurredAt, m.payload)
        rows.push({
          tenantId: m.tenantId,
          id: deps.ids('whdl'),
          endpointId: e.endpointId,
          eventId: m.id,
          eventType: m.topic,
          body,
          at,
          eventKey: m.key,
        })
      }
    }
    return store.insertDeliveries(tx, rows)
  }
}

const strip = (d: Delivery & { body?: string }): Delivery => {
  const { body: _body, ...rest } = d
  return rest
}
