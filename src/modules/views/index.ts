// Read-only console views across modules (ADR 1702): payment timeline, ledger series, overview figures.
export { createViews } from './views.service.js'
export type { Views } from './views.service.js'
export type { TimelineItem, TimelineEntry } from './payment-timeline.js'
export type { BalanceSeries, BalancePoint, CurrencyTotal } from './ledger-views.js'
export type { PaymentDay, AgeCount, PipelineLag } from './overview.js'
export type { SnapshotRow, EntryChange, DecisionRow } from './screening-views.js'
export { snapshotNotFound } from './views.errors.js'
