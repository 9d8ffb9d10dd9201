import {
  defaultRuleSet,
  DEFAULT_PARAMS,
  CASH,
  DAY_MS,
  type AlertDraft,
  type GeneratedData,
  type TypologyParams,
} from '../src/modules/monitoring/index.js'
import { str } from './args.js'
import { formatScore, runQuality, tuningConfig } from './monitoring-quality.js'

/**
 * The tuning script: evaluates the typology pack on the TUNING generator configuration only
 * (src/modules/monitoring/generator-configs.ts), optionally with parameters overridden, so that
 * every choice made for DEFAULT_PARAMS is reproducible and never looked at held-out data.
 *
 *   npm run bench -- monitoring-tune [--config tuning|tuning_business|tuning_scatter|tuning_rails|tuning_spread] [--seeds 11,12,13] [--customers N] [--set name=value ...] [--before-set name=value ...] [--fp]
 *   (`--before-set`: a second pack, DEFAULT_PARAMS with these values, evaluated on the same data and
 *   printed first as BEFORE — how session 23 measured a change switched off by a parameter)
 *   (a segment's parameter: --set segments.business.passThroughMinAmount=400000)
 *
 * `--fp` prints, per rule, who its false positives are: the alerted accounts outside every planted
 * case, grouped by the kinds of counterparties they deal with (the generator names counterparties
 * by role: T tenant, P employer, G family, K client, N notary, F foreign, D/S/M payees...), which is
 * how the look-alikes that trip a rule were found.
 *
 * Prints the per-typology customer-level table and one JSON line. The held-out figures are the
 * monitoring benchmark's (`npm run bench -- monitoring`), run once the parameters are chosen.
 */
export async function main(args: string[]): Promise<void> {
  const get = (name: string): string | undefined => str(args, name)
  // only tuning configurations: a held-out one's data must never be read
  const cfg = tuningConfig(get('config'))
  const seeds = get('seeds')?.split(',').map(Number) ?? cfg.seeds
  const customers = Number(get('customers') ?? cfg.customers)
  const params = paramsWith(args, '--set')
  // an A/B run: the pack as set by `--before-set` (e.g. a new guard switched off) on the same data
  const before = args.includes('--before-set') ? paramsWith(args, '--before-set') : undefined
  const fp = new Map<string, Map<string, number>>()
  const run = await runQuality(cfg, defaultRuleSet(params), {
    seeds,
    ...(before ? { compare: defaultRuleSet(before) } : {}),
    customers,
    onSeed: (s, t, c) => process.stdout.write(`${cfg.name} seed ${s}: ${t} transactions, ${c} cases\n`),
    ...(args.includes('--fp')
      ? { inspect: (d: GeneratedData, a: readonly AlertDraft[]) => falsePositives(d, a, fp) }
      : {}),
  })
  for (const [rule, sigs] of [...fp].sort()) {
    const top = [...sigs].sort((a, b) => b[1] - a[1]).slice(0, 8)
    const n = [...sigs.values()].reduce((x, y) => x + y, 0)
    process.stdout.write(`  false positives of ${rule}: ${n}\n`)
    for (const [sig, c] of top) process.stdout.write(`    ${String(c).padStart(4)}  ${sig}\n`)
  }
  if (run.compareScore)
    process.stdout.write(
      `${formatScore(`BEFORE ${cfg.name} (seeds ${seeds.join(',')})`, run.compareScore)}\n`,
    )
  process.stdout.write(`${formatScore(`${cfg.name} (seeds ${seeds.join(',')})`, run.score)}\n`)
  if (args.includes('--missed')) process.stdout.write(`  missed: ${run.score.missed.join(' ')}\n`)
  process.stdout.write(
    `${JSON.stringify({ bench: 'monitoring-tune', config: cfg.name, seeds, recall: run.score.recall, precision: run.score.precision, alerts: run.alerts })}\n`,
  )
}

/** DEFAULT_PARAMS with every `FLAG name=value` of the arguments applied. */
function paramsWith(args: string[], flag: string): TypologyParams {
  // a deep copy, so that a segment's parameter can be set (--set segments.business.fanInSenders=4)
  const params = structuredClone(DEFAULT_PARAMS) as unknown as Record<string, unknown>
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== flag) continue
    const [path, v] = (args[i + 1] ?? '').split('=')
    const keys = (path ?? '').split('.')
    const last = keys.pop()!
    const target = keys.reduce<Record<string, unknown> | undefined>(
      (o, k) => (o?.[k] && typeof o[k] === 'object' ? (o[k] as Record<string, unknown>) : undefined),
      params,
    )
    if (!target || typeof target[last] !== 'number' || !Number.isFinite(Number(v)))
      throw new Error(`${flag} ${args[i + 1]}: unknown parameter or bad value`)
    target[last] = Number(v)
  }
  return params as unknown as TypologyParams
}

/** Role letter of a generated counterparty id (A = a customer account, C = cash). */
const role = (id: string): string => (id === CASH ? 'cash' : id.replace(/[0-9].*$/, ''))

/** Adds each false-positive (rule, subject) to `out` under its counterparty signature. */
function falsePositives(
  d: GeneratedData,
  alerts: readonly AlertDraft[],
  out: Map<string, Map<string, number>>,
): void {
  const inCase = (subject: string, at: number): boolean =>
    d.cases.some((c) => c.members.includes(subject) && at >= c.start - DAY_MS && at <= c.end + 14 * DAY_MS)
  const seen = new Set<string>()
  const wanted = new Set<string>()
  for (const a of alerts) if (!inCase(a.subject, a.at)) wanted.add(a.subject)
  const ins = new Map<string, Map<string, number>>()
  const outs = new Map<string, Map<string, number>>()
  const bump = (m: Map<string, Map<string, number>>, k: string, r: string): void => {
    const x = m.get(k) ?? new Map<string, number>()
    x.set(r, (x.get(r) ?? 0) + 1)
    m.set(k, x)
  }
  for (const t of d.txns) {
    if (wanted.has(t.dst)) bump(ins, t.dst, `${role(t.src)}/${t.kind}`)
    if (wanted.has(t.src)) bump(outs, t.src, role(t.dst))
  }
  const sig = (m: Map<string, number> | undefined): string =>
    [...(m ?? [])]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([r]) => r)
      .join(',')
  const segment = new Map(d.parties.map((p) => [p.id, p.segment]))
  for (const a of alerts) {
    const key = `${a.ruleId}|${a.subject}`
    if (seen.has(key) || inCase(a.subject, a.at)) continue
    seen.add(key)
    const s = `${segment.get(a.subject) ?? '?'} in:${sig(ins.get(a.subject))} out:${sig(outs.get(a.subject))}`
    const m = out.get(a.ruleId) ?? new Map<string, number>()
    m.set(s, (m.get(s) ?? 0) + 1)
    out.set(a.ruleId, m)
  }
}
