import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import type { EventBackbone, EventMessage, Subscription } from '../events/index.js'
import {
  createAlertEngine,
  INSTRUMENT_RE,
  MAX_WINDOW_SEC,
  parsePrice,
  parseTime,
  type Alert,
  type AlertEngine,
  type AlertRule,
  type InstrumentState,
  type RuleKind,
  type RuleParams,
  type Tick,
} from './market.js'
import { invalidRule, invalidTick, ruleNotFound } from './market.errors.js'
import { ALERT_TOPIC, TICK_TOPIC, type AlertPayload, type TickPayload } from './market.events.js'

export interface MarketDeps {
  readonly db: Db
  readonly events: EventBackbone
  readonly clock: Clock
  readonly logger?: Logger
  /** How long a worker trusts its cached rules before reloading them. Default 2 s. */
  readonly rulesTtlMs?: number
}

export interface TickInput {
  readonly instrument: string
  readonly price: string
  readonly volume: number
  /** Epoch ms or ISO-8601; default now. */
  readonly ts?: number | string
}

export interface RuleInput {
  readonly instrument: string
  readonly kind: RuleKind
  readonly level?: string
  readonly direction?: 'up' | 'down' | 'any'
  readonly pct?: number
  readonly windowSec?: number
  readonly multiple?: number
  readonly minTicks?: number
}

export interface StoredAlert extends Alert {
  readonly tickId: string
  readonly createdAt: Date
}

export interface Market {
  createRule(tenantId: string, input: RuleInput): Promise<AlertRule>
  listRules(tenantId: string): Promise<readonly AlertRule[]>
  deleteRule(tenantId: string, ruleId: string): Promise<void>
  /** Validates ticks and publishes them on the bus (market.tick.received.v1, keyed by instrument). */
  ingest(tenantId: string, ticks: readonly TickInput[]): Promise<number>
  /** Evaluates ticks in this process (replay of a file): stores and publishes the alerts, returns them. */
  evaluate(tenantId: string, ticks: readonly (Tick & { readonly id: string })[]): Promise<readonly Alert[]>
  listAlerts(
    tenantId: string,
    opts?: { instrument?: string; limit?: number },
  ): Promise<readonly StoredAlert[]>
  /** Rolling state of an instrument, as this process's evaluator sees it. */
  state(tenantId: string, instrument: string): InstrumentState | undefined
  /**
   * Consumes the tick topic (group market-alerts), evaluates the rules and publishes the alerts;
   * a second group (market-alert-store) stores them for /v1/market/alerts.
   */
  startAlertWorker(opts?: { maxInFlight?: number; consumerName?: string }): Promise<Subscription>
  /** Alerts of a tenant as they are published (feeds Server-Sent Events). Returns the unsubscribe. */
  onAlert(tenantId: string, listener: (alert: AlertPayload) => void): Promise<() => void>
  close(): Promise<void>
}

export const ALERT_GROUP = 'market-alerts'
export const ALERT_STORE_GROUP = 'market-alert-store'

const RULE_PREFIX = 'mrl'

