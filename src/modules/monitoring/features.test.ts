import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FeatureStore } from './features.js'
import { DAY_MS, type MonTxn } from './monitoring.js'
import { EntityView } from './rules.js'

const T0 = Date.UTC(2026, 0, 1)
const MIN = 60_000
let seq = 0
const txn = (
  at: number,
  src: string,
  dst: string,
  amount: bigint,
  kind: MonTxn['kind'] = 'transfer',
): MonTxn => ({
  id: `t${seq++}`,
  at,
  amount,
  currency: 'EUR',
  kind,
  src,
  dst,
})

/** Reads a feature of an account the way a rule does (through its view). */
function feature(
  store: FeatureStore,
  account: string,
  name: string,
  now: number,
  out = true,
  amount = 100,
  cp = -1,
): unknown {
  const view = new EntityView()
  view.reset(store.accounts.get(account), now, out, amount, cp, Math.floor(Math.random() * 1e9))
  return (view as unknown as Record<string, unknown>)[name]
}

describe('feature store windows', () => {
  it("tells senders new to an account in the window from recurring ones (a landlord's tenants)", () => {
    const s = new FeatureStore()
    // month 1: three tenants pay rent; month 2: the same three again, plus one new sender
    for (const t of ['t1', 't2', 't3']) s.apply(txn(T0 + DAY_MS, t, 'landlord', 100000n))
    let now = T0 + 2 * DAY_MS
    expect(feature(s, 'landlord', 'in_distinct_7d', now)).toBe(3)
    expect(feature(s, 'landlord', 'in_new_distinct_7d', now)).toBe(3)
    for (const t of ['t1', 't2', 't3', 'stranger']) s.apply(txn(T0 + 31 * DAY_MS, t, 'landlord', 100000n))
    now = T0 + 32 * DAY_MS
    expect(feature(s, 'landlord', 'in_distinct_7d', now)).toBe(4)
    expect(feature(s, 'landlord', 'in_new_distinct_7d', now)).toBe(1)
    // over 90 days every relationship started inside the window: all four are new
    expect(feature(s, 'landlord', 'in_new_distinct_90d', now)).toBe(4)
    expect(feature(s, 'landlord', 'out_new_distinct_7d', now)).toBe(0)
  })

  it('counts, sums, averages and maxes outgoing payments over sliding windows', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'a', 'b', 1000n))
    s.apply(txn(T0 + 10 * MIN, 'a', 'c', 3000n))
    s.apply(txn(T0 + 50 * MIN, 'a', 'b', 2000n))
    s.apply(txn(T0 + 55 * MIN, 'x', 'a', 7000n))
    const now = T0 + 61 * MIN
    expect(feature(s, 'a', 'out_count_1h', now)).toBe(2) // the first one is 61 minutes old
    expect(feature(s, 'a', 'out_sum_1h', now)).toBe(5000)
    expect(feature(s, 'a', 'out_avg_1h', now)).toBe(2500)
    expect(feature(s, 'a', 'out_max_1h', now)).toBe(3000)
    expect(feature(s, 'a', 'out_count_24h', now)).toBe(3)
    expect(feature(s, 'a', 'in_sum_24h', now)).toBe(7000)
    expect(feature(s, 'a', 'all_count_24h', now)).toBe(4)
    expect(feature(s, 'a', 'out_count_15m', now)).toBe(1)
    expect(feature(s, 'a', 'out_distinct_24h', now)).toBe(2)
    expect(feature(s, 'a', 'in_distinct_24h', now)).toBe(1)
    expect(feature(s, 'nobody', 'out_count_24h', now)).toBe(0)
  })

  it('is point-in-time: a query sees only what was applied before it', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'a', 'b', 500n))
    const before = feature(s, 'a', 'out_count_7d', T0 + DAY_MS)
    s.apply(txn(T0 + DAY_MS, 'a', 'b', 500n))
    expect(before).toBe(1)
    expect(feature(s, 'a', 'out_count_7d', T0 + DAY_MS + 1)).toBe(2)
    // and the 7-day window forgets an event after seven days
    expect(feature(s, 'a', 'out_count_7d', T0 + 7 * DAY_MS + 1)).toBe(1)
  })

  it('falls back to day buckets for long windows once the ring no longer covers them', () => {
    const s = new FeatureStore()
    // 200 payments over 100 days (2 a day): more than the ring holds
    for (let i = 0; i < 200; i++) s.apply(txn(T0 + i * (DAY_MS / 2) + 1, 'a', `m${i % 7}`, 100n))
    const now = T0 + 100 * DAY_MS
    expect(feature(s, 'a', 'out_count_90d', now)).toBeGreaterThanOrEqual(180)
    expect(feature(s, 'a', 'out_count_90d', now)).toBeLessThanOrEqual(182) // rounded up to whole days
    expect(feature(s, 'a', 'out_count_180d', now)).toBe(200)
    expect(feature(s, 'a', 'out_sum_180d', now)).toBe(20_000)
    expect(feature(s, 'a', 'out_count_24h', now)).toBe(2) // exact from the ring
    expect(feature(s, 'a', 'out_distinct_90d', now)).toBe(7)
  })

  it('keeps day-bucket answers right while a day fills up (cached past days + live today)', () => {
    const s = new FeatureStore()
    const applied: number[] = []
    // a busy entity: 6 events a day for 40 days, queried before every event
    for (let i = 0; i < 240; i++) {
      const at = T0 + Math.floor(i / 6) * DAY_MS + (i % 6) * 3_600_000 + 1
      if (applied.length > 64) {
        for (const [name, ms] of [
          ['7d', 7 * DAY_MS],
          ['30d', 30 * DAY_MS],
        ] as const) {
          const firstDay = Math.floor((at - ms) / DAY_MS)
          const expected = applied.filter((x) => Math.floor(x / DAY_MS) >= firstDay).length
          const oldestInRing = applied[applied.length - 64]!
          const exact = applied.filter((x) => x > at - ms).length
          expect(feature(s, 'a', `out_count_${name}`, at)).toBe(oldestInRing <= at - ms ? exact : expected)
        }
      }
      s.apply(txn(at, 'a', 'b', 100n))
      applied.push(at)
    }
  })

  it('matches a brute-force reference for exact windows (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 6 * 3_600_000 }),
            amt: fc.integer({ min: 1, max: 10_000 }),
            out: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        fc.integer({ min: 0, max: 3 * DAY_MS }),
        (events, tail) => {
          const s = new FeatureStore()
          let at = T0
          const applied: { at: number; amt: number; out: boolean }[] = []
          for (const e of events) {
            at += e.gap
            s.apply(e.out ? txn(at, 'a', 'b', BigInt(e.amt)) : txn(at, 'b', 'a', BigInt(e.amt)))
            applied.push({ at, amt: e.amt, out: e.out })
          }
          const now = at + tail
          for (const [name, ms] of [
            ['1h', 3_600_000],
            ['6h', 6 * 3_600_000],
            ['24h', DAY_MS],
            ['7d', 7 * DAY_MS],
          ] as const) {
            const inWin = applied.filter((x) => x.at > now - ms && x.out)
            expect(feature(s, 'a', `out_count_${name}`, now)).toBe(inWin.length)
            expect(feature(s, 'a', `out_sum_${name}`, now)).toBe(inWin.reduce((k, x) => k + x.amt, 0))
            expect(feature(s, 'a', `out_max_${name}`, now)).toBe(
              inWin.reduce((k, x) => Math.max(k, x.amt), 0),
            )
            const all = applied.filter((x) => x.at > now - ms)
            expect(feature(s, 'a', `in_count_${name}`, now)).toBe(all.length - inWin.length)
            expect(feature(s, 'a', `all_sum_${name}`, now)).toBe(all.reduce((k, x) => k + x.amt, 0))
            expect(feature(s, 'a', `all_max_${name}`, now)).toBe(all.reduce((k, x) => Math.max(k, x.amt), 0))
          }
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe('history features', () => {
  it('knows days since last activity, account age, usual amount, z-score and new counterparties', () => {
    const s = new FeatureStore()
    for (let i = 0; i < 10; i++) s.apply(txn(T0 + i * DAY_MS, 'a', 'shop', BigInt(1000 + (i % 3) * 100)))
    const now = T0 + 30 * DAY_MS
    expect(feature(s, 'a', 'days_since_last', now)).toBeCloseTo(21, 5)
    expect(feature(s, 'a', 'days_since_last_in', now)).toBe(-1)
    expect(feature(s, 'a', 'age_days', now)).toBeCloseTo(30, 5)
    expect(feature(s, 'a', 'history_count', now)).toBe(10)
    const usual = feature(s, 'a', 'usual_amount', now) as number
    expect(usual).toBeGreaterThan(1000)
    expect(usual).toBeLessThan(1200)
    expect(feature(s, 'a', 'amount_z', now, true, 1100)).toBeLessThan(1)
    expect(feature(s, 'a', 'amount_z', now, true, 50_000)).toBeGreaterThan(5)
    const shop = s.interner.get('shop')
    const other = s.interner.get('other')
    expect(feature(s, 'a', 'new_counterparty', now, true, 100, shop)).toBe(false)
    expect(feature(s, 'a', 'new_counterparty', now, true, 100, other)).toBe(true)
    expect(feature(s, 'fresh', 'days_since_last', now)).toBe(-1)
  })

  it('counts round amounts', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'a', 'b', 500_000n))
    s.apply(txn(T0 + 1, 'a', 'b', 500_001n))
    s.apply(txn(T0 + 2, 'a', 'b', 100_000n))
    expect(feature(s, 'a', 'out_round_count_24h', T0 + 10)).toBe(2)
  })
})

