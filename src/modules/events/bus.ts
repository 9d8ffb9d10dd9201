import type { Logger } from 'pino'
import { newId } from '../../shared/ids.js'
import type { EventCatalogue } from './catalogue.js'
import {
  byKey,
  eventId,
  type BatchHandler,
  type EventBus,
  type EventMessage,
  type OutgoingEvent,
  type SubscribeOptions,
  type Transport,
  type WireEvent,
} from './events.js'
import { invalidEvent } from './events.errors.js'

/** Where messages go after their last failed attempt (or at once when their payload is invalid). */
export interface DeadLetterSink {
  put(group: string, message: EventMessage, error: string, attempts: number): Promise<void>
}

export interface EventBusDeps {
  readonly transport: Transport
  readonly catalogue: EventCatalogue
  readonly deadLetters: DeadLetterSink
  readonly logger?: Logger
  /** Waits between attempts; injectable so tests never sleep. */
  readonly delay?: (ms: number) => Promise<void>
}

const realDelay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))

/** The bus port over any transport: validation on publish and consume, retries, dead-lettering. */
export function createEventBus(deps: EventBusDeps): EventBus {
  const { transport, catalogue, deadLetters } = deps
  const delay = deps.delay ?? realDelay

  return {
    adapter: transport.name,
    async publish(batch: readonly OutgoingEvent[]) {
      const wire: WireEvent[] = batch.map((e) => {
        if (!e.key) throw invalidEvent(`Event ${e.topic} needs a partition key.`)
        if (!e.tenantId) throw invalidEvent(`Event ${e.topic} needs a tenant id.`)
        catalogue.validate(e.topic, e.payload)
        return {
          id: e.id ?? eventId(),
          topic: e.topic,
          key: e.key,
          tenantId: e.tenantId,
          payload: e.payload,
          ...(e.payloadJson === undefined ? {} : { payloadJson: e.payloadJson }),
          occurredAt: e.occurredAt ?? new Date(),
          headers: e.headers ?? {},
        }
      })
      if (wire.length > 0) await transport.publish(wire)
      return wire
    },

    async subscribe(options: SubscribeOptions) {
      for (const t of options.topics)
        if (!catalogue.has(t)) throw invalidEvent(`Cannot subscribe to unknown event type "${t}".`)
      const maxAttempts = options.maxAttempts ?? 5
      const backoff = options.retryBackoffMs ?? 100
      const group = options.group
      const batchHandler = options.batchHandler
      const handler = options.handler
      if (!batchHandler && !handler) throw invalidEvent('subscribe needs a handler or a batchHandler.')

      /** Runs fn up to maxAttempts times; returns the last error, or undefined on success. */
      const attempt = async (fn: () => Promise<void>, count: number): Promise<string | undefined> => {
        let lastError = ''
        for (let n = 1; n <= maxAttempts; n++) {
          try {
            await fn()
            return undefined
          } catch (e) {
            lastError = errorText(e)
            deps.logger?.warn({ group, attempt: n, error: lastError, count }, 'event handler failed')
            if (n < maxAttempts && backoff > 0) await delay(backoff * n)
          }
        }
        return lastError
      }
      /** One message at a time, in key order: retried, then dead-lettered so the key goes on. */
      const oneByOne = async (msgs: readonly EventMessage[], run: (m: EventMessage) => Promise<void>) => {
        await Promise.all(
          byKey(msgs).map(async (list) => {
            for (const m of list) {
              const e = await attempt(() => run(m), 1)
              if (e !== undefined) await deadLetters.put(group, m, e, maxAttempts)
            }
          }),
        )
      }

      const lingerMs = options.lingerMs ?? 0
      const maxInFlight = options.maxInFlight ?? 256
      const handle: BatchHandler = async (messages) => {
        await processBatch(messages)
        if (lingerMs > 0 && messages.length < maxInFlight) await delay(lingerMs)
      }
      const processBatch: BatchHandler = async (messages) => {
        const valid: EventMessage[] = []
        for (const m of messages) {
          const problem = catalogue.problem(m.topic, m.payload)
          if (problem) await deadLetters.put(group, m, `EVENT_INVALID_PAYLOAD: ${problem}`, 0)
          else valid.push(m)
        }
        if (valid.length === 0) return
        if (!batchHandler) return oneByOne(valid, handler!)
        const err = await attempt(() => batchHandler(valid), valid.length)
        if (err === undefined) return
        if (valid.length === 1) return deadLetters.put(group, valid[0]!, err, maxAttempts)
        // The batch keeps failing: isolate the poison messages, one key after another, in order.
        await oneByOne(valid, (m) => batchHandler([m]))
      }

      return transport.consume(
        {
          group,
          topics: options.topics,
          consumerName: options.consumerName ?? newId('csm'),
          maxInFlight,
          claimIdleMs: options.claimIdleMs ?? 30_000,
          from: options.from ?? 'earliest',
          ...(options.ephemeral ? { ephemeral: true } : {}),
        },
        handle,
      )
    },

    read: (topic, from, limit) => transport.read(topic, from, limit),
    onStreamLoss: (listener) => transport.onStreamLoss(listener),
    close: () => transport.close(),
  }
}
