import {
  compileRuleSet,
  defaultRuleSet,
  generateTransactions,
  generatorOptions,
} from '../src/modules/monitoring/index.js'
import {
  bundledStartingModel,
  explainRow,
  FEATURE_COUNT,
  importedLabel,
  replay,
  scoreRow,
  START_PARAMS,
  trainOnHistory,
  type RiskModel,
} from '../src/modules/risk/index.js'
import { arg, load, log, pct, str } from './args.js'
import { tuningConfig } from './monitoring-quality.js'

/**
 * What a model costs per row in the decision path, started or not (session 59, TUNING data only):
 * one generated tenant replayed as production replays it, the production model trained on it from
 * the tenant alone and boosted from the bundled starting model (ADR 1412), then, on every tenth row
 * of the history, `scoreRow` (every decision) and `explainRow` (every alert: exact TreeSHAP from the
 * per-leaf tables the decision path uses), alternated per run.
 *
 *   npm run bench -- risk-explain [--customers 2000] [--days 90] [--seed 58901] [--runs 3]
 */
export function main(args: string[]): Promise<void> {
  const cfg = tuningConfig(str(args, 'config'))
  const seed = arg(args, 'seed', 58901)
  const d = generateTransactions({
    ...generatorOptions(cfg, seed, arg(args, 'customers', 2000)),
    days: arg(args, 'days', 90),
  })
  const ruleSet = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  const labels = d.cases.map(importedLabel)
  const r = replay(d.txns, labels, { parties: d.parties, highRisk: d.highRiskCountries, ruleSet })
  const ats = d.txns.map((t) => t.at).sort((a, b) => a - b)
  const at = (q: number): number => ats[Math.floor(ats.length * q)]!
  // production's count split: trees on the first half, calibration on the next quarter, gate on the rest
  const split = { from: ats[0]!, validationFrom: at(0.5), holdoutFrom: at(0.75), to: ats.at(-1)! + 1 }
  const history = { txns: [], parties: d.parties, highRisk: d.highRiskCountries, labels, ruleSet }
  const models: Record<string, RiskModel> = {
    tenant: trainOnHistory(history, split, undefined, r).model,
    started: trainOnHistory(history, split, START_PARAMS, r, bundledStartingModel()).model,
  }
  const figures: Record<string, { trees: number; score: number[]; explain: number[] }> = {}
  for (let run = 0; run < arg(args, 'runs', 3); run++)
    for (const [name, m] of Object.entries(models)) {
      const score: number[] = []
      const explain: number[] = []
      for (let i = 0; i < r.rows.rows; i += 10) {
        const row = r.rows.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)
        let t = performance.now()
        scoreRow(m, row)
        score.push(performance.now() - t)
        t = performance.now()
        explainRow(m, row)
        explain.push(performance.now() - t)
      }
      score.sort((a, b) => a - b)
      explain.sort((a, b) => a - b)
      const f = (figures[name] ??= { trees: m.ensemble.trees.length, score: [], explain: [] })
      f.score.push(pct(score, 0.99))
      f.explain.push(pct(explain, 0.99))
      log(
        `run ${run + 1} ${name} (${m.ensemble.trees.length} trees, ${score.length} rows): score p99 ${pct(score, 0.99).toFixed(4)} ms, explain p50 ${pct(explain, 0.5).toFixed(4)} p99 ${pct(explain, 0.99).toFixed(4)} ms`,
      )
    }
  const range = (xs: number[]): [number, number] => [
    Number(Math.min(...xs).toFixed(4)),
    Number(Math.max(...xs).toFixed(4)),
  ]
  const out: Record<string, unknown> = { bench: 'risk-explain', seed, load: load() }
  for (const [name, f] of Object.entries(figures)) {
    out[`${name}_trees`] = f.trees
    out[`${name}_score_p99_ms`] = range(f.score)
    out[`${name}_explain_p99_ms`] = range(f.explain)
  }
  log(JSON.stringify(out))
  return Promise.resolve()
}
