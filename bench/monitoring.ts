import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import os from 'node:os'
import { formatScore, runQuality } from './monitoring-quality.js'
import {
  GENERATOR_CONFIGS,
  compileRuleSet,
  defaultRuleSet,
  generateTransactions,
  MonitoringEngine,
  scoreAlerts,
  TXN_KINDS,
  type AlertDraft,
  type MonTxn,
} from '../src/modules/monitoring/index.js'

interface Columns {
  readonly length: number
  get(i: number): MonTxn
}

function toColumns(txns: readonly MonTxn[]): Columns {
  const len = txns.length
  const id: string[] = new Array<string>(len)
  const at = new Float64Array(len)
  const amount = new BigInt64Array(len)
  const kind = new Uint8Array(len)
  const src: string[] = new Array<string>(len)
  const dst: string[] = new Array<string>(len)
  const sc: (string | undefined)[] = new Array<string | undefined>(len)
  const dc: (string | undefined)[] = new Array<string | undefined>(len)
  const scu: (string | undefined)[] = new Array<string | undefined>(len)
  const dcu: (string | undefined)[] = new Array<string | undefined>(len)
  const card: (string | undefined)[] = new Array<string | undefined>(len)
  const device: (string | undefined)[] = new Array<string | undefined>(len)
  for (let i = 0; i < len; i++) {
    const t = txns[i]!
    id[i] = t.id
    at[i] = t.at
    amount[i] = t.amount
    kind[i] = TXN_KINDS.indexOf(t.kind)
    src[i] = t.src
    dst[i] = t.dst
    sc[i] = t.srcCountry
    dc[i] = t.dstCountry
    scu[i] = t.srcCustomer
    dcu[i] = t.dstCustomer
    card[i] = t.card
    device[i] = t.device
  }
  const currency = txns[0]?.currency ?? 'EUR'
  return {
    length: len,
    get(i) {
      // built field by field: no temporary objects from conditional spreads
      const t: { -readonly [K in keyof MonTxn]: MonTxn[K] } = {
        id: id[i]!,
        at: at[i]!,
        amount: amount[i]!,
        currency,
        kind: TXN_KINDS[kind[i]!]!,
        src: src[i]!,
        dst: dst[i]!,
      }
      const x1 = sc[i]
      if (x1) t.srcCountry = x1
      const x2 = dc[i]
      if (x2) t.dstCountry = x2
      const x3 = scu[i]
      if (x3) t.srcCustomer = x3
      const x4 = dcu[i]
      if (x4) t.dstCustomer = x4
      const x5 = card[i]
      if (x5) t.card = x5
      const x6 = device[i]
      if (x6) t.device = x6
      return t
    },
  }
}

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : dflt
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`)
  return v
}

const SEMI_SPACE = '--max-semi-space-size=64'

/** npm run bench -- monitoring [--config NAME] [--quality-only] [--seed S] [--customers N] [--days D] */
export async function main(args: string[]): Promise<void> {
  // The evaluator allocates small short-lived objects (decisions, feature values): a 64 MB young
  // generation (the setting recommended for a monitoring process, see docs/monitoring.md) keeps
  // them out of the old generation. Re-run this benchmark under it unless already set.
  if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) {
    const child = spawnSync(
      process.execPath,
      [
        SEMI_SPACE,
        ...process.execArgv,
        fileURLToPath(new URL('./run.ts', import.meta.url)),
        'monitoring',
        ...args,
      ],
      {
        stdio: 'inherit',
      },
    )
    if (child.status !== 0) throw new Error(`benchmark process failed (${child.status ?? child.signal})`)
    return
  }
  let quality: Record<string, unknown> = {}
  // Quality: the held-out generator configuration (seeds and ranges the rules were not tuned on),
  // customer level, per typology: `holdout3` (fixed before session 9's tuning). `--config NAME`
  // shows the others for comparison; `--quality-only` skips the timing run.
  const cfgName = args.includes('--config') ? args[args.indexOf('--config') + 1]! : 'holdout3'
  if (!Object.hasOwn(GENERATOR_CONFIGS, cfgName))
    throw new Error(`--config must be one of ${Object.keys(GENERATOR_CONFIGS).join(', ')}`)
  const cfg = GENERATOR_CONFIGS[cfgName as keyof typeof GENERATOR_CONFIGS]
  if (!args.includes('--timing-only')) {
    const q = await runQuality(cfg, defaultRuleSet(), {
      onSeed: (s, t, c) =>
        process.stdout.write(`${cfg.name} seed ${s}: ${t} transactions, ${c} planted cases\n`),
    })
    process.stdout.write(
      `${formatScore(`${cfg.name} (seeds ${cfg.seeds.join(',')}, ${cfg.customers} customers, ${cfg.days} days each)`, q.score)}\n`,
    )
    const qp = (x: number): number =>
      q.latencies[Math.min(q.latencies.length - 1, Math.floor(x * q.latencies.length))]!
    process.stdout.write(
      `${cfg.name}: ${q.transactions} transactions in ${q.seconds.toFixed(1)} s evaluation time (${Math.round(q.transactions / q.seconds)} tx/s, p99 ${qp(0.99).toFixed(4)} ms)\n`,
    )
    quality = {
      config: cfg.name,
      recall: Math.round(q.score.recall * 1e4) / 1e4,
      precision: Math.round(q.score.precision * 1e4) / 1e4,
      recall_by_typology: Object.fromEntries(
        Object.entries(q.score.recallByTypology).map(([k, v]) => [k, Math.round(v.recall * 1e3) / 1e3]),
      ),
      precision_by_typology: Object.fromEntries(
        Object.entries(q.score.precisionByTypology).map(([k, v]) => [k, Math.round(v.precision * 1e3) / 1e3]),
      ),
    }
    if (args.includes('--quality-only')) {
      process.stdout.write(`${JSON.stringify({ bench: 'monitoring', ...quality })}\n`)
      return
    }
  }
  const seed = arg(args, 'seed', 42)
  const customers = arg(args, 'customers', 10_000)
  const days = arg(args, 'days', 90)
  let t0 = performance.now()
  // Timing: the classic configuration (the same data set as earlier sessions' figures)
  const data = generateTransactions({ customers, days, seed })
  process.stdout.write(
    `generated ${data.txns.length} transactions, ${data.parties.length} parties, ${data.cases.length} planted cases (seed ${seed}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  )
  // Keep the data set in columns and materialise each transaction when it is evaluated, as a feed
  // would: holding 900,000 transaction objects for the whole run would only load the old
  // generation and make every full GC of the benchmark process slower than production's.
  const feed = toColumns(data.txns)
  const n = feed.length
  data.txns.length = 0
  const rs = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  const engine = new MonitoringEngine({
    lists: new Map([
      ['high_risk_countries', new Set(data.highRiskCountries)],
      ['watchlist', new Set<string>()],
    ]),
    parties: new Map(data.parties.map((p) => [p.id, p])),
  })
  engine.active = rs
  const lat = new Float64Array(n)
  const alerts: AlertDraft[] = []
  let degraded = 0
  t0 = performance.now()
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < n; i++) {
    const txn = feed.get(i)
    const s = performance.now()
    const res = engine.process(txn)
    lat[i] = performance.now() - s
    if (res.decision.degraded) degraded++
    for (const a of res.alerts) alerts.push(a)
    if ((i & 0x3ffff) === 0x3ffff) {
      process.stdout.write(`  ${i + 1} evaluated\n`)
      await new Promise((r) => setImmediate(r)) // let stdout flush
    }
  }
  const secs = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const cpuSecs = (cpu.user + cpu.system) / 1e6
  const tps = n / secs
  lat.sort()
  const pct = (q: number): number => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!
  const score = scoreAlerts(alerts, data.cases)
  process.stdout.write(
    `evaluated with ${rs.rules.length} rules in ${secs.toFixed(2)} s: ${Math.round(tps)} tx/s, p50 ${pct(0.5).toFixed(4)} ms, p99 ${pct(0.99).toFixed(4)} ms, max ${lat[lat.length - 1]!.toFixed(2)} ms, degraded ${degraded}\n`,
  )
  process.stdout.write(
    `CPU time ${cpuSecs.toFixed(2)} s: ${Math.round(n / cpuSecs)} tx per CPU-second; wall/CPU ${(secs / cpuSecs).toFixed(2)} (above 1: the process waited for a core); load average ${os.loadavg()[0]!.toFixed(1)}\n`,
  )
  process.stdout.write(
    `alerts ${alerts.length}: TP ${score.truePositives}, FP ${score.falsePositives}; cases ${score.cases}, detected ${score.detected}\n`,
  )
  for (const [t, v] of Object.entries(score.byTypology))
    process.stdout.write(`  typology ${t}: ${v.detected}/${v.cases}\n`)
  for (const [r, v] of Object.entries(score.byRule))
    process.stdout.write(`  rule ${r}: ${v.alerts} alerts, ${v.truePositives} TP\n`)
  if (args.includes('--verbose')) {
    const members = new Map<string, string>()
    for (const c of data.cases) for (const m of c.members) members.set(m, c.typology)
    const parties = new Map(data.parties.map((p) => [p.id, p]))
    for (const a of alerts) {
      if (members.has(a.subject)) continue
      const txn = a.context.txn as Record<string, unknown>
      process.stdout.write(
        `  FP ${a.ruleId} ${a.subject} ${parties.get(a.subject)?.segment ?? 'ext'} ${String(txn.kind)} ${String(txn.amount)} ${JSON.stringify(a.context.features)}\n`,
      )
    }
  }
  if (score.missed.length > 0) process.stdout.write(`  missed: ${score.missed.join(', ')}\n`)
  const round = (x: number, k: number): number => Math.round(x * 10 ** k) / 10 ** k
  process.stdout.write(
    `${JSON.stringify({ bench: 'monitoring', tps: Math.round(tps), p99_ms: round(pct(0.99), 4), rules: rs.rules.length, classic_recall: round(score.recall, 4), classic_precision: round(score.precision, 4), ...quality })}\n`,
  )
}
