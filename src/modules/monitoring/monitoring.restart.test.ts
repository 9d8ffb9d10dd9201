import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import { ENTITY_FEATURES, HISTORY_FIELDS, type HistoryField } from './features.js'
import { generateTransactions } from './generator.js'
import { TUNING_RANGES } from './generator-configs.js'
import { DAY_MS, type MonTxn } from './monitoring.js'
import { createMonitoring, type Monitoring } from './monitoring.service.js'
import type { EvalContext } from './rules.js'

/**
 * A restarted engine replays only its window (180 days) of the stored history. Accounts quiet for
 * longer (the tuning data's dormant accounts, silent up to 300 days) must still read as the engine
 * that had run through everything read them: the same usual amounts and the same known counterparties
 * (FeatureStore.seedHabits), not strangers to their old payees. Before the seeds a restart changed
 * the shadow model's alerts (docs/monitoring.md, "Restarts").
 */
const SLOTS = ['src', 'dst', 'src_customer', 'dst_customer', 'device', 'card', 'address'] as const
const HISTORY = Object.keys(HISTORY_FIELDS) as HistoryField[]

/** Every entity feature of every slot (accounts, customers, the payer's device, card and address), by name. */
function features(ctx: EvalContext): Map<string, number | boolean> {
  const out = new Map<string, number | boolean>()
  for (const slot of SLOTS) {
    for (const f of HISTORY) out.set(`${slot}.${f}`, ctx[slot].hist(f))
    for (const [name, spec] of ENTITY_FEATURES) out.set(`${slot}.${name}`, ctx[slot].feature(spec))
  }
  return out
}

async function featuresOf(m: Monitoring, tenant: string, t: MonTxn): Promise<Map<string, number | boolean>> {
  let got: Map<string, number | boolean> | undefined
  await m.observeWhatIf(tenant, t, (ctx) => {
    got = features(ctx)
  })
  return got!
}

/** The features on which two readings differ (relative 1e-9: the seeds' statistics are summed in another order). */
function differences(a: Map<string, number | boolean>, b: Map<string, number | boolean>): string[] {
  const diff: string[] = []
  for (const [k, va] of a) {
    const vb = b.get(k)
    if (typeof va === 'number' && typeof vb === 'number') {
      if (Math.abs(va - vb) > 1e-9 * Math.max(1, Math.abs(va))) diff.push(`${k}: ${va} vs ${vb}`)
    } else if (va !== vb) diff.push(`${k}: ${String(va)} vs ${String(vb)}`)
  }
  return diff
}

describeEachDb('monitoring after a restart', (target) => {
  let h: DbHandle
  beforeAll(async () => {
    h = await openTestDb(target)
  }, 180_000)
  afterAll(async () => h.close())

  it('reads accounts older than its window as the engine that saw all of history', async () => {
    const data = generateTransactions({ customers: 300, days: 60, seed: 11, ranges: TUNING_RANGES })
    const cut = data.start + 45 * DAY_MS
    const history = data.txns.filter((t) => t.at < cut)
    const later = data.txns.filter((t) => t.at >= cut)
    // the data must hold what the test is about: activity older than the restart's window
    const old = history.filter((t) => t.at < cut - 180 * DAY_MS)
    expect(old.length).toBeGreaterThan(0)

    const tenant = freshTenant()
    const clock = fixedClock(new Date(data.end + DAY_MS))
    const service = (historyDays: number): Monitoring =>
      createMonitoring({ db: h.db, clock, ids: (p) => newId(p), historyDays })
    await service(180).importHistory(tenant, { txns: history, parties: data.parties })

    // one engine replays everything stored (what a server that never restarted learned), the other
    // the default 180 days plus the seeds
    const everything = service(100_000)
    const restarted = service(180)
    const dormant = new Set(old.flatMap((t) => [t.src, t.dst]))
    const probes = later.filter((t) => dormant.has(t.src) || dormant.has(t.dst))
    expect(probes.length).toBeGreaterThan(20)
    // and a device, card or address last used before the window, used again later
    const oldTools = new Set(old.flatMap((t) => [t.device, t.card, t.address].filter((x) => x !== undefined)))
    expect(
      probes.filter((t) => [t.device, t.card, t.address].some((x) => x !== undefined && oldTools.has(x)))
        .length,
    ).toBeGreaterThan(0)
    const diffs: string[] = []
    for (const t of probes) {
      const d = differences(await featuresOf(everything, tenant, t), await featuresOf(restarted, tenant, t))
      for (const x of d) diffs.push(`${t.id} ${x}`)
    }
    expect(diffs.slice(0, 10)).toEqual([])
  }, 180_000)
})
