/**
 * Kafka transport against a real broker (librdkafka's mock cluster in CI), when
 * MONETA_TEST_KAFKA_BROKERS is set: a member whose offset commit is the first to hear that its group
 * is rebalancing must rejoin (not crash for good while still claiming its old partitions).
 */
import { afterAll, describe, expect, it, vi } from 'vitest'
import { testKafkaBrokers } from '../../../../test/support/kafka.js'
import { newId } from '../../../shared/ids.js'
import type { EventMessage, Subscription, Transport } from '../events.js'
import { createKafkaTransport } from './kafka.js'

const brokers = testKafkaBrokers()

describe.runIf(brokers)('kafka transport', () => {
  const transport: Transport = createKafkaTransport({
    brokers: brokers ?? [],
    topicPrefix: `${newId('t')}.`,
    sessionTimeoutMs: 6000,
  })
  const subs: Subscription[] = []
  afterAll(async () => {
    for (const s of subs) await s.close().catch(() => undefined)
    await transport.close()
  })

  it(
    'a member busy in its handler while a second one joins rejoins and shares the partitions',
    { timeout: 120_000 },
    async () => {
      const topic = 'kafka.rejoin.sent.v1'
      const group = newId('grp')
      // Generous: librdkafka's mock coordinator answers a follower's SyncGroup that arrives after the
      // leader's with INVALID_REQUEST, so under CI load the joining member may crash and be restarted
      // (by the transport's supervisor) a few times, 3-5 s a round, before it gets its share.
      const wait = { timeout: 100_000, interval: 20 }
      const events = Array.from({ length: 16 }, (_, i) => ({
        id: newId('evt'),
        topic,
        key: `k-${i % 8}`,
        tenantId: 'ten_test',
        payload: { n: i },
        occurredAt: new Date(),
        headers: {},
      }))
      await transport.publish(events)

      const seen: EventMessage[] = []
      let release!: () => void
      const released = new Promise<void>((r) => (release = r))
      const options = (name: string) => ({
        group,
        topics: [topic],
        consumerName: name,
        maxInFlight: 1,
        claimIdleMs: 100,
        from: 'earliest' as const,
      })
      // The first member holds its first message, so its next step after the handler is an offset commit.
      const s1 = await transport.consume(options('one'), async (ms) => {
        seen.push(...ms)
        await released
      })
      subs.push(s1)
      await vi.waitFor(() => expect(seen.length).toBeGreaterThan(0), wait)
      // A second member joins; the group rebalances while the first is still in its handler, so the
      // first member's commit is answered "the group is rebalancing".
      const joining = transport.consume(options('two'), (ms) => (seen.push(...ms), Promise.resolve()))
      setTimeout(release, 2000)
      const s2 = await joining
      subs.push(s2)

      await vi.waitFor(() => {
        expect(s1.assigned()).toBeGreaterThan(0)
        expect(s2.assigned()).toBeGreaterThan(0)
        expect(s1.assigned() + s2.assigned()).toBe(4) // the mock cluster's topics have 4 partitions
      }, wait)
      // Nothing is lost: the held message was either committed or redelivered to its partition's owner.
      await vi.waitFor(() => expect(new Set(seen.map((m) => m.id)).size).toBe(events.length), wait)
    },
  )
})
