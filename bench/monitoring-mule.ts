import { DEFAULT_PARAMS, defaultRuleSet, type RuleDef } from '../src/modules/monitoring/index.js'
import { scoreRuleVariants } from './rule-variants.js'

/**
 * How session 42 looked at mules that hold money for days: the mule rules as they are, as they were
 * in session 41 (an account "quiet" only before the last 7 days), and with the senders and the
 * balance of the quiet-account rule read over 30 days (rejected: 11 more innocent customers on
 * tuning_mule for two more cases, 49 more on tuning_spread for none); and since session 46 the pack
 * without the smaller share drained that a payment in cash or abroad needs (`muleCashOutShare` 0.5,
 * `before_session_46`) and with a smaller one still (0.25). Each variant's rules are scored together
 * on a tuning configuration (bench/rule-variants.ts).
 *
 *   npm run bench -- monitoring-mule [--config tuning_mule] [--seeds 31001]
 */
export async function main(args: string[]): Promise<void> {
  const rules = defaultRuleSet().rules.filter((r) => r.typology === 'mule')
  const quietDrains = rules.find((r) => r.id === 'mule.quiet_account_drains')
  // the alternative session 42 added: quiet before the last 30 days
  const month = /\n\s*\|\| txn\.watched_days >= [0-9.]+ && src\.history_count - src\.all_count_30d <= [0-9.]+/
  if (!quietDrains || !month.test(quietDrains.when))
    throw new Error('the mule rules changed: update the variants')
  const named = (name: string, list: readonly RuleDef[]): RuleDef[] =>
    list.map((r, i) => ({ ...r, id: `mule.${name}--${i + 1}` }))
  const withQuiet = (r: RuleDef): RuleDef[] => rules.map((x) => (x === quietDrains ? r : x))
  const over30 = (r: RuleDef): RuleDef => ({
    ...r,
    when: r.when
      .replaceAll('.in_distinct_7d', '.in_distinct_30d')
      .replaceAll('.in_sum_7d', '.in_sum_30d')
      .replaceAll('.in_max_7d', '.in_max_30d')
      .replaceAll('.out_sum_7d', '.out_sum_30d'),
  })
  // session 46: a quiet account holding the money for days drains less than half of the week's
  // inflow by its first payment, and its later ones fall out of the week's senders; mules pay on in
  // cash or abroad, so for such a payment a smaller share (`muleCashOutShare`) is enough
  const withShare = (share: number): RuleDef[] =>
    defaultRuleSet({ ...DEFAULT_PARAMS, muleCashOutShare: share }).rules.filter((r) => r.typology === 'mule')
  await scoreRuleVariants('monitoring-mule', args, 'tuning_mule', 'mule', [
    ...named('as_is', rules),
    ...named('before_session_46', withShare(0.5)),
    ...named('cash_out_share_25', withShare(0.25)),
    ...named('session_41', withQuiet({ ...quietDrains, when: quietDrains.when.replace(month, '') })),
    ...named('over_30_days', withQuiet(over30(quietDrains))),
  ])
}
