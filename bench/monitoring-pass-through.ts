import { coldStartVariants, scoreRuleVariants } from './rule-variants.js'

/**
 * How session 42 chose the pass-through rule's cold start: variants of `pass_through.rapid` for one
 * segment (`--segment business` by default), scored alone on a tuning configuration
 * (bench/rule-variants.ts). "Unlike the last 60 days" means nothing while the store has watched less
 * than 60 days of an account that is older than that (a business's client wires before the store
 * started are unseen); the variants differ in what they ask for instead in that time.
 *
 *   npm run bench -- monitoring-pass-through [--segment business] [--config tuning_round] [--seeds 29001]
 */
export async function main(args: string[]): Promise<void> {
  // the rule as it is, and without its cold-start condition (session 41) as the variants' base
  const { base, variant } = coldStartVariants(args, 'pass_through.rapid', 'business')
  // the store has watched the account's last 60 days, or its whole life
  const seenAll = 'txn.watched_days >= 60.0 || txn.watched_days >= src_party.age_days'
  const abroad = '(txn.dst_country != "" && txn.dst_country != txn.src_country) || src.flow_out_abroad'
  const unseen = 'dst.history_count == 0.0'
  await scoreRuleVariants('monitoring-pass-through', args, 'tuning_round', 'pass_through', [
    { ...base, id: 'pass_through.as_is' },
    variant('session_41', ''),
    variant('seen_all', seenAll),
    variant('seen_all_or_abroad', `${seenAll} || ${abroad}`),
    variant('seen_all_or_unseen', `${seenAll} || ${unseen}`),
    variant('seen_all_or_abroad_unseen', `${seenAll} || (${abroad}) && ${unseen}`),
  ])
}