describe('cash deposit windows', () => {
  it('count, sum and max only the cash paid in, over 7 and 30 days, before the current transaction', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'cash', 'a', 400_000n, 'cash_deposit'))
    s.apply(txn(T0 + 10 * DAY_MS, 'cash', 'a', 300_000n, 'cash_deposit'))
    s.apply(txn(T0 + 11 * DAY_MS, 'employer', 'a', 900_000n)) // a salary is not cash
    s.apply(txn(T0 + 12 * DAY_MS, 'cash', 'a', 200_000n, 'cash_deposit'))
    s.apply(txn(T0 + 12 * DAY_MS, 'a', 'cash', 50_000n, 'cash_withdrawal')) // nor is cash taken out
    const now = T0 + 13 * DAY_MS
    expect(feature(s, 'a', 'cash_in_count_7d', now)).toBe(2)
    expect(feature(s, 'a', 'cash_in_sum_7d', now)).toBe(500_000)
    expect(feature(s, 'a', 'cash_in_max_7d', now)).toBe(300_000)
    expect(feature(s, 'a', 'cash_in_count_30d', now)).toBe(3)
    expect(feature(s, 'a', 'cash_in_sum_30d', now)).toBe(900_000)
    expect(feature(s, 'a', 'cash_in_max_30d', now)).toBe(400_000)
    // 31 days after the first deposit it has left the 30-day window
    expect(feature(s, 'a', 'cash_in_count_30d', T0 + 31 * DAY_MS)).toBe(2)
    expect(feature(s, 'b', 'cash_in_sum_30d', now)).toBe(0)
  })

  it('keeps the most recent deposits when more arrive than it remembers', () => {
    const s = new FeatureStore()
    for (let i = 0; i < 70; i++) s.apply(txn(T0 + i * 3_600_000, 'cash', 'a', 1_000n, 'cash_deposit'))
    expect(feature(s, 'a', 'cash_in_count_7d', T0 + 70 * 3_600_000)).toBe(64)
    expect(feature(s, 'a', 'cash_in_max_7d', T0 + 70 * 3_600_000)).toBe(1_000)
  })

  it("reads the account's usual cash from the month before the week, and the week's deposits outsized against it", () => {
    const s = new FeatureStore()
    // a deposit a day for 35 days, 1,000 to 2,000 (in minor units ×100), then a week of larger ones
    for (let day = 0; day < 35; day++)
      s.apply(txn(T0 + day * DAY_MS, 'cash', 'a', BigInt(100_000 + (day % 11) * 10_000), 'cash_deposit'))
    s.apply(txn(T0 + 35 * DAY_MS, 'cash', 'a', 450_000n, 'cash_deposit'))
    s.apply(txn(T0 + 36 * DAY_MS, 'cash', 'a', 290_000n, 'cash_deposit')) // below 1.5 × 200,000
    s.apply(txn(T0 + 37 * DAY_MS, 'cash', 'a', 600_000n, 'cash_deposit'))
    s.apply(txn(T0 + 37 * DAY_MS, 'employer', 'a', 900_000n)) // a transfer is not cash
    const now = T0 + 38 * DAY_MS
    // the largest deposit of days 1 to 31 (the week before `now` left out): 200,000
    expect(feature(s, 'a', 'cash_in_usual', now)).toBe(200_000)
    expect(feature(s, 'a', 'cash_in_outsized_count_7d', now)).toBe(2)
    expect(feature(s, 'a', 'cash_in_outsized_sum_7d', now)).toBe(1_050_000)
    // the week's own deposits do not become the usual: a week on, they are what it is judged by
    expect(feature(s, 'a', 'cash_in_usual', T0 + 45 * DAY_MS)).toBe(600_000)
    // an account that never paid cash in: every deposit is outside its history
    expect(feature(s, 'b', 'cash_in_usual', now)).toBe(0)
  })
})

