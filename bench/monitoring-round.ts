import { DEFAULT_PARAMS, defaultRuleSet, type RuleDef } from '../src/modules/monitoring/index.js'
import { scoreRuleVariants } from './rule-variants.js'

/**
 * How session 41 chose the round-amounts rule: variants of `round_amounts.repeated` scored alone on
 * a tuning configuration (bench/rule-variants.ts): the round-amount cases each finds and the share
 * of the customers it alerts on that belong to a planted case.
 *
 *   npm run bench -- monitoring-round [--config tuning_round|tuning_round_pairs] [--seeds 29001,29002]
 */
export async function main(args: string[]): Promise<void> {
  const base = defaultRuleSet().rules.find((r) => r.id === 'round_amounts.repeated')!
  const pairAt = (share: number): string =>
    defaultRuleSet({ ...DEFAULT_PARAMS, roundPairShare: share }).rules.find(
      (r) => r.id === 'round_amounts.large_pair',
    )!.when
  const fourWeeks = 'src.round_out_count_4w'
  const monthly = '&& !src.monthly_counterparty '
  if (!base.when.includes(fourWeeks) || !base.when.includes(monthly))
    throw new Error('the round-amounts rule changed: update the variants')
  const variant = (name: string, when: string): RuleDef => ({ ...base, id: `round.${name}`, when })
  const thirtyDays = base.when.replace(fourWeeks, 'src.out_round_count_30d')
  await scoreRuleVariants('monitoring-round', args, 'tuning_round', 'round_amounts', [
    // session 40's rule: 30 days, the payment itself not checked for a monthly payee
    variant('thirty_days_any_payee', thirtyDays.replace(monthly, '')),
    variant('thirty_days', thirtyDays),
    variant('four_weeks_any_payee', base.when.replace(monthly, '')),
    variant('four_weeks', base.when),
    // session 48: a second round payment of any size, and the large pair at 50 % and 70 % (default)
    // of the reporting threshold, each scored alone (not beside the rule above)
    variant('second_four_weeks', base.when.replace(`${fourWeeks} >= 2.0`, `${fourWeeks} >= 1.0`)),
    variant('large_pair_50', pairAt(0.5)),
    variant('large_pair_70', pairAt(0.7)),
  ])
}
