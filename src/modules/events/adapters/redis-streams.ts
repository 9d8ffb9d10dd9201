import { randomBytes } from 'node:crypto'
import type { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import type { Logger } from 'pino'
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
import { busUnavailable } from '../events.errors.js'

/**
 * Redis Streams transport. A topic is split into `partitions` streams (`{prefix}:s:{topic}:{p}`,
 * p = FNV-1a(key) mod partitions) so order per key survives competing consumers: each group member
 * holds a lease on the partitions it reads (SET NX PX, renewed), partitions are spread evenly over
 * live members, and a partition whose previous holder died is first drained of that holder's
 * pending entries with XAUTOCLAIM (after `claimIdleMs`) before new entries are read.
 *
 * Redis here keeps nothing on disk. An epoch marker key detects a restart that lost the data set;
 * listeners of onStreamLoss (the outbox) then republish what may have been lost.
 */
export interface RedisTransportOptions {
  readonly url: string
  /** Key prefix; tests use a fresh one each. Default "moneta". */
  readonly prefix?: string
  readonly partitions?: number
  /** Approximate cap per stream (XADD MAXLEN ~). Default 1,000,000. */
  readonly maxLen?: number
  /** Partition lease; a dead member's partitions move after this. Default 5 s. */
  readonly leaseMs?: number
  /** XREADGROUP BLOCK time. Default 200 ms. */
  readonly blockMs?: number
  readonly logger?: Logger
}

type Fields = string[]
/** The stream entry's `e` field: the event, with the topic taken from the stream's name. */
interface Envelope {
  i: string
  k: string
  t: string
  /** occurredAt, epoch ms */
  o: number
  d: unknown
  h?: Record<string, string>
}

/** Serialises an event once; a payload already in JSON (the relay reads it as text) is spliced in. */
function envelope(e: WireEvent): string {
  const d = e.payloadJson ?? JSON.stringify(e.payload)
  const h = hasHeaders(e.headers) ? `,"h":${JSON.stringify(e.headers)}` : ''
  return `{"i":${JSON.stringify(e.id)},"k":${JSON.stringify(e.key)},"t":${JSON.stringify(e.tenantId)},"o":${e.occurredAt.getTime()},"d":${d}${h}}`
}

function hasHeaders(h: Readonly<Record<string, string>>): boolean {
  for (const _ in h) return true
  return false
}
type StreamEntry = [id: string, fields: Fields]

/**
 * XADDs each ARGV[2..] as one entry (field `e`) of KEYS[1], capped at ~ARGV[1] entries. A script runs
 * alone in Redis, so a chunk is kept small (XADD_CHUNK) not to hold up other clients' commands.
 */
const XADD_MANY = `for i = 2, #ARGV do redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i]) end
return #ARGV - 1`
const XADD_CHUNK = 256
const XADD_DIRECT_MAX = 8
type WithXaddMany = Redis & {
  xaddMany(stream: string, maxLen: string, ...envelopes: string[]): Promise<number>
}

/**
 * Issues the commands `send` makes in one socket write (the socket corked around them), without an
 * ioredis pipeline: a pipeline object per batch kept megabytes of young objects alive across
 * collections (measured: ~2 MB promoted per scavenge, 4–7 ms pauses, against 0.4 ms with plain
 * commands), and those pauses were the tail of tick-to-alert latency.
 */
function together<T>(client: Redis, send: () => T): T {
  const socket = client.status === 'ready' ? (client.stream as Partial<Writable> | undefined) : undefined
  socket?.cork?.()
  try {
    return send()
  } finally {
    socket?.uncork?.()
  }
}

/** Waits for every reply; the first failure, if any, becomes the error (none is left unhandled). */
async function allReplies(replies: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(replies)).find(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  )
  if (failed) throw failed.reason
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`

export function createRedisTransport(opts: RedisTransportOptions): Transport {
  const prefix = opts.prefix ?? 'moneta'
  const partitions = opts.partitions ?? 8
  const maxLen = opts.maxLen ?? 1_000_000
  const leaseMs = opts.leaseMs ?? 5000
  const blockMs = opts.blockMs ?? 200
  const redis = new Redis(opts.url, { maxRetriesPerRequest: 2, lazyConnect: true, enableOfflineQueue: true })
  redis.defineCommand('xaddMany', { numberOfKeys: 1, lua: XADD_MANY })
  redis.on('error', (err) => opts.logger?.debug({ err }, 'redis error'))
  const connections = new Set<Redis>([redis])
  const lossListeners: ((i: StreamLoss) => void)[] = []
  const stream = (topic: string, p: number) => `${prefix}:s:${topic}:${p}`
  const epochKey = `${prefix}:epoch`

  // Epoch marker: "<random>|<ms>" set when a data set is first seen. Missing after a reconnect = data lost.
  let epoch: { id: string; since: number } | undefined
  let epochCheck: Promise<void> | undefined
  const checkEpoch = async (): Promise<void> => {
    const fresh = `${randomBytes(8).toString('hex')}|${Date.now()}`
    const set = await redis.set(epochKey, fresh, 'NX')
    const value = set === 'OK' ? fresh : ((await redis.get(epochKey)) ?? fresh)
    const [id, ms] = value.split('|')
    const current = { id: id ?? '', since: Number(ms) }
    const previous = epoch
    epoch = current
    if (previous && previous.id !== current.id) {
      opts.logger?.warn(
        { since: new Date(previous.since) },
        'redis lost its streams (restart without persistence)',
      )
      for (const l of lossListeners) l({ since: new Date(previous.since) })
    } else if (!previous && set === 'OK') {
      // A data set this process has never seen: a first start, or a loss while nothing was running.
      for (const l of lossListeners) l({ since: undefined })
    }
  }
  const ensureEpoch = () => (epochCheck ??= checkEpoch().finally(() => (epochCheck = undefined)))
  redis.on('ready', () => {
    ensureEpoch().catch((err: unknown) => opts.logger?.warn({ err }, 'redis epoch check failed'))
  })

  /** The topic part of `{prefix}:s:{topic}:{p}`. */
  const topicOf = (streamKey: string) => streamKey.slice(prefix.length + 3, streamKey.lastIndexOf(':'))

  /**
   * An entry is one field, `e`, holding the compact envelope (one JSON.parse per event instead of a
   * string per field and a parse per part: the consumer's biggest cost at tens of thousands a second).
   * Entries in the earlier one-field-per-part layout (id, k, tn, ts, d, h) still decode.
   */
  const decode = (topic: string, [id, f]: StreamEntry): EventMessage => {
    if (f.length === 2 && f[0] === 'e') {
      const e = JSON.parse(f[1]!) as Envelope
      return {
        id: e.i,
        topic,
        key: e.k,
        tenantId: e.t,
        occurredAt: new Date(e.o),
        payload: e.d,
        headers: e.h ?? {},
        position: id,
      }
    }
    const m: Record<string, string> = {}
    for (let i = 0; i + 1 < f.length; i += 2) m[f[i]!] = f[i + 1]!
    return {
      id: m.id ?? id,
      topic,
      key: m.k ?? '',
      tenantId: m.tn ?? '',
      occurredAt: new Date(Number(m.ts)),
      payload: JSON.parse(m.d ?? 'null') as unknown,
      headers: m.h ? (JSON.parse(m.h) as Record<string, string>) : {},
      position: id,
    }
  }

  return {
    name: 'redis',
    async publish(batch: readonly WireEvent[]) {
      // Grouped by stream, in order, XADDed by a script a chunk at a time: a command per chunk instead
      // of one per event (each command object cost the relay more than the event it carried).
      const byStream = new Map<string, string[]>()
      for (const e of batch) {
        const s = stream(e.topic, partitionOf(e.key, partitions))
        const list = byStream.get(s)
        if (list) list.push(envelope(e))
        else byStream.set(s, [envelope(e)])
      }
      const client = redis as WithXaddMany
      const cap = String(maxLen)
      const replies = together(redis, () => {
        const out: Promise<unknown>[] = []
        for (const [s, list] of byStream) {
          // A few entries (a tick burst spread over partitions) go as plain XADDs: a script call only
          // pays for itself over many.
          if (list.length <= XADD_DIRECT_MAX) {
            for (const env of list) out.push(client.xadd(s, 'MAXLEN', '~', cap, '*', 'e', env))
            continue
          }
          for (let i = 0; i < list.length; i += XADD_CHUNK)
            out.push(client.xaddMany(s, cap, ...list.slice(i, i + XADD_CHUNK)))
        }
        return out
      })
      await allReplies(replies).catch((e: unknown) => {
        throw busUnavailable(`Redis did not accept the events: ${String(e)}`, e)
      })
    },

    async consume(o: TransportConsumeOptions, process: BatchHandler): Promise<Subscription> {
      await ensureEpoch()
      const conn = redis.duplicate()
      conn.on('error', () => undefined)
      connections.add(conn)
      const me = o.consumerName
      const membersKey = `${prefix}:members:${o.group}`
      const units = o.topics.flatMap((t) => Array.from({ length: partitions }, (_, p) => stream(t, p)))
      const lease = (s: string) => `${prefix}:lease:${o.group}:${s}`
      const owned = new Set<string>()
      const draining = new Set<string>() // newly acquired: drain others' pending entries first
      let running = true
      let killed = false
      let lastBalance = 0
      let rotate = 0

      const ensureGroups = async (streams: readonly string[]) => {
        for (const s of streams) {
          await redis
            .xgroup('CREATE', s, o.group, o.from === 'latest' ? '$' : '0', 'MKSTREAM')
            .catch((e: unknown) => {
              if (!String(e).includes('BUSYGROUP')) throw e
            })
        }
      }
      await ensureGroups(units)

      const balance = async () => {
        const now = Date.now()
        lastBalance = now
        // One round trip: heartbeat, live member count and every lease renewal.
        const mine = [...owned]
        const [, , counted, ...renewed] = await Promise.allSettled(
          together(redis, () => [
            redis.zadd(membersKey, now + leaseMs, me),
            redis.zremrangebyscore(membersKey, '-inf', now),
            redis.zcount(membersKey, now, '+inf'),
            ...mine.map((s) => redis.eval(RENEW, 1, lease(s), me, leaseMs)),
          ]),
        )
        const live = Math.max(1, counted?.status === 'fulfilled' ? Number(counted.value) : 1)
        const target = Math.ceil(units.length / live)
        mine.forEach((s, i) => {
          const renewal = renewed[i]
          if (renewal?.status !== 'fulfilled' || renewal.value !== 1) {
            owned.delete(s)
            draining.delete(s)
          }
        })
        while (owned.size > target) {
          const s = [...owned].pop()!
          await redis.eval(RELEASE, 1, lease(s), me)
          owned.delete(s)
          draining.delete(s)
        }
        if (owned.size < target) {
          const start = partitionOf(me, units.length)
          for (let i = 0; i < units.length && owned.size < target; i++) {
            const s = units[(start + i) % units.length]!
            if (owned.has(s)) continue
            if ((await redis.set(lease(s), me, 'PX', leaseMs, 'NX')) === 'OK') {
              owned.add(s)
              draining.add(s)
            }
          }
        }
      }

      // Acknowledgements wait for this member's next command and go out in the same write (a write
      // and a wake-up per batch fewer: on a busy 2-core machine each costs more than the XACK).
      const toAck = new Map<string, string[]>()
      const queueAcks = (msgs: readonly EventMessage[], streamOf: Map<EventMessage, string>) => {
        for (const m of msgs) {
          const s = streamOf.get(m)!
          const list = toAck.get(s)
          if (list) list.push(m.position)
          else toAck.set(s, [m.position])
        }
      }
      /** Sends the queued XACKs (one per stream); a failed one leaves its entries pending, to be read again by the drain path. */
      const sendAcks = (): Promise<unknown>[] => {
        const out: Promise<unknown>[] = []
        for (const [s, ids] of toAck)
          out.push(
            conn.xack(s, o.group, ...ids).catch(() => {
              if (owned.has(s)) draining.add(s)
            }),
          )
        toAck.clear()
        return out
      }
      const flushAcks = async () => {
        if (toAck.size > 0) await Promise.all(together(conn, sendAcks))
      }

      const run = async (entries: [string, StreamEntry[]][]) => {
        const msgs: EventMessage[] = []
        const streamOf = new Map<EventMessage, string>()
        const bad: [string, string][] = []
        for (const [s, list] of entries) {
          const topic = topicOf(s)
          for (const entry of list) {
            try {
              const m = decode(topic, entry)
              msgs.push(m)
              streamOf.set(m, s)
            } catch {
              bad.push([s, entry[0]]) // undecodable entry: acknowledged and dropped (never written by Moneta)
            }
          }
        }
        if (bad.length > 0) await Promise.all(bad.map(([s, id]) => redis.xack(s, o.group, id)))
        if (msgs.length === 0) return
        await process(msgs)
        if (killed) return
        queueAcks(msgs, streamOf)
      }

      // A partition newly taken over (or after an error): first what is pending to this member,
      // then what its previous holder left pending (XAUTOCLAIM once idle), in id order.
      const drain = async (s: string): Promise<boolean> => {
        await flushAcks() // what was just processed must not come back as pending
        const mine = (await conn.xreadgroup(
          'GROUP',
          o.group,
          me,
          'COUNT',
          o.maxInFlight,
          'STREAMS',
          s,
          '0',
        )) as [string, [string, Fields | null][]][] | null
        const own = mine?.[0]?.[1] ?? []
        const gone = own.filter((e) => !e[1]).map((e) => e[0])
        if (gone.length > 0) await redis.xack(s, o.group, ...gone)
        const ownLive = own.filter((e): e is StreamEntry => Array.isArray(e[1]))
        if (ownLive.length > 0) {
          await run([[s, ownLive]])
          return false
        }
        const [, claimed, deleted] = (await redis.xautoclaim(
          s,
          o.group,
          me,
          o.claimIdleMs,
          '0-0',
          'COUNT',
          o.maxInFlight,
        )) as [string, (StreamEntry | null)[], string[]?]
        if (deleted && deleted.length > 0) await redis.xack(s, o.group, ...deleted)
        const live = claimed.filter((e): e is StreamEntry => e !== null && Array.isArray(e[1]))
        if (live.length > 0) {
          await run([[s, live]])
          return false
        }
        const pending = (await redis.xpending(s, o.group)) as [number, ...unknown[]]
        return Number(pending[0]) === 0
      }

      const loop = async () => {
        while (running) {
          try {
            if (Date.now() - lastBalance > leaseMs / 3) await balance()
            for (const s of [...draining]) {
              if (!running) break
              if (await drain(s)) draining.delete(s)
            }
            let readable = [...owned].filter((s) => !draining.has(s))
            if (readable.length === 0) {
              await flushAcks()
              await new Promise((r) => setTimeout(r, Math.min(100, blockMs)))
              continue
            }
            // Bounded in flight: COUNT applies per stream, so split the budget over the streams read.
            if (readable.length > o.maxInFlight) {
              rotate = (rotate + o.maxInFlight) % readable.length
              readable = [...readable.slice(rotate), ...readable.slice(0, rotate)].slice(0, o.maxInFlight)
            }
            const count = Math.max(1, Math.floor(o.maxInFlight / readable.length))
            const reply = await together(conn, () => {
              void sendAcks()
              return conn.xreadgroup(
                'GROUP',
                o.group,
                me,
                'COUNT',
                count,
                'BLOCK',
                blockMs,
                'STREAMS',
                ...readable,
                ...readable.map(() => '>'),
              )
            })
            const res = reply as [string, StreamEntry[]][] | null
            if (!res || !running) continue
            await run(res)
          } catch (err) {
            if (!running) break
            if (String(err).includes('NOGROUP')) {
              // The streams vanished (Redis restart): recreate groups from the start of the new streams.
              await ensureGroups(units).catch(() => undefined)
              for (const s of owned) draining.add(s)
              continue
            }
            opts.logger?.warn({ err, group: o.group }, 'redis consumer error')
            // Whatever was read but not acknowledged is pending to us: take it again first.
            for (const s of owned) draining.add(s)
            await new Promise((r) => setTimeout(r, 200))
          }
        }
      }
      const done = loop()

      return {
        group: o.group,
        consumerName: me,
        assigned: () => owned.size,
        async close() {
          running = false
          await done
          await flushAcks().catch(() => undefined)
          for (const s of owned) await redis.eval(RELEASE, 1, lease(s), me).catch(() => undefined)
          await redis.zrem(membersKey, me).catch(() => undefined)
          if (o.ephemeral) {
            // A per-process group: nothing of it should outlive the process.
            const pipe = redis.pipeline()
            for (const s of units) pipe.xgroup('DESTROY', s, o.group)
            pipe.del(membersKey)
            await pipe.exec().catch(() => undefined)
          }
          connections.delete(conn)
          conn.disconnect()
        },
        kill() {
          running = false
          killed = true
          connections.delete(conn)
          conn.disconnect()
          return Promise.resolve()
        },
      }
    },

    async read(topic: string, from: ReadFrom, limit: number): Promise<ReadResult> {
      const start = from.position ? `(${from.position}` : from.since ? `${from.since.getTime()}-0` : '-'
      const lists = await Promise.all(
        Array.from({ length: partitions }, async (_, p) => {
          const s = stream(topic, p)
          const entries = (await redis.xrange(s, start, '+', 'COUNT', limit)) as StreamEntry[]
          return entries.map((e) => decode(topic, e))
        }),
      )
      const messages = lists
        .flat()
        .sort((a, b) => compareIds(a.position, b.position))
        .slice(0, limit)
      return { messages, next: messages.at(-1)?.position ?? from.position }
    },

    onStreamLoss(listener) {
      lossListeners.push(listener)
    },

    async close() {
      for (const c of connections) if (c !== redis) c.disconnect()
      await redis.quit().catch(() => undefined)
    },
  }
}

function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-')
  const [bm = '0', bs = '0'] = b.split('-')
  return Number(am) - Number(bm) || Number(as) - Number(bs)
}