describe('cycle detection', () => {
  it('finds a chain that returns money to its origin, and ignores unrelated amounts', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'a', 'b', 1_000_000n))
    s.apply(txn(T0 + DAY_MS, 'b', 'c', 980_000n))
    s.apply(txn(T0 + 2 * DAY_MS, 'c', 'd', 960_000n))
    const c = s.accounts.get('d')!
    expect(c.closesCycle(s.interner.get('a'), T0 + 3 * DAY_MS, 940_000)).toBe(4)
    // a small payment back is not the same money
    expect(c.closesCycle(s.interner.get('a'), T0 + 3 * DAY_MS, 10_000)).toBe(0)
    // a 2-cycle (paying back a friend) is not reported
    const b = s.accounts.get('b')!
    expect(b.closesCycle(s.interner.get('a'), T0 + 3 * DAY_MS, 990_000)).toBe(0)
    // the closing account held the money 21 days at most, like every account before it (session 44)
    expect(c.closesCycle(s.interner.get('a'), T0 + 23 * DAY_MS, 940_000)).toBe(4)
    expect(c.closesCycle(s.interner.get('a'), T0 + 24 * DAY_MS, 940_000)).toBe(0)
  })

  it('counts a cycle returning within 90 days (30 until session 22), each account holding the money up to 21 days', () => {
    const s = new FeatureStore()
    const ring = ['a', 'b', 'c', 'd', 'e', 'f']
    for (let i = 0; i < 5; i++)
      s.apply(txn(T0 + i * 20 * DAY_MS, ring[i]!, ring[i + 1]!, BigInt(1_000_000 - i * 10_000), 'wire'))
    const f = s.accounts.get('f')!
    expect(f.closesCycle(s.interner.get('a'), T0 + 89 * DAY_MS, 940_000)).toBe(6)
    expect(f.closesCycle(s.interner.get('a'), T0 + 91 * DAY_MS, 940_000)).toBe(0)
  })

  it('closes a ring of 12 accounts, by wire and ACH hops a few days apart (8 until session 44)', () => {
    const s = new FeatureStore()
    const ring = Array.from({ length: 12 }, (_, i) => `r${i}`)
    let amount = 1_000_000
    for (let i = 0; i < 11; i++) {
      s.apply(txn(T0 + i * 4 * DAY_MS, ring[i]!, ring[i + 1]!, BigInt(amount), i % 2 ? 'wire' : 'ach'))
      amount = Math.round(amount * 0.97)
    }
    const last = s.accounts.get('r11')!
    expect(last.closesCycle(s.interner.get('r0'), T0 + 45 * DAY_MS, amount)).toBe(12)
    // the origin travels no further: a 13th account cannot close the ring
    s.apply(txn(T0 + 46 * DAY_MS, 'r11', 'r12', BigInt(amount)))
    expect(s.accounts.get('r12')!.closesCycle(s.interner.get('r0'), T0 + 47 * DAY_MS, amount)).toBe(0)
  })

  it("keeps a ring's sum in flight through a busy member's small inflows and its origin's lunch money (session 45)", () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'a', 'b', 1_000_000n, 'wire'))
    // while b holds the money: fifteen people pay it small sums (each an origin of its own), and the
    // ring's first account pays it back for lunch
    for (let i = 0; i < 15; i++) s.apply(txn(T0 + DAY_MS + i * 3_600_000, `p${i}`, 'b', 5_000n))
    s.apply(txn(T0 + 2 * DAY_MS, 'a', 'b', 2_000n))
    s.apply(txn(T0 + 10 * DAY_MS, 'b', 'c', 980_000n, 'ach'))
    s.apply(txn(T0 + 12 * DAY_MS, 'c', 'd', 960_000n))
    const d = s.accounts.get('d')!
    expect(d.closesCycle(s.interner.get('a'), T0 + 14 * DAY_MS, 940_000)).toBe(4)
    // the small sums still take the slots they can: b's latest small senders are remembered
    const b = s.accounts.get('b')!
    expect(b.closesCycle(s.interner.get('p14'), T0 + 11 * DAY_MS, 5_000)).toBe(0) // depth 1: not a cycle
    s.apply(txn(T0 + 11 * DAY_MS, 'b', 'e', 5_000n))
    s.apply(txn(T0 + 12 * DAY_MS, 'e', 'f', 4_900n))
    expect(s.accounts.get('f')!.closesCycle(s.interner.get('p14'), T0 + 13 * DAY_MS, 4_800)).toBe(4)
  })

  it('lets an origin no longer carried give way before a smaller live one', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'big', 'b', 5_000_000n))
    // 25 days later the big sum has been held too long to be carried: eleven small origins and then
    // a twelfth arrive; the expired big one gives way, not the small ones
    for (let i = 0; i < 12; i++) s.apply(txn(T0 + 25 * DAY_MS + i * 3_600_000, `q${i}`, 'b', 10_000n))
    s.apply(txn(T0 + 26 * DAY_MS, 'b', 'c', 10_000n))
    s.apply(txn(T0 + 27 * DAY_MS, 'c', 'd', 9_800n))
    expect(s.accounts.get('d')!.closesCycle(s.interner.get('q0'), T0 + 28 * DAY_MS, 9_700)).toBe(4)
  })
})

