import { describe, expect, it } from 'vitest'
import { createMemoryTransport } from './adapters/memory.js'
import { createEventBus } from './bus.js'
import { createCatalogue, systemEvents } from './catalogue.js'
import type { EventMessage } from './events.js'

const PROBE = 'events.probe.sent.v1'
const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5))
}

describe('subscribe lingerMs', () => {
  /** A bus whose waits are recorded and last `ms` for real, so events published meanwhile pile up. */
  const busWithWaits = () => {
    const waits: number[] = []
    const bus = createEventBus({
      transport: createMemoryTransport({ partitions: 1 }),
      catalogue: createCatalogue(systemEvents),
      deadLetters: { put: () => Promise.resolve() },
      delay: (ms) => {
        waits.push(ms)
        return new Promise((r) => setTimeout(r, ms))
      },
    })
    return { bus, waits }
  }
  const probe = (n: number) => ({ topic: PROBE, key: 'k', tenantId: 'ten_l', payload: { n } })

  it('waits after a small batch, so what arrives meanwhile comes as one batch, in order', async () => {
    const { bus, waits } = busWithWaits()
    const batches: EventMessage[][] = []
    const sub = await bus.subscribe({
      group: 'g',
      topics: [PROBE],
      maxInFlight: 100,
      lingerMs: 150,
      batchHandler: (msgs) => {
        batches.push([...msgs])
        return Promise.resolve()
      },
    })
    await bus.publish([probe(1)])
    await until(() => batches.length === 1)
    // The member now lingers: these ten arrive one by one but are taken together.
    for (let n = 2; n <= 11; n++) await bus.publish([probe(n)])
    await until(() => batches.flat().length === 11)
    expect(batches.map((b) => b.length)).toEqual([1, 10])
    expect(batches.flat().map((m) => (m.payload as { n: number }).n)).toEqual(
      Array.from({ length: 11 }, (_, i) => i + 1),
    )
    expect(waits.every((w) => w === 150)).toBe(true)
    await sub.close()
    await bus.close()
  })

  it('does not wait after a full batch (a backlog is drained at full speed), nor by default', async () => {
    const { bus, waits } = busWithWaits()
    await bus.publish(Array.from({ length: 30 }, (_, i) => probe(i)))
    let got = 0
    const full = await bus.subscribe({
      group: 'full',
      topics: [PROBE],
      maxInFlight: 10,
      lingerMs: 1000,
      batchHandler: (msgs) => {
        got += msgs.length
        return Promise.resolve()
      },
    })
    await until(() => got === 30)
    expect(got).toBe(30)
    // Three full batches of 10: no wait yet (the next, empty read has nothing to linger after).
    expect(waits).toEqual([])
    await full.close()

    let plain = 0
    const noLinger = await bus.subscribe({
      group: 'plain',
      topics: [PROBE],
      maxInFlight: 100,
      batchHandler: (msgs) => {
        plain += msgs.length
        return Promise.resolve()
      },
    })
    await until(() => plain === 30)
    expect(waits).toEqual([])
    await noLinger.close()
    await bus.close()
  })
})
