import {
  partitionOf,
  type BatchHandler,
  type EventMessage,
  type ReadFrom,
  type ReadResult,
  type StreamLoss,
  type Subscription,
  type Transport,
  type TransportConsumeOptions,
  type WireEvent,
} from '../events.js'

/**
 * The embedded default: an in-process log per topic, split in partitions by key, with
 * Kafka-like consumer groups (one owner per partition, committed cursor). Nothing survives the process.
 */
export interface MemoryTransportOptions {
  readonly partitions?: number
}

interface Member {
  readonly name: string
  readonly topics: readonly string[]
  owned: string[]
  wake: () => void
}

interface Group {
  readonly cursors: Map<string, number> // unit "topic#partition" → next index to deliver
  readonly members: Member[]
}

export function createMemoryTransport(opts: MemoryTransportOptions = {}): Transport {
  const partitions = opts.partitions ?? 8
  const logs = new Map<string, EventMessage[][]>() // topic → partition → messages
  const groups = new Map<string, Group>()
  const appended = new WeakMap<EventMessage, number>() // append time, for replay "since"
  let sequence = 0
  let closed = false

  const log = (topic: string): EventMessage[][] => {
    let l = logs.get(topic)
    if (!l) {
      l = Array.from({ length: partitions }, () => [])
      logs.set(topic, l)
    }
    return l
  }

  const rebalance = (g: Group) => {
    const units = [...new Set(g.members.flatMap((m) => m.topics))].flatMap((t) =>
      Array.from({ length: partitions }, (_, p) => `${t}#${p}`),
    )
    for (const m of g.members) m.owned = []
    units.forEach((u, i) => {
      const topic = u.slice(0, u.lastIndexOf('#'))
      const candidates = g.members.filter((m) => m.topics.includes(topic))
      const m = candidates[i % candidates.length]
      m?.owned.push(u)
    })
    for (const m of g.members) m.wake()
  }

  const wakeAll = () => {
    for (const g of groups.values()) for (const m of g.members) m.wake()
  }

  return {
    name: 'memory',
    publish(batch: readonly WireEvent[]) {
      if (closed) return Promise.reject(new Error('memory bus closed'))
      for (const e of batch) {
        const m: EventMessage = { ...e, position: String(++sequence) }
        appended.set(m, Date.now())
        log(e.topic)[partitionOf(e.key, partitions)]!.push(m)
      }
      wakeAll()
      return Promise.resolve()
    },

    consume(o: TransportConsumeOptions, process: BatchHandler): Promise<Subscription> {
      let g = groups.get(o.group)
      if (!g) {
        g = { cursors: new Map(), members: [] }
        groups.set(o.group, g)
      }
      const group = g
      for (const t of o.topics) {
        for (let p = 0; p < partitions; p++) {
          const unit = `${t}#${p}`
          if (!group.cursors.has(unit)) group.cursors.set(unit, o.from === 'latest' ? log(t)[p]!.length : 0)
        }
      }
      let running = true
      let killed = false
      let wakeUp: (() => void) | undefined
      const member: Member = {
        name: o.consumerName,
        topics: o.topics,
        owned: [],
        wake: () => wakeUp?.(),
      }
      group.members.push(member)
      rebalance(group)

      const loop = async () => {
        while (running) {
          const batch: EventMessage[] = []
          const advance = new Map<string, number>()
          for (const unit of member.owned) {
            if (batch.length >= o.maxInFlight) break
            const sep = unit.lastIndexOf('#')
            const part = log(unit.slice(0, sep))[Number(unit.slice(sep + 1))]!
            const from = group.cursors.get(unit) ?? 0
            const take = part.slice(from, from + (o.maxInFlight - batch.length))
            if (take.length === 0) continue
            batch.push(...take)
            advance.set(unit, from + take.length)
          }
          if (batch.length === 0) {
            await new Promise<void>((resolve) => {
              wakeUp = resolve
              setTimeout(resolve, 250).unref()
            })
            wakeUp = undefined
            continue
          }
          try {
            await process(batch)
          } catch {
            // Not acknowledged: the same messages come again on the next round.
            await new Promise((r) => setTimeout(r, 100))
            continue
          }
          if (killed) return
          // Acknowledge: move the committed cursor (never backwards, in case of a hand-over).
          for (const [unit, next] of advance)
            group.cursors.set(unit, Math.max(group.cursors.get(unit) ?? 0, next))
        }
      }
      const done = loop()

      const leave = () => {
        running = false
        const i = group.members.indexOf(member)
        if (i >= 0) group.members.splice(i, 1)
        if (o.ephemeral && group.members.length === 0 && groups.get(o.group) === group) groups.delete(o.group)
        rebalance(group)
        wakeUp?.()
      }
      return Promise.resolve({
        group: o.group,
        consumerName: o.consumerName,
        assigned: () => member.owned.length,
        async close() {
          running = false
          wakeUp?.()
          await done
          leave()
        },
        kill() {
          killed = true
          leave()
          return Promise.resolve()
        },
      })
    },

    read(topic: string, from: ReadFrom, limit: number): Promise<ReadResult> {
      // Positions are the bus-wide append sequence; a read merges partitions in append order.
      const all = log(topic)
        .flat()
        .sort((a, b) => Number(a.position) - Number(b.position))
      let start = 0
      if (from.position) {
        const after = Number(from.position)
        start = all.findIndex((m) => Number(m.position) > after)
      } else if (from.since) {
        const since = from.since.getTime()
        start = all.findIndex((m) => (appended.get(m) ?? 0) >= since)
      }
      if (start < 0) start = all.length
      const messages = all.slice(start, start + limit)
      return Promise.resolve({ messages, next: messages.at(-1)?.position ?? from.position })
    },

    onStreamLoss(_listener: (info: StreamLoss) => void) {
      // Memory loses everything with the process; the outbox republishes what the relay had not marked sent.
    },

    close() {
      closed = true
      for (const g of groups.values()) for (const m of g.members) m.wake()
      return Promise.resolve()
    },
  }
}
