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

/**
 * Rolling window of one instrument: ticks within the longest window any rule needs, in typed arrays
 * (their memory is outside the JS heap, so the young-generation collector never copies them) grown
 * by doubling and compacted in place. Volume and price×volume are running sums from the first kept
 * tick, rebased at each compaction so they stay window-sized.
 */
class Window {
  ts: Float64Array = new Float64Array(256)
  price: Float64Array = new Float64Array(256)
  private cumVol: Float64Array = new Float64Array(256) // sum of volume over [0, i]
  private cumPv: Float64Array = new Float64Array(256)
  /** First tick inside the window. */
  head = 0
  /** Index of the newest tick; -1 while empty. */
  end = -1
  last = Number.NaN
  /** pct_move rules (by id) that fired and wait for the move to fade before firing again. */
  readonly disarmed = new Set<string>()
  /** The rules that apply to this instrument, cached until the rules change. */
  applicable: readonly AlertRule[] | undefined
  constructor(public windowMs: number) {}

  push(t: Tick): void {
    if (this.end + 1 === this.ts.length) this.makeRoom()
    const k = ++this.end
    this.ts[k] = t.ts
    this.price[k] = t.price
    this.cumVol[k] = (k > 0 ? this.cumVol[k - 1]! : 0) + t.volume
    this.cumPv[k] = (k > 0 ? this.cumPv[k - 1]! : 0) + t.price * t.volume
    this.last = t.price
    const cutoff = t.ts - this.windowMs
    while (this.head < k && this.ts[this.head]! < cutoff) this.head++
  }

  /** Moves the kept ticks to index 0 (in place, or into arrays twice as large when more than half full). */
  private makeRoom(): void {
    const from = this.head
    const n = this.end + 1 - from
    const baseVol = from > 0 ? this.cumVol[from - 1]! : 0
    const basePv = from > 0 ? this.cumPv[from - 1]! : 0
    const capacity = n > this.ts.length / 2 ? this.ts.length * 2 : this.ts.length
    const move = (a: Float64Array): Float64Array => {
      if (capacity === a.length) return a.copyWithin(0, from, from + n)
      const b = new Float64Array(capacity)
      b.set(a.subarray(from, from + n))
      return b
    }
    this.ts = move(this.ts)
    this.price = move(this.price)
    this.cumVol = move(this.cumVol)
    this.cumPv = move(this.cumPv)
    for (let i = 0; i < n; i++) {
      this.cumVol[i]! -= baseVol
      this.cumPv[i]! -= basePv
    }
    this.head = 0
    this.end = n - 1
  }

  /** Index of the first tick at or after `from` (within the kept range). */
  firstAtOrAfter(from: number): number {
    let lo = this.head
    let hi = this.end
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
    return this.end + 1 - this.head
  }
}

/** Evaluates alert rules as ticks arrive. One engine per tenant; ticks of one instrument in time order. */
export interface AlertEngine {
  onTick(tick: Tick, tickId: string): readonly Alert[]
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

/** The alert message when `rule` fires on `tick` (already pushed to `w`), else undefined. */
function evaluate(rule: AlertRule, w: Window, tick: Tick, previous: number): string | undefined {
  const p = rule.params
  switch (rule.kind) {
    case 'price_cross': {
      if (!('level' in p) || Number.isNaN(previous)) return undefined
      const up = previous < p.level && tick.price >= p.level
      const down = previous > p.level && tick.price <= p.level
      if ((up && p.direction !== 'down') || (down && p.direction !== 'up'))
        return `${tick.instrument} crossed ${fmt(p.level)} ${up ? 'upwards' : 'downwards'} at ${fmt(tick.price)}`
      return undefined
    }
    case 'pct_move': {
      if (!('pct' in p)) return undefined
      const i = w.firstAtOrAfter(tick.ts - p.windowSec * 1000)
      const ref = w.price[i]!
      const move = ref === 0 ? 0 : ((tick.price - ref) / ref) * 100
      // Hysteresis: fire once, re-arm when the move has faded to half the threshold.
      const isArmed = !w.disarmed.has(rule.ruleId)
      if (Math.abs(move) >= p.pct) {
        if (!isArmed) return undefined
        w.disarmed.add(rule.ruleId)
        return `${tick.instrument} moved ${move >= 0 ? '+' : ''}${move.toFixed(2)}% within ${p.windowSec}s (from ${fmt(ref)} to ${fmt(tick.price)})`
      }
      if (!isArmed && Math.abs(move) < p.pct / 2) w.disarmed.delete(rule.ruleId)
      return undefined
    }
    case 'volume_spike': {
      if (!('multiple' in p)) return undefined
      const end = w.end
      const i = w.firstAtOrAfter(tick.ts - p.windowSec * 1000)
      const n = end - i // ticks before this one within the window
      if (n < (p.minTicks ?? 5)) return undefined
      const mean = w.volume(i, end - 1) / n
      if (mean > 0 && tick.volume >= p.multiple * mean)
        return `${tick.instrument} volume ${tick.volume} is ${(tick.volume / mean).toFixed(1)}x the ${p.windowSec}s mean`
      return undefined
    }
  }
}

const NO_ALERTS: readonly Alert[] = Object.freeze([])

function alertOf(rule: AlertRule, tick: Tick, tickId: string, message: string): Alert {
  return {
    alertId: alertIdOf(rule.ruleId, tickId),
    ruleId: rule.ruleId,
    tenantId: rule.tenantId,
    instrument: tick.instrument,
    kind: rule.kind,
    price: tick.price,
    tickTs: tick.ts,
    message,
  }
}

/**
 * The tick path allocates nothing unless a rule fires: at 15,000 ticks a second every object made
 * per tick (a spread array, a closure, a key string) fed the young-generation collector, whose pauses
 * were the tail of tick-to-alert latency.
 */
export function createAlertEngine(tenantId: string, initial: readonly AlertRule[] = []): AlertEngine {
  const windows = new Map<string, Window>()
  let byInstrument = new Map<string, AlertRule[]>()
  let wildcard: AlertRule[] = []
  let maxWindowMs = DEFAULT_WINDOW_SEC * 1000

  const setRules = (next: readonly AlertRule[]) => {
    byInstrument = new Map()
    wildcard = []
    for (const r of next) {
      const rule = r.tenantId === tenantId ? r : { ...r, tenantId }
      if (rule.instrument === '*') wildcard.push(rule)
      else byInstrument.set(rule.instrument, [...(byInstrument.get(rule.instrument) ?? []), rule])
    }
    maxWindowMs = Math.max(DEFAULT_WINDOW_SEC, ...next.map(windowSecOf)) * 1000
    for (const w of windows.values()) {
      w.windowMs = maxWindowMs
      w.applicable = undefined
    }
  }
  setRules(initial)

  /** Rules for an instrument: its own, then the wildcard ones (cached on its window until rules change). */
  const applicableTo = (w: Window, instrument: string): readonly AlertRule[] =>
    (w.applicable ??= [...(byInstrument.get(instrument) ?? []), ...wildcard])

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
      const applicable = applicableTo(w, tick.instrument)
      let alerts: Alert[] | undefined
      for (let r = 0; r < applicable.length; r++) {
        const rule = applicable[r]!
        const message = evaluate(rule, w, tick, previous)
        if (message !== undefined) (alerts ??= []).push(alertOf(rule, tick, tickId, message))
      }
      return alerts ?? NO_ALERTS
    },
    state(instrument) {
      const w = windows.get(instrument)
      if (!w || w.size === 0) return undefined
      const i = w.head
      const end = w.end
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
