import { runSteps } from '../src/shared/time-slice.js'
import {
  compileRuleSet,
  DAY_MS,
  defaultRuleSet,
  generateTransactions,
  generatorOptions,
} from '../src/modules/monitoring/index.js'
import {
  bundledStartingModel,
  importedLabel,
  liveQueueSteps,
  START_PARAMS,
  promotionGate,
  replay,
  ruleSubjects,
  subjectScores,
  trainOnHistory,
  type Split,
} from '../src/modules/risk/index.js'
import { log, str } from './args.js'
import { tuningConfig } from './monitoring-quality.js'

/**
 * How much of a small tenant's history should train the trees (session 57, TUNING data only). The
 * checker's flow (bench/checker-flow.ts) trains on a tenant's first 90 days, and production cuts that
 * window by transaction count: the first half trains the trees, the next quarter calibrates them and
 * sets the alert budget, the last quarter is the gate's holdout. At 10,000 customers that leaves the
 * trees a few dozen planted cases. This trains the same history with other cuts (`trees/calibration`
 * ends as shares of the window's transactions; `0.5/0.75` is production) and scores each model on
 * the days after the window, as the checker does once the model is live:
 * - the model alone: the period's suspicious customers (members) and planted cases (a primary
 *   account) in its top 2 % of customers;
 * - the case queue (rule alerts within the budget and the model's own, held at the rules' volume),
 *   replayed as the decision path builds it, beside the rules alone.
 * Every planted case is imported as a label, as the checker's flow imports them.
 *
 *   npm run bench -- risk-small-tenant [--config tuning] [--seeds 57001,57002] [--customers 10000]
 *     [--days 150] [--until-day 90] [--cuts 0.5/0.75,0.75/1] [--starting-model bundled|none]
 *
 * `--starting-model` (session 58, ADR 1412): boost from the bundled starting model as production
 * does now (`bundled`, default), or train from the tenant's cases alone (`none`, before session 58).
 */
export function main(args: string[]): Promise<void> {
  const cfg = tuningConfig(str(args, 'config'))
  const seeds = (str(args, 'seeds') ?? '57001').split(',').map(Number)
  const customers = Number(str(args, 'customers') ?? 10_000)
  const days = Number(str(args, 'days') ?? 150)
  const untilDay = Number(str(args, 'until-day') ?? 90)
  const cuts = (str(args, 'cuts') ?? '0.5/0.75,0.75/1')
    .split(',')
    .map((c) => c.split('/').map(Number) as [number, number])
  const start = str(args, 'starting-model') === 'none' ? undefined : bundledStartingModel()
  const ruleSet = compileRuleSet(defaultRuleSet(), 1, new Set(['high_risk_countries', 'watchlist']))
  const results: Record<string, unknown>[] = []
  for (const seed of seeds) {
    const d = generateTransactions({ ...generatorOptions(cfg, seed, customers), days })
    const ats = d.txns.map((t) => t.at).sort((a, b) => a - b)
    // day 0: where the generated period starts (a few seed payments lie years before it)
    const t0 = Math.floor(ats[Math.floor(ats.length / 1000)]! / DAY_MS) * DAY_MS
    const until = t0 + untilDay * DAY_MS
    const end = ats[ats.length - 1]! + 1
    const labels = d.cases.map(importedLabel)
    const started = performance.now()
    const r = replay(d.txns, labels, { parties: d.parties, highRisk: d.highRiskCountries, ruleSet })
    log(
      `seed ${seed}: ${d.txns.length} transactions, ${d.cases.length} cases, replayed in ${Math.round((performance.now() - started) / 1000)} s`,
    )
    const from = ats[0]!
    const inside = ats.filter((t) => t < until)
    const at = (q: number): number => (q >= 1 ? until : inside[Math.floor(inside.length * q)]!)
    const rules = ruleSubjects(r, until, end)
    // the planted cases active after the window: one is caught when a primary account is alerted on
    const periodCases = d.cases.filter((c) => c.end >= until)
    const k = Math.round(customers * 0.02)
    for (const [treesTo, calibrationTo] of cuts) {
      const split: Split = { from, validationFrom: at(treesTo), holdoutFrom: at(calibrationTo), to: until }
      const t = performance.now()
      const trained = trainOnHistory(
        { txns: [], parties: d.parties, highRisk: d.highRiskCountries, labels, ruleSet },
        split,
        start ? START_PARAMS : undefined,
        r,
        start,
      )
      const trainS = Math.round((performance.now() - t) / 1000)
      // the gate on the window's holdout, where the cut leaves one
      const gate = calibrationTo < 1 ? promotionGate(r, split, trained.model, undefined) : undefined
      const { best, positives } = subjectScores(trained.model, r, until, end)
      const top = [...best].sort((a, b) => b[1] - a[1]).slice(0, k)
      const topHit = top.filter(([s]) => positives.has(s)).length
      const budget = trained.model.metrics.alertBudget
      const queueOf = (b: typeof budget): Set<string> =>
        b ? runSteps(liveQueueSteps(trained.model, b, r, until, end)).queued : rules
      const queue = queueOf(budget)
      // the same model with the budget trading rule alerts whatever the validation's evidence (before session 57)
      const keepsRuleAlerts = budget?.keepsRuleAlerts === true
      const queueTrading = budget && keepsRuleAlerts ? queueOf({ ...budget, keepsRuleAlerts: false }) : queue
      const hits = (s: Set<string>): number => [...s].filter((x) => positives.has(x)).length
      const cases = (s: Set<string>): number =>
        periodCases.filter((c) => c.primary.some((p) => s.has(p))).length
      const row = {
        seed,
        cut: `${treesTo}/${calibrationTo}`,
        days: `trees ${Math.round((split.validationFrom - t0) / DAY_MS)}, calibration to ${Math.round((split.holdoutFrom - t0) / DAY_MS)}`,
        train_s: trainS,
        positives_after: positives.size,
        top2pct_members: topHit,
        top2pct_cases: cases(new Set(top.map(([s]) => s))),
        cases_after: periodCases.length,
        rules: `${cases(rules)} cases; ${hits(rules)}/${rules.size} customers`,
        validation_ruled: budget?.customers ?? 0,
        keeps_rule_alerts: keepsRuleAlerts,
        queue: `${cases(queue)} cases; ${hits(queue)}/${queue.size} customers`,
        queue_trading: `${cases(queueTrading)} cases; ${hits(queueTrading)}/${queueTrading.size} customers`,
        gate: gate
          ? `${gate.passed ? 'passed' : 'refused'} ${gate.candidateDetected} vs ${gate.liveDetected} at ${gate.budget}`
          : 'none',
      }
      log(`  ${JSON.stringify(row)}`)
      results.push(row)
    }
  }
  log(
    JSON.stringify({
      bench: 'risk-small-tenant',
      config: cfg.name,
      customers,
      days,
      untilDay,
      startingModel: start?.name ?? 'none',
      results,
    }),
  )
  return Promise.resolve()
}
