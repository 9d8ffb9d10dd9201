import { describe, expect, it } from 'vitest'
import { traceFigures, waitShares } from '../../bench/webhooks-trace.js'

describe('webhooks bench: the API process trace', () => {
  it('splits each request at the receipt INSERT it joined: the last one answered before its answer', () => {
    const data = {
      // A warm-up request (skipped), then three: two join the INSERT sent at 12, one the INSERT at 40.
      reqs: [0, 5, 10, 31, 11, 33, 30, 70],
      // INSERT A: warm-up (1 → 4); B: 12 → 30; C: 40 → 65.
      inserts: [1, 4, 12, 30, 40, 65],
      // Iterations: 20 ms long with 18 ms CPU (a stall that runs code), 30 ms with 3 ms (waiting for a core).
      gaps: [15, 20, 18, 45, 30, 3, 50, 4, 4],
      gcs: [20, 6, 1, 46, 2, 1],
    }
    const f = traceFigures(data, 1)
    expect(f.requests).toBe(3)
    // Request 10 → 31: 2 ms to INSERT B, 18 ms in it, 1 ms after; request 30 → 70: 10 + 25 + 5.
    expect(f).toMatchObject({ serverP99Ms: 40, toInsertP99Ms: 10, insertP99Ms: 25, afterInsertP99Ms: 5 })
    // The slowest 1 % of three requests is the slowest one.
    expect(f.tail).toEqual({ totalMs: 40, toInsertMs: 10, insertMs: 25, afterInsertMs: 5 })
    // Run from 10 to 70 ms: the two long iterations cover 50 of the 60 ms, on a core 21 of those 50;
    // GC 8 of the 60 ms.
    expect(f).toMatchObject({
      longIterations: 2,
      longIterationWallShare: 0.83,
      longIterationCpuShare: 0.42,
      cpuBoundIterations: 1,
      maxIterationCpuMs: 18,
      gcs: 2,
      gcWallShare: 0.13,
      gcMaxMs: 6,
    })
  })

  it('leaves out a request whose batch cannot be told (no INSERT sent after it started)', () => {
    const f = traceFigures({ reqs: [10, 20], inserts: [0, 15], gaps: [], gcs: [] }, 0)
    expect(f.requests).toBe(0)
    expect(f.serverP99Ms).toBe(0)
    expect(f.longIterationCpuShare).toBe(0)
  })
})

describe('webhooks bench: what the receipt INSERTs’ backends wait for', () => {
  it('groups the WAL flush, running, row locks and the rest', () => {
    const f = waitShares([
      'IO:WALSync',
      'IO:WALSync',
      'LWLock:WALWrite',
      'IO:WALWrite',
      'CPU:',
      'CPU:',
      'Lock:transactionid',
      'IO:DataFileExtend',
    ])
    expect(f).toMatchObject({ samples: 8, walFlush: 0.5, cpu: 0.25, rowLock: 0.13, other: 0.13 })
    expect(f.top[0]).toEqual(['IO:WALSync', 0.25])
  })

  it('reports zeros when nothing was sampled', () => {
    expect(waitShares([])).toMatchObject({ samples: 0, walFlush: 0, cpu: 0, rowLock: 0, other: 0 })
  })
})
