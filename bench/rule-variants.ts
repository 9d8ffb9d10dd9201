import {
  defaultRuleSet,
  scoreCustomers,
  type AlertDraft,
  type PlantedCase,
  type RuleDef,
} from '../src/modules/monitoring/index.js'
import { str } from './args.js'
import { bySeed, caseOfSeed, runQuality, tuningConfig } from './monitoring-quality.js'

const variantName = (ruleId: string): string => ruleId.split('--')[0]!

/** One variant's score on its typology: the cases it finds and the share of its alerted customers in a case. */
export interface VariantScore {
  readonly detected: number
  readonly cases: number
  readonly alerted: number
  readonly precision: number
}

/**
 * Variants of one rule, each its own rule in one engine over a TUNING configuration's seeds (never a
 * held-out one), scored alone at the customer level on `typology`. A variant of several rules (a
 * typology that several rules cover) names them `VARIANT--1`, `VARIANT--2`…, scored together. How
 * sessions 41 and 42 chose a rule's condition (bench/monitoring-round.ts, monitoring-pass-through.ts,
 * monitoring-mule.ts, monitoring-fan-in.ts). `--config` and `--seeds` (comma-separated) pick the
 * data; the last line is the bench's JSON.
 */
export async function scoreRuleVariants(
  bench: string,
  args: string[],
  defaultConfig: string,
  typology: string,
  variants: readonly RuleDef[],
): Promise<Record<string, VariantScore>> {
  const cfg = tuningConfig(str(args, 'config') ?? defaultConfig)
  const seeds = str(args, 'seeds')?.split(',').map(Number) ?? cfg.seeds
  for (const s of seeds)
    if (!cfg.seeds.includes(s)) throw new Error(`--seeds: ${s} is not a seed of ${cfg.name}`)
  // every variant's alerts come from one run; each is scored alone, with the seed in every id
  const byRule = new Map<string, AlertDraft[]>()
  const cases: PlantedCase[] = []
  await runQuality(
    cfg,
    { rules: [...variants], fallback: 'review', budgetMs: 50 },
    {
      seeds,
      inspect: (data, alerts, seed) => {
        for (const c of data.cases) cases.push(caseOfSeed(seed, c))
        for (const a of alerts) {
          const name = variantName(a.ruleId)
          const list = byRule.get(name) ?? []
          list.push({ ...a, subject: bySeed(seed, a.subject) })
          byRule.set(name, list)
        }
      },
    },
  )
  const out: Record<string, VariantScore> = {}
  for (const name of new Set(variants.map((v) => variantName(v.id)))) {
    const score = scoreCustomers(byRule.get(name) ?? [], cases)
    const r = score.recallByTypology[typology]
    const p = score.precisionByTypology[typology]
    const s: VariantScore = {
      detected: r?.detected ?? 0,
      cases: r?.suspicious ?? 0,
      alerted: p?.alerted ?? 0,
      precision: p?.precision ?? 0,
    }
    process.stdout.write(
      `${name.padEnd(36)} ${typology} cases ${s.detected}/${s.cases}, alerted customers ${s.alerted}, in a case ${p?.truePositives ?? 0} (${(100 * s.precision).toFixed(1)} %)\n`,
    )
    out[name] = s
  }
  process.stdout.write(`${JSON.stringify({ bench, config: cfg.name, seeds, ...out })}\n`)
  return out
}

/**
 * A segment rule with a cold-start condition (session 42: `&& (txn.watched_days >= …)`), for
 * `--segment S` (`defaultSegment` otherwise): the rule as it is, and `variant(name, extra)`, the rule
 * without that condition and with `extra` instead (none when empty), named `PREFIX.name`.
 */
export function coldStartVariants(
  args: string[],
  ruleId: string,
  defaultSegment: string,
): { readonly base: RuleDef; readonly variant: (name: string, extra: string) => RuleDef } {
  const segment = str(args, 'segment') ?? defaultSegment
  const id = segment === 'individual' ? ruleId : `${ruleId}.${segment}`
  const base = defaultRuleSet().rules.find((r) => r.id === id)
  if (!base) throw new Error(`--segment ${segment}: no rule ${id}`)
  const cold = /\n\s*&& \(txn\.watched_days >= [^)]*\)/
  if (!cold.test(base.when)) throw new Error(`${id} changed: update the variants`)
  const before = base.when.replace(cold, '')
  const prefix = ruleId.split('.')[0]!
  return {
    base,
    variant: (name, extra) => ({
      ...base,
      id: `${prefix}.${name}`,
      when: extra ? `${before} && (${extra})` : before,
    }),
  }
}
