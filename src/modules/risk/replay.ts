import { runStepsInSlices, type Steps } from '../../shared/time-slice.js'
import {
  CASH,
  DAY_MS,
  MonitoringEngine,
  type AlertDraft,
  type CompiledRuleSet,
  type EvalContext,
  type HistorySeeds,
  type MonTxn,
  type Party,
} from '../monitoring/index.js'
import {
  extractRow,
  FEATURE_COUNT,
  type FeatureInputs,
  type PartyAttributesPort,
  type Side,
} from './features.js'
import { RiskGraph } from './graph.js'
import type { LabelledRows } from './model.js'

/**
 * Replays history in time order through a monitoring engine and collects the model's rows: for
 * each transaction, the payer's and the payee's feature vectors as they were just before it (the
 * engine's point-in-time features), labelled by the confirmed cases. A case's accounts become
 * known-bad in the graph only from the time the case was confirmed (`knownAt`).
 */

/** A confirmed case as the model learns from it: its accounts were involved during [from, to]. */
export interface RiskLabel {
  readonly id: string
  readonly typology: string
  readonly accounts: readonly string[]
  readonly from: number
  readonly to: number
  /** When the case was closed as confirmed (the accounts are known-bad from then on). */
  readonly knownAt: number
  /** false_positive / no_issue cases: kept for the report, never a positive row. */
  readonly positive: boolean
  /** When known (planted cases), only these transactions of the accounts are positive rows. */
  readonly txnIds?: readonly string[]
}

/**
 * An imported labelled case (`moneta monitoring import --labels`, a generator's planted case) as the
 * model learns from it: confirmed, its accounts known-bad a day after it ended.
 */
export const importedLabel = (c: {
  readonly id: string
  readonly typology: string
  readonly members: readonly string[]
  readonly start: number
  readonly end: number
}): RiskLabel => ({
  id: c.id,
  typology: c.typology,
  accounts: c.members,
  from: c.start,
  to: c.end,
  knownAt: c.end + DAY_MS,
  positive: true,
})

export interface ReplayOptions {
  readonly parties?: readonly Party[]
  readonly highRisk?: readonly string[]
  readonly attributes?: PartyAttributesPort
  /** Rules evaluated on the same features (their alerts are returned). */
  readonly ruleSet?: CompiledRuleSet
  /**
   * Lifetime activity and habits formed before the first transaction (monitoring's history with
   * `seeds`): a window's replay then reads a long-dormant account as the live engine does (its last
   * activity, usual amounts and old counterparties), not as one never seen.
   */
  readonly seeds?: HistorySeeds
  /** Only rows of transactions at or after this time are kept (earlier ones warm the features up). */
  readonly keepFrom?: number
  /** Called on every kept row with its subject, after the row is written (scoring during a replay). */
  readonly onRow?: (row: Float64Array, subject: string, t: MonTxn, side: Side) => void
}

export interface ReplayResult {
  readonly rows: LabelledRows
  /** Subject account of each row. */
  readonly subjects: string[]
  /** Transaction id of each row. */
  readonly txnIds: string[]
  readonly alerts: AlertDraft[]
}

/**
 * Growable row-major matrix. Sized at the start for two rows per transaction (the most a replay
 * writes): a million transactions' rows are hundreds of megabytes, and growing by doubling copied
 * them several times over.
 */
class RowBuffer {
  x: Float64Array
  y: Uint8Array
  group: Int32Array
  at: Float64Array
  subjects: string[] = []
  txnIds: string[] = []
  rows = 0

  constructor(capacity: number) {
    const cap = Math.max(1024, capacity)
    this.x = new Float64Array(cap * FEATURE_COUNT)
    this.y = new Uint8Array(cap)
    this.group = new Int32Array(cap)
    this.at = new Float64Array(cap)
  }

  next(): number {
    if (this.rows === this.y.length) {
      const cap = this.y.length * 2
      const x = new Float64Array(cap * FEATURE_COUNT)
      x.set(this.x)
      this.x = x
      const y = new Uint8Array(cap)
      y.set(this.y)
      this.y = y
      const group = new Int32Array(cap)
      group.set(this.group)
      this.group = group
      const at = new Float64Array(cap)
      at.set(this.at)
      this.at = at
    }
    return this.rows++
  }
}

/**
 * Positive rows: per account, its case intervals; and the (transaction, account) pairs named
 * exactly — each with the index of its label (the case a positive row comes from).
 */
export interface LabelIndex {
  readonly intervals: Map<string, [number, number, number][]>
  /** Transaction id → account → label (by transaction first: most transactions have none). */
  readonly exact: Map<string, Map<string, number>>
}

export function labelIndex(labels: readonly RiskLabel[]): LabelIndex {
  const intervals = new Map<string, [number, number, number][]>()
  const exact = new Map<string, Map<string, number>>()
  labels.forEach((l, k) => {
    if (!l.positive) return
    for (const a of l.accounts) {
      if (l.txnIds)
        for (const t of l.txnIds) {
          const named = exact.get(t) ?? new Map<string, number>()
          named.set(a, k)
          exact.set(t, named)
        }
      else {
        const list = intervals.get(a) ?? []
        list.push([l.from, l.to, k])
        intervals.set(a, list)
      }
    }
  })
  return { intervals, exact }
}

