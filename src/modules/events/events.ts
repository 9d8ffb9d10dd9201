import { randomFillSync } from 'node:crypto'

/**
 * Domain types of the event backbone: the envelope every adapter carries and the bus port.
 * Events are named `module.entity.verb.v1`; the name is also the topic.
 */

/** What a producer hands to the bus (the outbox relay fills id and occurredAt from the row). */
export interface OutgoingEvent {
  readonly id?: string
  readonly topic: string
  readonly key: string
  readonly tenantId: string
  readonly payload: unknown
  /**
   * The payload already serialised as JSON (the relay reads it from the outbox as text): adapters
   * put it on the wire as is instead of serialising `payload` again. Must encode `payload`.
   */
  readonly payloadJson?: string
  readonly occurredAt?: Date
  readonly headers?: Readonly<Record<string, string>>
}

/** An event as it travels on the wire: every field set. */
export interface WireEvent {
  readonly id: string
  readonly topic: string
  readonly key: string
  readonly tenantId: string
  readonly payload: unknown
  readonly payloadJson?: string
  readonly occurredAt: Date
  readonly headers: Readonly<Record<string, string>>
}

/** An event as a consumer receives it. `position` is adapter specific (stream id, partition:offset, index). */
export interface EventMessage<P = unknown> extends WireEvent {
  readonly payload: P
  readonly position: string
}

export type BatchHandler = (messages: readonly EventMessage[]) => Promise<void>
export type MessageHandler = (message: EventMessage) => Promise<void>

export interface SubscribeOptions {
  /** Consumer group: each group receives every event once; its members compete for partitions. */
  readonly group: string
  readonly topics: readonly string[]
  /** Per-message handler: messages of one key run in order, different keys concurrently. */
  readonly handler?: MessageHandler
  /** Batch handler (for throughput): receives ordered batches; takes precedence over `handler`. */
  readonly batchHandler?: BatchHandler
  /** Name of this member (default: random). */
  readonly consumerName?: string
  /** Most messages held at once by this member (backpressure). Default 256. */
  readonly maxInFlight?: number
  /** Attempts before a message is dead-lettered. Default 5. */
  readonly maxAttempts?: number
  /** Delay between attempts, multiplied by the attempt number. Default 100 ms. */
  readonly retryBackoffMs?: number
  /** Redis: a message held this long by a dead member is claimed (XAUTOCLAIM). Default 30 s. */
  readonly claimIdleMs?: number
  /** Where a new group starts. Default 'earliest'. */
  readonly from?: 'earliest' | 'latest'
  /**
   * After a batch smaller than `maxInFlight`, wait this long before taking the next: fewer, larger
   * batches (and fewer wake-ups) for consumers that are not on a latency path, such as projections
   * that store what others act on. Default 0.
   */
  readonly lingerMs?: number
  /** A per-process group (fan-out to this process only): its broker state is removed on close. */
  readonly ephemeral?: boolean
}

export interface Subscription {
  readonly group: string
  readonly consumerName: string
  /** Partitions (units of ordering) this member owns now; for tests and `events` diagnostics. */
  assigned(): number
  /** Stops after the batch in flight is acknowledged and hands its partitions over. */
  close(): Promise<void>
  /** Simulates a crash: stops at once, acknowledges nothing more, releases nothing. */
  kill(): Promise<void>
}

export interface ReadFrom {
  /** Exclusive: messages after this position. */
  readonly position?: string
  /** Inclusive: messages at or after this time. */
  readonly since?: Date
}

export interface ReadResult {
  readonly messages: readonly EventMessage[]
  /** Pass back as `position` to continue. */
  readonly next: string | undefined
}

/** The bus port. At-least-once delivery, order per key, consumer groups, replay. */
export interface EventBus {
  readonly adapter: 'memory' | 'redis' | 'kafka'
  /** Validates every payload against the catalogue, then publishes in order. */
  publish(batch: readonly OutgoingEvent[]): Promise<readonly WireEvent[]>
  subscribe(options: SubscribeOptions): Promise<Subscription>
  /** Replay: reads a topic from a position or a time, without a consumer group. */
  read(topic: string, from: ReadFrom, limit: number): Promise<ReadResult>
  /** Called when the broker lost its data (Redis restart without persistence). */
  onStreamLoss(listener: (info: StreamLoss) => void): void
  close(): Promise<void>
}

export interface StreamLoss {
  /** Events published at or after this time may be gone from the broker; undefined = unknown. */
  readonly since: Date | undefined
}

/** What an adapter implements; the port adds validation, retries and dead-lettering on top. */
export interface Transport {
  readonly name: 'memory' | 'redis' | 'kafka'
  publish(batch: readonly WireEvent[]): Promise<void>
  consume(options: TransportConsumeOptions, process: BatchHandler): Promise<Subscription>
  read(topic: string, from: ReadFrom, limit: number): Promise<ReadResult>
  onStreamLoss(listener: (info: StreamLoss) => void): void
  close(): Promise<void>
}

export interface TransportConsumeOptions {
  readonly group: string
  readonly topics: readonly string[]
  readonly consumerName: string
  readonly maxInFlight: number
  readonly claimIdleMs: number
  readonly from: 'earliest' | 'latest'
  readonly ephemeral?: boolean
}

const pool = Buffer.alloc(16 * 256)
let poolAt = pool.length
/**
 * Event ids in the shape of newId('evt') (UUIDv7 hex, time first), drawing randomness from a pooled
 * buffer: publishing tens of thousands of events a second should not cost a crypto call each.
 */
export function eventId(nowMs: number = Date.now()): string {
  if (poolAt + 16 > pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const b = pool.subarray(poolAt, poolAt + 16)
  poolAt += 16
  b.writeUIntBE(nowMs, 0, 6)
  b[6] = (b[6]! & 0x0f) | 0x70
  b[8] = (b[8]! & 0x3f) | 0x80
  return `evt_${b.toString('hex')}`
}

/** FNV-1a 32-bit: the same key lands on the same partition in every process. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % partitions
}

/** Groups a batch by key, keeping each key's order. */
export function byKey<T extends { key: string }>(messages: readonly T[]): T[][] {
  const groups = new Map<string, T[]>()
  for (const m of messages) {
    const g = groups.get(m.key)
    if (g) g.push(m)
    else groups.set(m.key, [m])
  }
  return [...groups.values()]
}

export const TOPIC_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2}\.v[0-9]+$/
