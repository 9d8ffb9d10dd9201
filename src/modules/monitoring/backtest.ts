import { dedupKey, MonitoringEngine } from './engine.js'
import type { EntityHabits } from './features.js'
import { DAY_MS, LABEL_SLACK_MS, type MonTxn, type Party } from './monitoring.js'
import { scoreCustomers, type CustomerScore } from './quality.js'
import type { CompiledRuleSet, ListSnapshot } from './rules.js'

/**
 * Backtesting: replay history in time order through a draft rule set (and the active one, side by
 * side on the same point-in-time features), then report hits, alerts per day and, where labels
 * exist, precision and recall. Transactions before `from` only warm the features up.
 */

/** A labelled case (planted by the generator or confirmed by investigators). */
export interface CaseLabel {
  readonly id: string
  readonly typology: string
  readonly members: readonly string[]
  readonly primary: readonly string[]
  readonly start: number
  readonly end: number
}

export interface AlertLike {
  readonly subject: string
  readonly at: number
  readonly ruleId: string
  readonly typology?: string | undefined
}

/** One alert of a backtest: who, by which rule, when, and the labelled cases it falls in. */
export interface AlertedEntry {
  readonly subject: string
  readonly ruleId: string
  readonly typology: string | null
  readonly at: string
  /** Labelled cases the subject is a member of at that time (empty: a false positive, if labels exist). */
  readonly cases: readonly string[]
}

/** Alerts listed per rule-set report (the counts above cover all of them). */
export const ALERTED_LIST_MAX = 5_000

export interface LabelScore {
  readonly cases: number
  readonly detected: number
  /** Detected cases / cases: a case counts when an alert names one of its primary accounts within its window. */
  readonly recall: number
  /** Alerts about a member of a labelled case within its window / all alerts. */
  readonly precision: number
  readonly truePositives: number
  readonly falsePositives: number
  readonly byTypology: Record<string, { cases: number; detected: number }>
  readonly byRule: Record<string, { alerts: number; truePositives: number }>
  readonly missed: readonly string[]
}

export { LABEL_SLACK_MS }

export function scoreAlerts(
  alerts: readonly AlertLike[],
  labels: readonly CaseLabel[],
  slackMs = LABEL_SLACK_MS,
): LabelScore {
  const byMember = new Map<string, CaseLabel[]>()
  for (const c of labels) {
    for (const m of c.members) {
      const list = byMember.get(m)
      if (list) list.push(c)
      else byMember.set(m, [c])
    }
  }
  const detected = new Set<string>()
  const byRule: Record<string, { alerts: number; truePositives: number }> = {}
  let tp = 0
  for (const a of alerts) {
    const rule = (byRule[a.ruleId] ??= { alerts: 0, truePositives: 0 })
    rule.alerts++
    let hit = false
    for (const c of byMember.get(a.subject) ?? []) {
      if (a.at < c.start - DAY_MS || a.at > c.end + slackMs) continue
      hit = true
      if (c.primary.includes(a.subject)) detected.add(c.id)
    }
    if (hit) {
      tp++
      rule.truePositives++
    }
  }
  const byTypology: Record<string, { cases: number; detected: number }> = {}
  for (const c of labels) {
    const t = (byTypology[c.typology] ??= { cases: 0, detected: 0 })
    t.cases++
    if (detected.has(c.id)) t.detected++
  }
  return {
    cases: labels.length,
    detected: detected.size,
    recall: labels.length === 0 ? 1 : detected.size / labels.length,
    precision: alerts.length === 0 ? 1 : tp / alerts.length,
    truePositives: tp,
    falsePositives: alerts.length - tp,
    byTypology,
    byRule,
    missed: labels.filter((c) => !detected.has(c.id)).map((c) => `${c.id}:${c.typology}`),
  }
}

export interface BacktestOptions {
  readonly draft: CompiledRuleSet
  readonly active?: CompiledRuleSet | undefined
  readonly from: number
  readonly to: number
  readonly parties?: Iterable<Party>
  readonly lists?: ListSnapshot
  readonly labels?: readonly CaseLabel[]
  readonly dedupWindowMs?: number
}

export interface RuleSetReport {
  readonly version: number
  readonly alerts: number
  readonly hitsByRule: Record<string, number>
  readonly alertsPerDay: Record<string, number>
  readonly outcomes: { allow: number; review: number; block: number }
  readonly labels?: LabelScore
  /** Customer-level recall per planted typology and precision per rule typology (with labels). */
  readonly customers?: CustomerScore
  /** Who was alerted, in time order (at most ALERTED_LIST_MAX; `alertedTruncated` says when more). */
  readonly alerted: readonly AlertedEntry[]
  readonly alertedTruncated: boolean
}

export interface BacktestReport {
  readonly from: string
  readonly to: string
  readonly transactions: number
  readonly warmup: number
  readonly draft: RuleSetReport
  readonly active?: RuleSetReport
  /** Alerts only the draft raises, only the active set raises, and both. */
  readonly diff?: { onlyDraft: number; onlyActive: number; both: number }
}

interface Acc {
  alerts: AlertLike[]
  keys: Map<string, number>
  hits: Record<string, number>
  perDay: Record<string, number>
  outcomes: { allow: number; review: number; block: number }
}

