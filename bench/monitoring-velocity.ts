import { defaultRuleSet, type RuleDef } from '../src/modules/monitoring/index.js'
import { str } from './args.js'
import { scoreRuleVariants } from './rule-variants.js'

/**
 * How session 43 looked at the velocity rules' innocent alerts: for one segment (`--segment
 * individual` by default), every velocity rule as it is, and variants of `velocity.spike`, each
 * variant's rules scored together on a tuning configuration (bench/rule-variants.ts). On tuning_rails
 * and tuning_spread every innocent velocity alert came from the spike rule: ordinary busy days (three
 * transfers to friends beside card purchases), most payees "new" to the account.
 *
 *   npm run bench -- monitoring-velocity [--segment individual] [--config tuning_rails] [--seeds 22001]
 */
export async function main(args: string[]): Promise<void> {
  const segment = str(args, 'segment') ?? 'individual'
  const rules = defaultRuleSet().rules.filter(
    (r) => r.typology === 'velocity_spike' && r.when.includes(`src_party.segment == "${segment}"`),
  )
  const spike = rules.find((r) => r.id.startsWith('velocity.spike'))
  if (!spike) throw new Error(`--segment ${segment}: no velocity.spike rule`)
  // session 43's condition (`velocityDevicePaymentsToKnown`), taken off: session 42's spike rule
  const toKnown = /\n\s*&& \(device\.out_count_24h >= [0-9.]+\n\s*\|\| src\.unseen_out_count_48h [^\n]*/
  if (!toKnown.test(spike.when)) throw new Error(`${spike.id} changed: update the variants`)
  const session42 = { ...spike, when: spike.when.replace(toKnown, '') }
  const named = (name: string, list: readonly RuleDef[]): RuleDef[] =>
    list.map((r, i) => ({ ...r, id: `velocity.${name}--${i + 1}` }))
  // the pack with the spike rule replaced by `spikeRules` (session 42's rule, or nothing)
  const replacingSpike = (name: string, spikeRules: readonly RuleDef[]): RuleDef[] =>
    named(
      name,
      rules.flatMap((r) => (r === spike ? spikeRules : [r])),
    )
  // the pack with session 42's spike rule asking `extra` too
  const withSpike = (name: string, extra: string): RuleDef[] =>
    replacingSpike(name, [{ ...session42, when: `${session42.when} && (${extra})` }])
  const seenMonth = 'txn.watched_days >= 37.0 || txn.watched_days >= src_party.age_days'
  // two of the 48 hours' payments, this one included, to accounts nobody had dealt with
  const unseen = 'src.unseen_out_count_48h + (dst.history_count == 0.0 ? 1.0 : 0.0) >= 2.0'
  await scoreRuleVariants('monitoring-velocity', args, 'tuning_rails', 'velocity_spike', [
    ...named('as_is', rules),
    ...replacingSpike('session_42', [session42]),
    ...replacingSpike('without_spike', []),
    ...withSpike('seen_month', seenMonth),
    ...withSpike('seen_month_or_six_new', `${seenMonth} || src.out_new_distinct_24h >= 6.0`),
    ...withSpike('four_devices', 'device.out_count_24h >= 4.0'),
    ...withSpike('two_unseen', unseen),
    ...withSpike('seen_month_or_two_unseen', `${seenMonth} || ${unseen}`),
    // the day's payments larger than the account's usual one
    ...withSpike(
      'twice_usual',
      'src.out_sum_24h + double(txn.amount) >= 2.0 * (src.out_count_24h + 1.0) * src.usual_amount',
    ),
  ])
}
