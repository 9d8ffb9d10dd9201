import { describe, expect, it } from 'vitest'
import { alertIdOf, createAlertEngine, parseTickLine, type AlertRule, type Tick } from './market.js'

const T0 = Date.parse('2026-01-05T14:30:00Z')
const tick = (s: number, price: number, volume = 100, instrument = 'AAPL'): Tick => ({
  instrument,
  price,
  volume,
  ts: T0 + s * 1000,
})
const rule = (ruleId: string, r: Omit<AlertRule, 'ruleId' | 'tenantId'>): AlertRule => ({
  ruleId,
  tenantId: 'ten_1',
  ...r,
})
const run = (rules: AlertRule[], ticks: Tick[]) => {
  const e = createAlertEngine('ten_1', rules)
  return ticks.flatMap((t, i) => e.onTick(t, `t${i}`))
}

describe('alert engine', () => {
  it('price_cross fires on each crossing, in the configured direction only', () => {
    const prices = [99, 100.5, 101.2, 100.9, 102, 99]
    const ticks = prices.map((p, i) => tick(i, p))
    const any = run(
      [rule('mrl_a', { instrument: 'AAPL', kind: 'price_cross', params: { level: 101, direction: 'any' } })],
      ticks,
    )
    expect(any.map((a) => a.tickTs)).toEqual([T0 + 2000, T0 + 3000, T0 + 4000, T0 + 5000])
    expect(any[0]!.message).toBe('AAPL crossed 101 upwards at 101.2')
    const up = run(
      [rule('mrl_u', { instrument: 'AAPL', kind: 'price_cross', params: { level: 101, direction: 'up' } })],
      ticks,
    )
    expect(up.map((a) => a.price)).toEqual([101.2, 102])
    const down = run(
      [rule('mrl_d', { instrument: '*', kind: 'price_cross', params: { level: 101, direction: 'down' } })],
      ticks,
    )
    expect(down.map((a) => a.price)).toEqual([100.9, 99])
    expect(
      run(
        [
          rule('mrl_x', {
            instrument: 'MSFT',
            kind: 'price_cross',
            params: { level: 101, direction: 'any' },
          }),
        ],
        ticks,
      ),
    ).toEqual([])
  })

  it('pct_move compares with the oldest price inside its window, fires once, re-arms when the move fades', () => {
    const r = rule('mrl_p', { instrument: 'AAPL', kind: 'pct_move', params: { pct: 2, windowSec: 10 } })
    // +2% within 10 s fires once (not again at +2.5%), fades, then a new -2% move fires again.
    const alerts = run(
      [r],
      [tick(0, 100), tick(5, 102), tick(6, 102.5), tick(30, 100.4), tick(31, 100.4), tick(35, 98.3)],
    )
    expect(alerts.map((a) => a.tickTs - T0)).toEqual([5000, 35000])
    expect(alerts[1]!.message).toContain('-2.09%')
    // Slow drift: 3% over 30 s never exceeds 2% within any 10 s window.
    expect(
      run(
        [r],
        [0, 10, 20, 30].map((s, i) => tick(s, 100 + i)),
      ),
    ).toEqual([])
  })

  it('volume_spike compares with the mean tick volume of its window, after enough ticks', () => {
    const r = rule('mrl_v', {
      instrument: 'AAPL',
      kind: 'volume_spike',
      params: { multiple: 3, windowSec: 60, minTicks: 3 },
    })
    expect(run([r], [tick(0, 1, 100), tick(1, 1, 1000)])).toEqual([]) // not enough history
    const alerts = run(
      [r],
      [tick(0, 1, 100), tick(1, 1, 100), tick(2, 1, 100), tick(3, 1, 299), tick(4, 1, 500)],
    )
    expect(alerts.map((a) => a.tickTs - T0)).toEqual([4000])
    expect(alerts[0]!.message).toMatch(/volume 500 is 3\.\dx the 60s mean/)
  })

  it('keeps rolling state: last, VWAP, volume and move over the window', () => {
    const e = createAlertEngine('ten_1', [])
    e.onTick(tick(0, 100, 10), 'a')
    e.onTick(tick(30, 110, 30), 'b')
    let s = e.state('AAPL')!
    expect(s.last).toBe(110)
    expect(s.vwap).toBeCloseTo((100 * 10 + 110 * 30) / 40, 10)
    expect(s.volume).toBe(40)
    expect(s.movePct).toBeCloseTo(10, 10)
    e.onTick(tick(95, 120, 10), 'c') // the default 60 s window drops the first two ticks
    s = e.state('AAPL')!
    expect(s.ticks).toBe(1)
    expect(s.vwap).toBe(120)
    expect(e.state('MSFT')).toBeUndefined()
  })

  it('over 50,000 ticks (the window compacting and growing many times) state and volume spikes match a recount', () => {
    const spike = rule('mrl_v', {
      instrument: 'AAPL',
      kind: 'volume_spike',
      params: { multiple: 4, windowSec: 10, minTicks: 5 },
    })
    const e = createAlertEngine('ten_1', [spike])
    const kept: Tick[] = []
    let seed = 7
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    let ms = 0
    for (let n = 0; n < 50_000; n++) {
      // Bursts and pauses: the 60 s state window holds from a handful to thousands of ticks.
      ms += n % 5000 < 4000 ? Math.floor(rand() * 10) : Math.floor(rand() * 200)
      const t: Tick = {
        instrument: 'AAPL',
        price: 100 + rand() * 10,
        volume: 1 + Math.floor(rand() * 100),
        ts: T0 + ms,
      }
      if (n % 997 === 0) (t as { volume: number }).volume = 10_000
      const before = kept.filter((k) => k.ts >= t.ts - 10_000)
      const fired = e.onTick(t, `t${n}`)
      const mean = before.reduce((a, k) => a + k.volume, 0) / before.length
      expect(fired.length, `tick ${n}`).toBe(before.length >= 5 && t.volume >= 4 * mean ? 1 : 0)
      kept.push(t)
      while (kept[0]!.ts < t.ts - 60_000) kept.shift()
      if (n % 1000 === 999) {
        const s = e.state('AAPL')!
        const vol = kept.reduce((a, k) => a + k.volume, 0)
        expect(s.ticks).toBe(kept.length)
        expect(s.volume).toBe(vol)
        expect(s.vwap).toBeCloseTo(kept.reduce((a, k) => a + k.price * k.volume, 0) / vol, 6)
      }
    }
  })

  it('derives the same alert id from the same rule and tick', () => {
    expect(alertIdOf('mrl_1', 't1')).toBe(alertIdOf('mrl_1', 't1'))
    expect(alertIdOf('mrl_1', 't1')).not.toBe(alertIdOf('mrl_1', 't2'))
    expect(alertIdOf('mrl_1', 't1')).toMatch(/^alr_[0-9a-f]{32}$/)
  })
})

