import type { AlertLike, CaseLabel } from './backtest.js'
import { DAY_MS, LABEL_SLACK_MS } from './monitoring.js'

/**
 * Customer-level detection quality, the figure an analyst team feels: how many of the suspicious
 * customers were alerted on (recall), and how many of the customers alerted on were suspicious
 * (precision) — each customer counted once however many alerts name them.
 *
 *  - recall counts labelled cases (the suspicious customer, or customers, of one scheme): a case is
 *    detected when one of its primary accounts is alerted on (by any rule) between a day before it
 *    starts and 14 days after it ends — an analyst on a cycle's closing account finds the ring;
 *  - per rule typology: the distinct customers its rules alerted on, and how many of them were a
 *    member of some labelled case at the time (true positives).
 *
 * Case typologies (what was planted) and rule typologies (what fired) are reported separately: a
 * scatter-gather case is usually caught by fan-out or pass-through rules.
 */

export interface TypologyRecall {
  readonly suspicious: number
  readonly detected: number
  readonly recall: number
}

export interface TypologyPrecision {
  readonly alerted: number
  readonly truePositives: number
  readonly precision: number
}

export interface CustomerScore {
  readonly suspicious: number
  readonly detected: number
  readonly recall: number
  readonly alerted: number
  readonly truePositives: number
  readonly precision: number
  /** Per planted (case) typology. */
  readonly recallByTypology: Record<string, TypologyRecall>
  /** Per typology of the rules that alerted. */
  readonly precisionByTypology: Record<string, TypologyPrecision>
  /** Cases never detected, as "typology:primary accounts". */
  readonly missed: readonly string[]
}

export interface TypedAlert extends AlertLike {
  readonly typology?: string | undefined
}

const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b)

/** Whether an alert at `at` falls in case `c`'s window: from a day before it starts to `slackMs` after it ends. */
export const inCaseWindow = (
  c: Pick<CaseLabel, 'start' | 'end'>,
  at: number,
  slackMs = LABEL_SLACK_MS,
): boolean => at >= c.start - DAY_MS && at <= c.end + slackMs

export function scoreCustomers(
  alerts: readonly TypedAlert[],
  labels: readonly CaseLabel[],
  slackMs = LABEL_SLACK_MS,
): CustomerScore {
  const inWindow = (c: CaseLabel, at: number): boolean => inCaseWindow(c, at, slackMs)
  const casesOf = new Map<string, CaseLabel[]>()
  for (const c of labels)
    for (const m of c.members) {
      const l = casesOf.get(m)
      if (l) l.push(c)
      else casesOf.set(m, [c])
    }
  const alertsOf = new Map<string, TypedAlert[]>()
  for (const a of alerts) {
    const l = alertsOf.get(a.subject)
    if (l) l.push(a)
    else alertsOf.set(a.subject, [a])
  }
  // recall: each labelled case once
  const recallByTypology: Record<string, { suspicious: number; detected: number; recall: number }> = {}
  const suspicious = new Map<string, boolean>()
  const missed: string[] = []
  for (const c of labels) {
    const r = (recallByTypology[c.typology] ??= { suspicious: 0, detected: 0, recall: 0 })
    const hit = c.primary.some((p) => (alertsOf.get(p) ?? []).some((a) => inWindow(c, a.at)))
    suspicious.set(c.id, hit)
    r.suspicious++
    if (hit) r.detected++
    else missed.push(`${c.typology}:${c.primary.join('+')}`)
  }
  for (const r of Object.values(recallByTypology)) r.recall = ratio(r.detected, r.suspicious)
  // precision: each (rule typology, subject) once; true when any of those alerts falls in a case of the subject
  const precisionByTypology: Record<string, { alerted: number; truePositives: number; precision: number }> =
    {}
  const alerted = new Map<string, boolean>()
  for (const [subject, list] of alertsOf) {
    const cases = casesOf.get(subject) ?? []
    let any = false
    const byTyp = new Map<string, boolean>()
    for (const a of list) {
      const ok = cases.some((c) => inWindow(c, a.at))
      any ||= ok
      const t = a.typology ?? a.ruleId
      byTyp.set(t, (byTyp.get(t) ?? false) || ok)
    }
    alerted.set(subject, any)
    for (const [t, ok] of byTyp) {
      const p = (precisionByTypology[t] ??= { alerted: 0, truePositives: 0, precision: 0 })
      p.alerted++
      if (ok) p.truePositives++
    }
  }
  for (const p of Object.values(precisionByTypology)) p.precision = ratio(p.truePositives, p.alerted)
  const detected = [...suspicious.values()].filter(Boolean).length
  const tp = [...alerted.values()].filter(Boolean).length
  return {
    suspicious: suspicious.size,
    detected,
    recall: ratio(detected, suspicious.size),
    alerted: alerted.size,
    truePositives: tp,
    precision: ratio(tp, alerted.size),
    recallByTypology,
    precisionByTypology,
    missed,
  }
}
