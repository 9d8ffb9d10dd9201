import type { Logger } from 'pino'
import type { DbHandle } from '../../shared/db/connect.js'
import { createPostCommitNotifier } from '../../shared/db/notifier.js'
import { createEventBus } from './bus.js'
import {
  createCatalogue,
  ledgerEvents,
  systemEvents,
  type EventCatalogue,
  type EventDefinition,
} from './catalogue.js'
import { createDeadLetterStore, type DeadLetterStore } from './dead-letters.js'
import type { EventBus, Transport } from './events.js'
import { createInbox, type ConsumerInbox } from './inbox.js'
import { createKafkaTransport, type KafkaTransportOptions } from './adapters/kafka.js'
import { createMemoryTransport } from './adapters/memory.js'
import { createRedisTransport, type RedisTransportOptions } from './adapters/redis-streams.js'
import { createOutbox, OUTBOX_CHANNEL, type Outbox } from './outbox.js'
import { createOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './relay.js'

export type BusConfig =
  | { readonly kind: 'memory'; readonly partitions?: number }
  | ({ readonly kind: 'redis' } & Omit<RedisTransportOptions, 'logger'>)
  | ({ readonly kind: 'kafka' } & Omit<KafkaTransportOptions, 'logger'>)

export interface EventBackboneOptions {
  readonly db: DbHandle
  readonly bus: BusConfig
  /** Event definitions of other modules (market, payments…), added to the built-in ones. */
  readonly events?: readonly EventDefinition[]
  readonly logger?: Logger
  readonly relay?: Omit<OutboxRelayOptions, 'db' | 'bus' | 'catalogue' | 'logger'>
  /**
   * When Redis comes up with a data set this process has never seen (first start, or lost while
   * nothing ran), republish every retained sent row. Default true; consumers deduplicate.
   */
  readonly republishOnUnknownLoss?: boolean
  /** Waits between handler attempts (tests inject an immediate one). */
  readonly delay?: (ms: number) => Promise<void>
}

export interface EventBackbone {
  readonly catalogue: EventCatalogue
  readonly bus: EventBus
  readonly outbox: Outbox
  readonly relay: OutboxRelay
  readonly inbox: ConsumerInbox
  readonly deadLetters: DeadLetterStore
  /** Resolves after the republish triggered by a detected stream loss (tests wait on it). */
  lastRecovery(): Promise<number>
  /** Starts the outbox relay loop. */
  start(): Promise<void>
  close(): Promise<void>
}

export function createTransport(config: BusConfig, logger?: Logger): Transport {
  switch (config.kind) {
    case 'memory':
      return createMemoryTransport(config.partitions === undefined ? {} : { partitions: config.partitions })
    case 'redis':
      return createRedisTransport({ ...config, ...(logger ? { logger } : {}) })
    case 'kafka':
      return createKafkaTransport({ ...config, ...(logger ? { logger } : {}) })
  }
}

/** Wires catalogue, bus, outbox, relay, inbox and dead letters for one process. */
export function createEventBackbone(o: EventBackboneOptions): EventBackbone {
  const catalogue = createCatalogue([...ledgerEvents, ...systemEvents, ...(o.events ?? [])])
  const deadLetters = createDeadLetterStore(o.db.db)
  const bus = createEventBus({
    transport: createTransport(o.bus, o.logger),
    catalogue,
    deadLetters,
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.delay ? { delay: o.delay } : {}),
  })
  const relay = createOutboxRelay({
    ...o.relay,
    db: o.db,
    bus,
    catalogue,
    ...(o.logger ? { logger: o.logger } : {}),
  })
  // After a commit wrote events: on PostgreSQL a NOTIFY, which every process's relay hears (this
  // one's too; the lanes' holder may be another process); PGlite has only this process's relay.
  const notifier = createPostCommitNotifier(o.db, OUTBOX_CHANNEL, o.logger)
  const outbox = createOutbox(catalogue, o.db.engine === 'postgres' ? notifier.notify : () => relay.kick())
  let recovery: Promise<number> = Promise.resolve(0)
  bus.onStreamLoss(({ since }) => {
    if (!since && o.republishOnUnknownLoss === false) return
    // Clock skew margin between this process, Redis and the database: republish a minute more.
    const from = since ? new Date(since.getTime() - 60_000) : undefined
    recovery = relay.republish(from ? { since: from } : {}).then(
      (n) => {
        if (n > 0)
          o.logger?.warn(
            { republished: n, since: from },
            'republishing retained outbox rows after stream loss',
          )
        return n
      },
      (err: unknown) => {
        o.logger?.error({ err }, 'republish after stream loss failed')
        return 0
      },
    )
  })
  return {
    catalogue,
    bus,
    outbox,
    relay,
    inbox: createInbox(o.db.db),
    deadLetters,
    lastRecovery: () => recovery,
    start: () => relay.start(),
    async close() {
      await relay.stop()
      await notifier.settled()
      await bus.close()
    },
  }
}
