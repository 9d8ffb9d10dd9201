/**
 * The order the webhooks bench sends its deliveries in (session 15).
 *
 * `shuffle` (default; sessions 1–14): all `distinct × copies` deliveries shuffled together. An
 * event's first copy is then its earliest of `copies` uniform positions, so first copies crowd the
 * start of the run: with 3 copies, 27 % of the distinct events arrive in its first tenth — at
 * `--rate 3000` about 2,700 new events in the first second, against 1,000/s on average, falling to a
 * few dozen in the last. The applier sees a burst near the 3,000 events/s, and receipt →
 * effect measures how fast it works off that burst (a near-constant ~3 s quietly at ~1,000/s).
 *
 * `retries`: first copies at a steady pace (event k at k × copies / rate on the schedule), each
 * further copy a retry at a random moment within `windowMs` after its original, as a gateway re-sends
 * what it believes unanswered: distinct events arrive at the mean rate throughout (the first second
 * excepted, before retries take their share). With a 1 s window a tenth of the copies come within
 * ~100 ms of their original, while its receipt batch may still be committing: the batches then wait
 * for each other on the inbox's unique key, which costs the intake more than the shuffle does.
 */
export type DeliveryOrder = 'shuffle' | 'retries'

export function orderDeliveries<T>(
  events: readonly T[],
  copies: number,
  order: DeliveryOrder,
  opts: { rate: number; windowMs: number; random?: () => number },
): T[] {
  const random = opts.random ?? Math.random
  if (order === 'shuffle') {
    const out = events.flatMap((e) => Array.from({ length: copies }, () => e))
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }
  // Closed loop (no rate): pace the schedule as if at 1,000 deliveries/s; only the order matters.
  const gapMs = (copies * 1000) / (opts.rate > 0 ? opts.rate : 1000)
  const timed: { at: number; e: T }[] = []
  events.forEach((e, k) => {
    timed.push({ at: k * gapMs, e })
    for (let c = 1; c < copies; c++) timed.push({ at: k * gapMs + random() * opts.windowMs, e })
  })
  return timed.sort((a, b) => a.at - b.at).map((x) => x.e)
}

/**
 * The most distinct events whose first copy is scheduled within one second of the open loop
 * (delivery i at i / rate): what the applier must absorb at the run's busiest moment.
 */
export function firstCopyPeakPerSecond<T>(deliveries: readonly T[], rate: number): number {
  const seen = new Set<T>()
  const perSecond: number[] = []
  deliveries.forEach((d, i) => {
    if (seen.has(d)) return
    seen.add(d)
    const s = Math.floor(i / rate)
    perSecond[s] = (perSecond[s] ?? 0) + 1
  })
  return Math.max(0, ...perSecond.filter((n) => n !== undefined))
}
