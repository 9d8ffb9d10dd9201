import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { createApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { generateTransactions } from '../src/modules/monitoring/index.js'
import { arg, benchDatabase, load, log, round, str } from './args.js'

/**
 * How long the server's thread is held while a tenant's model trains, over several trainings in a
 * row (each adds a shadow, and every shadow is warmed again at the scorer rebuild that ends a
 * training): the longest gap of a 20 ms timer and the p99 event-loop delay during each, with the
 * training's time and the shadows left. Services are called directly (no HTTP), on PostgreSQL.
 *
 *   npm run bench -- risk-train-turns [--customers 2000] [--days 120] [--trainings 6]
 *     [--max-shadows 3] [--train-in worker|process] [--trees 60] [--depth 4] [--postgres URL]
 */
export async function main(args: string[]): Promise<void> {
  const customers = arg(args, 'customers', 2000)
  const trainings = arg(args, 'trainings', 6)
  const maxShadows = str(args, 'max-shadows') ?? '3'
  const trainIn = str(args, 'train-in') ?? 'worker'
  const db = await benchDatabase(args, 'risk_turns')
  const app = await createApp(
    loadConfig({
      DATABASE_URL: db.url,
      MONETA_API_KEY: 'bench-key-0123456789abcdef',
      LOG_LEVEL: 'silent',
      MONETA_CONFIG_FILE: '',
      MONETA_MONITORING_WARM_TENANTS: '0',
      MONETA_RISK_MAX_SHADOWS: maxShadows,
      MONETA_RISK_TRAIN_IN: trainIn,
    }),
    {},
  )
  const { monitoring, risk } = app.services
  const tenant = `ten_turns_${Date.now().toString(36)}`
  const data = generateTransactions({ customers, days: arg(args, 'days', 120), seed: 11, caseRate: 0.02 })
  await monitoring.saveList(tenant, 'high_risk_countries', [...data.highRiskCountries])
  const t0 = performance.now()
  await monitoring.importHistory(tenant, {
    txns: data.txns,
    parties: data.parties,
    labels: data.cases.map((c) => ({ ...c })),
  })
  log(`imported ${data.txns.length} transactions in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const runs: { train_s: number; longest_turn_ms: number; p99_delay_ms: number; shadows: number }[] = []
  for (let i = 0; i < trainings; i++) {
    const delay = monitorEventLoopDelay({ resolution: 10 })
    let longest = 0
    let last = performance.now()
    // a timer that should fire every 20 ms: how much later it fired is how long the thread was held
    const tick = setInterval(() => {
      const now = performance.now()
      longest = Math.max(longest, now - last - 20)
      last = now
    }, 20)
    delay.enable()
    const started = performance.now()
    const r = await risk.train(
      tenant,
      { trees: arg(args, 'trees', 60), depth: arg(args, 'depth', 4) },
      'bench',
    )
    const trainS = (performance.now() - started) / 1000
    clearInterval(tick)
    delay.disable()
    const shadows = (await risk.listModels(tenant)).filter((m) => m.status === 'shadow').length
    const run = {
      train_s: round(trainS),
      longest_turn_ms: Math.round(longest),
      p99_delay_ms: round(delay.percentile(99) / 1e6),
      shadows,
    }
    runs.push(run)
    log(`training ${i + 1}: ${JSON.stringify({ ...run, retired: r.retired.length })}`)
  }
  await app.close()
  await db.release()
  log(
    JSON.stringify({
      bench: 'risk-train-turns',
      customers,
      transactions: data.txns.length,
      train_in: trainIn,
      max_shadows: Number(maxShadows),
      longest_turn_ms: Math.max(...runs.map((r) => r.longest_turn_ms)),
      p99_delay_ms: Math.max(...runs.map((r) => r.p99_delay_ms)),
      train_s: runs.map((r) => r.train_s),
      load: load(),
    }),
  )
}
