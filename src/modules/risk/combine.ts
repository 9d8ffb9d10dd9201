import {
  DAY_MS,
  LABEL_SLACK_MS,
  scoreCustomers,
  type CaseLabel,
  type TypedAlert,
} from '../monitoring/index.js'
import { calibrate, fitIsotonic, type Calibration } from './calibration.js'

/**
 * Rules and model together, at the rules' own alert budget. Every subject gets one probability of
 * being suspicious: for a subject a rule alerted on, the measured precision of that rule (the share
 * of the customers it alerted on that turned out suspicious); from the model, its highest row score
 * over the period, calibrated to the same subject level. The combined alert set is the top B
 * subjects by the larger of the two, B being the number of subjects the rules alone alerted on. A
 * rule whose alerts are rarely right can so give its place to a customer the model rates higher
 * and the rules missed — which a fixed model threshold chosen on other data cannot do when it
 * admits nothing. The same ranking is the promotion gate's (training.ts promotionGate).
 */

export interface RowScores {
  readonly subjects: readonly string[]
  readonly txnIds: readonly string[]
  readonly at: ArrayLike<number>
  readonly prob: Float64Array
  /** Each row's log-odds (the trees' margin); with it, a subject's score is its top rows' mean (subjectBest). */
  readonly margin?: Float64Array
}

export interface RuleAlert {
  readonly subject: string
  readonly txnId: string
  readonly at: number
  readonly ruleId: string
  readonly typology?: string | undefined
}

/** A subject's score over some rows (see subjectBest) and when its highest row was reached. */
export interface SubjectBest {
  readonly probability: number
  readonly at: number
}

/**
 * How many of a subject's highest rows make its score: the mean log-odds of its top 3 rows (fewer
 * rows: the lowest of them repeats). Why (session 18, tuning only): the model is trained on rows
 * (transactions) but detection is about customers. An innocent customer with one odd payment and a
 * hub whose every planted payment scores high had the same score under the highest row alone; the
 * mean of the top rows asks for the behaviour to repeat. On tuning_business 16001 the customers-only
 * model's top 2 % held 55 → 59 of 83 cases' primaries, average precision 0.58 → 0.65 (docs/risk.md).
 */
export const SUBJECT_TOP_ROWS = 3

/**
 * Log-odds taken off a subject's score per unit of ln(its rows in the period): the score is the mean
 * of its top rows minus SUBJECT_ROW_DISCOUNT × ln(rows). Why (session 21, tuning only): a subject's
 * top rows are the best of as many tries as it made payments — an innocent business with thousands of
 * payments reaches three high rows by chance, a dormant account waking up has three or four rows in
 * all. With 1 the odds are divided by the number of rows. Development data (trained on tuning seed
 * 11, `mule` left out; customers of days 30–89 ranked): the case model's top 2 % held 62 → 69 of 83
 * cases' primaries on tuning_business 16001 and 63 → 71 of 87 on tuning_scatter 18001, dormant
 * reactivations 0 → 8 of 8 on both (0.5: 64 and 69; 1.5: 68 and 70); docs/risk.md.
 */
export const SUBJECT_ROW_DISCOUNT = 1

const logistic = (m: number): number => 1 / (1 + Math.exp(-m))

/**
 * A subject's score in log-odds from its highest row margins (`desc`, highest first, at least one):
 * the mean of the `top` highest (fewer: the lowest of them repeats) less `discount` × ln(its rows).
 * The one definition behind subjectBest, the decision path's SubjectScores and the flow diagnosis.
 */
export function subjectMargin(desc: readonly number[], top: number, discount: number, rows: number): number {
  let sum = 0
  for (let j = 0; j < top; j++) sum += desc[Math.min(j, desc.length - 1)]!
  return sum / top - discount * Math.log(Math.max(1, rows))
}

/**
 * Each subject's score over some rows. Without margins (or `top` 1): its highest row probability.
 * With margins: the logistic of the mean of its `top` highest row margins less `discount` × ln(its
 * number of rows) — a monotone score, not a probability; it is calibrated at subject level before
 * use (fitSubjectCalibration). `at` is the time of its highest row either way.
 */
