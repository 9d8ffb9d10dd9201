import { writeFileSync } from 'node:fs'
import {
  compileRuleSet,
  defaultRuleSet,
  generateTransactions,
  generatorOptions,
} from '../src/modules/monitoring/index.js'
import { importedLabel, modelToJson, replay, trainOnHistory } from '../src/modules/risk/index.js'
import { log, str } from './args.js'
import { tuningConfig } from './monitoring-quality.js'

/**
 * Trains the starting model bundled as src/modules/risk/starting-model.json (session 58, ADR 1412),
 * on TUNING data only: one generated tenant of the `tuning` configuration, every planted case
 * labelled, trained as production trains (customers' rows, each case weighing the same) with the
 * trees on the first 80 % of its transactions and the calibration on the rest. Deterministic: the
 * same seed gives the same file. Retrain it whenever the feature list changes (the test beside the
 * file fails until then).
 *
 *   npm run bench -- risk-starting-model [--seed 58101] [--customers 10000] [--days 150]
 *     [--out src/modules/risk/starting-model.json]
 */
export function main(args: string[]): Promise<void> {
  const cfg = tuningConfig(str(args, 'config') ?? 'tuning')
  const seed = Number(str(args, 'seed') ?? 58101)
  const customers = Number(str(args, 'customers') ?? 10_000)
  const days = Number(str(args, 'days') ?? 150)
  const out = str(args, 'out') ?? 'src/modules/risk/starting-model.json'
  const ruleSet = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  const d = generateTransactions({ ...generatorOptions(cfg, seed, customers), days })
  const labels = d.cases.map(importedLabel)
  const started = performance.now()
  const r = replay(d.txns, labels, { parties: d.parties, highRisk: d.highRiskCountries, ruleSet })
  const ats = d.txns.map((t) => t.at).sort((a, b) => a - b)
  const end = ats[ats.length - 1]! + 1
  const split = {
    from: ats[0]!,
    validationFrom: ats[Math.floor(ats.length * 0.8)]!,
    holdoutFrom: end,
    to: end,
  }
  const trained = trainOnHistory(
    { txns: [], parties: d.parties, highRisk: d.highRiskCountries, labels, ruleSet },
    split,
    undefined,
    r,
  )
  const name = `${cfg.name}-${seed}-${customers}x${days}`
  writeFileSync(out, `${JSON.stringify({ name, model: modelToJson(trained.model) })}\n`)
  const seconds = Math.round((performance.now() - started) / 1000)
  log(
    JSON.stringify({
      bench: 'risk-starting-model',
      name,
      cases: d.cases.length,
      transactions: d.txns.length,
      trees: trained.model.ensemble.trees.length,
      validation_average_precision: trained.model.metrics.averagePrecision,
      seconds,
      out,
    }),
  )
  return Promise.resolve()
}
