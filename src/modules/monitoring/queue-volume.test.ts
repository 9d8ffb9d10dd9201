import { describe, expect, it } from 'vitest'
import { DAY_MS } from './monitoring.js'
import { QUEUE_VOLUME_WINDOW_MS, QueueVolume } from './queue-volume.js'

describe('QueueVolume: the model’s own alerts held at the rules’ volume', () => {
  it('has room only while fewer customers were queued than the rules alerted on', () => {
    const q = new QueueVolume()
    expect(q.hasRoom(DAY_MS)).toBe(false) // the rules alerted on nobody: nothing to fill
    q.ruled('a', DAY_MS, true)
    q.ruled('b', DAY_MS, false) // outside the budget: counted in the rules' volume, not queued
    expect(q.hasRoom(DAY_MS)).toBe(true) // 1 queued < 2 ruled
    q.modelQueued('m1', 2 * DAY_MS)
    expect(q.hasRoom(2 * DAY_MS)).toBe(false) // 2 queued = 2 ruled
  })

  it('counts customers, not alerts', () => {
    const q = new QueueVolume()
    q.ruled('a', DAY_MS, false)
    q.ruled('a', 2 * DAY_MS, false)
    q.ruled('b', 2 * DAY_MS, true)
    q.modelQueued('m1', 3 * DAY_MS)
    // a second alert on a queued customer takes no second place
    q.modelQueued('m1', 4 * DAY_MS)
    expect(q.hasRoom(4 * DAY_MS)).toBe(false) // queued {b, m1} = ruled {a, b}
  })

  it('forgets what left the window, and keeps a customer seen again inside it', () => {
    const q = new QueueVolume()
    q.ruled('a', 0, true)
    q.ruled('b', 0, true)
    q.modelQueued('m1', DAY_MS)
    expect(q.hasRoom(DAY_MS)).toBe(false) // queued {a, b, m1} against ruled {a, b}
    q.ruled('b', 10 * DAY_MS, false) // b alerted again, outside the budget this time
    // half a day past the window from day 0: a's alert and b's first have left it, b's second has not
    expect(q.hasRoom(QUEUE_VOLUME_WINDOW_MS + DAY_MS / 2)).toBe(false) // queued {m1}, ruled {b}
    // once m1 has left too, the rules' one customer leaves a place
    expect(q.hasRoom(QUEUE_VOLUME_WINDOW_MS + 2 * DAY_MS)).toBe(true) // queued {}, ruled {b}
  })

  it('answers a what-if without moving the window: wouldHaveRoom agrees with hasRoom and changes nothing', () => {
    const q = new QueueVolume()
    q.ruled('a', 0, true)
    q.ruled('b', 0, false)
    expect(q.wouldHaveRoom(DAY_MS)).toBe(true) // queued {a} < ruled {a, b}
    // asked for a time past the window, it answers for then (nothing left: no room) …
    expect(q.wouldHaveRoom(QUEUE_VOLUME_WINDOW_MS + DAY_MS)).toBe(false)
    // … and the decisions of now still find the room they had: hasRoom would have dropped them
    expect(q.hasRoom(DAY_MS)).toBe(true)
    q.modelQueued('m1', DAY_MS)
    expect([q.wouldHaveRoom(DAY_MS), q.hasRoom(DAY_MS)]).toEqual([false, false])
  })

  it('ignores an alert that arrives already outside the window', () => {
    const q = new QueueVolume()
    q.ruled('a', 40 * DAY_MS, true)
    q.ruled('late', DAY_MS, false) // a transaction decided late, 39 days before the latest
    // had it counted, queued {a} against ruled {a, late} would leave room
    expect(q.hasRoom(40 * DAY_MS)).toBe(false)
    q.ruled('b', 40 * DAY_MS, false)
    expect(q.hasRoom(40 * DAY_MS)).toBe(true)
  })
})
