import { describe, expect, it } from 'vitest'
import { DAY_MS, generateTransactions, type MonTxn, type Party } from '../monitoring/index.js'
import { FEATURE_COUNT, FEATURE_NAMES } from './features.js'
import { FAR } from './graph.js'
import { replay, replayInSlices } from './replay.js'
import { caseLabels } from './case-labels.fixture.js'

const col = (name: string): number => FEATURE_NAMES.indexOf(name)

describe('replay: the model sees the monitoring features as they were before each transaction', () => {
  const data = generateTransactions({ customers: 300, days: 30, seed: 5 })
  const labels = caseLabels(data.cases, 2)

  it('replays in slices to the same rows and alerts, letting the event loop turn in between', async () => {
    const opts = { parties: data.parties, highRisk: data.highRiskCountries }
    const whole = replay(data.txns, labels, opts)
    let turns = 0
    const tick = setInterval(() => turns++, 1)
    const sliced = await replayInSlices(data.txns, labels, opts).finally(() => clearInterval(tick))
    expect(sliced.rows.rows).toBe(whole.rows.rows)
    // bit for bit (a deep toEqual walks 13 MB of features one element at a time)
    const bytes = (x: Float64Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)
    expect(bytes(sliced.rows.x).equals(bytes(whole.rows.x))).toBe(true)
    expect([...sliced.rows.y]).toEqual([...whole.rows.y])
    expect(sliced.subjects).toEqual(whole.subjects)
    expect(sliced.alerts).toEqual(whole.alerts)
    // a timer fired while it ran: the replay of ~8,600 transactions took many 4 ms slices
    expect(turns).toBeGreaterThan(0)
  })

  it('writes two rows per account-to-account transaction, with no look-ahead', () => {
    const r = replay(data.txns, labels, { parties: data.parties, highRisk: data.highRiskCountries })
    const nonCash =
      data.txns.filter((t) => t.src !== 'cash').length + data.txns.filter((t) => t.dst !== 'cash').length
    expect(r.rows.rows).toBe(nonCash)
    expect(r.rows.x.length).toBe(r.rows.rows * FEATURE_COUNT)
    // the first row naming an account sees no history of it
    const seen = new Set<string>()
    const hc = col('self.history_count')
    for (let i = 0; i < r.rows.rows; i++) {
      const s = r.subjects[i]!
      if (!seen.has(s)) {
        seen.add(s)
        expect(r.rows.x[i * FEATURE_COUNT + hc]).toBe(0)
      }
    }
    expect(r.rows.y.reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
  })

  it('a label naming its transactions makes exactly those (transaction, account) rows positive, with its index', () => {
    const named = data.cases.map((c) => ({ ...caseLabels([c], 2)[0]!, txnIds: c.txnIds }))
    const r = replay(data.txns, named, { parties: data.parties, highRisk: data.highRiskCountries })
    let positives = 0
    for (let i = 0; i < r.rows.rows; i++) {
      const k = named.findIndex((l) => l.txnIds.includes(r.txnIds[i]!) && l.accounts.includes(r.subjects[i]!))
      expect(r.rows.y[i]).toBe(k >= 0 ? 1 : 0)
      expect(r.rows.group![i]).toBe(
        named.findLastIndex((l) => l.txnIds.includes(r.txnIds[i]!) && l.accounts.includes(r.subjects[i]!)),
      )
      if (k >= 0) positives++
    }
    expect(positives).toBeGreaterThan(0)
  })

  it('an account becomes known-bad only once its case is confirmed', () => {
    const c = data.cases[0]!
    const member = c.members[0]!
    const d = col('graph.self_bad_distance')
    const r = replay(data.txns, labels, { parties: data.parties, highRisk: data.highRiskCountries })
    for (let i = 0; i < r.rows.rows; i++) {
      if (r.subjects[i] !== member) continue
      const at = r.rows.at[i]!
      const dist = r.rows.x[i * FEATURE_COUNT + d]!
      if (at < Math.min(...labels.filter((l) => l.accounts.includes(member)).map((l) => l.knownAt)))
        expect(dist).toBeGreaterThan(0)
      else expect(dist).toBe(0)
    }
    expect(FAR).toBeGreaterThan(0)
  })

  it('rows are a pure function of the history (same rows twice)', () => {
    const txns: MonTxn[] = data.txns.slice(0, 2000)
    const a = replay(txns, labels, { parties: data.parties })
    const b = replay([...txns].reverse(), labels, { parties: data.parties })
    expect(
      Buffer.from(a.rows.x.buffer, 0, a.rows.x.byteLength).equals(
        Buffer.from(b.rows.x.buffer, 0, b.rows.x.byteLength),
      ),
    ).toBe(true)
  })

  it('measures "young" by the account’s life (first seen or opened, whichever is earlier), not by when the history starts', () => {
    // two accounts first seen at the same moment, each paid by three people within a day: one
    // opened ten years ago (the history simply starts late), one opened five days ago (a mule)
    const now = Date.UTC(2026, 2, 1)
    const party = (id: string, days: number): Party => ({
      id,
      segment: 'individual',
      country: 'US',
      risk: 'low',
      openedAt: now - days * DAY_MS,
    })
    const parties = [
      party('old', 3650),
      party('new', 5),
      party('s1', 900),
      party('s2', 900),
      party('s3', 900),
    ]
    const txns: MonTxn[] = ['old', 'new'].flatMap((to) =>
      ['s1', 's2', 's3'].map((from, i) => ({
        id: `${to}-${from}`,
        at: now + i * 3_600_000,
        amount: 50_000n,
        currency: 'USD',
        kind: 'transfer' as const,
        src: from,
        dst: to,
      })),
    )
    const r = replay(txns, [], { parties })
    const last = (subject: string, name: string): number => {
      let v = Number.NaN
      for (let i = 0; i < r.rows.rows; i++)
        if (r.subjects[i] === subject && r.rows.at[i] === now + 2 * 3_600_000)
          v = r.rows.x[i * FEATURE_COUNT + col(name)]!
      return v
    }
    // observed age: both look brand new (three senders in the first week: 3 per week)
    expect(last('old', 'ratio.senders_per_week_of_age')).toBe(3)
    expect(last('new', 'ratio.senders_per_week_of_age')).toBe(3)
    // life: only the account opened five days ago does
    expect(last('new', 'ratio.senders_per_week_of_life')).toBe(3)
    expect(last('old', 'ratio.senders_per_week_of_life')).toBeCloseTo((3 * 7) / 3650, 6)
  })
})