export function createMarket(deps: MarketDeps): Market {
  const { db, events } = deps
  const ttl = deps.rulesTtlMs ?? 2000
  const engines = new Map<string, { engine: AlertEngine; loadedAt: number }>()
  const listeners = new Map<string, Set<(a: AlertPayload) => void>>()
  const subs: Subscription[] = []
  let fanout: Promise<Subscription> | undefined
  // Ticks evaluated recently, with the alerts they fired: a redelivered batch must not enter the
  // rolling windows twice, and its alerts are emitted again (idempotently) in case the first emit
  // failed. A redelivery repeats at most a batch or two, so a bounded window of ids is enough; keyed
  // by the event id itself (unique), so remembering a tick allocates nothing new.
  // Eviction order is a ring of ids: asking a Map for its oldest key after many deletions walks the
  // deleted slots every time (that alone cost more CPU than evaluating the rules).
  const RECENT = 20_000
  const evaluated = new Map<string, readonly Alert[]>()
  const ring: (string | undefined)[] = new Array<string | undefined>(RECENT)
  let ringAt = 0
  const NONE: readonly Alert[] = Object.freeze([])
  const remember = (id: string, alerts: readonly Alert[]) => {
    const evict = ring[ringAt]
    if (evict !== undefined) evaluated.delete(evict)
    ring[ringAt] = id
    ringAt = (ringAt + 1) % RECENT
    evaluated.set(id, alerts.length === 0 ? NONE : alerts)
  }

  const loadRules = async (tenantId: string): Promise<AlertRule[]> => {
    const r = await sql<{ rule_id: string; instrument: string; kind: RuleKind; params: RuleParams }>`
      SELECT rule_id, instrument, kind, params FROM market_alert_rules WHERE tenant_id = ${tenantId} ORDER BY rule_id`.execute(
      db,
    )
    return r.rows.map((row) => ({
      ruleId: row.rule_id,
      tenantId,
      instrument: row.instrument,
      kind: row.kind,
      params: row.params,
    }))
  }
  const refreshing = new Set<string>()
  const engineFor = async (tenantId: string): Promise<AlertEngine> => {
    const now = deps.clock.now().getTime()
    const cached = engines.get(tenantId)
    if (cached) {
      // Stale rules are refreshed in the background: the tick path never waits for the database.
      if (now - cached.loadedAt >= ttl && !refreshing.has(tenantId)) {
        refreshing.add(tenantId)
        loadRules(tenantId)
          .then((rules) => {
            cached.engine.setRules(rules)
            cached.loadedAt = deps.clock.now().getTime()
          })
          .catch((err: unknown) => deps.logger?.warn({ err, tenantId }, 'market: reloading rules failed'))
          .finally(() => refreshing.delete(tenantId))
      }
      return cached.engine
    }
    const engine = createAlertEngine(tenantId, await loadRules(tenantId))
    engines.set(tenantId, { engine, loadedAt: now })
    return engine
  }

  const toPayload = (a: Alert, tickId: string): AlertPayload => ({
    alertId: a.alertId,
    ruleId: a.ruleId,
    instrument: a.instrument,
    kind: a.kind,
    price: String(a.price),
    tickTs: a.tickTs,
    tickId,
    message: a.message,
  })

  /** Publishes alerts; the event id derives from the alert id, so a re-evaluated tick deduplicates. */
  const publish = async (alerts: readonly { alert: Alert; tickId: string }[]) => {
    if (alerts.length === 0) return
    await events.bus.publish(
      alerts.map(({ alert, tickId }) => ({
        id: `evt_${alert.alertId.slice(4)}`,
        topic: ALERT_TOPIC,
        key: alert.instrument,
        tenantId: alert.tenantId,
        payload: toPayload(alert, tickId),
      })),
    )
  }
  /** Stores alerts (idempotent on the alert id). */
  const store = async (alerts: readonly { alert: Alert; tickId: string }[]) => {
    if (alerts.length === 0) return
    await sql`
      INSERT INTO market_alerts (tenant_id, alert_id, rule_id, instrument, kind, price, tick_at, tick_id, message)
      SELECT * FROM unnest(${alerts.map((a) => a.alert.tenantId)}::text[], ${alerts.map((a) => a.alert.alertId)}::text[],
        ${alerts.map((a) => a.alert.ruleId)}::text[], ${alerts.map((a) => a.alert.instrument)}::text[],
        ${alerts.map((a) => a.alert.kind)}::text[], ${alerts.map((a) => String(a.alert.price))}::text[],
        ${alerts.map((a) => new Date(a.alert.tickTs).toISOString())}::timestamptz[], ${alerts.map((a) => a.tickId)}::text[],
        ${alerts.map((a) => a.alert.message)}::text[])
      ON CONFLICT DO NOTHING`.execute(db)
  }

  /** `scoped`: ids chosen by a caller (file replays) may repeat across tenants; bus event ids do not. */
  const evaluateTicks = async (
    tenantId: string,
    ticks: readonly (Tick & { id: string })[],
    scoped = false,
  ) => {
    const engine = await engineFor(tenantId)
    const fired: { alert: Alert; tickId: string }[] = []
    for (const t of ticks) {
      const key = scoped ? `${tenantId}\u0000${t.id}` : t.id
      let alerts = evaluated.get(key)
      if (!alerts) {
        alerts = engine.onTick(t, t.id)
        remember(key, alerts)
      }
      for (const alert of alerts) fired.push({ alert, tickId: t.id })
    }
    return fired
  }

  const validateTick = (t: TickInput, i: number, now: number): TickPayload => {
    if (!INSTRUMENT_RE.test(t.instrument))
      throw invalidTick(
        `ticks[${i}].instrument "${t.instrument}" is not a symbol (A-Z, 0-9, . _ : -; up to 32).`,
      )
    if (parsePrice(t.price) === undefined)
      throw invalidTick(`ticks[${i}].price "${t.price}" must be a positive decimal string such as "101.25".`)
    if (!Number.isSafeInteger(t.volume) || t.volume < 0)
      throw invalidTick(`ticks[${i}].volume must be a whole number ≥ 0.`)
    const ts = t.ts === undefined ? now : typeof t.ts === 'number' ? t.ts : parseTime(t.ts)
    if (ts === undefined || !Number.isSafeInteger(ts) || ts < 0)
      throw invalidTick(`ticks[${i}].ts must be epoch milliseconds or an ISO-8601 time.`)
    return { instrument: t.instrument, price: t.price, volume: t.volume, ts }
  }

  const validateRule = (input: RuleInput): RuleParams => {
    if (input.instrument !== '*' && !INSTRUMENT_RE.test(input.instrument))
      throw invalidRule(`instrument "${input.instrument}" is not a symbol or "*".`)
    const windowSec = input.windowSec ?? 60
    if (!Number.isInteger(windowSec) || windowSec < 1 || windowSec > MAX_WINDOW_SEC)
      throw invalidRule(`windowSec must be a whole number from 1 to ${MAX_WINDOW_SEC}.`)
    switch (input.kind) {
      case 'price_cross': {
        const level = input.level === undefined ? undefined : parsePrice(input.level)
        if (level === undefined)
          throw invalidRule('price_cross needs "level", a positive decimal string such as "101.5".')
        return { level, direction: input.direction ?? 'any' }
      }
      case 'pct_move': {
        const pct = input.pct
        if (pct === undefined || !(pct > 0 && pct <= 100))
          throw invalidRule('pct_move needs "pct", a percentage above 0 and at most 100.')
        return { pct, windowSec }
      }
      case 'volume_spike': {
        const multiple = input.multiple
        if (multiple === undefined || !(multiple > 1 && multiple <= 1000))
          throw invalidRule('volume_spike needs "multiple", above 1 and at most 1000.')
        const minTicks = input.minTicks ?? 5
        if (!Number.isInteger(minTicks) || minTicks < 1 || minTicks > 10_000)
          throw invalidRule('minTicks must be a whole number from 1 to 10000.')
        return { multiple, windowSec, minTicks }
      }
    }
  }

  return {
    async createRule(tenantId, input) {
      const params = validateRule(input)
      const ruleId = newId(RULE_PREFIX)
      await sql`INSERT INTO market_alert_rules (tenant_id, rule_id, instrument, kind, params)
                VALUES (${tenantId}, ${ruleId}, ${input.instrument}, ${input.kind}, ${JSON.stringify(params)}::jsonb)`.execute(
        db,
      )
      engines.delete(tenantId)
      return { ruleId, tenantId, instrument: input.instrument, kind: input.kind, params }
    },
    listRules: (tenantId) => loadRules(tenantId),
    async deleteRule(tenantId, ruleId) {
      const r =
        await sql`DELETE FROM market_alert_rules WHERE tenant_id = ${tenantId} AND rule_id = ${ruleId}`.execute(
          db,
        )
      if ((r.numAffectedRows ?? 0n) === 0n) throw ruleNotFound(ruleId)
      engines.delete(tenantId)
    },
    async ingest(tenantId, ticks) {
      const now = deps.clock.now().getTime()
      const payloads = ticks.map((t, i) => validateTick(t, i, now))
      await events.bus.publish(
        payloads.map((p) => ({ topic: TICK_TOPIC, key: p.instrument, tenantId, payload: p })),
      )
      return payloads.length
    },
    async evaluate(tenantId, ticks) {
      const fired = await evaluateTicks(tenantId, ticks, true)
      await publish(fired)
      await store(fired)
      return fired.map((f) => f.alert)
    },
    async listAlerts(tenantId, opts = {}) {
      const r = await sql<{
        alert_id: string
        rule_id: string
        instrument: string
        kind: RuleKind
        price: string
        tick_at: Date | string
        tick_id: string
        message: string
        created_at: Date | string
      }>`
        SELECT alert_id, rule_id, instrument, kind, price, tick_at, tick_id, message, created_at FROM market_alerts
        WHERE tenant_id = ${tenantId} AND (${opts.instrument ?? null}::text IS NULL OR instrument = ${opts.instrument ?? null})
        ORDER BY tick_at DESC, alert_id LIMIT ${Math.min(Math.max(opts.limit ?? 100, 1), 1000)}`.execute(db)
      return r.rows.map((row) => ({
        alertId: row.alert_id,
        ruleId: row.rule_id,
        tenantId,
        instrument: row.instrument,
        kind: row.kind,
        price: Number(row.price),
        tickTs: new Date(row.tick_at).getTime(),
        tickId: row.tick_id,
        message: row.message,
        createdAt: new Date(row.created_at),
      }))
    },
    state: (tenantId, instrument) => engines.get(tenantId)?.engine.state(instrument),
    async startAlertWorker(opts = {}) {
      const sub = await events.bus.subscribe({
        group: ALERT_GROUP,
        topics: [TICK_TOPIC],
        maxInFlight: opts.maxInFlight ?? 1000,
        ...(opts.consumerName ? { consumerName: opts.consumerName } : {}),
        batchHandler: async (msgs: readonly EventMessage[]) => {
          const byTenant = new Map<string, (Tick & { id: string })[]>()
          for (const m of msgs) {
            const p = m.payload as TickPayload
            const list = byTenant.get(m.tenantId) ?? []
            list.push({
              id: m.id,
              instrument: p.instrument,
              price: Number(p.price),
              volume: p.volume,
              ts: p.ts,
            })
            byTenant.set(m.tenantId, list)
          }
          const fired: { alert: Alert; tickId: string }[] = []
          for (const [tenantId, ticks] of byTenant) fired.push(...(await evaluateTicks(tenantId, ticks)))
          await publish(fired)
        },
      })
      subs.push(sub)
      // Alerts are stored by a projection of the alert topic, off the tick path.
      subs.push(
        await events.bus.subscribe({
          group: ALERT_STORE_GROUP,
          topics: [ALERT_TOPIC],
          maxInFlight: 1000,
          // Storing is not on the tick-to-alert path: gather alerts for 50 ms per insert rather
          // than wake for every few, which would take CPU from the evaluator on a small machine.
          lingerMs: 50,
          batchHandler: (msgs) =>
            store(
              msgs.map((m) => {
                const p = m.payload as AlertPayload
                return {
                  tickId: p.tickId,
                  alert: {
                    alertId: p.alertId,
                    ruleId: p.ruleId,
                    tenantId: m.tenantId,
                    instrument: p.instrument,
                    kind: p.kind,
                    price: Number(p.price),
                    tickTs: p.tickTs,
                    message: p.message,
                  },
                }
              }),
            ),
        }),
      )
      return sub
    },
    async onAlert(tenantId, listener) {
      let set = listeners.get(tenantId)
      if (!set) {
        set = new Set()
        listeners.set(tenantId, set)
      }
      set.add(listener)
      fanout ??= events.bus
        .subscribe({
          // One group per process: every API process sees every alert.
          group: `market-sse-${newId('p')}`,
          topics: [ALERT_TOPIC],
          from: 'latest',
          ephemeral: true,
          maxAttempts: 1,
          handler: (m) => {
            for (const l of listeners.get(m.tenantId) ?? []) l(m.payload as AlertPayload)
            return Promise.resolve()
          },
        })
        .then((s) => (subs.push(s), s))
      await fanout
      return () => {
        set.delete(listener)
      }
    },
    async close() {
      for (const s of subs.splice(0)) await s.close().catch(() => undefined)
      fanout = undefined
    },
  }
}
