import { describe, expect, it } from 'vitest'
import { mapInSlices } from './time-slice.js'

/** Busy-waits `ms` (a synchronous stretch of work, as building a document is). */
const spin = (ms: number) => {
  const end = performance.now() + ms
  while (performance.now() < end);
}

describe('mapInSlices', () => {
  it('lets a callback queued meanwhile run between slices of a long map, and keeps map’s results', async () => {
    const items = Array.from({ length: 64 }, (_, i) => i)
    let ranAt: number | undefined
    let done = 0
    setImmediate(() => (ranAt = done))
    const out = await mapInSlices(
      items,
      (i) => {
        spin(0.5)
        done++
        return i * 2
      },
      2,
    )
    expect(out).toEqual(items.map((i) => i * 2))
    // Queued before the map started, it ran after the first slice (16 items ≥ 2 ms), not at the end.
    expect(ranAt).toBeDefined()
    expect(ranAt).toBeGreaterThan(0)
    expect(ranAt).toBeLessThan(items.length)
  })

  it('runs a short map in one go (no yield: a callback queued meanwhile runs after it)', async () => {
    let ranAt: number | undefined
    let done = 0
    setImmediate(() => (ranAt = done))
    const out = await mapInSlices([1, 2, 3], (i) => {
      done++
      return i + 1
    })
    expect(out).toEqual([2, 3, 4])
    expect(ranAt).toBeUndefined()
    await new Promise((r) => setImmediate(r))
    expect(ranAt).toBe(3)
  })
})
