/**
 * The dunning schedule, pure. A price lists the days after the invoice was due on which to retry
 * (e.g. [1, 3, 5, 7]). After failed attempt n (1 = the renewal itself):
 * - a decline worth retrying gets the next day of the schedule, while one is left;
 * - a final decline (stolen card, authentication required) gets no retry: only a new payment method
 *   (recovery) can pay the invoice before the window closes;
 * - the window closes on the last day of the schedule: then the price's final action applies.
 */
import { addDays } from './periods.js'

export interface DunningStep {
  readonly nextAttemptAt: Date | undefined
  /** When dunning gives up on the invoice. */
  readonly deadline: Date
  /** True when this failure ends dunning now. */
  readonly final: boolean
}

export function decideDunning(i: {
  attempt: number
  retryable: boolean
  dueAt: Date
  days: readonly number[]
  now: Date
}): DunningStep {
  const lastDay = i.days.length > 0 ? i.days[i.days.length - 1]! : 0
  const deadline = addDays(i.dueAt, lastDay)
  // Retries left: attempt 1 is the renewal, attempt k+1 happens on days[k-1].
  const nextDay = i.days[i.attempt - 1]
  if (i.retryable && nextDay !== undefined) {
    const at = addDays(i.dueAt, nextDay)
    return { nextAttemptAt: at > i.now ? at : i.now, deadline, final: false }
  }
  return { nextAttemptAt: undefined, deadline, final: i.now >= deadline }
}
