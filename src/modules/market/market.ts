/**
 * Market data: ticks, per-instrument rolling state and alert rules, as pure functions over event time
 * (the tick's own timestamp), so replaying a file gives the same alerts as the live stream did.
 * Prices are market data, not money held: they are decimal strings on the wire and JS numbers here.
 */
import { createHash } from 'node:crypto'

export interface Tick {
  readonly instrument: string
  readonly price: number
  readonly volume: number
  /** Event time, epoch ms. */
  readonly ts: number
}

export type RuleKind = 'price_cross' | 'pct_move' | 'volume_spike'

export interface AlertRule {
  readonly ruleId: string
  readonly tenantId: string
  /** An instrument symbol, or "*" for every instrument. */
  readonly instrument: string
  readonly kind: RuleKind
  /** price_cross: level and direction; pct_move: pct within windowSec; volume_spike: multiple of the window's mean tick volume. */
  readonly params: RuleParams
}

export type RuleParams =
  | { readonly level: number; readonly direction: 'up' | 'down' | 'any' }
  | { readonly pct: number; readonly windowSec: number }
  | { readonly multiple: number; readonly windowSec: number; readonly minTicks?: number }

export interface Alert {
  readonly alertId: string
  readonly ruleId: string
  readonly tenantId: string
  readonly instrument: string
  readonly kind: RuleKind
  readonly price: number
  readonly tickTs: number
  readonly message: string
}

export interface InstrumentState {
  readonly instrument: string
  readonly last: number
  readonly vwap: number
  /** Volume traded within the state window. */
  readonly volume: number
  /** % move from the oldest price in the state window to the last. */
  readonly movePct: number
  readonly ticks: number
  readonly windowSec: number
  readonly ts: number
}

export const DEFAULT_WINDOW_SEC = 60
export const MAX_WINDOW_SEC = 3600

/** Rolling window of one instrument: ticks within the longest window any rule needs. */
class Window {
  ts: number[] = []
  price: number[] = []
  cumVol: number[] = [] // cumulative volume up to and including i
  cumPv: number[] = []
  head = 0
  last = Number.NaN
  constructor(public windowMs: number) {}

  push(t: Tick): void {
    const prevVol = this.cumVol.length > 0 ? this.cumVol[this.cumVol.length - 1]! : 0
    const prevPv = this.cumPv.length > 0 ? this.cumPv[this.cumPv.length - 1]! : 0
    this.ts.push(t.ts)
    this.price.push(t.price)
    this.cumVol.push(prevVol + t.volume)
    this.cumPv.push(prevPv + t.price * t.volume)
    this.last = t.price
    const cutoff = t.ts - this.windowMs
    while (this.head < this.ts.length - 1 && this.ts[this.head]! < cutoff) this.head++
    if (this.head > 4096 && this.head > this.ts.length / 2) this.compact()
  }

  private compact(): void {
    const h = this.head
    this.ts = this.ts.slice(h)
    this.price = this.price.slice(h)
    this.cumVol = this.cumVol.slice(h)
    this.cumPv = this.cumPv.slice(h)
    this.head = 0
  }

  /** Index of the first tick at or after `from` (within the kept range). */
  firstAtOrAfter(from: number): number {
    let lo = this.head
    let hi = this.ts.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.ts[mid]! < from) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Sum of volume over [i, j]. */
  volume(i: number, j: number): number {
    return this.cumVol[j]! - (i > 0 ? this.cumVol[i - 1]! : 0)
  }

  pv(i: number, j: number): number {
    return this.cumPv[j]! - (i > 0 ? this.cumPv[i - 1]! : 0)
  }

  get size(): number {
    return this.ts.length - this.head
  }
}

/** Evaluates alert rules as ticks arrive. One engine per tenant; ticks of one instrument in time order. */
export interface AlertEngine {
  onTick(tick: Tick, tickId: string): Alert[]
  state(instrument: string): InstrumentState | undefined
  /** Replaces the rules; rolling state is kept. */
  setRules(rules: readonly AlertRule[]): void
}

export function windowSecOf(rule: AlertRule): number {
  return 'windowSec' in rule.params ? rule.params.windowSec : DEFAULT_WINDOW_SEC
}

const fmt = (n: number) =>
  Number.isInteger(n)
    ? String(n)
    : n
        .toFixed(Math.min(8, Math.max(2, 8 - Math.floor(Math.log10(Math.abs(n) + 1)))))
        .replace(/0+$/, '')
        .replace(/\.$/, '')

/** Deterministic: the same rule on the same tick gives the same alert id (replays deduplicate). */
export function alertIdOf(ruleId: string, tickId: string): string {
  return `alr_${createHash('sha256').update(`${ruleId}\u0000${tickId}`).digest('hex').slice(0, 32)}`
}

