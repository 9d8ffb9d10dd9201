import { FeatureStore, isTracked } from './features.js'
import {
  CASH,
  DAY_MS,
  outcomeRank,
  type AlertDraft,
  type Decision,
  type FiredRule,
  type MonTxn,
  type Outcome,
  type Party,
  type RuleDef,
  sameOwner,
} from './monitoring.js'
import {
  featureValues,
  newEvalContext,
  withLists,
  type CompiledRuleSet,
  type EvalContext,
  type ListSnapshot,
} from './rules.js'

/**
 * The in-process evaluation engine of one tenant: feature store + compiled rule sets + alert
 * deduplication. Synchronous and allocation-light: the evaluation context is reused, features are
 * computed lazily and memoised per transaction, and nothing is allocated for a rule that does not
 * fire. Storage, events and HTTP live around it (monitoring.service.ts).
 */

export interface ExplainEntry {
  readonly ruleId: string
  readonly fired: boolean
  readonly outcome: Outcome
  readonly score: number
  readonly reason: string
  readonly features: Record<string, unknown>
  readonly error?: string
}

export interface ProcessOptions {
  /**
   * The synchronous decision's latency budget: `true` for the rule set's `budgetMs`, a number for
   * that many ms. Past it the remaining rules are skipped and the rule set's fallback decides.
   * Absent, every rule is evaluated: a path with no one waiting (events, backtests, the model's
   * replays) must not let a GC pause or a busy machine decide which rules ran.
   */
  readonly budgetMs?: number | true
  /** Evaluate every rule and report each one with the feature values it saw. */
  readonly explain?: boolean
  /** Update the feature store and dedup state (default true). Dry runs pass false. */
  readonly apply?: boolean
  /** Evaluate this rule set instead of the active one (dry run of a draft). */
  readonly ruleSet?: CompiledRuleSet
  /** Clock in ms for the latency budget (tests inject a fake to exercise the fallback). */
  readonly timer?: () => number
  /**
   * Called with the transaction's point-in-time features (before it is folded in) after the rules
   * ran: the risk model reads the same memoised features instead of computing them again.
   */
  readonly observe?: (ctx: EvalContext, t: MonTxn) => void
}

export interface ShadowResult {
  readonly version: number
  readonly outcome: Outcome
  readonly fired: readonly FiredRule[]
}

export interface ProcessResult {
  readonly decision: Decision
  /** New (not deduplicated) alerts from fired review/block rules of the active set. */
  readonly alerts: readonly AlertDraft[]
  /** Alerts suppressed as duplicates of an open one, by dedup key. */
  readonly duplicates: readonly string[]
  readonly shadow: readonly ShadowResult[]
  readonly explain?: readonly ExplainEntry[]
}

export interface EngineOptions {
  readonly lists?: ListSnapshot
  readonly parties?: ReadonlyMap<string, Party>
  /** Alerts for the same rule and subject within one window of this length share one alert. */
  readonly dedupWindowMs?: number
  /** Test aid: also run the cel-js interpreter on every rule and throw if the compiled result differs. */
  readonly verifyCompiled?: boolean
}

export class CompiledMismatch extends Error {}

const EMPTY: readonly never[] = Object.freeze([])
const nowMs = (): number => performance.now()

/** An alert's rule and subject raise no new alert within this window of it (sliding). */
export const DEDUP_WINDOW_MS = 30 * DAY_MS

export class MonitoringEngine {
  readonly store = new FeatureStore()
  active: CompiledRuleSet | undefined
  shadows: CompiledRuleSet[] = []
  lists: ListSnapshot
  parties: Map<string, Party>
  readonly dedupWindowMs: number
  /** Open alerts by dedup key → time the alert was raised. */
  private readonly openAlerts = new Map<string, number>()
  /** The dedup bucket up to which closed alerts were last forgotten (forgetClosedAlerts). */
  private forgottenBucket = -Infinity
  private readonly ctx: EvalContext = newEvalContext()
  private epoch = 0
  /** Rule evaluation errors (e.g. division by zero) by rule id; such a rule counts as not fired. */
  readonly ruleErrors = new Map<string, number>()

  private readonly verifyCompiled: boolean

  constructor(opts: EngineOptions = {}) {
    this.verifyCompiled = opts.verifyCompiled === true
    this.lists = opts.lists ?? new Map()
    this.parties = new Map(opts.parties ?? [])
    this.dedupWindowMs = opts.dedupWindowMs ?? DEDUP_WINDOW_MS
  }

