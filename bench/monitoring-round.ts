import {
  defaultRuleSet,
  scoreCustomers,
  type AlertDraft,
  type PlantedCase,
  type RuleDef,
} from '../src/modules/monitoring/index.js'
import { str } from './args.js'
import { bySeed, caseOfSeed, runQuality, tuningConfig } from './monitoring-quality.js'

/**
 * How session 41 chose the round-amounts rule: variants of `round_amounts.repeated`, each its own
 * rule in one engine over a TUNING configuration's seeds (never a held-out one), scored alone at the
 * customer level: the round-amount cases it finds and the share of the customers it alerts on that
 * belong to a planted case.
 *
 *   npm run bench -- monitoring-round [--config tuning_round] [--seeds 29001,29002]
 */
export async function main(args: string[]): Promise<void> {
  const cfg = tuningConfig(str(args, 'config') ?? 'tuning_round')
  const seeds = str(args, 'seeds')?.split(',').map(Number) ?? cfg.seeds
  for (const s of seeds)
    if (!cfg.seeds.includes(s)) throw new Error(`--seeds: ${s} is not a seed of ${cfg.name}`)
  const base = defaultRuleSet().rules.find((r) => r.id === 'round_amounts.repeated')!
  const fourWeeks = 'src.round_out_count_4w'
  const monthly = '&& !src.monthly_counterparty '
  if (!base.when.includes(fourWeeks) || !base.when.includes(monthly))
    throw new Error('the round-amounts rule changed: update the variants')
  const variant = (name: string, when: string): RuleDef => ({ ...base, id: `round.${name}`, when })
  const thirtyDays = base.when.replace(fourWeeks, 'src.out_round_count_30d')
  const variants = [
    // session 40's rule: 30 days, the payment itself not checked for a monthly payee
    variant('thirty_days_any_payee', thirtyDays.replace(monthly, '')),
    variant('thirty_days', thirtyDays),
    variant('four_weeks_any_payee', base.when.replace(monthly, '')),
    variant('four_weeks', base.when),
  ]
  // every variant's alerts come from one run; each is scored alone, with the seed in every id
  const byRule = new Map<string, AlertDraft[]>()
  const cases: PlantedCase[] = []
  await runQuality(
    cfg,
    { rules: variants, fallback: 'review', budgetMs: 50 },
    {
      seeds,
      inspect: (data, alerts, seed) => {
        for (const c of data.cases) cases.push(caseOfSeed(seed, c))
        for (const a of alerts) {
          const list = byRule.get(a.ruleId) ?? []
          list.push({ ...a, subject: bySeed(seed, a.subject) })
          byRule.set(a.ruleId, list)
        }
      },
    },
  )
  const out: Record<string, unknown> = {}
  for (const v of variants) {
    const score = scoreCustomers(byRule.get(v.id) ?? [], cases)
    const r = score.recallByTypology.round_amounts
    const p = score.precisionByTypology.round_amounts
    process.stdout.write(
      `${v.id.padEnd(30)} round-amount cases ${r?.detected ?? 0}/${r?.suspicious ?? 0}, alerted customers ${p?.alerted ?? 0}, in a case ${p?.truePositives ?? 0} (${(100 * (p?.precision ?? 0)).toFixed(1)} %)\n`,
    )
    out[v.id] = {
      detected: r?.detected ?? 0,
      cases: r?.suspicious ?? 0,
      alerted: p?.alerted ?? 0,
      precision: p?.precision ?? 0,
    }
  }
  process.stdout.write(`${JSON.stringify({ bench: 'monitoring-round', config: cfg.name, seeds, ...out })}\n`)
}
