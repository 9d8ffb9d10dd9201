import { defaultRuleSet, DAY_MS, type GeneratedData } from '../src/modules/monitoring/index.js'
import { str } from './args.js'
import { tuningConfig, runQuality } from './monitoring-quality.js'

/**
 * Reads the false positives of one rule on a TUNING configuration (never a held-out one): for each
 * alerted account outside every planted case, the alert's feature values and the account's payments
 * in the 12 days before the alert. How session 18 saw which ordinary customers a new rule trips.
 *
 *   node --import tsx bench/run.ts monitoring-fp --config tuning --seed 13 --rule fan_out.traced_inflow [--customers 3000] [--max 8]
 */
export async function main(args: string[]): Promise<void> {
  const get = (name: string): string | undefined => str(args, name)
  // only tuning configurations: a held-out one's data must never be read
  const cfg = tuningConfig(get('config'))
  const seed = Number(get('seed') ?? cfg.seeds[0])
  if (!cfg.seeds.includes(seed)) throw new Error(`--seed must be a tuning seed (${cfg.seeds.join(', ')})`)
  const rule = get('rule') ?? ''
  const max = Number(get('max') ?? 8)
  await runQuality(cfg, defaultRuleSet(), {
    seeds: [seed],
    customers: Number(get('customers') ?? cfg.customers),
    inspect: (d: GeneratedData, alerts) => {
      const inCase = (s: string, at: number): boolean =>
        d.cases.some((c) => c.members.includes(s) && at >= c.start - DAY_MS && at <= c.end + 14 * DAY_MS)
      let shown = 0
      for (const a of alerts) {
        if (a.ruleId !== rule || inCase(a.subject, a.at) || shown++ >= max) continue
        process.stdout.write(
          `== ${a.subject} ${new Date(a.at).toISOString().slice(0, 16)} ${JSON.stringify(a.context.features)}\n`,
        )
        for (const t of d.txns) {
          if ((t.src !== a.subject && t.dst !== a.subject) || t.at < a.at - 12 * DAY_MS || t.at > a.at)
            continue
          const amount = (Number(t.amount) / 100).toFixed(2).padStart(10)
          process.stdout.write(
            `  ${new Date(t.at).toISOString().slice(0, 16)} ${t.kind.padEnd(15)} ${t.src.padEnd(10)} → ${t.dst.padEnd(10)} ${amount} ${t.srcCountry ?? ''}→${t.dstCountry ?? ''}\n`,
          )
        }
      }
    },
  })
}