export function subjectBest(rows: RowScores, top = SUBJECT_TOP_ROWS, discount = 0): Map<string, SubjectBest> {
  const best = new Map<string, SubjectBest>()
  const margin = rows.margin
  if (!margin || top <= 1) {
    for (let i = 0; i < rows.prob.length; i++) {
      const s = rows.subjects[i]!
      const p = rows.prob[i]!
      if ((best.get(s)?.probability ?? -1) < p) best.set(s, { probability: p, at: rows.at[i]! })
    }
    return best
  }
  // the `top` highest margins of each subject, highest first, and when the highest was reached
  const highest = new Map<string, { m: number[]; at: number; n: number }>()
  for (let i = 0; i < margin.length; i++) {
    const s = rows.subjects[i]!
    const v = margin[i]!
    let h = highest.get(s)
    if (!h) highest.set(s, (h = { m: [], at: rows.at[i]!, n: 0 }))
    h.n++
    if (h.m.length === top && v <= h.m[top - 1]!) continue
    if (h.m.length === 0 || v > h.m[0]!) h.at = rows.at[i]!
    let j = Math.min(h.m.length, top - 1)
    if (h.m.length < top) h.m.push(v)
    while (j > 0 && h.m[j - 1]! < v) {
      h.m[j] = h.m[j - 1]!
      j--
    }
    h.m[j] = v
  }
  for (const [s, h] of highest) {
    best.set(s, { probability: logistic(subjectMargin(h.m, top, discount, h.n)), at: h.at })
  }
  return best
}

/** Whether `subject` took part in a labelled case around `at` (the window scoreCustomers counts). */
function inCase(labels: readonly CaseLabel[]): (subject: string, at: number) => boolean {
  const casesOf = new Map<string, CaseLabel[]>()
  for (const c of labels) for (const m of c.members) casesOf.set(m, [...(casesOf.get(m) ?? []), c])
  return (subject, at) =>
    (casesOf.get(subject) ?? []).some((c) => at >= c.start - DAY_MS && at <= c.end + LABEL_SLACK_MS)
}

/**
 * Subject-level calibration of the model: isotonic regression of "the subject took part in a
 * labelled case when its score peaked" on its highest row probability, over a period the trees never saw. Subjects in
 * `unlabelled` (cases nobody reviewed: the typology left out of training) are neither. With
 * `shrink` > 0, the earned (tail, shrunk, capped) calibration below instead of isotonic blocks.
 */
export function fitSubjectCalibration(
  best: ReadonlyMap<string, SubjectBest>,
  labels: readonly CaseLabel[],
  unlabelled: ReadonlySet<string> = new Set(),
  shrink = 0,
): Calibration {
  const positive = inCase(labels)
  const p: number[] = []
  const y: number[] = []
  for (const [s, b] of best) {
    if (unlabelled.has(s)) continue
    p.push(b.probability)
    y.push(positive(s, b.at) ? 1 : 0)
  }
  return shrink > 0
    ? fitEarnedCalibration(p, y, shrink)
    : fitIsotonic(p, y, new Float64Array(p.length).fill(1))
}

/**
 * The confidence the model EARNED at each score: for a subject scoring s, the precision the model
 * had over every subject scoring at least s (what alerting at threshold s got right), shrunk with
 * `shrink` pseudo-subjects at the overall rate, made non-decreasing with the score (the best such
 * figure at or below it). At the top it is the best precision the model reached at any threshold,
 * shrunk: below 1 unless it was right very often. Why: isotonic blocks at the top hold a handful of subjects that
 * were all right on the calibration period and say 1.0 — more than any rule's measured precision,
 * so the model took nearly the whole budget on held-out data where it had not earned it (session
 * 10: 144 of 147 places, rule recall lost). A rule's precision is the same kind of figure (the share
 * of its alerted subjects that were right, smoothed the same way), so the two now compare fairly.
 */
