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
 *
 * `--innocent RULE_ID [--limit N] [--from-day D]` (session 52) prints the other side: the first N
 * accounts outside every planted case that the rule alerted on (from day D of the set on), each with its payments from two days before its first
 * alert to a day after, and the rule's features under each payment it sent.
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
  const innocentOf = get('innocent')
  if (innocentOf) return printInnocent(d, innocentOf, Number(get('limit') ?? 5), Number(get('from-day') ?? 0))
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
      printTxn(t, explained)
    }
  }
  await Promise.resolve()
}

type Txn = ReturnType<typeof generateTransactions>['txns'][number]

/** One payment on a line, with the explain entries recorded for it underneath. */
function printTxn(t: Txn, explained: Map<string, ExplainEntry[]>): void {
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

/** The first `limit` accounts outside every case alerted by `ruleId`, read around their first alert. */
function printInnocent(
  d: ReturnType<typeof generateTransactions>,
  ruleId: string,
  limit: number,
  fromDay: number,
): void {
  const planted = new Set(d.cases.flatMap((c) => [...c.primary, ...c.members]))
  const first = new Map<string, number>()
  const engine = engineFor(d)
  const from = d.start + fromDay * DAY_MS
  for (const t of d.txns) {
    const fired = engine.process(t).decision.fired.some((f) => f.ruleId === ruleId)
    if (fired && t.at >= from && !planted.has(t.src) && !first.has(t.src) && first.size < limit)
      first.set(t.src, t.at)
  }
  const near = (t: { src: string; dst: string; at: number }, who: string): boolean => {
    const at = first.get(who)
    return at !== undefined && t.at >= at - 2 * DAY_MS && t.at <= at + DAY_MS
  }
  const explained = explainSent(d, ruleId, (t) => near(t, t.src))
  const segment = new Map(d.parties.map((p) => [p.id, p.segment]))
  for (const who of first.keys()) {
    process.stdout.write(`== innocent ${who} (${segment.get(who) ?? 'outside'})\n`)
    for (const t of d.txns) if ((t.src === who || t.dst === who) && near(t, who)) printTxn(t, explained)
  }
}

/** The engine with the default pack over a generated set's lists and parties. */
function engineFor(d: ReturnType<typeof generateTransactions>): MonitoringEngine {
  const engine = new MonitoringEngine({
    lists: new Map([
      ['high_risk_countries', new Set(d.highRiskCountries)],
      ['watchlist', new Set<string>()],
    ]),
    parties: new Map(d.parties.map((p) => [p.id, p])),
  })
  engine.active = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  return engine
}

/** The explain entries of the rules starting with `prefix`, for the payments `wanted` picks. */
function explainSent(
  d: ReturnType<typeof generateTransactions>,
  prefix: string | undefined,
  wanted: (t: ReturnType<typeof generateTransactions>['txns'][number]) => boolean,
): Map<string, ExplainEntry[]> {
  const out = new Map<string, ExplainEntry[]>()
  if (!prefix) return out
  const engine = engineFor(d)
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
