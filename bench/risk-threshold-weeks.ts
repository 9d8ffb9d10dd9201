import { generateTransactions, generatorOptions, DAY_MS } from '../src/modules/monitoring/index.js'
import { compileRuleSet, defaultRuleSet } from '../src/modules/monitoring/index.js'
import {
  countSplit,
  replay,
  ruleSubjects,
  subjectScores,
  trainOnHistory,
  importedLabel,
} from '../src/modules/risk/index.js'
import { str } from './args.js'
import { tuningConfig } from './monitoring-quality.js'

/**
 * Session 25's diagnosis of the alert volume a trained model brings: trains as production does
 * (`trainOnHistory` on the transactions before --until, split at transaction quantiles, threshold at
 * the rules' validation volume), then replays the whole history and prints, per week, how many
 * subjects the model puts at or above its threshold next to how many the rules alerted on. The
 * threshold is meant to give the model the rules' volume; a week far above it is the drift this
 * prints. TUNING configurations only.
 *
 *   npm run bench -- risk-threshold-weeks [--config tuning] [--seed 11] [--customers 10000] [--until-day 62]
 */
export async function main(args: string[]): Promise<void> {
  const get = (name: string): string | undefined => str(args, name)
  const cfg = tuningConfig(get('config'))
  const seed = Number(get('seed') ?? cfg.seeds[0])
  const customers = get('customers')
  const d = generateTransactions(generatorOptions(cfg, seed, customers ? Number(customers) : undefined))
  // day 0: where the generated period starts (a few seed payments lie years before it)
  const sortedAt = d.txns.map((t) => t.at).sort((a, b) => a - b)
  const t0 = Math.floor(sortedAt[Math.floor(sortedAt.length / 1000)]! / DAY_MS) * DAY_MS
  const until = t0 + Number(get('until-day') ?? 62) * DAY_MS
  const ruleSet = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  // every planted case, known a day after it ended (as `moneta monitoring import --labels` stores them)
  const labels = d.cases.map(importedLabel)
  const before = d.txns.filter((t) => t.at < until)
  const from = before[0]!.at
  const split = countSplit(
    before.map((t) => t.at),
    from,
    until,
  )
  const trained = trainOnHistory(
    { txns: before, parties: d.parties, highRisk: d.highRiskCountries, labels, ruleSet },
    split,
  )
  const day = (t: number): number => Math.round((t - t0) / DAY_MS)
  process.stdout.write(
    `split days: train ${day(split.from)}–${day(split.validationFrom)}, validation –${day(split.holdoutFrom)}, holdout –${day(until)}; threshold ${trained.threshold.toFixed(4)}\n`,
  )
  const all = replay(d.txns, labels, { parties: d.parties, highRisk: d.highRiskCountries, ruleSet })
  const end = sortedAt[sortedAt.length - 1]!
  const weeks: { fromDay: number; after: boolean; model: number; rules: number; suspicious: number }[] = []
  for (let lo = t0 + 14 * DAY_MS; lo < end; lo += 7 * DAY_MS) {
    const hi = lo + 7 * DAY_MS
    const { best, positives } = subjectScores(trained.model, all, lo, hi)
    const above = [...best].filter(([, p]) => p >= trained.threshold)
    const rules = ruleSubjects(all, lo, hi)
    weeks.push({
      fromDay: day(lo),
      after: lo >= until,
      model: above.length,
      rules: rules.size,
      suspicious: positives.size,
    })
    process.stdout.write(
      `days ${String(day(lo)).padStart(2)}–${String(day(hi)).padStart(2)}${lo >= until ? ' (after)' : ''}: model ${above.length} subjects (${above.filter(([s]) => positives.has(s)).length} suspicious), rules ${rules.size} (${[...rules].filter((s) => positives.has(s)).length}), suspicious ${positives.size}\n`,
    )
  }
  process.stdout.write(
    `${JSON.stringify({ bench: 'risk-threshold-weeks', config: cfg.name, seed, threshold: trained.threshold, weeks })}\n`,
  )
  await Promise.resolve()
}