export function fitEarnedCalibration(prob: readonly number[], y: readonly number[], shrink: number): Calibration {
  const order = prob.map((_, i) => i).sort((a, b) => prob[b]! - prob[a]!)
  const rate = y.reduce((a, b) => a + b, 0) / Math.max(1, y.length)
  // shrunk tail precision at each distinct score, from the top down
  const xs: number[] = []
  const ps: number[] = []
  let k = 0
  let n = 0
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!
    k += y[i]!
    n++
    if (j + 1 < order.length && prob[order[j + 1]!] === prob[i]) continue
    xs.push(prob[i]!)
    ps.push((k + shrink * rate) / (n + shrink))
  }
  xs.reverse()
  ps.reverse()
  // non-decreasing with the score: the best threshold at or below it (a handful of top subjects,
  // heavily shrunk, do not pull the figure of the ones just below them down)
  for (let j = 1; j < ps.length; j++) ps[j] = Math.max(ps[j]!, ps[j - 1]!)
  // keep only the ends of each flat run (calibrate interpolates between the points kept)
  const x: number[] = []
  const p: number[] = []
  for (let j = 0; j < xs.length; j++) {
    if (j > 0 && j + 1 < xs.length && ps[j - 1] === ps[j] && ps[j + 1] === ps[j]) continue
    x.push(xs[j]!)
    p.push(ps[j]!)
  }
  return { kind: 'isotonic', x, p }
}

/**
 * Accounts linked by a payment between two different customers (either direction), from the
 * period's internal movements: the members of one planted scheme are linked to its primary.
 */
export function paymentNeighbours(links: Iterable<readonly [string, string]>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  const add = (a: string, b: string): void => {
    let s = out.get(a)
    if (!s) out.set(a, (s = new Set()))
    s.add(b)
  }
  for (const [a, b] of links) {
    if (a === b) continue
    add(a, b)
    add(b, a)
  }
  return out
}

/**
 * Precision of each rule on labelled data, customer level (scoreCustomers): of the subjects it
 * alerted on, the share in a labelled case at the time. Smoothed towards the rules' overall
 * precision, so a rule that fired twice is not certain; a rule that never fired there gets the
 * overall precision.
 *
 * Alerts on `unlabelled` subjects (nobody reviewed them: a typology no case has confirmed yet) are
 * not counted as right or wrong, but each adds a pseudo-alert at the overall precision: the prior
 * weighs `priorWeight` plus the rule's unreviewed subjects, its measured precision weighs only its
 * reviewed ones. Why: a rule whose alerts are mostly unreviewed has UNKNOWN precision, not low
 * precision — the few alerts someone did review are not a fair sample of it (for a new typology's
 * rule they are its misfires on known customers; its hits are the unreviewed ones). Session 11
 * measured the left-out typology's rule on those misfires alone (37.5 % against 56 % overall), and
 * the model took its places on held-out data (mule recall 71 → 14 %). A fully reviewed rule is
 * unchanged.
 */
export function rulePrecisions(
  alerts: readonly RuleAlert[],
  labels: readonly CaseLabel[],
  unlabelled: ReadonlySet<string> = new Set(),
  priorWeight = 2,
): { byRule: Map<string, number>; overall: number } {
  const reviewed = alerts
    .filter((a) => !unlabelled.has(a.subject))
    .map((a) => ({ subject: a.subject, at: a.at, ruleId: a.ruleId, typology: a.ruleId }))
  const score = scoreCustomers(reviewed, labels)
  const overall = score.alerted === 0 ? 0 : score.precision
  // unreviewed subjects per rule, counted once each as scoreCustomers counts the reviewed ones
  const unreviewed = new Map<string, Set<string>>()
  for (const a of alerts) {
    if (!unlabelled.has(a.subject)) continue
    let s = unreviewed.get(a.ruleId)
    if (!s) unreviewed.set(a.ruleId, (s = new Set()))
    s.add(a.subject)
  }
  const byRule = new Map<string, number>()
  for (const rule of new Set([...Object.keys(score.precisionByTypology), ...unreviewed.keys()])) {
    const p = score.precisionByTypology[rule] ?? { truePositives: 0, alerted: 0 }
    const prior = priorWeight + (unreviewed.get(rule)?.size ?? 0)
    byRule.set(rule, (p.truePositives + prior * overall) / (p.alerted + prior))
  }
  return { byRule, overall }
}

export interface RankedSubject {
  readonly subject: string
  readonly probability: number
  /** Where the probability came from: a rule's precision or the calibrated model. */
  readonly source: 'rules' | 'model'
}

