import {
  compileRuleSet,
  generateTransactions,
  generatorOptions,
  GENERATOR_CONFIGS,
  MonitoringEngine,
  scoreCustomers,
  type AlertDraft,
  type CustomerScore,
  type GeneratedData,
  type GeneratorConfig,
  type MonTxn,
  type PlantedCase,
  type RuleSetDef,
} from '../src/modules/monitoring/index.js'

/** The configurations the tuning scripts may read: a held-out one's data is never looked at. */
const TUNING_CONFIGS = [
  'tuning',
  'tuning_business',
  'tuning_scatter',
  'tuning_rails',
  'tuning_spread',
  'tuning_networks',
  'tuning_round',
  'tuning_mule',
  'tuning_cycles',
  'tuning_cycles_slow',
  'tuning_structuring',
  'tuning_round_pairs',
  'tuning_business_cash',
] as const

/** The tuning configuration `--config` names (`tuning` by default); any other is refused. */
export function tuningConfig(name = 'tuning'): GeneratorConfig {
  const known = TUNING_CONFIGS.find((c) => c === name)
  if (!known) throw new Error(`--config ${name}: only ${TUNING_CONFIGS.join(', ')} may be read (tuning data)`)
  return GENERATOR_CONFIGS[known]
}

/**
 * Detection quality of a rule set on one generator configuration (every seed of it), at the
 * customer level (src/modules/monitoring/quality.ts). Shared by the monitoring benchmark (which
 * reports the held-out configuration) and the tuning script (which only ever reads `tuning`).
 * Case ids are prefixed with the seed so that seeds do not collide.
 */

export interface QualityRun {
  readonly score: CustomerScore
  readonly transactions: number
  readonly alerts: number
  /** Latencies of every evaluation (ms), for the benchmark. */
  readonly latencies: Float64Array
  readonly seconds: number
  readonly degraded: number
  /** The score of `QualityOptions.compare` on the same data (an A/B run), when one was given. */
  readonly compareScore?: CustomerScore
}

export interface QualityOptions {
  readonly customers?: number
  readonly seeds?: readonly number[]
  /** Called on each seed's data before it is evaluated (progress output). */
  readonly onSeed?: (seed: number, txns: number, cases: number) => void
  /** Called with each seed's data and the alerts raised on it (the tuning script's false-positive view). */
  readonly inspect?: (data: GeneratedData, alerts: readonly AlertDraft[], seed: number) => void
  /** A second rule set evaluated by its own engine on the same data (A/B without generating twice). */
  readonly compare?: RuleSetDef
}

/**
 * A planted case with the seed in its id and account ids: every seed has the same account ids and
 * dates, so scoring several seeds together needs them apart (session 40; before, an alert on A0123
 * in one seed counted for a case of A0123 in another). Alerts' subjects take `bySeed` alike.
 */
export const bySeed = (seed: number, id: string): string => `${seed}:${id}`
export const caseOfSeed = (seed: number, c: PlantedCase): PlantedCase => ({
  ...c,
  id: bySeed(seed, c.id),
  members: c.members.map((m) => bySeed(seed, m)),
  primary: c.primary.map((m) => bySeed(seed, m)),
})

export async function runQuality(
  config: GeneratorConfig,
  def: RuleSetDef,
  opts: QualityOptions = {},
): Promise<QualityRun> {
  const lists = new Set(['high_risk_countries', 'watchlist'])
  const rs = compileRuleSet(def, 1, lists)
  const rsB = opts.compare ? compileRuleSet(opts.compare, 2, lists) : undefined
  const alerts: AlertDraft[] = []
  const alertsB: AlertDraft[] = []
  const cases: PlantedCase[] = []
  const lats: number[] = []
  let n = 0
  let degraded = 0
  let busy = 0
  for (const seed of opts.seeds ?? config.seeds) {
    const data = generateTransactions(generatorOptions(config, seed, opts.customers))
    opts.onSeed?.(seed, data.txns.length, data.cases.length)
    for (const c of data.cases) cases.push(caseOfSeed(seed, c))
    const newEngine = (): MonitoringEngine =>
      new MonitoringEngine({
        lists: new Map([
          ['high_risk_countries', new Set(data.highRiskCountries)],
          ['watchlist', new Set<string>()],
        ]),
        parties: new Map(data.parties.map((p) => [p.id, p])),
      })
    const engine = newEngine()
    engine.active = rs
    const engineB = rsB ? newEngine() : undefined
    if (engineB && rsB) engineB.active = rsB
    const txns: MonTxn[] = data.txns
    const t0 = performance.now()
    // this seed's alerts as raised (account ids as in its data), for `inspect`
    const seedAlerts: AlertDraft[] = []
    for (let i = 0; i < txns.length; i++) {
      const s = performance.now()
      const res = engine.process(txns[i]!)
      lats.push(performance.now() - s)
      if (res.decision.degraded) degraded++
      for (const a of res.alerts) {
        seedAlerts.push(a)
        alerts.push({ ...a, subject: bySeed(seed, a.subject) })
      }
      if (engineB)
        for (const a of engineB.process(txns[i]!).alerts)
          alertsB.push({ ...a, subject: bySeed(seed, a.subject) })
      if ((i & 0x3ffff) === 0x3ffff) await new Promise((r) => setImmediate(r))
    }
    opts.inspect?.(data, seedAlerts, seed)
    busy += performance.now() - t0
    n += txns.length
  }
  const latencies = Float64Array.from(lats)
  latencies.sort()
  return {
    score: scoreCustomers(alerts, cases),
    transactions: n,
    alerts: alerts.length,
    latencies,
    seconds: busy / 1000,
    degraded,
    ...(rsB ? { compareScore: scoreCustomers(alertsB, cases) } : {}),
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`

/** The per-typology table printed by the benchmark and the tuning script. */
export function formatScore(label: string, s: CustomerScore): string {
  const lines = [
    `${label}: recall ${pct(s.recall)} (${s.detected}/${s.suspicious} cases), precision ${pct(s.precision)} (${s.truePositives}/${s.alerted} alerted customers)`,
    '  recall by planted typology:',
  ]
  for (const [t, v] of Object.entries(s.recallByTypology).sort())
    lines.push(`    ${t.padEnd(24)} ${pct(v.recall).padStart(8)}  (${v.detected}/${v.suspicious})`)
  lines.push('  precision by rule typology:')
  for (const [t, v] of Object.entries(s.precisionByTypology).sort())
    lines.push(`    ${t.padEnd(24)} ${pct(v.precision).padStart(8)}  (${v.truePositives}/${v.alerted})`)
  return lines.join('\n')
}
