import { describe, expect, it } from 'vitest'
import { GroupCommit } from './group-commit.js'

interface Item {
  readonly group: string
  readonly key: string | null
  readonly n: number
}

/** A batcher whose send records each batch and answers n * 10 per item. */
function recording(
  opts: {
    maxBatch?: number
    maxInFlight?: number
    grouped?: boolean
    keyed?: boolean
    minBatchWhileBusy?: number
    lingerMs?: number
    sendMs?: number
  } = {},
) {
  const batches: number[][] = []
  const gc = new GroupCommit<Item, number>({
    maxBatch: opts.maxBatch ?? 100,
    maxInFlight: opts.maxInFlight ?? 1,
    closedMessage: 'test batcher is closed',
    ...(opts.grouped ? { groupOf: (i: Item) => i.group } : {}),
    ...(opts.keyed ? { exclusiveKey: (i: Item) => i.key } : {}),
    ...(opts.minBatchWhileBusy ? { minBatchWhileBusy: opts.minBatchWhileBusy } : {}),
    ...(opts.lingerMs ? { lingerMs: opts.lingerMs } : {}),
    async send(items) {
      batches.push(items.map((i) => i.n))
      await new Promise((r) => setTimeout(r, opts.sendMs ?? 2))
      return items.map((i) => i.n * 10)
    },
  })
  return { gc, batches }
}

const item = (n: number, group = 'a', key: string | null = null): Item => ({ group, key, n })

describe('GroupCommit', () => {
  it('sends requests made in the same tick together and answers each with its own result', async () => {
    const { gc, batches } = recording()
    const results = await Promise.all([1, 2, 3].map((n) => gc.submit(item(n))))
    expect(results).toEqual([10, 20, 30])
    expect(batches).toEqual([[1, 2, 3]])
  })

  it('caps a batch at maxBatch; what waits leaves in the next batch', async () => {
    const { gc, batches } = recording({ maxBatch: 2 })
    await Promise.all([1, 2, 3, 4, 5].map((n) => gc.submit(item(n))))
    expect(batches).toEqual([[1, 2], [3, 4], [5]])
  })

  it('keeps groups apart, oldest group first, order kept within a group', async () => {
    const { gc, batches } = recording({ grouped: true })
    await Promise.all([item(1, 'a'), item(2, 'b'), item(3, 'a'), item(4, 'b')].map((i) => gc.submit(i)))
    expect(batches).toEqual([
      [1, 3],
      [2, 4],
    ])
  })

  it('never puts the same exclusive key twice in a batch', async () => {
    const { gc, batches } = recording({ keyed: true })
    await Promise.all(
      [item(1, 'a', 'k'), item(2, 'a', null), item(3, 'a', 'k'), item(4, 'a', null)].map((i) => gc.submit(i)),
    )
    expect(batches).toEqual([[1, 2, 4], [3]])
  })

  it('rejects every item of a failed batch with its error and keeps serving', async () => {
    let fail = true
    const gc = new GroupCommit<number, number>({
      maxBatch: 10,
      maxInFlight: 1,
      send: (items) => (fail ? Promise.reject(new Error('disk full')) : Promise.resolve(items)),
    })
    const failed = await Promise.allSettled([gc.submit(1), gc.submit(2)])
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    fail = false
    expect(await gc.submit(3)).toBe(3)
  })

  it('keeps at most maxInFlight batches in flight', async () => {
    let inFlight = 0
    let peak = 0
    const gc = new GroupCommit<number, number>({
      maxBatch: 1,
      maxInFlight: 2,
      async send(items) {
        peak = Math.max(peak, ++inFlight)
        await new Promise((r) => setTimeout(r, 2))
        inFlight--
        return items
      },
    })
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => gc.submit(n)))
    expect(peak).toBe(2)
  })

  it('drains on close, then refuses new work', async () => {
    const { gc, batches } = recording()
    const pending = gc.submit(item(7))
    await gc.close()
    expect(await pending).toBe(70)
    expect(batches).toEqual([[7]])
    await expect(gc.submit(item(8))).rejects.toThrow('test batcher is closed')
  })

  it('while a batch is in flight, holds a small queue back so it leaves as one batch (adaptive)', async () => {
    // batch [1] stays in flight for 500 ms: with the default 2 ms a loaded CI machine finished it
    // between two setImmediate turns, and 2 then left alone (19eba4c's clean-clone run)
    const { gc, batches } = recording({ maxInFlight: 4, minBatchWhileBusy: 3, sendMs: 500 })
    const first = gc.submit(item(1))
    await new Promise((r) => setImmediate(r))
    // Batch [1] is in flight: 2 and 3 (fewer than 3) wait for it rather than leave one by one.
    const waiting = [gc.submit(item(2))]
    await new Promise((r) => setImmediate(r))
    waiting.push(gc.submit(item(3)))
    await new Promise((r) => setImmediate(r))
    expect(batches).toEqual([[1]])
    // A queue of 3 may leave beside the batch in flight.
    const full = [4, 5, 6].map((n) => gc.submit(item(n)))
    await new Promise((r) => setImmediate(r))
    expect(batches).toEqual([[1], [2, 3, 4, 5, 6]])
    expect(await Promise.all([first, ...waiting, ...full])).toEqual([10, 20, 30, 40, 50, 60])
  })

  it('with nothing in flight, a single item leaves at once even below minBatchWhileBusy', async () => {
    const { gc, batches } = recording({ maxInFlight: 4, minBatchWhileBusy: 50 })
    expect(await gc.submit(item(1))).toBe(10)
    expect(await gc.submit(item(2))).toBe(20)
    expect(batches).toEqual([[1], [2]])
  })

  it('lingerMs: requests arriving one by one, each after a fast commit, gather into shared batches', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
    const arrive = async (gc: GroupCommit<Item, number>) => {
      const answers: Promise<number>[] = []
      for (let n = 1; n <= 12; n++) {
        answers.push(gc.submit(item(n)))
        await sleep(5)
      }
      return Promise.all(answers)
    }
    // Without lingering, every request finds nothing in flight (the commit took 0 ms) and leaves alone.
    const eager = recording({ maxInFlight: 4, minBatchWhileBusy: 32, sendMs: 0 })
    await arrive(eager.gc)
    expect(eager.batches).toHaveLength(12)
    // With 40 ms: the first leaves at once, the next ones wait out the interval and leave together.
    const lingering = recording({ maxInFlight: 4, minBatchWhileBusy: 32, sendMs: 0, lingerMs: 40 })
    expect(await arrive(lingering.gc)).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * 10))
    await lingering.gc.idle()
    expect(lingering.batches[0]).toEqual([1])
    expect(lingering.batches.length).toBeLessThanOrEqual(4)
    expect(lingering.batches.flat()).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
  })

  it('lingerMs: a request after a quiet spell leaves at once; a full queue does not wait', async () => {
    const { gc, batches } = recording({ maxInFlight: 4, minBatchWhileBusy: 3, sendMs: 0, lingerMs: 10_000 })
    let t = performance.now()
    expect(await gc.submit(item(1))).toBe(10)
    expect(performance.now() - t).toBeLessThan(1000)
    // Within the interval: 3 waiting (minBatchWhileBusy) leave without waiting it out.
    t = performance.now()
    expect(await Promise.all([2, 3, 4].map((n) => gc.submit(item(n))))).toEqual([20, 30, 40])
    expect(performance.now() - t).toBeLessThan(1000)
    expect(batches).toEqual([[1], [2, 3, 4]])
  })
})