/**
 * How a rule's precision r and the model's calibrated score m make one probability: `max` takes
 * the stronger witness; `noisy_or` (1 − (1 − r)(1 − m)) treats them as independent ones, so a rule
 * alert the model also rates high outranks one it does not.
 */
export type Combination = 'max' | 'noisy_or'
export const COMBINATIONS: readonly Combination[] = ['max', 'noisy_or']

/**
 * The combined ranking of every subject, highest first (ties: the model's raw score, then the
 * subject id, so the order is total).
 */
export function rankSubjects(
  best: ReadonlyMap<string, SubjectBest>,
  rules: readonly RuleAlert[],
  precision: { byRule: ReadonlyMap<string, number>; overall: number },
  calibration: Calibration,
  how: Combination = 'max',
  neighbours?: ReadonlyMap<string, ReadonlySet<string>>,
): RankedSubject[] {
  const ruleP = new Map<string, number>()
  for (const a of rules) {
    const p = precision.byRule.get(a.ruleId) ?? precision.overall
    if ((ruleP.get(a.subject) ?? -1) < p) ruleP.set(a.subject, p)
  }
  const subjects = new Set([...best.keys(), ...ruleP.keys()])
  const raw = (s: string): number => best.get(s)?.probability ?? 0
  const ranked = [...subjects]
    .map((subject) => {
      const m = best.has(subject) ? calibrate(calibration, raw(subject)) : 0
      const r = ruleP.get(subject)
      if (r === undefined) return { subject, probability: m, source: 'model' as const }
      const p = how === 'max' ? Math.max(r, m) : 1 - (1 - r) * (1 - m)
      return { subject, probability: p, source: r >= m ? ('rules' as const) : ('model' as const) }
    })
    .sort(
      (a, b) =>
        b.probability - a.probability ||
        raw(b.subject) - raw(a.subject) ||
        (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0),
    )
  return neighbours ? onePerScheme(ranked, neighbours, ruleP) : ranked
}

/**
 * At most one model place per scheme: a subject the model alone ranks in, linked by a payment to a
 * subject ranked above it (placed, or moved for the same reason), moves to the end (order kept). The senders into a fan-in or the
 * payees of a fan-out are members of the scheme but detect no case; one alert on the account with
 * the highest score among them is what an analyst needs, and the freed places go elsewhere. Rule
 * alerts are never moved (the rules' own alerts stay as the rules raised them).
 */
function onePerScheme(
  ranked: readonly RankedSubject[],
  neighbours: ReadonlyMap<string, ReadonlySet<string>>,
  ruleAlerted: ReadonlyMap<string, number>,
): RankedSubject[] {
  const placed = new Set<string>()
  const kept: RankedSubject[] = []
  const moved: RankedSubject[] = []
  for (const r of ranked) {
    const linked =
      !ruleAlerted.has(r.subject) && [...(neighbours.get(r.subject) ?? [])].some((n) => placed.has(n))
    // a moved subject still marks its scheme: a sender linked only to a moved primary moves too
    placed.add(r.subject)
    if (linked) moved.push(r)
    else kept.push(r)
  }
  return [...kept, ...moved]
}

/**
 * The alerts of the top `budget` ranked subjects: the rules' alerts on them, and a model alert
 * (rule id `risk.model`) at the time of the subject's highest score.
 */
export function alertsAtBudget(
  ranked: readonly RankedSubject[],
  best: ReadonlyMap<string, SubjectBest>,
  rules: readonly RuleAlert[],
  budget: number,
): TypedAlert[] {
  const chosen = new Set(ranked.slice(0, budget).map((r) => r.subject))
  const out: TypedAlert[] = rules.filter((a) => chosen.has(a.subject))
  for (const s of chosen) {
    const b = best.get(s)
    if (b) out.push({ subject: s, at: b.at, ruleId: 'risk.model', typology: 'model' })
  }
  return out
}