  /** Marks dedup keys already present in storage (after a restart). */
  rememberAlerts(alerts: Iterable<{ key: string; at: number }>): void {
    for (const a of alerts) {
      this.openAlerts.set(a.key, a.at)
      // the key is `rule|subject|bucket` (dedupKey): the subject's alert time feeds alerted_in_*
      const first = a.key.indexOf('|')
      const last = a.key.lastIndexOf('|')
      if (first >= 0 && last > first) this.store.alerted.note(a.key.slice(first + 1, last), a.at)
    }
  }

  /**
   * Claims the dedup slot of an alert raised outside the rules (the risk model), sharing the rules'
   * sliding window and restart memory: `open` is the key of an alert that absorbs this one.
   */
  claimAlert(ruleId: string, subject: string, at: number): { key: string; open: string | undefined } {
    const r = dedupKey(this.openAlerts, ruleId, subject, at, this.dedupWindowMs)
    if (r.open === undefined) {
      this.openAlerts.set(r.key, at)
      this.store.alerted.note(subject, at)
    }
    return r
  }

  /**
   * Drops the dedup keys no later alert can meet: dedupKey reads a key's own window-sized bucket and
   * the one before, so once time is two buckets past an alert it absorbs nothing. Kept until then
   * with a bucket to spare, for a model alert claimed on a late transaction (claimAlert). Without
   * this the map grew by every alerted subject for as long as the engine lived. Runs once per bucket.
   */
  private forgetClosedAlerts(at: number): void {
    const bucket = Math.floor(at / this.dedupWindowMs)
    if (bucket <= this.forgottenBucket) return
    this.forgottenBucket = bucket
    const keepFrom = (bucket - 2) * this.dedupWindowMs
    for (const [key, raisedAt] of this.openAlerts) if (raisedAt < keepFrom) this.openAlerts.delete(key)
    this.store.alerted.forgetBefore(keepFrom)
  }

  /** Dedup keys the engine still holds (tests: old ones are forgotten). */
  get openAlertCount(): number {
    return this.openAlerts.size
  }