describe('session 15 features: monthly round payments, traced inflows', () => {
  it('does not count a round payment to a payee last paid 20–40 days before (a standing order) as round', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'a', 'landlord', 200_000n)) // a rent of 2,000: new payee, round
    s.apply(txn(T0 + 30 * DAY_MS, 'a', 'landlord', 200_000n)) // a month later: monthly, not round
    s.apply(txn(T0 + 31 * DAY_MS, 'a', 'shop', 300_000n)) // a new payee: round
    s.apply(txn(T0 + 33 * DAY_MS, 'a', 'shop', 300_000n)) // again two days later: round
    expect(feature(s, 'a', 'out_round_count_30d', T0 + 34 * DAY_MS)).toBe(2)
    expect(feature(s, 'landlord', 'in_round_count_30d', T0 + 34 * DAY_MS)).toBe(0)
  })

  it('counts round payments of four weeks, so that one a month counts once (session 41)', () => {
    const s = new FeatureStore()
    s.apply(txn(T0 + 5 * DAY_MS + 18 * 3_600_000, 'a', 'd1', 300_000n)) // day 5, evening
    s.apply(txn(T0 + 20 * DAY_MS, 'a', 'car', 3_100_000n)) // a one-off
    const day35 = T0 + 35 * DAY_MS + 9 * 3_600_000 // a month after day 5, in the morning
    // the 30-day window's day buckets reach back to day 5; four weeks reach day 8
    expect(feature(s, 'a', 'out_round_count_30d', day35)).toBe(2)
    expect(feature(s, 'a', 'round_out_count_4w', day35)).toBe(1)
    // 27 days back is still within the four weeks
    expect(feature(s, 'a', 'round_out_count_4w', T0 + 47 * DAY_MS)).toBe(1)
    expect(feature(s, 'a', 'round_out_count_4w', T0 + 48 * DAY_MS)).toBe(0)
  })

  it('tells a payment to a payee last paid 20–40 days before (monthly_counterparty)', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'a', 'landlord', 200_000n))
    const cp = s.accounts.get('landlord')!.cp
    const other = s.accounts.get('a')!.cp
    expect(feature(s, 'a', 'monthly_counterparty', T0 + 19 * DAY_MS, true, 2_000, cp)).toBe(false)
    expect(feature(s, 'a', 'monthly_counterparty', T0 + 30 * DAY_MS, true, 2_000, cp)).toBe(true)
    expect(feature(s, 'a', 'monthly_counterparty', T0 + 41 * DAY_MS, true, 2_000, cp)).toBe(false)
    // the landlord received from `a`; as a payee it has paid nobody
    expect(feature(s, 'landlord', 'monthly_counterparty', T0 + 30 * DAY_MS, false, 2_000, other)).toBe(true)
    expect(feature(s, 'landlord', 'monthly_counterparty', T0 + 30 * DAY_MS, true, 2_000, other)).toBe(false)
  })

  it('traces where an inflow came from, how many payments it left in, and whether the account saw its like before', () => {
    const s = new FeatureStore()
    const abroad = (t: MonTxn): MonTxn => ({ ...t, srcCountry: 'PL', dstCountry: 'DE' })
    const home = (t: MonTxn): MonTxn => ({ ...t, srcCountry: 'DE', dstCountry: 'DE' })
    // a routine client payment of 30,000 on day 0 and of 20,000 on day 5, then one on day 20 from
    // abroad (the earlier two are older than the 14 days an inflow is traced: the payment after
    // it drains the day-20 inflow, not them)
    s.apply(home(txn(T0, 'k1', 'a', 3_000_000n)))
    s.apply(home(txn(T0 + 5 * DAY_MS, 'k2', 'a', 2_000_000n)))
    s.apply(abroad(txn(T0 + 20 * DAY_MS, 'k3', 'a', 3_000_000n)))
    s.apply(txn(T0 + 20 * DAY_MS + 3_600_000, 'a', 's1', 1_000_000n))
    const now = T0 + 21 * DAY_MS
    expect(feature(s, 'a', 'flow_in_cross_border', now)).toBe(true)
    // the payment being evaluated reaches the traced inflow: it counts
    expect(feature(s, 'a', 'flow_out_payments', now, true, 1_000_000, 7)).toBe(2)
    expect(feature(s, 'a', 'flow_out_payments', now, false)).toBe(1)
    // days 0 and 5 brought an inflow at least half of 30,000
    expect(feature(s, 'a', 'flow_in_prior_days', now)).toBe(2)
    // a first large inflow has no like before it
    const b = new FeatureStore()
    b.apply(home(txn(T0, 'x', 'b', 50_000n)))
    b.apply(home(txn(T0 + 5 * DAY_MS, 'n1', 'b', 3_000_000n)))
    expect(feature(b, 'b', 'flow_in_prior_days', T0 + 6 * DAY_MS)).toBe(0)
    expect(feature(b, 'b', 'flow_in_cross_border', T0 + 6 * DAY_MS)).toBe(false)
  })
})

