import { describe, expect, it } from 'vitest'
import { CASH, DAY_MS, type MonTxn, type Party } from '../monitoring/index.js'
import { FEATURE_COUNT, FEATURE_NAMES } from './features.js'
import { RELATIVE_FEATURE_NAMES } from './features-relative.js'
import { replay } from './replay.js'

/**
 * Session 23's scale-free features (features-relative.ts) on small hand-built histories: the
 * values the model reads at each row, point in time (each row before its transaction is folded in,
 * this transaction counted where the feature says so, nothing later).
 */

const T0 = Date.UTC(2026, 2, 2, 10)
const H = 3_600_000
const party = (id: string, segment: Party['segment'] = 'individual'): Party => ({
  id,
  segment,
  country: 'US',
  risk: 'low',
  openedAt: T0 - 900 * DAY_MS,
})
let seq = 0
const tx = (at: number, src: string, dst: string, amount: bigint, over: Partial<MonTxn> = {}): MonTxn => ({
  id: `f${seq++}`,
  at,
  amount,
  currency: 'USD',
  kind: 'transfer',
  src,
  dst,
  ...over,
})
const deposit = (at: number, dst: string, amount: bigint, currency = 'USD'): MonTxn =>
  tx(at, CASH, dst, amount, { kind: 'cash_deposit', currency })

/** The values of `name` at `subject`'s rows, in time order. */
function values(txns: MonTxn[], parties: Party[], subject: string, name: string): number[] {
  const c = FEATURE_NAMES.indexOf(name)
  expect(c).toBeGreaterThanOrEqual(0)
  const r = replay(txns, [], { parties })
  const out: number[] = []
  for (let i = 0; i < r.rows.rows; i++)
    if (r.subjects[i] === subject) out.push(r.rows.x[i * FEATURE_COUNT + c]!)
  return out
}

