import kafkajs, { type Consumer, type KafkaMessage, type Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { newId } from '../../../shared/ids.js'
import type {
  BatchHandler,
  EventMessage,
  ReadFrom,
  ReadResult,
  StreamLoss,
  Subscription,
  Transport,
  TransportConsumeOptions,
  WireEvent,
} from '../events.js'
import { busUnavailable } from '../events.errors.js'

const { Kafka, logLevel, Partitioners } = kafkajs

/**
 * Kafka transport (kafkajs). A topic's partitions carry the per-key order (the default partitioner
 * hashes the key); consumer groups, rebalancing and redelivery of uncommitted offsets are Kafka's.
 * Offsets are committed only after the handler (and the inbox transaction) succeeded.
 */
export interface KafkaTransportOptions {
  readonly brokers: readonly string[]
  readonly clientId?: string
  /** Topic name prefix (tests use a fresh one). Default none. */
  readonly topicPrefix?: string
  readonly sessionTimeoutMs?: number
  readonly logger?: Logger
}

export function createKafkaTransport(opts: KafkaTransportOptions): Transport {
  const prefix = opts.topicPrefix ?? ''
  const kafka = new Kafka({
    clientId: opts.clientId ?? 'moneta',
    brokers: [...opts.brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100 },
  })
  let producer: Producer | undefined
  let producing: Promise<Producer> | undefined
  const consumers = new Set<Consumer>()
  const kTopic = (t: string) => `${prefix}${t}`
  const fromK = (t: string) => t.slice(prefix.length)

  const getProducer = () =>
    (producing ??= (async () => {
      const p = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
      })
      await p.connect()
      producer = p
      return p
    })())

  const decode = (topic: string, partition: number, m: KafkaMessage): EventMessage => {
    const h = (name: string) => m.headers?.[name]?.toString()
    return {
      id: h('id') ?? `${partition}:${m.offset}`,
      topic: fromK(topic),
      key: m.key?.toString() ?? '',
      tenantId: h('tn') ?? '',
      occurredAt: new Date(Number(h('ts') ?? m.timestamp)),
      payload: JSON.parse(m.value?.toString() ?? 'null') as unknown,
      headers: h('h') ? (JSON.parse(h('h')!) as Record<string, string>) : {},
      position: `${partition}:${m.offset}`,
    }
  }

  /**
   * One group member that stays a member. kafkajs restarts a consumer after a retriable crash only; a
   * non-retriable protocol error while joining (librdkafka's broker answers a SyncGroup racing a
   * rebalance with INVALID_REQUEST) stops it for good, silently: the process keeps running with a
   * member that consumes nothing. So a crash kafkajs does not restart is restarted here, with a fresh
   * consumer and a growing pause, until the subscription is closed.
   */
  function superviseMember(o: TransportConsumeOptions, process: BatchHandler) {
    const session = opts.sessionTimeoutMs ?? 6000
    let current: Consumer | undefined
    let assigned = 0
    let stopped = false
    let killed = false
    let restarts = 0
    let restartTimer: NodeJS.Timeout | undefined

    const restartLater = (error: unknown) => {
      if (stopped) return
      const pauseMs = Math.min(5000, 100 * 2 ** Math.min(restarts++, 6))
      opts.logger?.warn({ err: error, group: o.group, pauseMs }, 'kafka: group member crashed; restarting it')
      restartTimer = setTimeout(() => {
        restartTimer = undefined
        start().catch(restartLater)
      }, pauseMs)
    }

    const start = async () => {
      if (stopped) return
      const consumer = kafka.consumer({
        groupId: `${prefix}${o.group}`,
        sessionTimeout: session,
        heartbeatInterval: Math.max(100, Math.floor(session / 10)),
        rebalanceTimeout: session,
        maxWaitTimeInMs: 50,
        allowAutoTopicCreation: true,
      })
      current = consumer
      consumers.add(consumer)
      // Partitions are being reassigned: this member owns none until it has joined again. A crashed or
      // stopped member owns none either (a restarted one joins again and reports its new share).
      const ownNothing = () => {
        if (current === consumer) assigned = 0
      }
      consumer.on(consumer.events.REBALANCING, ownNothing)
      consumer.on(consumer.events.STOP, ownNothing)
      consumer.on(consumer.events.CRASH, (e) => {
        ownNothing()
        if (e.payload.restart || current !== consumer) return
        consumers.delete(consumer)
        restartLater(e.payload.error)
      })
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        if (current !== consumer) return
        restarts = 0
        assigned = Object.values(e.payload.memberAssignment).reduce((n, parts) => n + parts.length, 0)
      })
      await consumer.connect()
      await consumer.subscribe({ topics: o.topics.map(kTopic), fromBeginning: o.from === 'earliest' })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async (payload) => {
          const { batch } = payload
          for (let i = 0; i < batch.messages.length; i += o.maxInFlight) {
            if (killed || !payload.isRunning() || payload.isStale()) return
            const chunk = batch.messages.slice(i, i + o.maxInFlight)
            await process(chunk.map((m) => decode(batch.topic, batch.partition, m)))
            if (killed) return
            const last = chunk[chunk.length - 1]!
            payload.resolveOffset(last.offset)
            // Commit through the batch, not consumer.commitOffsets(): the latter wraps a "group is
            // rebalancing" answer in a non-retriable error, which crashes the consumer (see above)
            // while it still believes it owns its old partitions. The batch's commit throws the
            // protocol error itself, so kafkajs rejoins the group; the uncommitted chunk is
            // redelivered to the partition's next owner (the inbox makes that harmless).
            await payload.commitOffsetsIfNecessary({
              topics: [
                {
                  topic: batch.topic,
                  partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }],
                },
              ],
            })
            await payload.heartbeat()
          }
        },
      })
    }

    return {
      start,
      assigned: () => assigned,
      async stop(how: { killed?: boolean } = {}) {
        stopped = true
        if (how.killed) killed = true
        if (restartTimer) clearTimeout(restartTimer)
        assigned = 0
        const consumer = current
        current = undefined
        if (!consumer) return
        consumers.delete(consumer)
        if (how.killed) await consumer.disconnect().catch(() => undefined)
        else await consumer.disconnect()
      },
    }
  }

  return {
    name: 'kafka',
    async publish(batch: readonly WireEvent[]) {
      const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>()
      for (const e of batch) {
        const list = byTopic.get(e.topic) ?? []
        const headers: Record<string, string> = {
          id: e.id,
          tn: e.tenantId,
          ts: String(e.occurredAt.getTime()),
        }
        if (Object.keys(e.headers).length > 0) headers.h = JSON.stringify(e.headers)
        list.push({ key: e.key, value: e.payloadJson ?? JSON.stringify(e.payload), headers })
        byTopic.set(e.topic, list)
      }
      try {
        const p = await getProducer()
        await p.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([t, messages]) => ({ topic: kTopic(t), messages })),
        })
      } catch (e) {
        throw busUnavailable('Kafka did not accept the events.', e)
      }
    },

    async consume(o: TransportConsumeOptions, process: BatchHandler): Promise<Subscription> {
      // Topics are created on first use (broker auto-creation); make sure they exist before joining.
      const admin = kafka.admin()
      await admin.connect()
      await admin.fetchTopicMetadata({ topics: o.topics.map(kTopic) }).catch(() => undefined)
      await admin.disconnect()
      const member = superviseMember(o, process)
      await member.start()
      return {
        group: o.group,
        consumerName: o.consumerName,
        assigned: () => member.assigned(),
        close: () => member.stop(),
        async kill() {
          await member.stop({ killed: true })
        },
      }
    },

    async read(topic: string, from: ReadFrom, limit: number): Promise<ReadResult> {
      const admin = kafka.admin()
      await admin.connect()
      let ends: { partition: number; high: string }[]
      try {
        ends = await admin.fetchTopicOffsets(kTopic(topic))
      } finally {
        await admin.disconnect()
      }
      // Position: "p:o,p:o" (last offset read per partition); missing partitions start at the beginning.
      const after = new Map<number, bigint>()
      for (const part of (from.position ?? '').split(',').filter(Boolean)) {
        const [p, off] = part.split(':')
        after.set(Number(p), BigInt(off ?? '-1'))
      }
      const start = new Map(ends.map((e) => [e.partition, (after.get(e.partition) ?? -1n) + 1n]))
      const todo = ends.filter((e) => start.get(e.partition)! < BigInt(e.high))
      const got: EventMessage[] = []
      if (todo.length > 0) {
        const consumer = kafka.consumer({
          groupId: newId('replay'),
          maxWaitTimeInMs: 50,
          sessionTimeout: 6000,
        })
        await consumer.connect()
        try {
          await consumer.subscribe({ topics: [kTopic(topic)], fromBeginning: true })
          const remaining = new Set(todo.map((e) => e.partition))
          const high = new Map(ends.map((e) => [e.partition, BigInt(e.high)]))
          let finish!: () => void
          const finished = new Promise<void>((r) => (finish = r))
          await consumer.run({
            autoCommit: false,
            eachMessage: ({ partition, message }) => {
              if (!remaining.has(partition)) return Promise.resolve()
              const off = BigInt(message.offset)
              if (off >= start.get(partition)!) got.push(decode(kTopic(topic), partition, message))
              if (off + 1n >= high.get(partition)!) remaining.delete(partition)
              if (remaining.size === 0) finish()
              return Promise.resolve()
            },
          })
          for (const e of todo)
            consumer.seek({
              topic: kTopic(topic),
              partition: e.partition,
              offset: start.get(e.partition)!.toString(),
            })
          await Promise.race([finished, new Promise((r) => setTimeout(r, 20_000))])
        } finally {
          await consumer.disconnect()
        }
      }
      const since = from.since?.getTime() ?? -Infinity
      const messages = got
        .filter((m) => m.occurredAt.getTime() >= since)
        .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.position < b.position ? -1 : 1))
        .slice(0, limit)
      // Next position: per partition, the last offset handed out (or the previous position).
      for (const m of messages) {
        const [p, off] = m.position.split(':')
        after.set(Number(p), BigInt(off!))
      }
      const next = after.size === 0 ? undefined : [...after].map(([p, off]) => `${p}:${off}`).join(',')
      return { messages, next }
    },

    onStreamLoss(_listener: (info: StreamLoss) => void) {
      // Kafka keeps its log on disk; a lost topic is an operator event, handled with `moneta events replay`.
    },

    async close() {
      for (const c of consumers) await c.disconnect().catch(() => undefined)
      if (producer) await producer.disconnect().catch(() => undefined)
    },
  }
}
