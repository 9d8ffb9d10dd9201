import { Type, type Static } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import type { AlertRule, StoredAlert } from '../../modules/market/index.js'
import { AppError } from '../../shared/errors.js'
import { tenantOf, type ApiApp } from '../server.js'
import { LimitQuery, parseLimit } from '../query-limit.js'
import { ErrorResponse } from '../error-schema.js'

const Instrument = Type.String({
  pattern: '^[A-Z0-9][A-Z0-9._:-]{0,31}$',
  description: 'Symbol, e.g. "AAPL"',
})
const Price = Type.String({
  pattern: '^[0-9]{1,12}(\\.[0-9]{1,10})?$',
  description: 'Decimal price, e.g. "101.25"',
})

const TickBody = Type.Object(
  {
    ticks: Type.Array(
      Type.Object(
        {
          instrument: Instrument,
          price: Price,
          volume: Type.Integer({ minimum: 0, maximum: 1e15 }),
          ts: Type.Optional(
            Type.Union([
              // Its own bound (the last ms of year 9999): the edge caps unbounded integers at 32 bits.
              Type.Integer({ minimum: 0, maximum: 253_402_300_799_999, description: 'epoch ms' }),
              Type.String({ format: 'date-time' }),
            ]),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  { additionalProperties: false },
)

const RuleBody = Type.Object(
  {
    instrument: Type.Union([Instrument, Type.Literal('*')]),
    kind: Type.Union([Type.Literal('price_cross'), Type.Literal('pct_move'), Type.Literal('volume_spike')]),
    level: Type.Optional(Price),
    direction: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('any')])),
    pct: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
    windowSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    multiple: Type.Optional(Type.Number({ exclusiveMinimum: 1, maximum: 1000 })),
    minTicks: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
)
const RuleSchema = Type.Object({
  id: Type.String(),
  instrument: Type.String(),
  kind: Type.String(),
  params: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
})
const AlertSchema = Type.Object({
  id: Type.String(),
  ruleId: Type.String(),
  instrument: Type.String(),
  kind: Type.String(),
  price: Type.String(),
  tickAt: Type.String({ format: 'date-time' }),
  tickId: Type.String(),
  message: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
})

const ruleJson = (r: AlertRule): Static<typeof RuleSchema> => ({
  id: r.ruleId,
  instrument: r.instrument,
  kind: r.kind,
  params: { ...(r.params as Record<string, number | string>) },
})
const alertJson = (a: StoredAlert): Static<typeof AlertSchema> => ({
  id: a.alertId,
  ruleId: a.ruleId,
  instrument: a.instrument,
  kind: a.kind,
  price: String(a.price),
  tickAt: new Date(a.tickTs).toISOString(),
  tickId: a.tickId,
  message: a.message,
  createdAt: a.createdAt.toISOString(),
})

export function registerMarketRoutes(app: ApiApp, services: AppServices): void {
  const { market } = services

  app.post(
    '/v1/market/ticks',
    {
      schema: {
        tags: ['market'],
        summary: 'Ingest a batch of ticks (up to 10,000); they are published on market.tick.received.v1',
        body: TickBody,
        response: { 202: Type.Object({ accepted: Type.Integer() }), 400: ErrorResponse },
      },
    },
    async (req, reply) => {
      const accepted = await market.ingest(tenantOf(req), req.body.ticks)
      return reply.status(202).send({ accepted })
    },
  )

  app.post(
    '/v1/market/rules',
    {
      schema: {
        tags: ['market'],
        summary:
          'Create an alert rule: price_cross (level, direction), pct_move (pct, windowSec), volume_spike (multiple, windowSec)',
        body: RuleBody,
        response: { 201: RuleSchema, 400: ErrorResponse },
      },
    },
    async (req, reply) => {
      const b = req.body
      const rule = await market.createRule(tenantOf(req), {
        instrument: b.instrument,
        kind: b.kind,
        ...(b.level !== undefined ? { level: b.level } : {}),
        ...(b.direction !== undefined ? { direction: b.direction } : {}),
        ...(b.pct !== undefined ? { pct: b.pct } : {}),
        ...(b.windowSec !== undefined ? { windowSec: b.windowSec } : {}),
        ...(b.multiple !== undefined ? { multiple: b.multiple } : {}),
        ...(b.minTicks !== undefined ? { minTicks: b.minTicks } : {}),
      })
      return reply.status(201).send(ruleJson(rule))
    },
  )

  app.get(
    '/v1/market/rules',
    {
      schema: {
        tags: ['market'],
        summary: 'List alert rules',
        response: { 200: Type.Object({ rules: Type.Array(RuleSchema) }) },
      },
    },
    async (req) => ({ rules: (await market.listRules(tenantOf(req))).map(ruleJson) }),
  )

  app.delete(
    '/v1/market/rules/:ruleId',
    {
      schema: {
        tags: ['market'],
        summary: 'Delete an alert rule',
        params: Type.Object({ ruleId: Type.String({ pattern: '^mrl_[0-9a-f]{32}$' }) }),
        response: { 204: Type.Null(), 404: ErrorResponse },
      },
    },
    async (req, reply) => {
      await market.deleteRule(tenantOf(req), req.params.ruleId)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/v1/market/instruments/:instrument',
    {
      schema: {
        tags: ['market'],
        summary:
          "Rolling state of an instrument (last price, VWAP, window volume, % move), as this process's alert worker sees it",
        params: Type.Object({ instrument: Instrument }),
        response: {
          200: Type.Object({
            instrument: Type.String(),
            last: Type.String(),
            vwap: Type.String(),
            volume: Type.Integer(),
            movePct: Type.Number(),
            ticks: Type.Integer(),
            windowSec: Type.Integer(),
            at: Type.String({ format: 'date-time' }),
          }),
          404: ErrorResponse,
        },
      },
    },
    (req) => {
      const s = market.state(tenantOf(req), req.params.instrument)
      if (!s) {
        throw new AppError(
          'MARKET_INSTRUMENT_NOT_FOUND',
          'not_found',
          `No ticks for ${req.params.instrument} in this process's window (state lives with the alert worker: moneta start).`,
        )
      }
      return {
        instrument: s.instrument,
        last: String(s.last),
        vwap: s.vwap.toFixed(6).replace(/0+$/, '').replace(/\.$/, ''),
        volume: s.volume,
        movePct: Number(s.movePct.toFixed(4)),
        ticks: s.ticks,
        windowSec: s.windowSec,
        at: new Date(s.ts).toISOString(),
      }
    },
  )

  app.get(
    '/v1/market/alerts',
    {
      schema: {
        tags: ['market'],
        summary: 'Alerts, newest tick first',
        querystring: Type.Object(
          {
            instrument: Type.Optional(Instrument),
            limit: Type.Optional(LimitQuery(1000)),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ alerts: Type.Array(AlertSchema) }), 400: ErrorResponse },
      },
    },
    async (req) => {
      const alerts = await market.listAlerts(tenantOf(req), {
        ...(req.query.instrument ? { instrument: req.query.instrument } : {}),
        ...(req.query.limit !== undefined ? { limit: parseLimit(req.query.limit, 1000)! } : {}),
      })
      return { alerts: alerts.map(alertJson) }
    },
  )

  app.get(
    '/v1/market/alerts/stream',
    {
      schema: {
        tags: ['market'],
        summary:
          'Server-Sent Events: one "alert" event per alert as it fires (data = market.alert.triggered.v1 payload)',
        produces: ['text/event-stream'],
      },
    },
    async (req, reply) => {
      const tenantId = tenantOf(req)
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      const unsubscribe = await market.onAlert(tenantId, (alert) => {
        res.write(`id: ${alert.alertId}\nevent: alert\ndata: ${JSON.stringify(alert)}\n\n`)
      })
      res.write(': connected\n\n') // after subscribing: whatever fires from now on is pushed
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
      heartbeat.unref()
      req.raw.on('close', () => {
        clearInterval(heartbeat)
        unsubscribe()
      })
    },
  )
}