/** Per rule, the subjects it alerted on and those of them nobody reviewed (`unlabelled`). */
export function ruleReviews(
  alerts: readonly RuleAlert[],
  unlabelled: ReadonlySet<string>,
): Map<string, { all: Set<string>; unreviewed: Set<string> }> {
  const out = new Map<string, { all: Set<string>; unreviewed: Set<string> }>()
  for (const a of alerts) {
    let s = out.get(a.ruleId)
    if (!s) out.set(a.ruleId, (s = { all: new Set(), unreviewed: new Set() }))
    s.all.add(a.subject)
    if (unlabelled.has(a.subject)) s.unreviewed.add(a.subject)
  }
  return out
}

/**
 * Rules whose precision is not known yet: at least `share` of the subjects a rule alerted on were
 * never reviewed (`unlabelled`; in production, alerts no case has closed). A new typology's rule is
 * one — its hits are exactly the alerts nobody has judged.
 */
export function unprovenRules(
  alerts: readonly RuleAlert[],
  unlabelled: ReadonlySet<string>,
  share = 0.5,
): Set<string> {
  const out = new Set<string>()
  for (const [rule, s] of ruleReviews(alerts, unlabelled))
    if (s.unreviewed.size > 0 && s.unreviewed.size >= share * s.all.size) out.add(rule)
  return out
}

/**
 * A reserved share of the budget for the alerts of unproven rules (`unprovenRules`): when fewer
 * than ⌊share × budget⌋ of the top `budget` subjects were alerted by such a rule, the best-ranked
 * ones below the cut move up and the lowest-ranked other subjects of the top move just below it.
 * Why: a rule with unknown precision is held at the rules' overall precision, below the model's
 * earned top, so the model can take every place of a new typology's rule (session 12 on holdout5:
 * mule 33 % for the rules alone, 0 % for rules + model). The rest of the order is kept.
 */
export function reserveForRules(
  ranked: readonly RankedSubject[],
  rules: readonly RuleAlert[],
  unproven: ReadonlySet<string>,
  budget: number,
  share: number,
): RankedSubject[] {
  const want = Math.floor(share * budget)
  if (want <= 0 || unproven.size === 0) return [...ranked]
  const reserved = new Set(rules.filter((a) => unproven.has(a.ruleId)).map((a) => a.subject))
  const top = ranked.slice(0, budget)
  const rest = ranked.slice(budget)
  const need = Math.min(
    want - top.filter((r) => reserved.has(r.subject)).length,
    rest.filter((r) => reserved.has(r.subject)).length,
    top.filter((r) => !reserved.has(r.subject)).length,
  )
  if (need <= 0) return [...ranked]
  const up = new Set(
    rest
      .filter((r) => reserved.has(r.subject))
      .slice(0, need)
      .map((r) => r.subject),
  )
  const down = new Set(
    top
      .filter((r) => !reserved.has(r.subject))
      .slice(-need)
      .map((r) => r.subject),
  )
  return [
    ...top.filter((r) => !down.has(r.subject)),
    ...rest.filter((r) => up.has(r.subject)),
    ...top.filter((r) => down.has(r.subject)),
    ...rest.filter((r) => !up.has(r.subject)),
  ]
}

export const alertedCustomers = (alerts: readonly TypedAlert[]): number =>
  new Set(alerts.map((a) => a.subject)).size

/**
 * Share of labelled cases with a primary account among the top `share` of customers ranked by
 * their score (subjectBest with `topRows`; customers with no row rank last).
 */
export function topShareRecall(
  rows: RowScores,
  labels: readonly CaseLabel[],
  customers: number,
  share = 0.02,
  topRows = SUBJECT_TOP_ROWS,
  discount = 0,
): { recall: number; byTypology: Record<string, { cases: number; detected: number }> } {
  const best = subjectBest(rows, topRows, discount)
  const top = new Set(
    [...best.entries()]
      .sort((a, b) => b[1].probability - a[1].probability || (a[0] < b[0] ? -1 : 1))
      .slice(0, Math.floor(customers * share))
      .map(([s]) => s),
  )
  const byTypology: Record<string, { cases: number; detected: number }> = {}
  let hit = 0
  for (const c of labels) {
    const r = (byTypology[c.typology] ??= { cases: 0, detected: 0 })
    r.cases++
    if (c.primary.some((p) => top.has(p))) {
      r.detected++
      hit++
    }
  }
  return { recall: labels.length === 0 ? 1 : hit / labels.length, byTypology }
}