const newAcc = (): Acc => ({
  alerts: [],
  keys: new Map(),
  hits: {},
  perDay: {},
  outcomes: { allow: 0, review: 0, block: 0 },
})

function report(version: number, acc: Acc, labels: readonly CaseLabel[] | undefined): RuleSetReport {
  const casesOf = new Map<string, CaseLabel[]>()
  for (const c of labels ?? []) for (const m of c.members) casesOf.set(m, [...(casesOf.get(m) ?? []), c])
  const alerted = acc.alerts.slice(0, ALERTED_LIST_MAX).map((a) => ({
    subject: a.subject,
    ruleId: a.ruleId,
    typology: a.typology ?? null,
    at: new Date(a.at).toISOString(),
    cases: (casesOf.get(a.subject) ?? [])
      .filter((c) => a.at >= c.start - DAY_MS && a.at <= c.end + LABEL_SLACK_MS)
      .map((c) => c.id),
  }))
  const base = {
    version,
    alerts: acc.alerts.length,
    hitsByRule: acc.hits,
    alertsPerDay: acc.perDay,
    outcomes: acc.outcomes,
    alerted,
    alertedTruncated: acc.alerts.length > ALERTED_LIST_MAX,
  }
  return labels
    ? { ...base, labels: scoreAlerts(acc.alerts, labels), customers: scoreCustomers(acc.alerts, labels) }
    : base
}

/** Incremental backtest: feed transactions in time order, then ask for the report. */
export class Backtester {
  private readonly engine: MonitoringEngine
  private readonly draft = newAcc()
  private readonly active = newAcc()
  private readonly dedupWindowMs: number
  private n = 0
  private warm = 0
  done = false

  constructor(private readonly opts: BacktestOptions) {
    this.dedupWindowMs = opts.dedupWindowMs ?? 30 * DAY_MS
    this.engine = new MonitoringEngine({
      lists: opts.lists ?? new Map(),
      parties: new Map([...(opts.parties ?? [])].map((p) => [p.id, p])),
      dedupWindowMs: this.dedupWindowMs,
    })
    this.engine.active = opts.draft
    this.engine.shadows = opts.active ? [opts.active] : []
  }

  /** Usual amounts and counterparties formed before the replay starts (FeatureStore.seedHabits). */
  seedHabits(rows: Iterable<EntityHabits>): void {
    for (const h of rows) this.engine.store.seedHabits(h)
  }

  /** Lifetime activity before the replay starts (see FeatureStore.seedActivity). */
  seedActivity(rows: Iterable<Parameters<MonitoringEngine['store']['seedActivity']>[0]>): void {
    for (const a of rows) this.engine.store.seedActivity(a)
  }

  /** Returns false once past the end of the range (the caller may stop feeding). */
  feed(t: MonTxn): boolean {
    const { opts, engine, draft, active } = this
    if (t.at >= opts.to) {
      this.done = true
      return false
    }
    if (t.at < opts.from) {
      engine.learn(t)
      this.warm++
      return true
    }
    this.n++
    const res = engine.process(t)
    draft.outcomes[res.decision.outcome]++
    for (const f of res.decision.fired) draft.hits[f.ruleId] = (draft.hits[f.ruleId] ?? 0) + 1
    for (const a of res.alerts) addAlert(draft, a, a.dedupKey)
    const s = res.shadow[0]
    if (s) {
      active.outcomes[s.outcome]++
      for (const f of s.fired) {
        active.hits[f.ruleId] = (active.hits[f.ruleId] ?? 0) + 1
        if (f.outcome === 'allow') continue
        const { key, open } = dedupKey(active.keys, f.ruleId, f.subject, t.at, this.dedupWindowMs)
        if (open === undefined)
          addAlert(active, { subject: f.subject, at: t.at, ruleId: f.ruleId, typology: f.typology }, key)
      }
    }
    return true
  }

  report(): BacktestReport {
    const { opts, draft, active } = this
    const result: BacktestReport = {
      from: new Date(opts.from).toISOString(),
      to: new Date(opts.to).toISOString(),
      transactions: this.n,
      warmup: this.warm,
      draft: report(opts.draft.version, draft, opts.labels),
    }
    if (!opts.active) return result
    const subjects = (acc: Acc): Set<string> => new Set(acc.alerts.map((a) => `${a.ruleId}|${a.subject}`))
    const ds = subjects(draft)
    const as = subjects(active)
    let both = 0
    for (const k of ds) if (as.has(k)) both++
    return {
      ...result,
      active: report(opts.active.version, active, opts.labels),
      diff: { onlyDraft: ds.size - both, onlyActive: as.size - both, both },
    }
  }
}

const day = (at: number): string => new Date(at).toISOString().slice(0, 10)

function addAlert(acc: Acc, a: AlertLike, key: string): void {
  acc.keys.set(key, a.at)
  acc.alerts.push(a)
  const d = day(a.at)
  acc.perDay[d] = (acc.perDay[d] ?? 0) + 1
}

/** Replays `txns` (sorted by time) and reports on the draft and, if given, the active rule set. */
export function backtest(txns: Iterable<MonTxn>, opts: BacktestOptions): BacktestReport {
  const b = new Backtester(opts)
  for (const t of txns) if (!b.feed(t)) break
  return b.report()
}
