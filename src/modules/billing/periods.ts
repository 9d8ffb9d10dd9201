import type { Interval } from './pricing.js'

const DAY_MS = 86_400_000

/**
 * The start of period `n` of a subscription anchored at `anchor` (period 0 starts at the anchor).
 * Months and years count from the anchor, never from the previous period, so an anchor on the
 * 31st bills on the 30th in April and on the 31st again in May (the day is clamped, not drifted).
 */
export function periodStart(anchor: Date, interval: Interval, n: number): Date {
  const steps = interval.count * n
  switch (interval.unit) {
    case 'day':
      return new Date(anchor.getTime() + steps * DAY_MS)
    case 'week':
      return new Date(anchor.getTime() + steps * 7 * DAY_MS)
    case 'month':
      return addMonths(anchor, steps)
    case 'year':
      return addMonths(anchor, steps * 12)
  }
}

function addMonths(anchor: Date, months: number): Date {
  const y = anchor.getUTCFullYear()
  const m = anchor.getUTCMonth() + months
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate()
  const day = Math.min(anchor.getUTCDate(), lastDay)
  return new Date(
    Date.UTC(
      y,
      m,
      day,
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  )
}

export const addDays = (at: Date, days: number): Date => new Date(at.getTime() + days * DAY_MS)
