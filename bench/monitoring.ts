import os from 'node:os'
import {
  compileRuleSet,
  defaultRuleSet,
  generateTransactions,
  MonitoringEngine,
  scoreAlerts,
  type AlertDraft,
} from '../src/modules/monitoring/index.js'

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : dflt
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`)
  return v
}

/** npm run bench -- monitoring [--seed S] [--customers N] [--days D] */
export async function main(args: string[]): Promise<void> {
  const seed = arg(args, 'seed', 42)
  const customers = arg(args, 'customers', 10_000)
  const days = arg(args, 'days', 90)
  let t0 = performance.now()
  const data = generateTransactions({ customers, days, seed })
  process.stdout.write(
    `generated ${data.txns.length} transactions, ${data.parties.length} parties, ${data.cases.length} planted cases (seed ${seed}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  )
  const rs = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  const engine = new MonitoringEngine({
    lists: new Map([
      ['high_risk_countries', new Set(data.highRiskCountries)],
      ['watchlist', new Set<string>()],
    ]),
    parties: new Map(data.parties.map((p) => [p.id, p])),
  })
  engine.active = rs
  const lat = new Float64Array(data.txns.length)
  const alerts: AlertDraft[] = []
  let degraded = 0
  t0 = performance.now()
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < data.txns.length; i++) {
    const s = performance.now()
    const res = engine.process(data.txns[i]!)
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
  const tps = data.txns.length / secs
  lat.sort()
  const pct = (q: number): number => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!
  const score = scoreAlerts(alerts, data.cases)
  process.stdout.write(
    `evaluated with ${rs.rules.length} rules in ${secs.toFixed(2)} s: ${Math.round(tps)} tx/s, p50 ${pct(0.5).toFixed(4)} ms, p99 ${pct(0.99).toFixed(4)} ms, max ${lat[lat.length - 1]!.toFixed(2)} ms, degraded ${degraded}\n`,
  )
  process.stdout.write(
    `CPU time ${cpuSecs.toFixed(2)} s: ${Math.round(data.txns.length / cpuSecs)} tx per CPU-second; wall/CPU ${(secs / cpuSecs).toFixed(2)} (above 1: the process waited for a core); load average ${os.loadavg()[0]!.toFixed(1)}\n`,
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
    `${JSON.stringify({ bench: 'monitoring', tps: Math.round(tps), p99_ms: round(pct(0.99), 4), rules: rs.rules.length, recall: round(score.recall, 4), precision: round(score.precision, 4) })}\n`,
  )
}
