/**
 * The Redis Streams wire format, against real Redis when MONETA_TEST_REDIS_URL is set (CI sets it):
 * one field per entry holding the envelope, chunked script XADDs that keep each stream's order, and
 * entries written in the earlier field-per-part layout still consumed.
 */
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { testRedisUrl } from '../../../../test/support/redis.js'
import { newId } from '../../../shared/ids.js'
import { eventId, partitionOf, type EventMessage, type Subscription, type WireEvent } from '../events.js'
import { createRedisTransport } from './redis-streams.js'

const url = testRedisUrl()
const TOPIC = 'wire.probe.sent.v1'

describe.runIf(url)('redis streams wire format', () => {
  const prefix = newId('test')
  const redis = new Redis(url ?? '')
  const transport = createRedisTransport({ url: url ?? '', prefix, partitions: 2, blockMs: 20 })
  const subs: Subscription[] = []
  afterAll(async () => {
    for (const s of subs) await s.close()
    await transport.close()
    const keys = await redis.keys(`${prefix}:*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })

  const collect = async (group: string, want: number) => {
    const got: EventMessage[] = []
    subs.push(
      await transport.consume(
        {
          group,
          topics: [TOPIC],
          consumerName: newId('c'),
          maxInFlight: 500,
          claimIdleMs: 30_000,
          from: 'earliest',
        },
        (msgs) => {
          got.push(...msgs)
          return Promise.resolve()
        },
      ),
    )
    for (let i = 0; i < 200 && got.length < want; i++) await new Promise((r) => setTimeout(r, 25))
    return got
  }

  it('an entry is one `e` field; a pre-serialised payload goes on the wire as given; 600 events to one key keep their order', async () => {
    const at = new Date(1_700_000_000_123)
    const first: WireEvent = {
      id: eventId(),
      topic: TOPIC,
      key: 'acct-1',
      tenantId: 'ten_a',
      payload: { n: 0, note: 'quote " and \\ and é' },
      occurredAt: at,
      headers: { traceparent: '00-abc-def-01' },
    }
    const rest: WireEvent[] = Array.from({ length: 599 }, (_, i) => ({
      id: eventId(),
      topic: TOPIC,
      key: 'acct-1',
      tenantId: 'ten_a',
      payload: { n: i + 1 },
      payloadJson: `{"n": ${i + 1}}`, // PostgreSQL's jsonb text, spaces and all
      occurredAt: at,
      headers: {},
    }))
    await transport.publish([first, ...rest])

    const stream = `${prefix}:s:${TOPIC}:${partitionOf('acct-1', 2)}`
    const entries = (await redis.xrange(stream, '-', '+', 'COUNT', 1)) as [string, string[]][]
    const fields: string[] = entries[0]![1]
    expect(fields[0]).toBe('e')
    expect(fields).toHaveLength(2)
    expect(JSON.parse(fields[1] ?? '')).toEqual({
      i: first.id,
      k: 'acct-1',
      t: 'ten_a',
      o: at.getTime(),
      d: first.payload,
      h: first.headers,
    })

    const got = await collect('g-order', 600)
    expect(got.map((m) => (m.payload as { n: number }).n)).toEqual(Array.from({ length: 600 }, (_, i) => i))
    expect(got[0]).toMatchObject({
      id: first.id,
      topic: TOPIC,
      key: 'acct-1',
      tenantId: 'ten_a',
      payload: first.payload,
      headers: first.headers,
    })
    expect(got[0]!.occurredAt.getTime()).toBe(at.getTime())
    expect(got[1]!.headers).toEqual({})
  })

  it('entries in the earlier field-per-part layout are still consumed', async () => {
    const id = eventId()
    const stream = `${prefix}:s:${TOPIC}:${partitionOf('legacy', 2)}`
    await redis.xadd(
      stream,
      '*',
      'id',
      id,
      'k',
      'legacy',
      'tn',
      'ten_b',
      'ts',
      '1700000000000',
      'd',
      '{"n":42}',
      'h',
      '{"x":"y"}',
    )
    const got = await collect('g-legacy', 601)
    const legacy = got.find((m) => m.id === id)
    expect(legacy).toMatchObject({
      key: 'legacy',
      tenantId: 'ten_b',
      payload: { n: 42 },
      headers: { x: 'y' },
    })
    expect(legacy!.occurredAt.getTime()).toBe(1_700_000_000_000)
  })
})
