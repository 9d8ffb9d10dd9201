import type { Db } from '../../shared/db/connect.js'
import { txnContext } from './engine.js'
import type { AlertDraft, MonTxn, Party } from './monitoring.js'
import type { QueueVolume } from './queue-volume.js'
import type { EvalContext } from './rules.js'

/**
 * The learned risk model in the monitoring decision (issue 17), as monitoring sees it: a narrow port
 * the risk module implements, so that neither module imports the other's service. When a tenant has
 * a promoted (champion) model, every monitored transaction is scored in process from the same
 * point-in-time features the rules just read; the champion may raise an alert the rules missed
 * (at its threshold, chosen at the alert budget when it was trained), and its score and explanation
 * are stored on every alert of the transaction so that analysts and the case queue can rank them.
 * Challenger (shadow) models are scored too but raise nothing: their scores are kept for the
 * champion/challenger comparison.
 */

/** The alerts the model raises carry this rule id (their dedup window is the rules' one). */
export const MODEL_RULE_ID = 'risk_model'

export interface SideProbability {
  readonly side: 'out' | 'in'
  readonly subject: string
  /**
   * The subject's score after this transaction (what the threshold is compared with): for models
   * trained since session 19 made of its highest recent rows, not of this row alone (the risk
   * module's subject-score.ts says how).
   */
  readonly probability: number
  /** This transaction's row log-odds (the score store keeps each subject-day's highest). */
  readonly margin?: number
  /**
   * Whether this transaction raised the subject's score (its row entered the subject's highest
   * rows). False: the score is what older rows made it — a model alert on them was raised already
   * (and may have been closed), so this transaction raises no new one. Absent: always new evidence.
   */
  readonly raised?: boolean
  /**
   * The subject is named in a case already confirmed (the risk model's graph holds it as known
   * bad): the model raises no alert of its own on it — its case is known, and the rules still alert.
   */
  readonly confirmed?: boolean
  /** With an alert budget (ModelSideScores.budget): the subject's confidence, comparable with the rules' precision. */
  readonly confidence?: number
}

/**
 * The alert budget of a model trained since session 31: rules and model together alert, in the
 * case queue, on as many customers as the rules alone did on the validation period. Every customer
 * gets one combined score — the model's confidence (SideProbability.confidence: the share of
 * customers scoring so on validation that were suspicious), or for a customer a rule alerted on, the
 * larger of that and the rules' precision on validation (the share of their alerted customers that
 * were) — and the budget is the top as many customers as the rules alerted on. A model alert is raised within it
 * only; a rule alert outside it is still raised (the model never silences a rule) but marked, and
 * the case queue puts it last (cases' alert-sources.ts: priority 4).
 */
export interface AlertBudget {
  /** Of the customers the rules alerted on in the validation period, the share that was suspicious. */
  readonly rulesPrecision: number
  /**
   * Per rule id, the same share over the customers that rule alerted on, shrunk towards
   * `rulesPrecision` (session 35): a rule alert counts with its own rule's record, so a precise
   * rule's alert stays in the queue and a noisy one's needs the model's support. A rule absent (new
   * since training), or a budget stored before: `rulesPrecision`.
   */
  readonly rulePrecision?: Readonly<Record<string, number>>
  /**
   * How a rule-alerted customer's rules' record and the model's confidence combine (session 36):
   * `max` (absent: every budget before) takes the larger; `noisy_or` reads them as two witnesses,
   * 1 − (1 − rules)(1 − confidence), so a noisy rule's alert that the model also leans towards
   * outranks either alone — one of the combinations the risk bench chooses between on tuning data
   * (session 11), the one it chose in every run of session 36 (docs/adr/1405).
   */
  readonly combine?: WitnessCombination
  /** The combined score of the last customer within the budget on validation. */
  readonly cut: number
  /** That customer's model score (`probability`): of the customers whose combined score equals `cut`, those below it are outside. */
  readonly cutModel: number
  /** Customers within the budget on validation (the rules' alerted customers there). */
  readonly customers: number
  /**
   * Every rule alert is within the budget (session 57, ADR 1410): on the validation period no trade
   * was measured — the rules alerted on too few customers to tell which of their alerts a model may
   * take places from (the risk module's MIN_RULED_TO_TRADE), or no customer without a rule alert
   * ranked among them, so the cut was only the lowest rule-alerted customer's score. The cut still
   * decides the model's own alerts, but with every rule alert in the queue, the queue's cap at the
   * rules' volume (ADR 1409) leaves them no room: rules and model alert on exactly the rules'
   * customers, and the model ranks them.
   */
  readonly keepsRuleAlerts?: boolean
}

/**
 * The rules' witness for a customer under budget `b`: the best precision among the rules that alerted
 * on it (`rules`: their ids; `true`: some rule, read at the pooled precision), undefined without one.
 */