  /** Evaluates a transaction, then (unless apply is false) folds it into the features. */
  process(input: MonTxn, opts: ProcessOptions = {}): ProcessResult {
    // Features assume time order; a late event is evaluated and recorded at the latest time seen.
    const t = input.at < this.store.watermark ? { ...input, at: this.store.watermark } : input
    // Only a transaction that is folded in moves the engine's time on. A dry run or a what-if dated
    // later (POST /v1/risk/score without `at` reads the wall clock, months past a backfilled stream)
    // forgot every open alert and every alerted account: the next hits raised alerts anew.
    if (opts.apply !== false) this.forgetClosedAlerts(t.at)
    const timer = opts.timer ?? nowMs
    const started = timer()
    const rs = opts.ruleSet ?? this.active
    const ctx = this.prepare(t, opts.apply !== false)
    let outcome: Outcome = 'allow'
    let score = 0
    let fired: FiredRule[] | undefined
    let degraded = false
    let decided = 0
    let explain: ExplainEntry[] | undefined = opts.explain ? [] : undefined
    if (rs) {
      const budget =
        opts.budgetMs === undefined ? Infinity : opts.budgetMs === true ? rs.budgetMs : opts.budgetMs
      const rules = rs.rules
      for (let i = 0; i < rules.length; i++) {
        if ((i & 15) === 15 && timer() - started > budget) {
          degraded = true
          break
        }
        const rule = rules[i]!
        let hit = false
        let error: string | undefined
        try {
          hit = rule.fn(ctx) === true
          if (this.verifyCompiled) this.verify(rule.def.id, hit, () => rule.cel(ctx) === true)
        } catch (e) {
          if (e instanceof CompiledMismatch) throw e
          error = e instanceof Error ? e.message.split('\n')[0] : String(e)
          this.ruleErrors.set(rule.def.id, (this.ruleErrors.get(rule.def.id) ?? 0) + 1)
        }
        if (hit) {
          const d = rule.def
          fired ??= []
          fired.push(firedRule(d, t))
          score += d.score
          if (outcomeRank(d.outcome) > outcomeRank(outcome)) outcome = d.outcome
        }
        if (explain) {
          const d = rule.def
          const entry: ExplainEntry = {
            ruleId: d.id,
            fired: hit,
            outcome: d.outcome,
            score: d.score,
            reason: d.reason,
            features: featureValues(rule, ctx),
          }
          explain.push(error === undefined ? entry : { ...entry, error })
        }
      }
      decided = timer()
      if (!degraded && decided - started > budget) degraded = true
      if (degraded) {
        // the budget ran out: the configured fallback decides, unless a rule already blocked
        if (outcomeRank(rs.fallback) > outcomeRank(outcome)) outcome = rs.fallback
      } else {
        const d = rs.def
        if (d.blockScore !== undefined && score >= d.blockScore) outcome = 'block'
        else if (d.reviewScore !== undefined && score >= d.reviewScore && outcome === 'allow')
          outcome = 'review'
      }
    }
    let shadow: ShadowResult[] | undefined
    if (!opts.ruleSet && this.shadows.length > 0) {
      for (const s of this.shadows) {
        let so: Outcome = 'allow'
        let sf: FiredRule[] | undefined
        for (const rule of s.rules) {
          let hit = false
          try {
            hit = rule.fn(ctx) === true
          } catch {
            hit = false
          }
          if (!hit) continue
          const d = rule.def
          ;(sf ??= []).push(firedRule(d, t))
          if (outcomeRank(d.outcome) > outcomeRank(so)) so = d.outcome
        }
        ;(shadow ??= []).push({ version: s.version, outcome: so, fired: sf ?? EMPTY })
      }
    }
    // alerts: one per fired review/block rule, deduplicated per rule, subject and window
    let alerts: AlertDraft[] | undefined
    let duplicates: string[] | undefined
    const apply = opts.apply !== false
    if (fired && rs) {
      for (const f of fired) {
        if (f.outcome === 'allow' || !isTracked(f.subject)) continue
        const { key, open } = dedupKey(this.openAlerts, f.ruleId, f.subject, t.at, this.dedupWindowMs)
        if (open !== undefined) {
          ;(duplicates ??= []).push(open)
          continue
        }
        if (apply) {
          this.openAlerts.set(key, t.at)
          // before the transaction is folded in: its payee receives money from an alerted account
          this.store.alerted.note(f.subject, t.at)
        }
        const rule = rs.rules.find((r) => r.def.id === f.ruleId)!
        ;(alerts ??= []).push({
          dedupKey: key,
          ruleSetVersion: rs.version,
          ruleId: f.ruleId,
          typology: f.typology,
          subject: f.subject,
          outcome: f.outcome,
          score: f.score,
          reason: f.reason,
          txnId: t.id,
          at: t.at,
          context: {
            features: featureValues(rule, ctx),
            txn: txnContext(t),
            src_party: this.parties.get(t.src) ?? null,
            dst_party: this.parties.get(t.dst) ?? null,
            decision: { outcome, score, rules: fired.map((x) => x.ruleId) },
          },
        })
      }
    }
    if (opts.observe) opts.observe(ctx, t)
    if (apply) {
      const c = this.ctx
      this.store.applyResolved(
        t,
        c.dst.cp,
        c.src.cp,
        c.src.state,
        c.dst.state,
        c.src_customer.state,
        c.dst_customer.state,
        c.device.state,
        c.card.state,
        c.address.state,
        c.src_party.segment === 'individual',
        c.src_party.segment === 'business',
      )
    }
    const decision: Decision = {
      txnId: t.id,
      outcome,
      score,
      fired: fired ?? EMPTY,
      degraded,
      elapsedMs: (decided || timer()) - started,
    }
    const result: ProcessResult = {
      decision,
      alerts: alerts ?? EMPTY,
      duplicates: duplicates ?? EMPTY,
      shadow: shadow ?? EMPTY,
    }
    if (explain) explain = explain.slice()
    return explain ? { ...result, explain } : result
  }

  private verify(ruleId: string, hit: boolean, reference: () => boolean): void {
    let ref = false
    try {
      ref = reference()
    } catch {
      ref = false
    }
    if (ref !== hit) throw new CompiledMismatch(`rule ${ruleId}: compiled ${hit}, cel-js ${ref}`)
  }

  /** Folds a transaction into the features without evaluating it (rebuild from history). */
  learn(t: MonTxn): void {
    this.store.apply(
      t.at < this.store.watermark ? { ...t, at: this.store.watermark } : t,
      t.src !== CASH && this.parties.get(t.src)?.segment === 'individual',
      t.src !== CASH && this.parties.get(t.src)?.segment === 'business',
    )
  }