describe('outsized inflows remembered for flow_in_prior_days', () => {
  it("remembers an employer's weekly client wires though none is outsized against its usual inflow", () => {
    const s = new FeatureStore()
    for (let w = 0; w < 8; w++) s.apply(txn(T0 + w * 7 * DAY_MS, `K${w}`, 'e', 6_000_000n, 'wire'))
    s.apply(txn(T0 + 8 * 7 * DAY_MS, 'K9', 'e', 7_000_000n, 'wire'))
    // the ring keeps the last 8 remembered inflows: wires 1–7 before the ninth (wire 0 dropped out)
    expect(feature(s, 'e', 'flow_in_prior_days', T0 + 57 * DAY_MS)).toBe(7)
  })
})

describe('session 16: how long the store has watched (txn.watched_days)', () => {
  it('counts days of continuous feed: isolated old events and lifetime snapshots are not watching', () => {
    const s = new FeatureStore()
    expect(s.watchedDays(T0)).toBe(0)
    // one account's payment long before the feed (a generator's or an import's stray old event)
    s.apply(txn(T0 - 600 * DAY_MS, 'a', 'b', 1000n))
    s.apply(txn(T0 + 10 * DAY_MS, 'a', 'b', 1000n))
    // a quiet account means nothing on a cold start: the store has watched 5 days, not 615
    expect(s.watchedDays(T0 + 15 * DAY_MS)).toBe(5)
    for (let d = 11; d <= 40; d += 3) s.apply(txn(T0 + d * DAY_MS, 'c', 'd', 1000n))
    expect(s.watchedDays(T0 + 40 * DAY_MS)).toBe(30)
    s.seedActivity({
      kind: 'account',
      id: 'a',
      firstAt: T0 - 200 * DAY_MS,
      lastAt: T0 - 150 * DAY_MS,
      lastInAt: undefined,
      lastOutAt: undefined,
      events: 3,
    })
    expect(s.watchedDays(T0 + 40 * DAY_MS)).toBe(30)
    // a feed that stopped for more than a week starts watching again
    s.apply(txn(T0 + 60 * DAY_MS, 'c', 'd', 1000n))
    expect(s.watchedDays(T0 + 62 * DAY_MS)).toBe(2)
  })
})

