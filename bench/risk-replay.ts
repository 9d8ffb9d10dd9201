import { createHash } from 'node:crypto'
import os from 'node:os'
import {
  compileRuleSet,
  DAY_MS,
  defaultRuleSet,
  generateTransactions,
  GENERATOR_CONFIGS,
} from '../src/modules/monitoring/index.js'
import { FEATURE_NAMES, replay, trainModel, type RiskLabel } from '../src/modules/risk/index.js'
import { str } from './args.js'

/**
 * The risk model's feature replay alone, as training runs it (bench/risk.ts's training data:
 * `tuning` ranges, 90 days, seed 11, the default rules), timed in wall AND CPU seconds
 * (process.cpuUsage: user + system) so that the figure holds on a shared machine, with a digest of
 * every feature value, label and subject so that a faster replay can be shown to write the same
 * rows (run it before and after; the digests must be equal). `--fit 1` then fits the members model
 * on those rows as bench/risk.ts does (validation from day 60, negatives sampled at 5 %; every
 * typology kept: this times the fit, it does not choose a model) and times it the same way.
 *
 *   npm run bench -- risk-replay [--customers 10000] [--seed 11] [--fit 1]
 *   node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx bench/run.ts risk-replay   (a profile)
 */
export function main(args: string[]): Promise<void> {
  const customers = Number(str(args, 'customers') ?? 10_000)
  const seed = Number(str(args, 'seed') ?? 11)
  const data = generateTransactions({ customers, days: 90, seed, ranges: GENERATOR_CONFIGS.tuning.ranges })
  const labels: RiskLabel[] = data.cases.map((c) => ({
    id: c.id,
    typology: c.typology,
    accounts: c.members,
    from: c.start,
    to: c.end,
    knownAt: c.end + 7 * DAY_MS,
    positive: true,
    txnIds: c.txnIds,
  }))
  const rs = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  const load = os.loadavg()[0]!.toFixed(2)
  const c0 = process.cpuUsage()
  const w0 = performance.now()
  const r = replay(data.txns, labels, {
    parties: data.parties,
    highRisk: data.highRiskCountries,
    ruleSet: rs,
  })
  const wall = (performance.now() - w0) / 1000
  const u = process.cpuUsage(c0)
  const cpu = (u.user + u.system) / 1e6
  const h = createHash('sha256')
  h.update(new Uint8Array(r.rows.x.buffer, r.rows.x.byteOffset, r.rows.x.byteLength))
  h.update(r.rows.y)
  h.update(new Uint8Array(r.rows.at.buffer, r.rows.at.byteOffset, r.rows.at.byteLength))
  h.update(r.subjects.join('\n'))
  h.update(JSON.stringify(r.alerts.map((a) => [a.ruleId, a.subject, a.txnId])))
  const out = {
    txns: data.txns.length,
    rows: r.rows.rows,
    alerts: r.alerts.length,
    wall_s: Number(wall.toFixed(1)),
    cpu_s: Number(cpu.toFixed(1)),
    cpu_us_per_txn: Number(((cpu * 1e6) / data.txns.length).toFixed(1)),
    load_at_start: Number(load),
    load_at_end: Number(os.loadavg()[0]!.toFixed(2)),
    digest: h.digest('hex').slice(0, 16),
  }
  let fit = {}
  if (str(args, 'fit') === '1') {
    const fc0 = process.cpuUsage()
    const fw0 = performance.now()
    const m = trainModel(r.rows, FEATURE_NAMES, {
      validationFrom: data.start + 60 * DAY_MS,
      negativeRate: 0.05,
    })
    const fu = process.cpuUsage(fc0)
    fit = {
      fit_wall_s: Number(((performance.now() - fw0) / 1000).toFixed(1)),
      fit_cpu_s: Number(((fu.user + fu.system) / 1e6).toFixed(1)),
      fit_train_rows: m.metrics.trainRows,
      load_after_fit: Number(os.loadavg()[0]!.toFixed(2)),
    }
  }
  process.stdout.write(`${JSON.stringify({ ...out, ...fit })}\n`)
  return Promise.resolve()
}
