import {
  defaultRuleSet,
  DEFAULT_PARAMS,
  GENERATOR_CONFIGS,
  type TypologyParams,
} from '../src/modules/monitoring/index.js'
import { formatScore, runQuality } from './monitoring-quality.js'

/**
 * The tuning script: evaluates the typology pack on the TUNING generator configuration only
 * (src/modules/monitoring/generator-configs.ts), optionally with parameters overridden, so that
 * every choice made for DEFAULT_PARAMS is reproducible and never looked at held-out data.
 *
 *   npm run bench -- monitoring-tune [--seeds 11,12,13] [--customers N] [--set name=value ...]
 *
 * Prints the per-typology customer-level table and one JSON line. The held-out figures are the
 * monitoring benchmark's (`npm run bench -- monitoring`), run once the parameters are chosen.
 */
export async function main(args: string[]): Promise<void> {
  const cfg = GENERATOR_CONFIGS.tuning
  const get = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? args[i + 1] : undefined
  }
  const seeds = get('seeds')?.split(',').map(Number) ?? cfg.seeds
  const customers = Number(get('customers') ?? cfg.customers)
  const params: Record<string, number> = { ...DEFAULT_PARAMS } as unknown as Record<string, number>
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== '--set') continue
    const [k, v] = (args[i + 1] ?? '').split('=')
    if (!k || !(k in params) || !Number.isFinite(Number(v)))
      throw new Error(`--set ${args[i + 1]}: unknown parameter or bad value`)
    params[k] = Number(v)
  }
  const run = await runQuality(cfg, defaultRuleSet(params as unknown as TypologyParams), {
    seeds,
    customers,
    onSeed: (s, t, c) => process.stdout.write(`tuning seed ${s}: ${t} transactions, ${c} cases\n`),
  })
  process.stdout.write(`${formatScore(`tuning (seeds ${seeds.join(',')})`, run.score)}\n`)
  if (args.includes('--missed')) process.stdout.write(`  missed: ${run.score.missed.join(' ')}\n`)
  process.stdout.write(
    `${JSON.stringify({ bench: 'monitoring-tune', config: 'tuning', seeds, recall: run.score.recall, precision: run.score.precision, alerts: run.alerts })}\n`,
  )
}