describe('tick CSV lines', () => {
  it('parses ISO and epoch times, skips the header, and says what is wrong', () => {
    expect(parseTickLine('ts,instrument,price,volume', 1)).toBeUndefined()
    expect(parseTickLine('', 2)).toBeUndefined()
    expect(parseTickLine('2026-01-05T14:30:00Z,AAPL,101.25,10', 3)).toEqual({
      ts: T0,
      instrument: 'AAPL',
      price: 101.25,
      volume: 10,
      line: 3,
    })
    expect(parseTickLine(`${T0},BRK.B,1,0`, 4)).toMatchObject({ ts: T0, instrument: 'BRK.B' })
    expect(parseTickLine('yesterday,AAPL,1,1', 5)).toEqual({
      error: expect.stringContaining('line 5') as string,
    })
    expect(parseTickLine('2026-01-05T14:30:00Z,aapl,1,1', 6)).toEqual({
      error: expect.stringContaining('instrument symbol') as string,
    })
    expect(parseTickLine('2026-01-05T14:30:00Z,AAPL,-1,1', 7)).toEqual({
      error: expect.stringContaining('positive decimal') as string,
    })
    expect(parseTickLine('2026-01-05T14:30:00Z,AAPL,1,1.5', 8)).toEqual({
      error: expect.stringContaining('whole volume') as string,
    })
    expect(parseTickLine('2026-01-05T14:30:00Z,AAPL,1', 9)).toEqual({
      error: expect.stringContaining('4 columns') as string,
    })
  })
})