  /** Resolves the entities of a transaction (creating them when it will be applied) into the context. */
  private prepare(t: MonTxn, create: boolean): EvalContext {
    const ctx = this.ctx
    const store = this.store
    const epoch = ++this.epoch
    withLists(this.lists)
    const amount = Number(t.amount)
    const srcTracked = isTracked(t.src)
    const dstTracked = isTracked(t.dst)
    const src = srcTracked ? store.account(t.src, create) : undefined
    const dst = dstTracked ? store.account(t.dst, create) : undefined
    // a move between one customer's own accounts names no counterparty (no new counterparty, no cycle)
    const own = sameOwner(t)
    const srcCp = own ? -1 : src ? src.cp : srcTracked ? store.interner.get(t.src) : -1
    const dstCp = own ? -1 : dst ? dst.cp : dstTracked ? store.interner.get(t.dst) : -1
    const at = t.at
    ctx.txn.reset(t, src && dstCp >= 0 ? src.closesCycle(dstCp, at, amount) : 0, own, store.watchedDays(at))
    ctx.src.reset(src, at, true, amount, dstCp, epoch)
    ctx.dst.reset(dst, at, false, amount, srcCp, epoch)
    ctx.src_customer.reset(
      store.entity(store.customers, t.srcCustomer, create),
      at,
      true,
      amount,
      dstCp,
      epoch,
    )
    ctx.dst_customer.reset(
      store.entity(store.customers, t.dstCustomer, create),
      at,
      false,
      amount,
      srcCp,
      epoch,
    )
    ctx.device.reset(store.entity(store.devices, t.device, create), at, true, amount, dstCp, epoch)
    ctx.card.reset(store.entity(store.cards, t.card, create), at, true, amount, dstCp, epoch)
    ctx.address.reset(store.entity(store.addresses, t.address, create), at, true, amount, dstCp, epoch)
    ctx.src_party.reset(t.src === CASH ? undefined : this.parties.get(t.src), at)
    ctx.dst_party.reset(t.dst === CASH ? undefined : this.parties.get(t.dst), at)
    return ctx
  }
}

/** A rule's hit on a transaction, as the live decision and every shadow rule set report it. */
function firedRule(d: RuleDef, t: MonTxn): FiredRule {
  const { id: ruleId, outcome, score, reason, typology } = d
  return { ruleId, outcome, score, reason, subject: d.subject === 'dst' ? t.dst : t.src, typology }
}

/**
 * Sliding deduplication: an alert opened less than one window ago (in this window-sized bucket or
 * the previous one) absorbs the hit (`open` is its key); otherwise `key` names a new alert.
 */
export function dedupKey(
  openAlerts: ReadonlyMap<string, number>,
  ruleId: string,
  subject: string,
  at: number,
  windowMs: number,
): { key: string; open: string | undefined } {
  const bucket = Math.floor(at / windowMs)
  const key = `${ruleId}|${subject}|${bucket}`
  if (openAlerts.has(key)) return { key, open: key }
  const prevKey = `${ruleId}|${subject}|${bucket - 1}`
  const prevAt = openAlerts.get(prevKey)
  return { key, open: prevAt !== undefined && at - prevAt < windowMs ? prevKey : undefined }
}

/** A transaction's movement as JSON: who paid whom how much, when, between which countries. */
export type TxnSummary = Pick<
  MonTxn,
  'id' | 'currency' | 'kind' | 'src' | 'dst' | 'srcCountry' | 'dstCountry'
> & {
  /** ISO-8601. */
  readonly at: string
  /** Minor units, as an integer string. */
  readonly amount: string
}

/** The movement alone, without the entities behind it: what a SAR lists of an account's history. */
export function txnSummary(t: MonTxn): TxnSummary {
  return {
    id: t.id,
    at: new Date(t.at).toISOString(),
    amount: t.amount.toString(),
    currency: t.currency,
    kind: t.kind,
    src: t.src,
    dst: t.dst,
    ...(t.srcCountry ? { srcCountry: t.srcCountry } : {}),
    ...(t.dstCountry ? { dstCountry: t.dstCountry } : {}),
  }
}

/** The transaction in an alert's or event's context: its movement and the entities it involves. */
export function txnContext(t: MonTxn): Record<string, unknown> {
  return {
    ...txnSummary(t),
    ...(t.srcCustomer ? { srcCustomer: t.srcCustomer } : {}),
    ...(t.dstCustomer ? { dstCustomer: t.dstCustomer } : {}),
    ...(t.device ? { device: t.device } : {}),
    ...(t.card ? { card: t.card } : {}),
    ...(t.address ? { address: t.address } : {}),
  }
}
