import { describe, expect, it } from 'vitest'
import { IntakeWatermark } from './intake-watermark.js'

/** A write whose outcome the test decides. */
function write() {
  let settle!: (ok: boolean) => void
  const p = new Promise<void>((resolve, reject) => {
    settle = (ok) => (ok ? resolve() : reject(new Error('intake down')))
  })
  p.catch(() => undefined)
  return { p, settle }
}

const tick = () => new Promise((r) => setImmediate(r))

describe('the intake watermark', () => {
  it('answers at once when nothing was submitted since the mark', async () => {
    const w = new IntakeWatermark()
    const a = write()
    w.track(a.p) // pending, never settled: someone else's, before the mark
    expect(await w.settledSince(w.submitted())).toBe(true)
  })

  it('waits for every write up to now, also those that finish out of order', async () => {
    const w = new IntakeWatermark()
    const mark = w.submitted()
    const [a, b] = [write(), write()]
    w.track(a.p)
    w.track(b.p)
    let done: boolean | undefined
    void w.settledSince(mark).then((ok) => (done = ok))
    b.settle(true) // the second batch first
    await tick()
    expect(done).toBeUndefined()
    a.settle(true)
    await tick()
    expect(done).toBe(true)
  })

  it('does not wait for writes submitted after it asked', async () => {
    const w = new IntakeWatermark()
    const mark = w.submitted()
    const a = write()
    w.track(a.p)
    const answer = w.settledSince(mark)
    const later = write()
    w.track(later.p) // a timer the request started, after its answer began
    a.settle(true)
    expect(await answer).toBe(true)
  })

  it('reports a failure in the range, and only in the range', async () => {
    const w = new IntakeWatermark()
    const [a, b] = [write(), write()]
    w.track(a.p)
    const mark = w.submitted()
    w.track(b.p)
    a.settle(false) // before the mark: not this caller's concern
    b.settle(true)
    expect(await w.settledSince(mark)).toBe(true)
    const c = write()
    w.track(c.p)
    c.settle(false)
    expect(await w.settledSince(mark)).toBe(false)
  })

  it('treats forgotten failures as failures for a caller whose range reaches them', async () => {
    const w = new IntakeWatermark()
    const mark = w.submitted()
    // 1,001 separate failures (each between successes): more ranges than are kept.
    for (let i = 0; i < 1001; i++) {
      const [f, ok] = [write(), write()]
      w.track(f.p)
      w.track(ok.p)
      f.settle(false)
      ok.settle(true)
    }
    await tick()
    expect(await w.settledSince(mark)).toBe(false)
    const late = w.submitted()
    const d = write()
    w.track(d.p)
    d.settle(true)
    expect(await w.settledSince(late)).toBe(true)
  })
})
