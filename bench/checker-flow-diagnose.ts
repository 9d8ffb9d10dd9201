import { readFileSync } from 'node:fs'
import pg from 'pg'
import { inCaseWindow } from '../src/modules/monitoring/index.js'
import { str } from './args.js'

/**
 * node --import tsx bench/checker-flow-diagnose.ts --database-url postgres://…/flow \
 *   --labels labels.json --parties parties.json --live-from ISO
 *
 * After `bench/checker-flow.ts … --steps …,live` (session 60): reads the flow's database (one tenant)
 * and says, for every planted case active in the live period, where its primaries were alerted on —
 * before the period, in it, or never (inside the case's window, as scoreCustomers counts) — and
 * where the live champion ranked them: each customer's highest score over the period
 * (`risk_scores`, the decision path's own record). Ends with one JSON line: how many active cases
 * the model alone holds in its top 2 % of customers, all of them, those started in the period, and
 * those no alert had named before it (a confirmed customer's rows are lowered by the model: session
 * 59 measured −3.0 log-odds at distance 0 to known-bad). Reads only; diagnosis, not a figure to tune on.
 */
const argv = process.argv.slice(2)
const need = (name: string): string => {
  const v = str(argv, name)
  if (v === undefined) throw new Error(`--${name} is required`)
  return v
}

interface Label {
  readonly id: string
  readonly typology: string
  readonly primary: readonly string[]
  readonly start: number | string
  readonly end: number | string
}
const time = (t: number | string): number => (typeof t === 'number' ? t : Date.parse(t))

const liveFrom = Date.parse(need('live-from'))
const customers = (JSON.parse(readFileSync(need('parties'), 'utf8')) as unknown[]).length
const active = (JSON.parse(readFileSync(need('labels'), 'utf8')) as Label[])
  .map((l) => ({ ...l, start: time(l.start), end: time(l.end) }))
  .filter((l) => l.end >= liveFrom)

const db = new pg.Client({ connectionString: need('database-url') })
await db.connect()
const primaries = [...new Set(active.flatMap((l) => l.primary))]
const alerts = (
  await db.query<{ subject: string; rule_id: string; at: Date }>(
    'SELECT subject, rule_id, at FROM monitoring_alerts WHERE subject = ANY($1) ORDER BY at',
    [primaries],
  )
).rows
// the champion's highest customer score per subject over the period, best first
const ranked = (
  await db.query<{ subject: string }>(
    `SELECT subject FROM risk_scores WHERE champion AND day >= $1::date
     GROUP BY subject ORDER BY max(max_probability) DESC, subject`,
    [new Date(liveFrom).toISOString().slice(0, 10)],
  )
).rows.map((r) => r.subject)
await db.end()

const rank = new Map(ranked.map((s, i) => [s, i + 1]))
const top = Math.floor(0.02 * customers)
const day = (t: number): string => new Date(t).toISOString().slice(0, 10)
const rows = active.map((c) => {
  const inWindow = alerts.filter((a) => c.primary.includes(a.subject) && inCaseWindow(c, a.at.getTime()))
  const before = inWindow.filter((a) => a.at.getTime() < liveFrom)
  const during = inWindow.filter((a) => a.at.getTime() >= liveFrom)
  const best = Math.min(...c.primary.map((p) => rank.get(p) ?? Infinity))
  return {
    case: c.id,
    typology: c.typology,
    start: day(c.start),
    started: c.start >= liveFrom,
    alertedBefore: before[0] ? `${day(before[0].at.getTime())} ${before[0].rule_id}` : null,
    alertedInPeriod: during[0] ? `${day(during[0].at.getTime())} ${during[0].rule_id}` : null,
    modelRank: Number.isFinite(best) ? best : null,
    inTop2pct: best <= top,
  }
})
for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`)
const share = (list: typeof rows) => ({
  cases: list.length,
  inTop2pct: list.filter((r) => r.inTop2pct).length,
})
process.stdout.write(
  `${JSON.stringify({
    bench: 'checker-flow-diagnose',
    customers,
    top2pct: top,
    active: share(rows),
    startedInPeriod: share(rows.filter((r) => r.started)),
    notAlertedBefore: share(rows.filter((r) => r.alertedBefore === null)),
    neverAlerted: rows
      .filter((r) => r.alertedBefore === null && r.alertedInPeriod === null)
      .map((r) => `${r.typology}:${r.case}`),
  })}\n`,
)
