/**
 * Parameter search for the screening matcher, on the TUNING part of the evaluation sets only
 * (bench/screening/split.ts). The held-out part is never screened here.
 *
 *   npm run bench -- screening-params [--data DIR] [--negatives N] [--grid] [--misses N]
 *
 * Without --grid it scores the shipped DEFAULT_PARAMS; with --grid it walks the grid below (one
 * index build per setting) and prints, per setting, the false alerts on the tuning negatives at
 * the threshold reaching 98 % of the pooled tuning positives, and the threshold itself; the best
 * setting is the one with the fewest false alerts at that recall (ties: the more conservative,
 * earlier one). --misses N lists the N lowest-scoring tuning positives per kind and the
 * highest-scoring tuning false alerts, which is what the rules were read from.
 * Ends with one JSON line holding every setting's figures.
 */
import { resolve } from 'node:path'
import {
  DEFAULT_PARAMS,
  DEFAULT_THRESHOLD,
  ScreeningIndex,
  type ScorerParams,
} from '../src/modules/screening/index.js'
import {
  curve,
  HEADLINE_POSITIVES,
  loadEvalInputs,
  loadLists,
  rate,
  scoreAll,
  scoresOf,
  thresholdForRecall,
  type Scored,
} from './screening/evaluate.js'
import { NEGATIVE_KINDS, POSITIVE_KINDS } from './screening/kinds.js'

const GRID: Partial<ScorerParams>[] = [
  {},
  { unmatchedListWeight: 0.4 },
  { unmatchedListWeight: 0.6 },
  { tokenFloor: 0.7 },
  { tokenFloor: 0.8 },
  { interiorListWeight: 0.1 },
  { interiorListWeight: 0.35 },
  { surnameListWeight: 0.75 },
  { shapeSimilarity: 0.86 },
  { shapeSimilarity: 0.93 },
  { cjkShortCap: 0.75 },
  { cjkShortCap: 0.85 },
]

/** Thresholds at which every setting is also reported (the shipped default is chosen among them). */
const FIXED = [0.84, 0.86, 0.88, 0.9, 0.92]

const log = (s: string): void => void process.stdout.write(`${s}\n`)
const pct = (x: number): string => `${(x * 100).toFixed(2)} %`

export async function main(args: string[]): Promise<void> {
  const opt = (k: string): string | undefined => {
    const i = args.indexOf(k)
    return i >= 0 ? args[i + 1] : undefined
  }
  const data = resolve(opt('--data') ?? '../shared/data')
  const negatives = Number(opt('--negatives') ?? 50_000)
  const misses = Number(opt('--misses') ?? 0)
  const grid = args.includes('--grid') ? GRID : [{}]

  const lists = loadLists(data)
  const results: Record<string, unknown>[] = []
  for (const change of grid) {
    const params: ScorerParams = { ...DEFAULT_PARAMS, ...change }
    const index = new ScreeningIndex(params)
    for (const l of lists) for (const e of l.entries) index.add(e)
    index.build()
    const inputs = loadEvalInputs(data, index, negatives)
    const scored: Scored[] = scoreAll(index, inputs, { parts: ['tuning'] })
    const pos = scoresOf(scored, 'tuning', HEADLINE_POSITIVES)
    const t98 = thresholdForRecall(pos, 0.98)
    const neg = scoresOf(scored, 'tuning', ['yente-negatives'])
    log(`\n=== ${JSON.stringify(change)} — tuning part: ${pos.length} positives, ${neg.length} negatives`)
    for (const c of curve(scored, 'tuning'))
      log(`  recall ${pct(c.recall)} at threshold ${c.threshold.toFixed(3)}: false alerts ${pct(c.far)}`)
    for (const t of FIXED)
      log(`  at ${t.toFixed(2)}: recall ${pct(rate(pos, t))}, false alerts ${pct(rate(neg, t))}`)
    for (const k of ['yente-untreated', ...HEADLINE_POSITIVES])
      log(
        `  ${k.padEnd(20)} recall at ${t98.toFixed(3)}: ${pct(rate(scoresOf(scored, 'tuning', [k]), t98))} (n=${scoresOf(scored, 'tuning', [k]).length})`,
      )
    for (const k of ['yente-untreated', ...HEADLINE_POSITIVES])
      log(
        `  ${k.padEnd(20)} recall at the shipped ${DEFAULT_THRESHOLD}: ${pct(rate(scoresOf(scored, 'tuning', [k]), DEFAULT_THRESHOLD))}`,
      )
    for (const k of NEGATIVE_KINDS)
      log(
        `  ${k.padEnd(20)} false alerts at the shipped ${DEFAULT_THRESHOLD}: ${pct(rate(scoresOf(scored, 'tuning', [k]), DEFAULT_THRESHOLD))}`,
      )
    for (const k of NEGATIVE_KINDS)
      log(
        `  ${k.padEnd(20)} false alerts at ${t98.toFixed(3)}: ${pct(rate(scoresOf(scored, 'tuning', [k]), t98))} (n=${scoresOf(scored, 'tuning', [k]).length})`,
      )
    if (misses > 0) {
      for (const k of ['yente-treated', ...POSITIVE_KINDS]) {
        const worst = scored
          .filter((x) => x.set === k)
          .sort((a, b) => a.score - b.score)
          .slice(0, misses)
        for (const w of worst) log(`  miss? ${k} ${w.score.toFixed(3)} ${w.label}`)
      }
      for (const k of ['yente-negatives', ...NEGATIVE_KINDS]) {
        const worst = scored
          .filter((x) => x.set === k)
          .sort((a, b) => b.score - a.score)
          .slice(0, misses)
        for (const w of worst) log(`  alert? ${k} ${w.score.toFixed(3)} ${w.label} — ${w.summary ?? ''}`)
      }
    }
    results.push({
      change,
      threshold98: t98,
      far98: rate(neg, t98),
      ...Object.fromEntries(FIXED.map((t) => [`at${t}`, { recall: rate(pos, t), far: rate(neg, t) }])),
    })
  }
  log(JSON.stringify({ bench: 'screening-params', part: 'tuning', settings: results }))
  await Promise.resolve()
}
