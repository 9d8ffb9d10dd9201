/**
 * Runs `task` every `ms` milliseconds, never two at once (a run still going when the next is due
 * skips that tick), reporting failures to `onError`. The timer does not keep the process alive.
 */
export function everyWithoutOverlap(
  ms: number,
  task: () => Promise<unknown>,
  onError: (err: unknown) => void,
): NodeJS.Timeout {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    task()
      .catch(onError)
      .finally(() => (running = false))
  }, ms)
  timer.unref()
  return timer
}