export function rulesScoreOf(b: AlertBudget, rules: boolean | readonly string[]): number | undefined {
  if (rules === false || (rules !== true && rules.length === 0)) return undefined
  if (rules === true || !b.rulePrecision) return b.rulesPrecision
  let best = 0
  for (const id of rules) best = Math.max(best, b.rulePrecision[id] ?? b.rulesPrecision)
  return best
}

/** AlertBudget.combine. */
export type WitnessCombination = 'max' | 'noisy_or'

/**
 * A customer's combined score under budget `b`: its model confidence, combined with the rules'
 * witness when rules alerted on it (`rules`: their ids, or only whether any did; rulesScoreOf).
 */
export function combinedScoreOf(
  b: AlertBudget,
  confidence: number,
  rules: boolean | readonly string[],
): number {
  const r = rulesScoreOf(b, rules)
  if (r === undefined) return confidence
  return b.combine === 'noisy_or' ? 1 - (1 - confidence) * (1 - r) : Math.max(confidence, r)
}

/**
 * Whether a customer of model score `probability` and `confidence` is within the budget, given the
 * rules that alerted on it (`rules`: their ids, or only whether any did; rulesScoreOf).
 */
export function withinBudget(
  b: AlertBudget,
  confidence: number,
  probability: number,
  rules: boolean | readonly string[],
): boolean {
  if (b.keepsRuleAlerts && rulesScoreOf(b, rules) !== undefined) return true
  const combined = combinedScoreOf(b, confidence, rules)
  return combined > b.cut || (combined === b.cut && probability >= b.cutModel)
}

export interface ModelSideScores {
  readonly modelId: string
  readonly version: number
  readonly threshold: number
  /** Absent for models trained before session 31: the model alerts at `threshold`, beside every rule alert. */
  readonly budget?: AlertBudget
  readonly sides: readonly SideProbability[]
}

/** One transaction's scores by the champion and each challenger. */
export interface DecisionScores {
  readonly txnId: string
  readonly at: number
  /** Undefined while no model is promoted: the challengers (shadows) are scored all the same. */
  readonly champion: ModelSideScores | undefined
  readonly challengers: readonly ModelSideScores[]
}

export interface FeatureContribution {
  readonly feature: string
  readonly value: number
  /** Change in log-odds (positive: pushed the score up). */
  readonly shap: number
}

/** An exact (TreeSHAP) explanation cut to the features that moved the score most each way. */
export interface ScoreExplanation {
  readonly baseValue: number
  readonly probability: number
  readonly up: readonly FeatureContribution[]
  readonly down: readonly FeatureContribution[]
}

/** What an alert stores about the champion's score of its subject (`context.model`). */
export interface ModelFacts {
  readonly modelId: string
  readonly version: number
  readonly threshold: number
  readonly probability: number
  /** True when the champion alone would have raised an alert on this subject. */
  readonly aboveThreshold: boolean
  /**
   * With an alert budget (AlertBudget): whether the subject is within it. False on a rule alert: the
   * rules alerted, but on the combined score it falls outside the queue's budget (worked last).
   */
  readonly withinBudget?: boolean
  /** With an alert budget: the share of customers scoring so on validation that were suspicious. */
  readonly confidence?: number
  readonly explanation: ScoreExplanation | undefined
}

export interface DecisionScorer {
  /**
   * Synchronous, in process: scores both sides of `t` from the engine's context (taken before `t`
   * is folded in), then folds `t` into the scorer's own state (the counterparty graph).
   */
  score(ctx: EvalContext, t: MonTxn): DecisionScores
  /** The champion's explanation of one side (only for alerts: it costs more than a score). */
  explain(scores: DecisionScores, subject: string): ScoreExplanation | undefined
  /** Keeps every model's scores for champion/challenger metrics, in the alerts' transaction. */
  record(tx: Db, tenant: string, scores: readonly DecisionScores[]): Promise<void>
}

export interface DecisionModelPort {
  /**
   * The tenant's scorer — its champion and challengers, or its challengers alone before any model is
   * promoted (they raise nothing) — or undefined when it has no model (the port caches it).
   */
  scorer(tenant: string): Promise<DecisionScorer | undefined>
  /**
   * Decisions the scorer folded in did not commit (their write failed): its state is rebuilt from
   * storage. The current scorer keeps deciding meanwhile.
   */
  forget?(tenant: string): void
}

/** What the model adds to one transaction's alerts. */
export interface ModelAlerts {
  readonly alerts: AlertDraft[]
  /** Model alerts absorbed by an open one (their hit count goes up). */
  readonly duplicates: string[]
}

const subjectOfKey = (key: string): string | undefined => key.split('|')[1]