describe('scale-free features (session 23)', () => {
  it('are appended after every earlier feature, so stored models keep their indices', () => {
    const first = FEATURE_NAMES.indexOf(RELATIVE_FEATURE_NAMES[0]!)
    expect(FEATURE_NAMES.slice(first, first + RELATIVE_FEATURE_NAMES.length)).toEqual(RELATIVE_FEATURE_NAMES)
    expect(FEATURE_NAMES.indexOf('self.flow_in_new_sender')).toBe(first - 1)
    // session 65's come last
    expect(FEATURE_NAMES.slice(first + RELATIVE_FEATURE_NAMES.length)).toEqual([
      'self.unseen_out_count_48h',
      'self.unseen_out_count_7d',
      'ratio.unseen_out_share_7d',
    ])
    expect(FEATURE_COUNT).toBe(first + RELATIVE_FEATURE_NAMES.length + 3)
  })

  it('payees nobody had seen (session 65): counted over two and seven days, and as a share of the week', () => {
    // B pays the landlord first; then A pays four strangers' accounts within hours, then the landlord.
    const txns = [
      tx(T0, 'B', 'LANDLORD', 90_000n),
      ...[1, 2, 3, 4].map((i) => tx(T0 + i * H, 'A', `STRANGER${i}`, 40_000n)),
      tx(T0 + 5 * H, 'A', 'LANDLORD', 90_000n),
      tx(T0 + 3 * DAY_MS, 'A', 'LANDLORD', 90_000n),
    ]
    const parties = [party('A'), party('B')]
    // each row reads the account before its own payment: the strangers so far, not the landlord
    expect(values(txns, parties, 'A', 'self.unseen_out_count_48h')).toEqual([0, 1, 2, 3, 4, 0])
    expect(values(txns, parties, 'A', 'self.unseen_out_count_7d')).toEqual([0, 1, 2, 3, 4, 4])
    expect(values(txns, parties, 'A', 'ratio.unseen_out_share_7d')).toEqual([0, 1, 1, 1, 1, 0.8])
  })

  it('structuring: the week’s cash against the currency’s reporting threshold, this deposit included', () => {
    const days = [0, 1, 2]
    const usd = values(
      days.map((d, i) => deposit(T0 + d * DAY_MS, 'D', [900_000n, 950_000n, 800_000n][i]!)),
      [party('D')],
      'D',
      'rel.cash_7d_vs_threshold',
    )
    expect(usd).toEqual([0.9, 1.85, 2.65])
    // the same deposits in GBP (threshold 8,500): more of the threshold
    const gbp = values(
      days.map((d, i) => deposit(T0 + d * DAY_MS, 'D', [900_000n, 950_000n, 800_000n][i]!, 'GBP')),
      [party('D')],
      'D',
      'rel.cash_7d_vs_threshold',
    )
    expect(gbp[2]).toBeCloseTo(2_650_000 / 850_000, 10)
    const mean = values(
      days.map((d, i) => deposit(T0 + d * DAY_MS, 'D', [900_000n, 950_000n, 800_000n][i]!)),
      [party('D')],
      'D',
      'rel.cash_mean_30d_vs_threshold',
    )
    expect(mean[2]).toBeCloseTo(2.65 / 3, 10)
  })

  it('structuring: the week’s deposits against the account’s own weekly rate (a shop’s daily takings read 1)', () => {
    // a shop: one deposit a day for 30 days; a person: three deposits in a week, none before
    const shop = Array.from({ length: 31 }, (_, d) => deposit(T0 + d * DAY_MS, 'S', 300_000n))
    const s = values(shop, [party('S', 'merchant')], 'S', 'rel.cash_count_7d_vs_usual')
    // day 30: 6 deposits in the 7 days before plus this one; 23 in the 23 days before that (7 a week)
    expect(s[30]).toBeCloseTo((6 + 1 + 1) / ((23 * 7) / 23 + 1), 10)
    const person = [0, 1, 2].map((d) => deposit(T0 + 40 * DAY_MS + d * DAY_MS, 'P', 300_000n))
    expect(values(person, [party('P')], 'P', 'rel.cash_count_7d_vs_usual')).toEqual([2, 3, 4])
  })

  it('round amounts: the month’s share of round payments out, and that share against the account’s 90 days', () => {
    // 90 days of ordinary payments (one every 10 days), then three round ones a day apart
    const txns: MonTxn[] = []
    for (let d = 0; d < 90; d += 10) txns.push(tx(T0 + d * DAY_MS, 'P', `M${d}`, 12_345n))
    for (let i = 0; i < 3; i++) txns.push(tx(T0 + (91 + i) * DAY_MS, 'P', 'R1', 300_000n))
    const share = values(txns, [party('P')], 'P', 'rel.round_out_share_30d')
    const vs90 = values(txns, [party('P')], 'P', 'rel.round_out_share_30d_vs_90d')
    // the third round payment (day 93): the 30 days before it hold 2 ordinary (days 70, 80) and 2
    // round payments, + this one
    expect(share[11]).toBeCloseTo(3 / 5, 10)
    // the 90 days before it (day 3 onwards): 8 ordinary, 2 round
    expect(vs90[11]).toBeCloseTo(3 / 5 - 2 / 10, 10)
    // the first round payment has no round one before it: 1 of 3 in the month
    expect(share[9]).toBeCloseTo(1 / 3, 10)
    expect(vs90[9]).toBeCloseTo(1 / 3, 10)
  })

  it('turnover over 48 hours: out against in, at any scale', () => {
    const run = (k: bigint): number[] =>
      values(
        [tx(T0, 'E', 'P', 100_000n * k), tx(T0 + 20 * H, 'P', 'Y', 90_000n * k)],
        [party('P')],
        'P',
        'rel.out_vs_in_48h',
      )
    // the inflow's row: nothing out yet; the payment's row: 90 % of the inflow gone
    expect(run(1n)).toEqual([0, 0.9])
    expect(run(1000n)).toEqual(run(1n))
  })

  it('sizeable payments from individuals new to the account, as a share of the month’s inflow', () => {
    const parties = [party('B', 'business'), party('I1'), party('I2')]
    const txns = [
      tx(T0, 'I1', 'B', 200_000n),
      tx(T0 + H, 'I2', 'B', 200_000n),
      tx(T0 + 2 * H, 'EXT', 'B', 600_000n),
      tx(T0 + 3 * H, 'EXT2', 'B', 100_000n),
    ]
    const v = values(txns, parties, 'B', 'rel.person_in_share_30d')
    expect(v[3]).toBeCloseTo(400_000 / 1_100_000, 10)
    expect(v[0]).toBe(0) // before the first payment arrives, nothing was paid
  })

  it('pass-through episodes reach the model as monitoring computes them, with no look-ahead', () => {
    const txns = [
      tx(T0, 'EXT', 'P', 1_000_000n, { kind: 'wire', srcCountry: 'PL', dstCountry: 'US' }),
      tx(T0 + 2 * H, 'P', 'Y1', 400_000n, { srcCountry: 'US', dstCountry: 'CY' }),
      tx(T0 + 5 * H, 'P', 'Y2', 500_000n),
    ]
    const parties = [party('P')]
    expect(values(txns, parties, 'P', 'self.rel_pass_out_share')).toEqual([0, 0.4, 0.9])
    expect(values(txns, parties, 'P', 'self.rel_pass_hours')).toEqual([-1, 2, 5])
    expect(values(txns, parties, 'P', 'self.rel_pass_abroad_share')).toEqual([0, 0, 0.4])
    expect(values(txns, parties, 'P', 'self.rel_pass_in_cross_border')).toEqual([0, 1, 1])
    // the first payment's row is the same without the later one (nothing it could not know)
    expect(values(txns.slice(0, 2), parties, 'P', 'self.rel_pass_out_share')).toEqual([0, 0.4])
  })
})
