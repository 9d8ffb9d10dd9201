import {
  DAY_MS,
  defaultRuleSet,
  GENERATOR_CONFIGS,
  LABEL_SLACK_MS,
  NETWORK_TYPOLOGIES,
  type AlertDraft,
  type PlantedCase,
} from '../src/modules/monitoring/index.js'
import { runQuality } from './monitoring-quality.js'

/**
 * How much of a hub-less network the rules see (session 40). The customer-level recall counts a
 * case detected when any of its primary accounts is alerted, and a bipartite or layering network
 * has 4 to 20 of them, so it is an easy reading there. This one reports, per network, the share of
 * its accounts alerted within the case's window, and which rule typologies alerted on them.
 *
 *   npm run bench -- monitoring-networks [--config tuning_networks|holdout28n]
 *
 * Ends with one JSON line: cases, detected (any account), mean and minimum share of accounts alerted.
 */
export async function main(args: string[]): Promise<void> {
  const name = args.includes('--config') ? args[args.indexOf('--config') + 1]! : 'tuning_networks'
  if (name !== 'tuning_networks' && name !== 'holdout28n')
    throw new Error('--config tuning_networks|holdout28n (the configurations that plant networks)')
  const config = GENERATOR_CONFIGS[name]
  const networks: PlantedCase[] = []
  const alertsOf = new Map<string, AlertDraft[]>()
  // every seed has the same account ids and dates: keys carry the seed
  await runQuality(config, defaultRuleSet(), {
    onSeed: (seed, txns) => process.stdout.write(`${name} seed ${seed}: ${txns} transactions\n`),
    inspect: (data, alerts, seed) => {
      const tag = String(seed)
      for (const c of data.cases)
        if ((NETWORK_TYPOLOGIES as readonly string[]).includes(c.typology))
          networks.push({ ...c, id: `${tag}:${c.id}` })
      for (const a of alerts) {
        const key = `${tag}|${a.subject}`
        const l = alertsOf.get(key)
        if (l) l.push(a)
        else alertsOf.set(key, [a])
      }
    },
  })
  const rows = networks.map((c) => {
    const tag = c.id.split(':')[0]!
    const seen = c.primary.map((p) =>
      (alertsOf.get(`${tag}|${p}`) ?? []).filter(
        (a) => a.at >= c.start - DAY_MS && a.at <= c.end + LABEL_SLACK_MS,
      ),
    )
    const alerted = seen.filter((s) => s.length > 0).length
    // the pack without the rule that follows alerted money: no other rule reads alerts, so its
    // alerts are exactly the full pack's less that rule's (session 40's before/after in one run)
    const alertedWithout = seen.filter((s) => s.some((a) => a.ruleId !== FOLLOW_RULE)).length
    const rules = new Set(seen.flat().map((a) => a.ruleId))
    return {
      typology: c.typology,
      accounts: c.primary.length,
      alerted,
      alertedWithout,
      rules: [...rules].sort(),
    }
  })
  for (const t of NETWORK_TYPOLOGIES) {
    const of = rows.filter((r) => r.typology === t)
    const shares = of.map((r) => r.alerted / r.accounts)
    const byRule = new Map<string, number>()
    for (const r of of) for (const id of r.rules) byRule.set(id, (byRule.get(id) ?? 0) + 1)
    process.stdout.write(
      `${t}: ${of.length} networks, ${of.filter((r) => r.alerted > 0).length} with an account alerted; ` +
        `accounts alerted per network ${(mean(shares) * 100).toFixed(1)} % on average (min ${(Math.min(...shares) * 100).toFixed(0)} %), ` +
        `${of.reduce((a, r) => a + r.alerted, 0)}/${of.reduce((a, r) => a + r.accounts, 0)} accounts ` +
        `(without ${FOLLOW_RULE}: ${of.reduce((a, r) => a + r.alertedWithout, 0)})\n` +
        `  rules that alerted (networks): ${[...byRule]
          .sort((a, b) => b[1] - a[1])
          .map(([id, n]) => `${id} ${n}`)
          .join(', ')}\n`,
    )
  }
  const shares = rows.map((r) => r.alerted / r.accounts)
  process.stdout.write(
    `${JSON.stringify({
      bench: 'monitoring-networks',
      config: name,
      networks: rows.length,
      detected: rows.filter((r) => r.alerted > 0).length,
      accounts: rows.reduce((a, r) => a + r.accounts, 0),
      accounts_alerted: rows.reduce((a, r) => a + r.alerted, 0),
      accounts_alerted_without_follow_rule: rows.reduce((a, r) => a + r.alertedWithout, 0),
      mean_share_alerted: Math.round(mean(shares) * 1000) / 1000,
      min_share_alerted: Math.round(Math.min(...shares) * 1000) / 1000,
    })}\n`,
  )
}

const FOLLOW_RULE = 'network.passes_on_alerted_funds'
const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0)