/**
 * Puts the champion's score and explanation on the rules' alerts of `t` and raises a model alert for
 * each side above the threshold whose score this transaction raised and that no rule alert (new or
 * still open) already covers.
 */
export function withModel(
  t: MonTxn,
  ruleAlerts: readonly AlertDraft[],
  ruleDuplicates: readonly string[],
  scores: DecisionScores,
  scorer: Pick<DecisionScorer, 'explain'>,
  env: {
    readonly ruleSetVersion: number
    readonly parties: ReadonlyMap<string, Party>
    readonly claim: (ruleId: string, subject: string, at: number) => { key: string; open: string | undefined }
    /** The tenant's queue volume: told every new alert, and asked before a model alert (QueueVolume). */
    readonly queue?: QueueVolume
  },
): ModelAlerts {
  const c = scores.champion
  if (!c) {
    for (const a of ruleAlerts) env.queue?.ruled(a.subject, t.at, true)
    return { alerts: [...ruleAlerts], duplicates: [] } // shadows only: scored, nothing raised
  }
  const facts = (subject: string, rules: readonly string[]): ModelFacts | undefined => {
    const s = c.sides.find((x) => x.subject === subject)
    if (!s) return undefined
    return {
      modelId: c.modelId,
      version: c.version,
      threshold: c.threshold,
      probability: s.probability,
      aboveThreshold: s.probability >= c.threshold,
      ...(c.budget
        ? {
            withinBudget: withinBudget(c.budget, s.confidence ?? s.probability, s.probability, rules),
            confidence: s.confidence ?? s.probability,
          }
        : {}),
      explanation: scorer.explain(scores, subject),
    }
  }
  // a subject's rule alerts on this transaction: each is judged with the best of their rules' records
  const rulesOn = (subject: string): string[] =>
    ruleAlerts.filter((a) => a.subject === subject).map((a) => a.ruleId)
  const alerts: AlertDraft[] = ruleAlerts.map((a) => {
    const m = facts(a.subject, rulesOn(a.subject))
    env.queue?.ruled(a.subject, t.at, m?.withinBudget !== false)
    return m ? { ...a, context: { ...a.context, model: m } } : a
  })
  // with a budget, a model alert only within it; before session 31, at the model's own threshold
  const modelAlerts = (s: SideProbability): boolean =>
    c.budget
      ? withinBudget(c.budget, s.confidence ?? s.probability, s.probability, false)
      : s.probability >= c.threshold
  const covered = new Set([
    ...ruleAlerts.map((a) => a.subject),
    ...ruleDuplicates.map(subjectOfKey).filter((s): s is string => s !== undefined),
  ])
  const duplicates: string[] = []
  for (const s of c.sides) {
    // a score above the threshold only because of older rows is not new evidence: without this, a
    // customer whose model alert was closed as a false positive was alerted again on its next
    // ordinary payment once the dedup window had passed (its top rows count for 60 days)
    if (!modelAlerts(s) || s.raised === false || s.confirmed === true || covered.has(s.subject)) continue
    // with a budget, the queue holds the rules' volume: no room, no model alert (QueueVolume)
    if (c.budget && env.queue && !env.queue.hasRoom(t.at)) continue
    covered.add(s.subject)
    const { key, open } = env.claim(MODEL_RULE_ID, s.subject, t.at)
    if (open !== undefined) {
      duplicates.push(open)
      continue
    }
    env.queue?.modelQueued(s.subject, t.at)
    const m = facts(s.subject, [])!
    const drivers = (m.explanation?.up ?? []).slice(0, 3).map((x) => x.feature)
    alerts.push({
      dedupKey: key,
      ruleSetVersion: env.ruleSetVersion,
      ruleId: MODEL_RULE_ID,
      typology: undefined,
      subject: s.subject,
      outcome: 'review',
      score: Math.round(s.probability * 100),
      reason:
        `Risk model v${c.version} scored ${s.probability.toFixed(3)} ` +
        // with a budget the threshold did not decide: say what did, on the scale analysts compare
        // with the rules (the share of customers scoring so that were suspicious)
        (c.budget
          ? `(confidence ${(m.confidence ?? s.probability).toFixed(3)}, within the alert budget: the rules' precision ${c.budget.rulesPrecision.toFixed(3)}, cut ${c.budget.cut.toFixed(3)})`
          : `(threshold ${c.threshold.toFixed(3)})`) +
        (drivers.length > 0 ? `; driven by ${drivers.join(', ')}` : ''),
      txnId: t.id,
      at: t.at,
      context: {
        txn: txnContext(t),
        src_party: env.parties.get(t.src) ?? null,
        dst_party: env.parties.get(t.dst) ?? null,
        model: m,
      },
    })
  }
  return { alerts, duplicates }
}
