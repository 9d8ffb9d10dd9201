export { createEventBackbone, createTransport } from './backbone.js'
export type { BusConfig, EventBackbone, EventBackboneOptions } from './backbone.js'
export { createEventBus } from './bus.js'
export type { DeadLetterSink, EventBusDeps } from './bus.js'
export { createCatalogue, defineEvent, ledgerEvents, systemEvents } from './catalogue.js'
export type { EventCatalogue, EventDefinition } from './catalogue.js'
export type { DeadLetter, DeadLetterStore } from './dead-letters.js'
export { createDeadLetterStore } from './dead-letters.js'
export { partitionOf } from './events.js'
export type {
  BatchHandler,
  EventBus,
  EventMessage,
  MessageHandler,
  OutgoingEvent,
  ReadFrom,
  ReadResult,
  StreamLoss,
  SubscribeOptions,
  Subscription,
  Transport,
  WireEvent,
} from './events.js'
export { createInbox } from './inbox.js'
export type { ConsumerInbox } from './inbox.js'
export { createOutbox, OUTBOX_CHANNEL } from './outbox.js'
export type { Outbox } from './outbox.js'
export { createOutboxRelay } from './relay.js'
export { outboxBacklog } from './backlog.js'
export type { OutboxBacklog } from './backlog.js'
export type { OutboxRelay, OutboxRelayOptions, RelayStats } from './relay.js'
export { createMemoryTransport } from './adapters/memory.js'
export { createRedisTransport } from './adapters/redis-streams.js'
export { createKafkaTransport } from './adapters/kafka.js'
export { eventsMigrations } from './events.migrations.js'