/** The label that makes this row positive, or -1. */
function positiveLabel(ix: LabelIndex, subject: string, t: MonTxn): number {
  const k = ix.exact.get(t.id)?.get(subject)
  if (k !== undefined) return k
  const hit = ix.intervals.get(subject)?.find(([a, b]) => t.at >= a && t.at <= b)
  return hit ? hit[2] : -1
}

/**
 * The replay of `txns` in time order, one transaction a step: `replay` runs it in one go, and
 * `replayInSlices` lets the event loop turn between slices (a server training on 1M transactions
 * answered nothing else for the minute the replay took).
 */
function replayer(
  txns: readonly MonTxn[],
  labels: readonly RiskLabel[],
  opts: ReplayOptions,
): {
  readonly sorted: readonly MonTxn[]
  readonly step: (t: MonTxn) => void
  readonly result: () => ReplayResult
} {
  const highRisk = new Set(opts.highRisk ?? [])
  const engine = new MonitoringEngine({
    lists: new Map([
      ['high_risk_countries', highRisk],
      ['watchlist', new Set<string>()],
    ]),
    parties: new Map((opts.parties ?? []).map((p) => [p.id, p])),
  })
  engine.active = opts.ruleSet
  for (const a of opts.seeds?.activity ?? []) engine.store.seedActivity(a)
  for (const h of opts.seeds?.habits ?? []) engine.store.seedHabits(h)
  const graph = new RiskGraph()
  const inputs: FeatureInputs = {
    highRisk,
    graph,
    ...(opts.attributes ? { attributes: opts.attributes } : {}),
  }
  const index = labelIndex(labels)
  for (const l of labels) if (l.positive) for (const a of l.accounts) graph.markBadAt(a, l.knownAt)
  const buf = new RowBuffer(2 * txns.length)
  const alerts: AlertDraft[] = []
  const keepFrom = opts.keepFrom ?? -Infinity
  const sorted = [...txns].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const collect = (ctx: EvalContext, t: MonTxn): void => {
    if (t.at < keepFrom) return
    for (const side of ['out', 'in'] as const) {
      const subject = side === 'out' ? t.src : t.dst
      if (subject === CASH) continue
      const r = buf.next()
      extractRow(ctx, t, side, inputs, buf.x, r * FEATURE_COUNT)
      const label = positiveLabel(index, subject, t)
      buf.y[r] = label >= 0 ? 1 : 0
      buf.group[r] = label
      buf.at[r] = t.at
      buf.subjects.push(subject)
      buf.txnIds.push(t.id)
      opts.onRow?.(buf.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), subject, t, side)
    }
  }
  const step = (t: MonTxn): void => {
    graph.advanceTo(t.at)
    const res = engine.process(t, { observe: collect })
    if (t.at >= keepFrom) for (const a of res.alerts) alerts.push(a)
    graph.linkPayment(t)
  }
  const result = (): ReplayResult => ({
    rows: {
      rows: buf.rows,
      cols: FEATURE_COUNT,
      x: buf.x.subarray(0, buf.rows * FEATURE_COUNT),
      y: buf.y.subarray(0, buf.rows),
      at: buf.at.subarray(0, buf.rows),
      group: buf.group.subarray(0, buf.rows),
    },
    subjects: buf.subjects,
    txnIds: buf.txnIds,
    alerts,
  })
  return { sorted, step, result }
}

export function replay(
  txns: readonly MonTxn[],
  labels: readonly RiskLabel[],
  opts: ReplayOptions = {},
): ReplayResult {
  const r = replayer(txns, labels, opts)
  for (const t of r.sorted) r.step(t)
  return r.result()
}

/** `replay` in steps of 16 transactions (a training job runs it in slices, or whole in a worker). */
export function* replaySteps(
  txns: readonly MonTxn[],
  labels: readonly RiskLabel[],
  opts: ReplayOptions = {},
): Steps<ReplayResult> {
  const r = replayer(txns, labels, opts)
  const sorted = r.sorted
  for (let i = 0; i < sorted.length; i++) {
    r.step(sorted[i]!)
    if ((i & 15) === 15) yield
  }
  return r.result()
}

/** `replay`, yielding to the event loop every few milliseconds (what the service runs). */
export function replayInSlices(
  txns: readonly MonTxn[],
  labels: readonly RiskLabel[],
  opts: ReplayOptions = {},
): Promise<ReplayResult> {
  return runStepsInSlices(replaySteps(txns, labels, opts))
}

/** Indices of the rows in [lo, hi), oldest first (stable: a transaction's sides keep their order). */
export function rowsInTimeOrder(r: ReplayResult, lo: number, hi: number): number[] {
  const index: number[] = []
  for (let i = 0; i < r.rows.rows; i++) if (r.rows.at[i]! >= lo && r.rows.at[i]! < hi) index.push(i)
  return index.sort((a, b) => r.rows.at[a]! - r.rows.at[b]! || a - b)
}
