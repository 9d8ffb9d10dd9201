import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import { balanceSeries, ledgerTotals, type BalanceSeries, type CurrencyTotal } from './ledger-views.js'
import {
  openWork,
  paymentDays,
  pipelineLag,
  type AgeCount,
  type PaymentDay,
  type PipelineLag,
} from './overview.js'
import {
  decisions,
  snapshotChanges,
  snapshots,
  type DecisionRow,
  type EntryChange,
  type SnapshotRow,
} from './screening-views.js'
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
  paymentDays(tenant: string, days: number): Promise<PaymentDay[]>
  openWork(tenant: string): Promise<{ cases: AgeCount[]; alerts: AgeCount[] }>
  pipelineLag(tenant: string): Promise<PipelineLag>
  screeningSnapshots(tenant: string): Promise<SnapshotRow[]>
  /** Null when the tenant has no such snapshot. */
  snapshotChanges(
    tenant: string,
    snapshotId: string,
    page: { change?: string; after?: string; limit: number },
  ): Promise<{ items: EntryChange[]; next: string | null } | null>
  screeningDecisions(
    tenant: string,
    page: { decision?: string; before?: string; limit: number },
  ): Promise<{ items: DecisionRow[]; next: string | null }>
}

export function createViews(deps: { readonly db: Db; readonly clock: Clock }): Views {
  const now = () => deps.clock.now()
  return {
    paymentTimeline: (tenant, id) => paymentTimeline(deps.db, tenant, id),
    balanceSeries: (tenant, id) => balanceSeries(deps.db, tenant, id),
    ledgerTotals: (tenant) => ledgerTotals(deps.db, tenant),
    paymentDays: (tenant, days) => paymentDays(deps.db, tenant, now(), days),
    openWork: (tenant) => openWork(deps.db, tenant, now()),
    pipelineLag: (tenant) => pipelineLag(deps.db, tenant, now()),
    screeningSnapshots: (tenant) => snapshots(deps.db, tenant),
    snapshotChanges: (tenant, id, page) => snapshotChanges(deps.db, tenant, id, page),
    screeningDecisions: (tenant, page) => decisions(deps.db, tenant, page),
  }
}
