import {
  CASH,
  type DecisionScorer,
  type DecisionScores,
  type EvalContext,
  type MonTxn,
  type ScoreExplanation,
} from '../monitoring/index.js'
import { confirmedInRow, extractRow, FEATURE_COUNT, type FeatureInputs, type Side } from './features.js'
import {
  explainRow,
  prepareExplanations,
  scoreRow,
  scoresRow,
  type Explanation,
  type RiskModel,
} from './model.js'
import { confidenceOf } from './alert-budget.js'
import type { ScoreStore } from './score.store.js'
import type { SubjectScores } from './subject-score.js'

/**
 * The risk module's side of monitoring's DecisionModelPort: scores a transaction's two sides with
 * the champion and every challenger, from the context the monitoring engine just evaluated the rules
 * on (no second feature computation), then links the payment into the counterparty graph so the
 * next score sees it. A side's probability is its subject's score — the subject's highest recent
 * rows, this one included, under each model (SubjectScores) — and the threshold is compared with
 * it; the explanation is of this transaction's row (the one that brought the score where it is).
 * Explanations are computed only when asked (an alert), kept as the top features each way.
 */

export interface ScoringModel {
  readonly id: string
  readonly version: number
  readonly threshold: number
  readonly model: RiskModel
  /** Each subject's recent top rows under this model: its score is made of them (subject-score.ts). */
  readonly subjects: SubjectScores
}

/** Features listed in each direction of a stored explanation. */
export const EXPLAIN_TOP = 5

export function summarise(e: Explanation, top = EXPLAIN_TOP): ScoreExplanation {
  return {
    baseValue: e.baseValue,
    probability: e.probability,
    up: e.contributions.filter((c) => c.shap > 0).slice(0, top),
    down: e.contributions.filter((c) => c.shap < 0).slice(0, top),
  }
}

export function createDecisionScorer(
  inputs: FeatureInputs,
  champion: ScoringModel | undefined,
  challengers: readonly ScoringModel[],
  scores: ScoreStore,
  /** Told every payment linked into `inputs.graph` (a successor scorer being built catches up from it). */
  onLink: (t: MonTxn) => void = () => undefined,
): DecisionScorer {
  if (champion) prepareExplanations(champion.model)
  // The rows of the last scored transaction, one buffer per side reused across transactions:
  // explain() reads them right after score(), and an explanation is computed once per subject even
  // when several alerts of the transaction name it.
  const rowBuffers = [new Float64Array(FEATURE_COUNT), new Float64Array(FEATURE_COUNT)] as const
  let lastTxn = ''
  let lastSubjects: string[] = []
  let explained: (ScoreExplanation | undefined)[] = []
  return {
    score(ctx: EvalContext, t: MonTxn): DecisionScores {
      const sides: { side: Side; subject: string; x: Float64Array }[] = []
      // cases confirmed by now count, as the replay counts them before the transaction is read
      inputs.graph.advanceTo(t.at)
      for (const side of ['out', 'in'] as const) {
        const subject = side === 'out' ? t.src : t.dst
        if (subject === CASH || (sides.length > 0 && sides[0]!.subject === subject)) continue
        const x = rowBuffers[sides.length]!
        extractRow(ctx, t, side, inputs, x, 0)
        sides.push({ side, subject, x })
      }
      inputs.graph.linkPayment(t)
      onLink(t)
      lastTxn = t.id
      lastSubjects = sides.map((s) => s.subject)
      explained = []
      const budget = (m: ScoringModel) => m.model.metrics.alertBudget
      // a customers-only model is not asked about accounts outside the institution (it never
      // learned about them); each model, champion or challenger, is asked about the sides it knows
      const of = (m: ScoringModel) => ({
        modelId: m.id,
        version: m.version,
        threshold: m.threshold,
        ...(budget(m) ? { budget: budget(m) } : {}),
        sides: sides
          .filter((s) => scoresRow(m.model, s.x))
          .map((s) => {
            const margin = scoreRow(m.model, s.x).margin
            const probability = m.subjects.add(s.subject, t.at, margin)
            const b = budget(m)
            return {
              side: s.side,
              subject: s.subject,
              probability,
              margin,
              raised: m.subjects.lastRaised,
              ...(confirmedInRow(s.x) ? { confirmed: true } : {}),
              ...(b ? { confidence: confidenceOf(b, probability) } : {}),
            }
          }),
      })
      return {
        txnId: t.id,
        at: t.at,
        champion: champion ? of(champion) : undefined,
        challengers: challengers.map(of),
      }
    },

    explain(s: DecisionScores, subject: string): ScoreExplanation | undefined {
      if (s.txnId !== lastTxn || !champion) return undefined
      const i = lastSubjects.indexOf(subject)
      if (i < 0 || !scoresRow(champion.model, rowBuffers[i]!)) return undefined
      return (explained[i] ??= summarise(explainRow(champion.model, rowBuffers[i]!)))
    },

    record: (tx, tenant, list) => scores.record(tx, tenant, list),
  }
}
