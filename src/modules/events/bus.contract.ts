/**
 * The contract every bus transport must honour, run by bus.contract.test.ts against memory always,
 * Redis when MONETA_TEST_REDIS_URL is set and Kafka when MONETA_TEST_KAFKA_BROKERS is set.
 */
import { Type } from '@sinclair/typebox'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { DbHandle } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import { isAppError } from '../../shared/errors.js'
import { createEventBus, type DeadLetterSink } from './bus.js'
import { createCatalogue, defineEvent } from './catalogue.js'
import type { EventBus, EventMessage, Subscription, Transport } from './events.js'
import { createInbox } from './inbox.js'

export const contractCatalogue = createCatalogue([
  defineEvent(
    'contract.item.sent.v1',
    'Contract suite event.',
    Type.Object({ n: Type.Integer(), fail: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
  ),
  defineEvent(
    'contract.replay.sent.v1',
    'Contract suite event (replay test only).',
    Type.Object({ n: Type.Integer() }),
  ),
])
const REPLAY = 'contract.replay.sent.v1'
const TOPIC = 'contract.item.sent.v1'

export interface ContractTarget {
  readonly name: string
  /** A fresh transport, isolated from earlier runs (own key prefix or topic prefix). */
  makeTransport(): Transport
  /** How long membership changes take to settle (lease, rebalance). */
  readonly settleMs: number
  /** Partitions of a topic (units of ordering spread over a group's members). */
  readonly partitions: number
  /** Whether closing an ephemeral group removes its state (memory, Redis; Kafka expires groups itself). */
  readonly ephemeralGroups: boolean
  readonly openDb: () => Promise<DbHandle>
}

interface Dead {
  group: string
  message: EventMessage
  error: string
  attempts: number
}

export function runBusContract(target: ContractTarget): void {
  // Group rebalances take seconds on Kafka (more on a busy machine): give each test room for a few.
  describe(`event bus contract [${target.name}]`, { timeout: 30_000 + target.settleMs * 8 }, () => {
    let transport: Transport
    let bus: EventBus
    let db: DbHandle
    const dead: Dead[] = []
    const sink: DeadLetterSink = {
      put: (group, message, error, attempts) => {
        dead.push({ group, message, error, attempts })
        return Promise.resolve()
      },
    }
    const subs: Subscription[] = []
    const tenantId = newId('ten')
    const wait = { timeout: target.settleMs * 6 + 10_000, interval: 20 }

    beforeAll(async () => {
      transport = target.makeTransport()
      bus = createEventBus({
        transport,
        catalogue: contractCatalogue,
        deadLetters: sink,
        delay: () => Promise.resolve(),
      })
      db = await target.openDb()
    })
    // Each test's members leave when it ends, so the next test's group rebalances alone.
    afterEach(async () => {
      for (const s of subs.splice(0)) await s.close().catch(() => undefined)
    })
    afterAll(async () => {
      await bus.close()
      await db.close()
    })

    const events = (keys: number, perKey: number, tag: string) =>
      Array.from({ length: keys * perKey }, (_, i) => ({
        topic: TOPIC,
        key: `${tag}-${i % keys}`,
        tenantId,
        payload: { n: i },
      }))
    /** Subscribes a fresh group; the handler sees only this test's keys (the topic is shared by the tests). */
    const sub = async (
      group: string,
      tag: string,
      handler: (m: EventMessage) => Promise<void>,
      extra: { maxInFlight?: number; maxAttempts?: number } = {},
    ) => {
      const s = await bus.subscribe({
        group,
        topics: [TOPIC],
        handler: (m) => (m.key.startsWith(tag) ? handler(m) : Promise.resolve()),
        claimIdleMs: 100,
        retryBackoffMs: 0,
        ...extra,
      })
      subs.push(s)
      return s
    }
    /** Per key, the payload numbers in the order a handler saw them. */
    const perKey = (ms: readonly EventMessage[]) => {
      const out = new Map<string, number[]>()
      for (const m of ms) out.set(m.key, [...(out.get(m.key) ?? []), (m.payload as { n: number }).n])
      return out
    }

    it('delivers every event to every group, in order per key', async () => {
      const tag = newId('k')
      const batch = events(6, 10, tag)
      const a: EventMessage[] = []
      const b: EventMessage[] = []
      const ga = newId('grp')
      const gb = newId('grp')
      await sub(ga, tag, (m) => (a.push(m), Promise.resolve()))
      await sub(gb, tag, (m) => (b.push(m), Promise.resolve()))
      for (let i = 0; i < batch.length; i += 20) await bus.publish(batch.slice(i, i + 20))
      await vi.waitFor(() => {
        expect(new Set(a.map((m) => m.id)).size).toBe(60)
        expect(new Set(b.map((m) => m.id)).size).toBe(60)
      }, wait)
      const expected = perKey(batch.map((e) => ({ ...e, payload: e.payload }) as unknown as EventMessage))
      expect(perKey(a)).toEqual(expected)
      expect(perKey(b)).toEqual(expected)
      expect(a[0]!.tenantId).toBe(tenantId)
      expect(a[0]!.topic).toBe(TOPIC)
      expect(a[0]!.occurredAt).toBeInstanceOf(Date)
    })

    it('spreads partitions over competing members; each key stays with one member, in order', async () => {
      const group = newId('grp')
      const tag = newId('k')
      const seen = new Map<string, EventMessage[]>()
      const handlerFor = (name: string) => (m: EventMessage) => {
        seen.set(name, [...(seen.get(name) ?? []), m])
        return Promise.resolve()
      }
      const s1 = await sub(group, tag, handlerFor('one'))
      const s2 = await sub(group, tag, handlerFor('two'))
      await vi.waitFor(() => {
        expect(s1.assigned()).toBeGreaterThan(0)
        expect(s2.assigned()).toBeGreaterThan(0)
        expect(s1.assigned() + s2.assigned()).toBe(target.partitions)
      }, wait)
      const batch = events(24, 5, tag)
      await bus.publish(batch)
      await vi.waitFor(() => {
        const all = [...seen.values()].flat()
        expect(new Set(all.map((m) => m.id)).size).toBe(batch.length)
      }, wait)
      const one = seen.get('one') ?? []
      const two = seen.get('two') ?? []
      expect(one.length).toBeGreaterThan(0)
      expect(two.length).toBeGreaterThan(0)
      const keysOne = new Set(one.map((m) => m.key))
      for (const m of two) expect(keysOne.has(m.key)).toBe(false)
      const expected = perKey(batch as unknown as EventMessage[])
      for (const [key, ns] of [...perKey(one), ...perKey(two)]) expect(ns).toEqual(expected.get(key))
    })

    it('redelivers what a killed member held to the member that takes over, in order', async () => {
      const group = newId('grp')
      const tag = newId('k')
      const batch = events(1, 8, tag)
      let release!: () => void
      const blocked = new Promise<void>((r) => (release = r))
      const first: EventMessage[] = []
      const victim = await sub(group, tag, async (m) => {
        first.push(m)
        await blocked
      })
      await bus.publish(batch)
      await vi.waitFor(() => expect(first.length).toBe(1), wait)
      const killing = victim.kill()
      release()
      await killing
      const second: EventMessage[] = []
      await sub(group, tag, (m) => (second.push(m), Promise.resolve()))
      await vi.waitFor(() => expect(new Set(second.map((m) => m.id)).size).toBe(8), wait)
      // The message the victim was working on comes again (at-least-once), and order holds.
      expect(second[0]!.id).toBe(first[0]!.id)
      const ns = second.map((m) => (m.payload as { n: number }).n)
      expect(ns).toEqual([...ns].sort((x, y) => x - y))
    })

    it('retries a failing handler, then dead-letters with the error and goes on with the key', async () => {
      const group = newId('grp')
      const key = newId('key')
      const calls = new Map<number, number>()
      const done: number[] = []
      await sub(
        group,
        key,
        (m) => {
          const p = m.payload as { n: number; fail?: number }
          const c = (calls.get(p.n) ?? 0) + 1
          calls.set(p.n, c)
          if (p.fail !== undefined && c <= p.fail) return Promise.reject(new Error(`boom ${p.n} #${c}`))
          done.push(p.n)
          return Promise.resolve()
        },
        { maxAttempts: 3 },
      )
      await bus.publish([
        { topic: TOPIC, key, tenantId, payload: { n: 1, fail: 2 } }, // succeeds on the third attempt
        { topic: TOPIC, key, tenantId, payload: { n: 2, fail: 99 } }, // never succeeds
        { topic: TOPIC, key, tenantId, payload: { n: 3 } },
      ])
      await vi.waitFor(() => expect(done).toEqual([1, 3]), wait)
      expect(calls.get(1)).toBe(3)
      expect(calls.get(2)).toBe(3)
      const d = dead.filter((x) => x.group === group && x.message.key === key)
      expect(d).toHaveLength(1)
      expect((d[0]!.message.payload as { n: number }).n).toBe(2)
      expect(d[0]!.error).toContain('boom 2 #3')
      expect(d[0]!.attempts).toBe(3)
    })

    it('validates payloads on publish and on consume', async () => {
      const bad = bus.publish([{ topic: TOPIC, key: 'k', tenantId, payload: { n: 'one' } }])
      await expect(bad).rejects.toSatisfy((e) => isAppError(e) && e.code === 'EVENT_INVALID_PAYLOAD')
      await expect(
        bus.publish([{ topic: 'nope.thing.done.v1', key: 'k', tenantId, payload: {} }]),
      ).rejects.toSatisfy((e) => isAppError(e) && e.code === 'EVENT_UNKNOWN_TYPE')
      const group = newId('grp')
      const handled: EventMessage[] = []
      const key = newId('key')
      await sub(group, key, (m) => (handled.push(m), Promise.resolve()))
      // A producer that skipped validation (another version, a bug): the consumer refuses the payload.
      await transport.publish([
        {
          id: newId('evt'),
          topic: TOPIC,
          key,
          tenantId,
          payload: { n: 'x' },
          occurredAt: new Date(),
          headers: {},
        },
        {
          id: newId('evt'),
          topic: TOPIC,
          key,
          tenantId,
          payload: { n: 7 },
          occurredAt: new Date(),
          headers: {},
        },
      ])
      await vi.waitFor(() => expect(handled.filter((m) => m.key === key)).toHaveLength(1), wait)
      const d = dead.filter((x) => x.group === group && x.message.key === key)
      expect(d).toHaveLength(1)
      expect(d[0]!.error).toMatch(/^EVENT_INVALID_PAYLOAD/)
    })

    it('replays a topic from a position and from a time', async () => {
      const t = target.makeTransport()
      const b = createEventBus({ transport: t, catalogue: contractCatalogue, deadLetters: sink })
      try {
        const key = newId('key')
        const early = Array.from({ length: 3 }, (_, i) => ({
          topic: REPLAY,
          key,
          tenantId,
          payload: { n: i },
        }))
        await b.publish(early)
        // The broker stamps arrival time with its own clock: let it move past the first batch.
        await new Promise((r) => setTimeout(r, 20))
        const cut = new Date()
        await new Promise((r) => setTimeout(r, 20))
        await b.publish([3, 4].map((n) => ({ topic: REPLAY, key, tenantId, payload: { n } })))
        const n = (ms: readonly EventMessage[]) => ms.map((m) => (m.payload as { n: number }).n)
        const all = await vi.waitFor(async () => {
          const r = await b.read(REPLAY, {}, 100)
          expect(r.messages).toHaveLength(5)
          return r.messages
        }, wait)
        expect(n(all)).toEqual([0, 1, 2, 3, 4])
        expect(all.every((m) => m.key === key && m.topic === REPLAY)).toBe(true)
        expect(n((await b.read(REPLAY, { position: all[1]!.position }, 100)).messages)).toEqual([2, 3, 4])
        expect(n((await b.read(REPLAY, { since: cut }, 100)).messages)).toEqual([3, 4])
        const page = await b.read(REPLAY, {}, 2)
        expect(n(page.messages)).toEqual([0, 1])
        const rest = await b.read(REPLAY, { position: page.next! }, 100)
        expect(n(rest.messages)).toEqual([2, 3, 4])
        expect((await b.read(REPLAY, { position: rest.next! }, 100)).messages).toHaveLength(0)
      } finally {
        await b.close()
      }
    })

    it('bounds the messages in flight per member', async () => {
      const group = newId('grp')
      let inFlight = 0
      let peak = 0
      let handled = 0
      const tag = newId('k')
      await sub(
        group,
        tag,
        async () => {
          inFlight++
          peak = Math.max(peak, inFlight)
          await new Promise((r) => setImmediate(r))
          inFlight--
          handled++
        },
        { maxInFlight: 4 },
      )
      await bus.publish(events(40, 1, tag))
      await vi.waitFor(() => expect(handled).toBeGreaterThanOrEqual(40), wait)
      expect(peak).toBeGreaterThan(1)
      expect(peak).toBeLessThanOrEqual(4)
    })

    if (target.ephemeralGroups) {
      it('an ephemeral group leaves nothing behind; a durable one resumes where it stopped', async () => {
        const key = newId('key')
        const seen = (group: string, ephemeral: boolean) => {
          const got: number[] = []
          return {
            got,
            sub: () =>
              bus.subscribe({
                group,
                topics: [TOPIC],
                ephemeral,
                handler: (m) =>
                  m.key === key
                    ? (got.push((m.payload as { n: number }).n), Promise.resolve())
                    : Promise.resolve(),
              }),
          }
        }
        const eph = newId('grp')
        const dur = newId('grp')
        const e1 = seen(eph, true)
        const d1 = seen(dur, false)
        const [se, sd] = [await e1.sub(), await d1.sub()]
        await bus.publish([{ topic: TOPIC, key, tenantId, payload: { n: 1 } }])
        await vi.waitFor(() => expect([e1.got, d1.got]).toEqual([[1], [1]]), wait)
        await se.close()
        await sd.close()
        await bus.publish([{ topic: TOPIC, key, tenantId, payload: { n: 2 } }])
        const e2 = seen(eph, true)
        const d2 = seen(dur, false)
        subs.push(await e2.sub(), await d2.sub())
        await vi.waitFor(() => expect([e2.got, d2.got]).toEqual([[1, 2], [2]]), wait)
      })
    }

    it('with the inbox, a duplicated delivery has one effect', async () => {
      const group = newId('grp')
      const key = newId('key')
      const inbox = createInbox(db.db)
      const effects: string[] = []
      const s = await bus.subscribe({
        group,
        topics: [TOPIC],
        batchHandler: inbox.handler(group, (_tx, fresh) => {
          for (const m of fresh) if (m.key === key) effects.push(m.id)
          return Promise.resolve()
        }),
      })
      subs.push(s)
      const id = newId('evt')
      const e = { id, topic: TOPIC, key, tenantId, payload: { n: 1 } }
      await bus.publish([e, e])
      await bus.publish([e, { ...e, id: newId('evt'), payload: { n: 2 } }])
      await vi.waitFor(() => expect(effects).toHaveLength(2), wait)
      await vi.waitFor(async () => {
        const replay = await bus.read(TOPIC, {}, 10_000)
        expect(replay.messages.filter((m) => m.id === id)).toHaveLength(3)
      }, wait)
      expect(effects.filter((x) => x === id)).toHaveLength(1)
      expect(await inbox.seen(tenantId, group, id)).toBe(true)
    })
  })
}
