import { afterAll, beforeAll, expect, it } from 'vitest'
import { freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import { createMonitoring, DAY_MS, generateTransactions, TUNING_RANGES } from '../monitoring/index.js'
import { FEATURE_NAMES } from './features.js'
import { replay, type ReplayResult } from './replay.js'

/**
 * A replay of a window (training with `from`, the drift report) seeds its engine with what came
 * before the window, so a long-dormant account's lifetime features read as in a replay of all of
 * history: its age, last activity, usual amounts and old counterparties. Without the seeds it read
 * as an account never seen (train/serve skew against the live engine, which keeps them).
 */
const LIFETIME = [
  'txn.new_counterparty',
  'self.history_count',
  'self.days_since_last',
  'self.days_since_last_in',
  'self.days_since_last_out',
  'self.age_days',
  'self.amount_z',
  'self.usual_amount',
  'other.history_count',
  'other.age_days',
  'ratio.amount_vs_usual',
] as const

/** Rows (by transaction and subject) whose lifetime features differ between two replays. */
function differing(a: ReplayResult, b: ReplayResult): string[] {
  expect(a.txnIds).toEqual(b.txnIds)
  const cols = LIFETIME.map((n) => FEATURE_NAMES.indexOf(n))
  expect(Math.min(...cols)).toBeGreaterThanOrEqual(0)
  const out: string[] = []
  for (let r = 0; r < a.rows.rows; r++)
    for (const [i, c] of cols.entries()) {
      const x = a.rows.x[r * a.rows.cols + c]!
      const y = b.rows.x[r * b.rows.cols + c]!
      if (Math.abs(x - y) > 1e-9 * Math.max(1, Math.abs(x)))
        out.push(`${a.txnIds[r]} ${LIFETIME[i]}: ${x} vs ${y}`)
    }
  return out
}

let h: DbHandle
beforeAll(async () => {
  h = await openTestDb({ name: 'pglite' })
}, 180_000)
afterAll(async () => h.close())

it('replays a window as a replay of all history reads it, seeded with what came before', async () => {
  const data = generateTransactions({ customers: 300, days: 60, seed: 11, ranges: TUNING_RANGES })
  const tenant = freshTenant()
  const monitoring = createMonitoring({
    db: h.db,
    clock: fixedClock(new Date(data.end)),
    ids: (p) => newId(p),
  })
  await monitoring.importHistory(tenant, { txns: data.txns, parties: data.parties })
  const from = data.start + 20 * DAY_MS
  const window = await monitoring.history(tenant, from, data.end + DAY_MS, { seeds: true })
  expect(window.seeds!.habits.length).toBeGreaterThan(0)

  const opts = { parties: data.parties, highRisk: data.highRiskCountries }
  // both read back from storage (times as stored: the generator's carry fractions of a millisecond)
  const stored = await monitoring.history(tenant, 0, data.end + DAY_MS)
  const all = replay(stored.txns, [], { ...opts, keepFrom: from })
  const seeded = replay(window.txns, [], { ...opts, seeds: window.seeds! })
  expect(differing(all, seeded).slice(0, 10)).toEqual([])
  // and the seeds are what makes them equal: the window alone reads old accounts as new
  expect(differing(all, replay(window.txns, [], opts)).length).toBeGreaterThan(100)
}, 180_000)