describe('session 17: sizeable payments from individuals (person_in_*)', () => {
  it("counts new individuals paying a business many times its usual inflow; its customers' small sums, client companies and a regular payer are not counted", () => {
    const s = new FeatureStore()
    const H = 3_600_000
    // a shop's month: customers pay it ~80 each, a client company wires 30,000 each week
    for (let d = 0; d < 30; d++)
      for (let k = 0; k < 3; k++) s.apply(txn(T0 + d * DAY_MS + k * H, `c${d}_${k}`, 'shop', 8_000n), true)
    for (let w = 0; w < 4; w++) s.apply(txn(T0 + w * 7 * DAY_MS + 5 * H, `K${w}`, 'shop', 3_000_000n, 'wire'))
    // a regular (individual) client who paid a large invoice before the window and pays again in it
    s.apply(txn(T0 + 2 * DAY_MS, 'regular', 'shop', 500_000n), true)
    s.apply(txn(T0 + 31 * DAY_MS, 'regular', 'shop', 500_000n), true)
    let now = T0 + 31 * DAY_MS + H
    expect(feature(s, 'shop', 'person_in_count_7d', now)).toBe(0)
    // three new people pay it thousands each (one of them twice), in cash one more
    s.apply(txn(T0 + 32 * DAY_MS, 'p1', 'shop', 900_000n), true)
    s.apply(txn(T0 + 32 * DAY_MS + H, 'p2', 'shop', 1_200_000n), true)
    s.apply(txn(T0 + 33 * DAY_MS, 'p3', 'shop', 700_000n), true)
    s.apply(txn(T0 + 33 * DAY_MS + H, 'p1', 'shop', 400_000n), true)
    s.apply(txn(T0 + 33 * DAY_MS + 2 * H, 'cash', 'shop', 800_000n, 'cash_deposit'), true)
    now = T0 + 34 * DAY_MS
    expect(feature(s, 'shop', 'person_in_count_7d', now)).toBe(3)
    expect(feature(s, 'shop', 'person_in_sum_7d', now)).toBe(3_200_000)
    expect(feature(s, 'shop', 'person_in_count_30d', now)).toBe(3)
    // a week later they have left the 7-day window but not the 30-day one
    now = T0 + 41 * DAY_MS
    expect(feature(s, 'shop', 'person_in_count_7d', now)).toBe(0)
    expect(feature(s, 'shop', 'person_in_sum_30d', now)).toBe(3_200_000)
    // session 51: the fortnight still holds them a week later, not three weeks later (the month does)
    expect(feature(s, 'shop', 'person_in_count_14d', now)).toBe(3)
    expect(feature(s, 'shop', 'person_in_sum_14d', now)).toBe(3_200_000)
    now = T0 + 50 * DAY_MS
    expect(feature(s, 'shop', 'person_in_count_14d', now)).toBe(0)
    expect(feature(s, 'shop', 'person_in_count_30d', now)).toBe(3)
    // the same payments from client companies (not individuals) are not counted
    const c = new FeatureStore()
    for (let d = 0; d < 30; d++) c.apply(txn(T0 + d * DAY_MS, `c${d}`, 'bureau', 8_000n), true)
    for (const k of ['K1', 'K2', 'K3']) c.apply(txn(T0 + 32 * DAY_MS, k, 'bureau', 900_000n, 'ach'))
    expect(feature(c, 'bureau', 'person_in_count_7d', T0 + 33 * DAY_MS)).toBe(0)
  })
})

