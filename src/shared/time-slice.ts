import { performance } from 'node:perf_hooks'

/** Longest synchronous stretch `mapInSlices` runs before it lets the event loop turn (ms). */
export const SLICE_MS = 4

/**
 * `items.map(fn)` for background work on a process that also answers requests (the search
 * projection in `moneta start`): after each stretch of about `sliceMs` it yields with setImmediate,
 * so the sockets and query results that became ready meanwhile (webhook receipts, their commits) are
 * handled before it goes on. Building a round's 500–2,000 search documents in one go held the event
 * loop for 10–80 ms at a time while the webhook receipts queued behind it (issue #18, session 21).
 * The results are the same as `map`'s, in order; a short list never yields.
 */
export async function mapInSlices<T, R>(
  items: readonly T[],
  fn: (item: T) => R,
  sliceMs: number = SLICE_MS,
): Promise<R[]> {
  const out: R[] = []
  await forEachInSlices(items, (item) => void out.push(fn(item)), sliceMs)
  return out
}

/** `items.forEach(fn)` in the same slices as mapInSlices (the risk scorer's graph, training's replay). */
export async function forEachInSlices<T>(
  items: readonly T[],
  fn: (item: T) => void,
  sliceMs: number = SLICE_MS,
): Promise<void> {
  // a step every 16 items: the clock is read a few ns per item instead of one call each
  function* steps(): Steps<void> {
    for (let i = 0; i < items.length; i++) {
      fn(items[i]!)
      if ((i & 15) === 15 && i + 1 < items.length) yield
    }
  }
  await runStepsInSlices(steps(), sliceMs)
}

/**
 * A long computation written as a generator that yields between its steps (a tree of a model, a
 * few thousand rows): `runSteps` runs it in one go, `runStepsInSlices` lets the event loop turn
 * whenever a slice of about `sliceMs` has passed. One body for both, so the two cannot drift apart.
 */
export type Steps<T> = Generator<void, T, void>

export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}

export async function runStepsInSlices<T>(steps: Steps<T>, sliceMs: number = SLICE_MS): Promise<T> {
  let since = performance.now()
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
    if (performance.now() - since >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      since = performance.now()
    }
  }
}
