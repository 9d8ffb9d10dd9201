import { readFileSync } from 'node:fs'
import pg from 'pg'
import { inCaseWindow } from '../src/modules/monitoring/index.js'
import { subjectMargin } from '../src/modules/risk/index.js'
import { str } from './args.js'

/**
 * node --import tsx bench/checker-flow-diagnose.ts --database-url postgres://…/flow \
 *   --labels labels.json --parties parties.json --live-from ISO [--model-id rmod_…]
 *
 * After `bench/checker-flow.ts … --steps …,live` (session 60): reads the flow's database (one tenant)
 * and says, for every planted case active in the live period, where its primaries were alerted on —
 * before the period, in it, or never (inside the case's window, as scoreCustomers counts) — and
 * where the live champion (or `--model-id`'s model, a shadow the gate refused) ranked them, two
 * ways, from `risk_scores` (the decision path's own record): `modelRank`, each customer's highest
 * row over the period, and `subjectRank` (session 61), the customer score the model defines (the
 * mean of its top rows' log-odds less the discount per ln(rows scored), combine.ts subjectMargin,
 * with that model's own settings). Ends with one JSON
 * line: how many active cases the model alone holds in its top 2 % of customers, each way, for all
 * of them, those started in the period, and those no alert had named before it. Reads only;
 * diagnosis, not a figure to tune on.
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
const liveDay = new Date(liveFrom).toISOString().slice(0, 10)
// --model-id: that model's scores (a shadow, e.g. one the gate refused, so no champion scored the
// period), else the champion's
const modelId = str(argv, 'model-id') ?? null
const scoredBy = `CASE WHEN $2::text IS NULL THEN champion ELSE model_id = $2 END`
// the model's highest customer score per subject over the period, best first
const ranked = (
  await db.query<{ subject: string }>(
    `SELECT subject FROM risk_scores WHERE ${scoredBy} AND day >= $1::date
     GROUP BY subject ORDER BY max(max_probability) DESC, subject`,
    [liveDay, modelId],
  )
).rows.map((r) => r.subject)
const live = (
  await db.query<{ metrics: { subjectTopRows?: number; subjectRowDiscount?: number } }>(
    `SELECT metrics FROM risk_models WHERE CASE WHEN $1::text IS NULL THEN status = 'live' ELSE model_id = $1 END
     ORDER BY promoted_at DESC NULLS LAST LIMIT 1`,
    [modelId],
  )
).rows[0]?.metrics
// each subject's highest row margins and rows scored over the period, gathered from its days
const subjectDays = (
  await db.query<{ subject: string; top_margins: number[]; scored: string }>(
    `SELECT subject, top_margins, scored FROM risk_scores
     WHERE ${scoredBy} AND day >= $1::date AND cardinality(top_margins) > 0`,
    [liveDay, modelId],
  )
).rows
const subjectRows = new Map<string, { margins: number[]; scored: number }>()
for (const d of subjectDays) {
  const s = subjectRows.get(d.subject) ?? { margins: [], scored: 0 }
  s.margins.push(...d.top_margins.map(Number))
  s.scored += Number(d.scored)
  subjectRows.set(d.subject, s)
}
await db.end()

const rank = new Map(ranked.map((s, i) => [s, i + 1]))
const subjectRank = new Map(
  [...subjectRows]
    .map(([subject, r]) => ({
      subject,
      score: subjectMargin(
        r.margins.sort((a, b) => b - a),
        live?.subjectTopRows ?? 1,
        live?.subjectRowDiscount ?? 0,
        r.scored,
      ),
    }))
    .sort((a, b) => b.score - a.score || (a.subject < b.subject ? -1 : 1))
    .map((r, i) => [r.subject, i + 1]),
)
const top = Math.floor(0.02 * customers)
const day = (t: number): string => new Date(t).toISOString().slice(0, 10)
const rows = active.map((c) => {
  const inWindow = alerts.filter((a) => c.primary.includes(a.subject) && inCaseWindow(c, a.at.getTime()))
  const before = inWindow.filter((a) => a.at.getTime() < liveFrom)
  const during = inWindow.filter((a) => a.at.getTime() >= liveFrom)
  const best = Math.min(...c.primary.map((p) => rank.get(p) ?? Infinity))
  const bestSubject = Math.min(...c.primary.map((p) => subjectRank.get(p) ?? Infinity))
  return {
    case: c.id,
    typology: c.typology,
    start: day(c.start),
    started: c.start >= liveFrom,
    alertedBefore: before[0] ? `${day(before[0].at.getTime())} ${before[0].rule_id}` : null,
    alertedInPeriod: during[0] ? `${day(during[0].at.getTime())} ${during[0].rule_id}` : null,
    modelRank: Number.isFinite(best) ? best : null,
    inTop2pct: best <= top,
    subjectRank: Number.isFinite(bestSubject) ? bestSubject : null,
    subjectInTop2pct: bestSubject <= top,
  }
})
for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`)
const share = (list: typeof rows) => ({
  cases: list.length,
  inTop2pct: list.filter((r) => r.inTop2pct).length,
  subjectInTop2pct: list.filter((r) => r.subjectInTop2pct).length,
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