export function createAlertEngine(tenantId: string, initial: readonly AlertRule[] = []): AlertEngine {
  const windows = new Map<string, Window>()
  let rules: readonly AlertRule[] = []
  let byInstrument = new Map<string, AlertRule[]>()
  let wildcard: AlertRule[] = []
  let maxWindowMs = DEFAULT_WINDOW_SEC * 1000
  const armed = new Map<string, boolean>() // pct_move hysteresis per rule+instrument

  const setRules = (next: readonly AlertRule[]) => {
    rules = next
    byInstrument = new Map()
    wildcard = []
    for (const r of rules) {
      if (r.instrument === '*') wildcard.push(r)
      else byInstrument.set(r.instrument, [...(byInstrument.get(r.instrument) ?? []), r])
    }
    maxWindowMs = Math.max(DEFAULT_WINDOW_SEC, ...rules.map(windowSecOf)) * 1000
    for (const w of windows.values()) w.windowMs = maxWindowMs
  }
  setRules(initial)

  return {
    setRules,
    onTick(tick, tickId) {
      let w = windows.get(tick.instrument)
      if (!w) {
        w = new Window(maxWindowMs)
        windows.set(tick.instrument, w)
      }
      const previous = w.last
      w.push(tick)
      const applicable = [...(byInstrument.get(tick.instrument) ?? []), ...wildcard]
      if (applicable.length === 0) return []
      const end = w.ts.length - 1
      const alerts: Alert[] = []
      const fire = (rule: AlertRule, message: string) =>
        alerts.push({
          alertId: alertIdOf(rule.ruleId, tickId),
          ruleId: rule.ruleId,
          tenantId,
          instrument: tick.instrument,
          kind: rule.kind,
          price: tick.price,
          tickTs: tick.ts,
          message,
        })
      for (const rule of applicable) {
        const p = rule.params
        switch (rule.kind) {
          case 'price_cross': {
            if (!('level' in p) || Number.isNaN(previous)) break
            const up = previous < p.level && tick.price >= p.level
            const down = previous > p.level && tick.price <= p.level
            if ((up && p.direction !== 'down') || (down && p.direction !== 'up')) {
              fire(
                rule,
                `${tick.instrument} crossed ${fmt(p.level)} ${up ? 'upwards' : 'downwards'} at ${fmt(tick.price)}`,
              )
            }
            break
          }
          case 'pct_move': {
            if (!('pct' in p)) break
            const i = w.firstAtOrAfter(tick.ts - p.windowSec * 1000)
            const ref = w.price[i]!
            const move = ref === 0 ? 0 : ((tick.price - ref) / ref) * 100
            const key = `${rule.ruleId}\u0000${tick.instrument}`
            const isArmed = armed.get(key) ?? true
            if (Math.abs(move) >= p.pct) {
              if (isArmed) {
                armed.set(key, false)
                fire(
                  rule,
                  `${tick.instrument} moved ${move >= 0 ? '+' : ''}${move.toFixed(2)}% within ${p.windowSec}s (from ${fmt(ref)} to ${fmt(tick.price)})`,
                )
              }
            } else if (!isArmed && Math.abs(move) < p.pct / 2) {
              armed.set(key, true) // re-arm once the move has faded to half the threshold
            }
            break
          }
          case 'volume_spike': {
            if (!('multiple' in p)) break
            const i = w.firstAtOrAfter(tick.ts - p.windowSec * 1000)
            const n = end - i // ticks before this one within the window
            if (n < (p.minTicks ?? 5)) break
            const mean = w.volume(i, end - 1) / n
            if (mean > 0 && tick.volume >= p.multiple * mean) {
              fire(
                rule,
                `${tick.instrument} volume ${tick.volume} is ${(tick.volume / mean).toFixed(1)}x the ${p.windowSec}s mean`,
              )
            }
            break
          }
        }
      }
      return alerts
    },
    state(instrument) {
      const w = windows.get(instrument)
      if (!w || w.size === 0) return undefined
      const i = w.head
      const end = w.ts.length - 1
      const vol = w.volume(i, end)
      const first = w.price[i]!
      return {
        instrument,
        last: w.last,
        vwap: vol > 0 ? w.pv(i, end) / vol : w.last,
        volume: vol,
        movePct: first === 0 ? 0 : ((w.last - first) / first) * 100,
        ticks: w.size,
        windowSec: w.windowMs / 1000,
        ts: w.ts[end]!,
      }
    },
  }
}

/** Parses a decimal price ("101.25"); undefined when it is not a finite positive number. */
export function parsePrice(s: string): number | undefined {
  if (!/^[0-9]{1,12}(\.[0-9]{1,10})?$/.test(s)) return undefined
  const n = Number(s)
  return Number.isFinite(n) && n > 0 ? n : undefined
}

/** Parses a tick time: epoch milliseconds or an ISO-8601 timestamp. */
export function parseTime(s: string): number | undefined {
  if (/^[0-9]{10,16}$/.test(s)) return Number(s)
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return undefined
  const t = Date.parse(s)
  return Number.isNaN(t) ? undefined : t
}

export const INSTRUMENT_RE = /^[A-Z0-9][A-Z0-9._:-]{0,31}$/

export interface CsvTick extends Tick {
  readonly line: number
}

/** Parses one CSV line `ts,instrument,price,volume` (header and blank lines give undefined). */
export function parseTickLine(line: string, lineNo: number): CsvTick | undefined | { error: string } {
  const trimmed = line.trim()
  if (trimmed === '' || trimmed.startsWith('#') || /^ts\s*,/i.test(trimmed)) return undefined
  const cols = trimmed.split(',').map((c) => c.trim())
  if (cols.length !== 4)
    return { error: `line ${lineNo}: expected 4 columns ts,instrument,price,volume, got ${cols.length}` }
  const [tsRaw, instrument, priceRaw, volRaw] = cols as [string, string, string, string]
  const ts = parseTime(tsRaw)
  if (ts === undefined)
    return { error: `line ${lineNo}: "${tsRaw}" is not epoch milliseconds or an ISO-8601 time` }
  if (!INSTRUMENT_RE.test(instrument))
    return { error: `line ${lineNo}: "${instrument}" is not an instrument symbol (A-Z, 0-9, . _ : -)` }
  const price = parsePrice(priceRaw)
  if (price === undefined) return { error: `line ${lineNo}: "${priceRaw}" is not a positive decimal price` }
  if (!/^[0-9]{1,15}$/.test(volRaw)) return { error: `line ${lineNo}: "${volRaw}" is not a whole volume` }
  return { ts, instrument, price, volume: Number(volRaw), line: lineNo }
}
