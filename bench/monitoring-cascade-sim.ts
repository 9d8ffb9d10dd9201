import {
  CASH,
  DAY_MS,
  LABEL_SLACK_MS,
  NETWORK_TYPOLOGIES,
  defaultRuleSet,
  GENERATOR_CONFIGS,
  scoreCustomers,
  type AlertDraft,
  type PlantedCase,
} from '../src/modules/monitoring/index.js'
import { runQuality, formatScore } from './monitoring-quality.js'

/**
 * Session 40's simulation, run before `network.passes_on_alerted_funds` was written (tuning data
 * only): over the base pack's alerts, an account that passes on ≥ SHARE of what accounts alerted on
 * in the 14 days before paid it within HOURS (≥ MIN in all, any rail but card) is alerted too, and
 * its alert counts for the next layer. Prints the pack alone and with these alerts, and how many
 * accounts of the planted networks either alerts.
 *
 *   npm run bench -- monitoring-cascade-sim tuning|tuning_networks SEEDS [HOURS 72] [SHARE 0.8] [MIN 1000]
 */
export async function main(args: string[]): Promise<void> {
  const cfgName = args[0]
  if (cfgName !== 'tuning' && cfgName !== 'tuning_networks')
    throw new Error('tuning or tuning_networks only: held-out data is not read for development')
  const seeds = args[1]!.split(',').map(Number)
  const windowH = Number(args[2] ?? 72)
  const share = Number(args[3] ?? 0.8)
  const minAmt = BigInt(Math.round(Number(args[4] ?? 1000) * 100))
  const baseAll: (AlertDraft & { subject: string })[] = []
  const casc: { subject: string; at: number; ruleId: string; typology: string; txnId: string }[] = []
  const cases: PlantedCase[] = []
  // every seed has the same account ids and dates: keys carry the seed
  let acc = 0,
    cov0 = 0,
    cov1 = 0
  await runQuality(GENERATOR_CONFIGS[cfgName], defaultRuleSet(), {
    seeds,
    inspect: (data, alerts, seed) => {
      const tag = String(seed)
      const first = new Map<string, number>()
      for (const a of alerts)
        if (!first.has(a.subject) || first.get(a.subject)! > a.at) first.set(a.subject, a.at)
      const alertedAt = new Map(first)
      const inflows = new Map<string, { at: number; amt: bigint; from: string }[]>()
      const outs = new Map<string, { at: number; amt: bigint }[]>()
      const last = new Map<string, number>()
      const mine: typeof casc = []
      const W = windowH * 3_600_000
      for (const t of data.txns) {
        if (t.src === CASH || t.dst === CASH || t.srcCustomer === t.dstCustomer) {
          if (t.dst === CASH && t.src !== CASH)
            (outs.get(t.src) ?? outs.set(t.src, []).get(t.src)!).push({ at: t.at, amt: t.amount })
          if (t.dst !== CASH) continue
        } else {
          ;(inflows.get(t.dst) ?? inflows.set(t.dst, []).get(t.dst)!).push({
            at: t.at,
            amt: t.amount,
            from: t.src,
          })
          ;(outs.get(t.src) ?? outs.set(t.src, []).get(t.src)!).push({ at: t.at, amt: t.amount })
        }
        if (t.kind === 'card') continue
        const x = t.src
        const ins = (inflows.get(x) ?? []).filter((i) => i.at >= t.at - W && i.at < t.at)
        const tainted = ins.filter((i) => {
          const a = alertedAt.get(i.from)
          return a !== undefined && a <= i.at && a >= i.at - 14 * DAY_MS
        })
        if (tainted.length === 0) continue
        const tAmt = tainted.reduce((s, i) => s + i.amt, 0n)
        if (tAmt < minAmt) continue
        const since = Math.min(...tainted.map((i) => i.at))
        const outAmt = (outs.get(x) ?? [])
          .filter((o) => o.at >= since && o.at <= t.at)
          .reduce((s, o) => s + o.amt, 0n)
        if (Number(outAmt) < share * Number(tAmt)) continue
        if ((last.get(x) ?? -Infinity) > t.at - 14 * DAY_MS) continue
        last.set(x, t.at)
        if (!alertedAt.has(x)) alertedAt.set(x, t.at)
        mine.push({ subject: `${tag}|${x}`, at: t.at, ruleId: 'cascade', typology: 'cascade', txnId: t.id })
      }
      casc.push(...mine)
      for (const a of alerts) baseAll.push({ ...a, subject: `${tag}|${a.subject}` })
      for (const c of data.cases)
        cases.push({
          ...c,
          id: `${tag}:${c.id}`,
          members: c.members.map((m) => `${tag}|${m}`),
          primary: c.primary.map((m) => `${tag}|${m}`),
        })
      const inWin = (c: PlantedCase, at: number) => at >= c.start - DAY_MS && at <= c.end + LABEL_SLACK_MS
      for (const c of data.cases)
        if ((NETWORK_TYPOLOGIES as readonly string[]).includes(c.typology))
          for (const p of c.primary) {
            acc++
            const b = alerts.some((a) => a.subject === p && inWin(c, a.at))
            if (b) cov0++
            if (b || mine.some((m) => m.subject === `${tag}|${p}` && inWin(c, m.at))) cov1++
          }
    },
  })
  console.log(formatScore('base', scoreCustomers(baseAll, cases)))
  console.log(formatScore('base+cascade', scoreCustomers([...baseAll, ...casc], cases)))
  const s = scoreCustomers(casc, cases)
  console.log(
    `cascade alone: ${s.alerted} customers, precision ${(s.precision * 100).toFixed(1)} %; network accounts ${cov0} -> ${cov1} of ${acc}`,
  )
  console.log(
    JSON.stringify({
      bench: 'monitoring-cascade-sim',
      config: cfgName,
      seeds,
      cascade_customers: s.alerted,
      cascade_precision: Math.round(s.precision * 1000) / 1000,
      network_accounts: acc,
      network_accounts_alerted_before: cov0,
      network_accounts_alerted_after: cov1,
    }),
  )
}
