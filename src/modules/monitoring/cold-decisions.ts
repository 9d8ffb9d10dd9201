import type { MonTxn } from './monitoring.js'

/**
 * Transactions decided by the cold fallback while a tenant's engine was still loading. They are
 * stored at once, but the load reads history page by page and may already have passed the point
 * where such a transaction lands, so the engine would never count it and every later feature
 * (velocity, sums, first-seen) would be short by it — seen under load in CI as a missed review.
 * The load marks which of them it did read; the rest are learnt from memory once it is done.
 */
export class ColdDecisions {
  private readonly pending = new Map<string, Map<string, MonTxn>>()

  /** Call before the transaction is stored, so a load that reads it also knows it was pending. */
  register(tenant: string, txn: MonTxn): void {
    let byId = this.pending.get(tenant)
    if (!byId) this.pending.set(tenant, (byId = new Map<string, MonTxn>()))
    byId.set(txn.id, txn)
  }

  /** A load's view of the pending set: it records the pending transactions it read from history. */
  tracker(tenant: string): ColdTracker {
    const seen = new Set<string>()
    return {
      saw: (id) => {
        if (this.pending.get(tenant)?.has(id)) seen.add(id)
      },
      read: (id) => seen.has(id),
    }
  }

  /**
   * Once the load is done (or failed, with no tracker): true when the engine must still learn the transaction (it was stored
   * and the load did not read it). Forgets the transaction either way.
   */
  settle(tenant: string, id: string, stored: boolean, tracker?: ColdTracker): boolean {
    const byId = this.pending.get(tenant)
    byId?.delete(id)
    if (byId?.size === 0) this.pending.delete(tenant)
    return stored && tracker !== undefined && !tracker.read(id)
  }
}

export interface ColdTracker {
  saw(id: string): void
  read(id: string): boolean
}
