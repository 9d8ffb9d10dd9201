import { coldStartVariants, scoreRuleVariants } from './rule-variants.js'

/**
 * How session 42 looked at fan-in at cold start: `fan_in.many_senders` for one segment (`--segment
 * individual` by default) and variants, scored alone on a tuning configuration
 * (bench/rule-variants.ts). A sender "new" to an account means little until the store has watched a
 * month of it: a monthly salary or a parent's transfer is new on the first payday watched.
 *
 *   npm run bench -- monitoring-fan-in [--segment individual] [--config tuning_rails] [--seeds 22001]
 */
export async function main(args: string[]): Promise<void> {
  const { base, variant } = coldStartVariants(args, 'fan_in.many_senders', 'individual')
  // the store has watched a month and the week, or the account's whole life
  const seenMonth = 'txn.watched_days >= 37.0 || txn.watched_days >= src_party.age_days'
  await scoreRuleVariants('monitoring-fan-in', args, 'tuning_rails', 'fan_in', [
    { ...base, id: 'fan_in.as_is' },
    variant('session_41', ''),
    variant('seen_month', seenMonth),
    variant('seen_month_or_five', `${seenMonth} || src.in_new_distinct_7d >= 5.0`),
    variant('seen_month_or_four', `${seenMonth} || src.in_new_distinct_7d >= 4.0`),
  ])
}
