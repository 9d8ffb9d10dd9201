/** Injected time: production uses the system clock, tests a fixed clock they move by hand. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

export interface FixedClock extends Clock {
  set(at: Date): void
  advance(ms: number): void
}

export function fixedClock(start: Date = new Date('2026-01-01T00:00:00Z')): FixedClock {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    set: (at) => {
      current = at.getTime()
    },
    advance: (ms) => {
      current += ms
    },
  }
}
