import {
  compileRuleSet,
  defaultRuleSet,
  generateTransactions,
  generatorOptions,
  MonitoringEngine,
  DAY_MS,
  type ExplainEntry,
} from '../src/modules/monitoring/index.js'
import { str } from './args.js'
import { tuningConfig } from './monitoring-quality.js'

/**
 * The diagnosis behind session 14's rule change: prints the transactions of chosen planted cases of
 * the TUNING configuration (never a held-out one), so that a case the pack missed
 * (`npm run bench -- monitoring-tune --missed` names their primary accounts) can be read whole:
 * the primary's segment and every payment to or from it from a day before the case to a day after.
 *
 *   npm run bench -- monitoring-missed --seed 13 --accounts A0009986,A0008331 [--customers N]
 *   npm run bench -- monitoring-missed --seed 13 --typology structuring
 *   npm run bench -- monitoring-missed --config tuning_business --seed 16001 --typology gather_scatter
 *   npm run bench -- monitoring-missed --config tuning_rails --seed 22001 --accounts A0006439 --explain pass_through
 *
 * `--explain PREFIX` (session 25) runs the default pack over the seed and, under each payment the
 * primary sent, prints the features the rules whose id starts with PREFIX saw (and whether they fired):
 * why a rule stayed silent on a planted payment.
 */
export async function main(args: string[]): Promise<void> {
  const get = (name: string): string | undefined => str(args, name)
  // only tuning configurations: a held-out one's data must never be read
  const cfg = tuningConfig(get('config'))
  const seed = Number(get('seed') ?? cfg.seeds[0])
  if (!cfg.seeds.includes(seed)) throw new Error(`--seed must be a tuning seed (${cfg.seeds.join(', ')})`)
  const accounts = new Set(get('accounts')?.split(',') ?? [])
  const typology = get('typology')
  const customers = get('customers')
  const d = generateTransactions(generatorOptions(cfg, seed, customers ? Number(customers) : undefined))
  const segment = new Map(d.parties.map((p) => [p.id, p.segment]))
  const explained = explainSent(d, get('explain'), (t) =>
    d.cases.some(
      (c) =>
        (c.typology === typology || c.primary.some((p) => accounts.has(p))) &&
        t.src === c.primary[0] &&
        t.at >= c.start - DAY_MS &&
        t.at <= c.end + DAY_MS,
    ),
  )
  for (const c of d.cases) {
    if (c.typology !== typology && !c.primary.some((p) => accounts.has(p))) continue
    const p = c.primary[0]!
    process.stdout.write(
      `== ${c.typology} ${p} (${segment.get(p) ?? 'outside'}), ${c.members.length} members\n`,
    )
    for (const t of d.txns) {
      if ((t.src !== p && t.dst !== p) || t.at < c.start - DAY_MS || t.at > c.end + DAY_MS) continue
      const when = new Date(t.at).toISOString().slice(0, 16)
      const amount = (Number(t.amount) / 100).toFixed(2).padStart(10)
      const where = `${t.srcCountry ?? ''}${t.dstCountry ? `→${t.dstCountry}` : ''}`
      process.stdout.write(
        `  ${when} ${t.kind.padEnd(15)} ${t.src.padEnd(10)} → ${t.dst.padEnd(10)} ${amount} ${t.currency} ${where}\n`,
      )
      for (const e of explained.get(t.id) ?? [])
        process.stdout.write(
          `      ${e.fired ? 'FIRED' : 'quiet'} ${e.ruleId} ${JSON.stringify(e.features)}${e.error ? ` error ${e.error}` : ''}\n`,
        )
    }
  }
  await Promise.resolve()
}

/** The explain entries of the rules starting with `prefix`, for the payments `wanted` picks. */
function explainSent(
  d: ReturnType<typeof generateTransactions>,
  prefix: string | undefined,
  wanted: (t: ReturnType<typeof generateTransactions>['txns'][number]) => boolean,
): Map<string, ExplainEntry[]> {
  const out = new Map<string, ExplainEntry[]>()
  if (!prefix) return out
  const engine = new MonitoringEngine({
    lists: new Map([
      ['high_risk_countries', new Set(d.highRiskCountries)],
      ['watchlist', new Set<string>()],
    ]),
    parties: new Map(d.parties.map((p) => [p.id, p])),
  })
  engine.active = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  for (const t of d.txns) {
    if (!wanted(t)) {
      engine.process(t)
      continue
    }
    const r = engine.process(t, { explain: true })
    out.set(
      t.id,
      (r.explain ?? []).filter((e) => e.ruleId.startsWith(prefix)),
    )
  }
  return out
}