describe('session 18: where a traced inflow went (new payees, later inflows)', () => {
  it('counts the payees the traced inflow reached that the account had never paid, and their share of it', () => {
    const s = new FeatureStore()
    const H = 3_600_000
    s.apply(txn(T0, 'a', 'rent', 50_000n)) // a known payee, paid before the inflow
    s.apply(txn(T0 + DAY_MS, 'o', 'a', 1_000_000n)) // the inflow traced: 10,000
    s.apply(txn(T0 + DAY_MS + H, 'a', 'rent', 200_000n)) // a known payee: drains it, not new
    s.apply(txn(T0 + 2 * DAY_MS, 'a', 'r1', 300_000n)) // new payees, days apart
    s.apply(txn(T0 + 5 * DAY_MS, 'a', 'r2', 250_000n))
    s.apply(txn(T0 + 5 * DAY_MS + H, 'a', 'r2', 50_000n)) // r2 again: paid before, not new
    const now = T0 + 6 * DAY_MS
    expect(feature(s, 'a', 'flow_out_new_payments', now, false)).toBe(2)
    expect(feature(s, 'a', 'flow_out_new_share', now, false)).toBeCloseTo(0.55, 6)
    // the payment being evaluated counts when it goes to a new payee and reaches the inflow
    const r1 = s.interner.get('r1')
    expect(feature(s, 'a', 'flow_out_new_payments', now, true, 100_000, r1)).toBe(2)
    expect(feature(s, 'a', 'flow_out_new_share', now, true, 100_000, r1)).toBeCloseTo(0.55, 6)
    const r3 = s.interner.get('r3') // never paid by the account
    expect(feature(s, 'a', 'flow_out_new_payments', now, true, 100_000, r3)).toBe(3)
    expect(feature(s, 'a', 'flow_out_new_share', now, true, 100_000, r3)).toBeCloseTo(0.65, 6)
  })

  it('counts comparable inflows that arrived after the traced one (a wholesaler paid again before paying on)', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'k1', 'w', 4_000_000n)) // 40,000 traced
    s.apply(txn(T0 + DAY_MS, 'c', 'w', 20_000n)) // a small payment after it does not count
    expect(feature(s, 'w', 'flow_in_after', T0 + 2 * DAY_MS)).toBe(0)
    s.apply(txn(T0 + 6 * DAY_MS, 'k2', 'w', 1_500_000n)) // 15,000 ≥ 30 % of 40,000
    expect(feature(s, 'w', 'flow_in_amount', T0 + 7 * DAY_MS)).toBe(4_000_000)
    expect(feature(s, 'w', 'flow_in_after', T0 + 7 * DAY_MS)).toBe(1)
  })

  it('does not count card purchases or cash withdrawals as payees, and remembers whether a stranger sent the inflow', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'employer', 'a', 250_000n))
    s.apply(txn(T0 + 30 * DAY_MS, 'employer', 'a', 250_000n)) // the salary again: a known sender
    s.apply(txn(T0 + 31 * DAY_MS, 'a', 'shop1', 40_000n, 'card'))
    s.apply(txn(T0 + 31 * DAY_MS, 'a', 'atm1', 20_000n, 'cash_withdrawal'))
    const now = T0 + 32 * DAY_MS
    expect(feature(s, 'a', 'flow_in_new_sender', now)).toBe(false)
    expect(feature(s, 'a', 'flow_out_new_payments', now, false)).toBe(0)
    expect(feature(s, 'a', 'flow_out_new_share', now, false)).toBe(0)
    s.apply(txn(T0 + 33 * DAY_MS, 'stranger', 'a', 900_000n, 'wire'))
    expect(feature(s, 'a', 'flow_in_new_sender', T0 + 34 * DAY_MS)).toBe(true)
  })

  it("keeps a busy account's large inflow traced among many small receipts (they are merged, and still absorb outflows first)", () => {
    const s = new FeatureStore()
    const H = 3_600_000
    s.apply(txn(T0, 'E1', 'shop', 4_000_000n, 'wire')) // 40,000
    // five days of twelve receipts of 60-120: sixty inflows, the lot ring holds sixteen
    for (let k = 0; k < 60; k++)
      s.apply(txn(T0 + H + k * 2 * H, `c${k}`, 'shop', BigInt(6_000 + (k % 7) * 1_000)))
    const now = T0 + 5 * DAY_MS
    expect(feature(s, 'shop', 'flow_in_amount', now)).toBe(4_000_000)
    s.apply(txn(now, 'shop', 'Y1', 3_600_000n)) // 36,000: the large inflow is the oldest, drained first
    expect(feature(s, 'shop', 'flow_out_share', now + H)).toBeCloseTo(0.9, 6)
  })
})

