import { CASH, sameOwner, type MonTxn } from '../monitoring/index.js'

/**
 * The counterparty network as the model sees it: who has paid whom (moves between one customer's
 * own accounts excluded), and each account's distance in hops to a known-bad account — one named
 * in a case closed as true positive or SAR filed, from the moment that case was closed (never
 * earlier: no look-ahead). Distances are kept up to date incrementally so that reading one is O(1)
 * in the scoring path: a new edge relaxes both ends, marking an account bad relaxes its
 * neighbourhood breadth-first up to MAX_DISTANCE hops. Neighbour lists keep the most recent
 * NEIGHBOUR_CAP counterparties of each account.
 */

export const MAX_DISTANCE = 3
/** Distance reported for an account with no known-bad account within MAX_DISTANCE hops. */
export const FAR = MAX_DISTANCE + 1
const NEIGHBOUR_CAP = 48

export class RiskGraph {
  private readonly neighbours = new Map<string, string[]>()
  private readonly dist = new Map<string, number>()
  private readonly bad = new Set<string>()
  /** Confirmations not reached yet, oldest first (markBadAt), and how many of them were applied. */
  private readonly pending: { account: string; at: number }[] = []
  private applied = 0

  distance(account: string): number {
    return this.dist.get(account) ?? FAR
  }

  isBad(account: string): boolean {
    return this.bad.has(account)
  }

  badNeighbours(account: string): number {
    const n = this.neighbours.get(account)
    if (!n) return 0
    let c = 0
    for (const a of n) if (this.bad.has(a)) c++
    return c
  }

  /**
   * Records a transaction's edge: both sides accounts (not cash) of different owners. The one rule
   * for training's replay and the decision path: the decision path once linked only when the two
   * customer ids differed, so payments between two accounts of unknown owners were edges in training
   * and none in production (train/serve skew, found by test/e2e/risk-event-time.test.ts).
   */
  linkPayment(t: MonTxn): void {
    this.advanceTo(t.at)
    if (t.src !== CASH && t.dst !== CASH && !sameOwner(t)) this.link(t.src, t.dst)
  }

  /** Records a payment between two accounts of different owners. */
  link(a: string, b: string): void {
    if (a === b) return
    this.addNeighbour(a, b)
    this.addNeighbour(b, a)
    const da = this.distance(a)
    const db = this.distance(b)
    if (da + 1 < db) this.relax(b, da + 1)
    else if (db + 1 < da) this.relax(a, db + 1)
  }

  /**
   * An account named in a case confirmed at `at`: distance 0 once the graph reaches that time
   * (advanceTo). The one way training's replay and the decision path learn of confirmations: the
   * scorer once marked only the cases confirmed before it was built, so a case confirmed a day
   * later never reached its graph, where the replay marked it on the day (train/serve skew, found
   * by test/e2e/risk-event-time.test.ts in session 58).
   */
  markBadAt(account: string, at: number): void {
    this.pending.push({ account, at })
    if (this.pending.length - this.applied > 1 && this.pending.at(-2)!.at > at) {
      const rest = this.pending.splice(this.applied).sort((a, b) => a.at - b.at)
      this.pending.push(...rest)
    }
  }

  /** Marks bad every account confirmed at or before `at`: before a transaction at `at` is read. */
  advanceTo(at: number): void {
    while (this.applied < this.pending.length && this.pending[this.applied]!.at <= at)
      this.markBad(this.pending[this.applied++]!.account)
  }

  /** An account named in a confirmed case: distance 0 from now on. */
  markBad(account: string): void {
    if (this.bad.has(account)) return
    this.bad.add(account)
    this.relax(account, 0)
  }

  private addNeighbour(a: string, b: string): void {
    let n = this.neighbours.get(a)
    if (!n) this.neighbours.set(a, (n = []))
    const i = n.indexOf(b)
    if (i >= 0) n.splice(i, 1)
    else if (n.length >= NEIGHBOUR_CAP) n.shift()
    n.push(b)
  }

  private relax(start: string, d0: number): void {
    if (d0 > MAX_DISTANCE) return
    this.dist.set(start, d0)
    let frontier = [start]
    for (let d = d0 + 1; d <= MAX_DISTANCE && frontier.length > 0; d++) {
      const next: string[] = []
      for (const a of frontier)
        for (const b of this.neighbours.get(a) ?? []) {
          if (this.distance(b) <= d) continue
          this.dist.set(b, d)
          next.push(b)
        }
      frontier = next
    }
  }
}
