import type { Db } from '../../shared/db/connect.js'
import { balanceSeries, ledgerTotals, type BalanceSeries, type CurrencyTotal } from './ledger-views.js'
import { paymentTimeline, type TimelineItem } from './payment-timeline.js'

/**
 * Read-only views across modules for the operator console (ADR 1702): each joins tables other modules
 * own and already write, so a screen gets one answer instead of five calls — and nothing here writes.
 */
export interface Views {
  /** Null when the tenant has no such payment. */
  paymentTimeline(tenant: string, paymentId: string): Promise<TimelineItem[] | null>
  /** Null when the tenant has no such account. */
  balanceSeries(tenant: string, accountId: string): Promise<BalanceSeries | null>
  ledgerTotals(tenant: string): Promise<CurrencyTotal[]>
}

export function createViews(deps: { readonly db: Db }): Views {
  return {
    paymentTimeline: (tenant, id) => paymentTimeline(deps.db, tenant, id),
    balanceSeries: (tenant, id) => balanceSeries(deps.db, tenant, id),
    ledgerTotals: (tenant) => ledgerTotals(deps.db, tenant),
  }
}
