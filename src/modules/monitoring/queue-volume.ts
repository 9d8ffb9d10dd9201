import { DAY_MS } from './monitoring.js'

/**
 * How long the queue's volume is counted over: the rules' volume is a number of customers alerted
 * in a period, and a month holds enough of them to be steady (the risk model's subject window).
 */
export const QUEUE_VOLUME_WINDOW_MS = 30 * DAY_MS

/** Distinct subjects seen in a sliding window of transaction time. */
class SubjectsInWindow {
  private readonly lastSeen = new Map<string, number>()
  // (time, subject) in arrival order: a slightly late one (a batch decided out of order) stays until
  // the later ones before it leave, at most its lateness too long; one already outside is dropped
  private readonly events: { at: number; subject: string }[] = []
  private head = 0

  add(subject: string, at: number): void {
    if ((this.lastSeen.get(subject) ?? -Infinity) < at) this.lastSeen.set(subject, at)
    this.events.push({ at, subject })
  }

  /** Subjects last seen after `from`, without consuming anything (a what-if must not move the window). */
  peekCountAfter(from: number): number {
    let n = 0
    for (const at of this.lastSeen.values()) if (at > from) n++
    return n
  }

  /** Subjects seen after `from`. */
  countAfter(from: number): number {
    while (this.head < this.events.length && this.events[this.head]!.at <= from) {
      const e = this.events[this.head++]!
      if ((this.lastSeen.get(e.subject) ?? Infinity) <= from) this.lastSeen.delete(e.subject)
    }
    // compact once the consumed head outweighs the rest
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events.splice(0, this.head)
      this.head = 0
    }
    return this.lastSeen.size
  }
}

/**
 * The case queue's volume held at the rules' own (session 55, docs/adr/1409): over the last
 * QUEUE_VOLUME_WINDOW_MS of transaction time, the model raises an alert of its own only while fewer
 * customers entered the queue than the rules alerted on. The alert budget's cut (AlertBudget) is
 * fitted once, on the validation period; on later data shaped otherwise it admitted more model
 * customers than rule alerts it moved out of the queue, and the queue grew past the rules' volume
 * (holdout54xw: 217 customers against the rules' 189). This is feedback from the customers actually
 * queued, not a refitted cut (ADR 1402 rejected that: places went to customers whose high score was
 * old and raised nothing new). A rule alert is never held back by it.
 */
export class QueueVolume {
  private readonly ruledSubjects = new SubjectsInWindow()
  private readonly queuedSubjects = new SubjectsInWindow()
  private latest = -Infinity

  constructor(private readonly windowMs = QUEUE_VOLUME_WINDOW_MS) {}

  /** A rule raised a new alert on `subject`; `queued`: it is in the queue (within the budget, or no budget). */
  ruled(subject: string, at: number, queued: boolean): void {
    if (!this.inWindow(at)) return
    this.ruledSubjects.add(subject, at)
    if (queued) this.queuedSubjects.add(subject, at)
  }

  /** The model raised an alert of its own on `subject`. */
  modelQueued(subject: string, at: number): void {
    if (this.inWindow(at)) this.queuedSubjects.add(subject, at)
  }

  /** Whether a model alert at `at` still fits: fewer customers queued in the window than the rules alerted on. */
  hasRoom(at: number): boolean {
    this.advance(at)
    const from = this.latest - this.windowMs
    return this.queuedSubjects.countAfter(from) < this.ruledSubjects.countAfter(from)
  }

  /** hasRoom without its side effects: the what-if score asks it for a transaction not decided. */
  wouldHaveRoom(at: number): boolean {
    const from = Math.max(this.latest, at) - this.windowMs
    return this.queuedSubjects.peekCountAfter(from) < this.ruledSubjects.peekCountAfter(from)
  }

  private advance(at: number): void {
    if (at > this.latest) this.latest = at
  }

  private inWindow(at: number): boolean {
    this.advance(at)
    return at > this.latest - this.windowMs
  }
}

/** An alert as the queue's volume counts it (monitoring store's recentQueueAlerts). */
export interface QueuedAlertFact {
  readonly subject: string
  readonly at: number
  /** The model's own alert. */
  readonly model: boolean
  /** A rule alert not marked outside the budget. */
  readonly queued: boolean
}

/** The volume a restarted engine starts from: the stored alerts of the window, in time order. */
export function queueVolumeOf(alerts: Iterable<QueuedAlertFact>): QueueVolume {
  const queue = new QueueVolume()
  for (const a of alerts)
    if (a.model) queue.modelQueued(a.subject, a.at)
    else queue.ruled(a.subject, a.at, a.queued)
  return queue
}