describe('session 23: payments from companies (company_in_*)', () => {
  it('counts the distinct companies that paid an account in 7 days and what they paid; people, cash and older payments are not counted', () => {
    const s = new FeatureStore()
    s.apply(txn(T0, 'bureau1', 'worker', 230_000n), false, true)
    s.apply(txn(T0 + DAY_MS, 'bureau2', 'worker', 210_000n), false, true)
    s.apply(txn(T0 + 2 * DAY_MS, 'bureau1', 'worker', 50_000n), false, true)
    s.apply(txn(T0 + 2 * DAY_MS, 'friend', 'worker', 3_500n), true, false)
    s.apply(txn(T0 + 2 * DAY_MS, 'cash', 'worker', 90_000n, 'cash_deposit'), false, false)
    const now = T0 + 3 * DAY_MS
    expect(feature(s, 'worker', 'company_in_count_7d', now, false)).toBe(2)
    expect(feature(s, 'worker', 'company_in_sum_7d', now, false)).toBe(490_000)
    expect(feature(s, 'worker', 'in_distinct_7d', now, false)).toBe(3)
    // a week after the first wage only the later two remain
    expect(feature(s, 'worker', 'company_in_count_7d', T0 + 7.5 * DAY_MS, false)).toBe(2)
    expect(feature(s, 'worker', 'company_in_sum_7d', T0 + 7.5 * DAY_MS, false)).toBe(260_000)
    expect(feature(s, 'worker', 'company_in_count_7d', T0 + 10 * DAY_MS, false)).toBe(0)
  })
})

describe('session 30: payments to payees nobody had seen (unseen_out_*)', () => {
  it('counts payments to payees with no event at all when paid; shops and friends others pay, cash, own accounts and older payments are not counted', () => {
    const s = new FeatureStore()
    // a shop and a friend other customers already deal with
    s.apply(txn(T0, 'neighbour', 'shop', 5_000n, 'card'))
    s.apply(txn(T0, 'neighbour', 'friend', 2_000n))
    // the account's own week: the shop, the friend, cash, then three strangers' accounts
    s.apply(txn(T0 + DAY_MS, 'victim', 'shop', 4_000n, 'card'))
    s.apply(txn(T0 + DAY_MS, 'victim', 'friend', 3_000n))
    s.apply(txn(T0 + DAY_MS, 'victim', 'cash', 20_000n, 'cash_withdrawal'))
    s.apply(txn(T0 + 2 * DAY_MS, 'victim', 'Z1', 90_000n, 'card'))
    s.apply(txn(T0 + 4 * DAY_MS, 'victim', 'Z2', 80_000n))
    s.apply(txn(T0 + 4 * DAY_MS + 60 * MIN, 'victim', 'Z3', 70_000n))
    // paid again, Z1 is no longer a stranger; a second payer of Z2 does not make it unseen for them
    s.apply(txn(T0 + 4 * DAY_MS + 90 * MIN, 'victim', 'Z1', 10_000n))
    s.apply(txn(T0 + 4 * DAY_MS + 90 * MIN, 'other', 'Z2', 10_000n))
    let now = T0 + 4 * DAY_MS + 2 * 60 * MIN
    expect(feature(s, 'victim', 'unseen_out_count_48h', now)).toBe(2)
    expect(feature(s, 'victim', 'unseen_out_sum_48h', now)).toBe(150_000)
    expect(feature(s, 'victim', 'unseen_out_count_7d', now)).toBe(3)
    expect(feature(s, 'victim', 'unseen_out_sum_7d', now)).toBe(240_000)
    expect(feature(s, 'other', 'unseen_out_count_7d', now)).toBe(0)
    expect(feature(s, 'neighbour', 'unseen_out_count_7d', now)).toBe(2)
    // a week and a half later all of it has left both windows
    now = T0 + 12 * DAY_MS
    expect(feature(s, 'victim', 'unseen_out_count_7d', now)).toBe(0)
    expect(feature(s, 'victim', 'unseen_out_sum_48h', now)).toBe(0)
  })
})
