import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition } from '../events/index.js'

export const TICK_TOPIC = 'market.tick.received.v1'
export const ALERT_TOPIC = 'market.alert.triggered.v1'

const Decimal = Type.String({ pattern: '^[0-9]{1,12}(\\.[0-9]{1,10})?$' })
const Instrument = Type.String({ pattern: '^[A-Z0-9][A-Z0-9._:-]{0,31}$' })

export interface TickPayload {
  instrument: string
  price: string
  volume: number
  ts: number
}

export interface AlertPayload {
  alertId: string
  ruleId: string
  instrument: string
  kind: 'price_cross' | 'pct_move' | 'volume_spike'
  price: string
  tickTs: number
  tickId: string
  message: string
}

export const marketEvents: readonly EventDefinition[] = [
  defineEvent(
    TICK_TOPIC,
    'A market data tick (price, volume, event time in epoch ms), keyed by instrument.',
    Type.Object(
      {
        instrument: Instrument,
        price: Decimal,
        volume: Type.Integer({ minimum: 0 }),
        ts: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    ALERT_TOPIC,
    'An alert rule fired on a tick. The event id is derived from the alert id, so a re-evaluated tick deduplicates.',
    Type.Object(
      {
        alertId: Type.String({ pattern: '^alr_[0-9a-f]+$' }),
        ruleId: Type.String({ pattern: '^mrl_[0-9a-f]+$' }),
        instrument: Instrument,
        kind: Type.Union([
          Type.Literal('price_cross'),
          Type.Literal('pct_move'),
          Type.Literal('volume_spike'),
        ]),
        price: Type.String(),
        tickTs: Type.Integer({ minimum: 0 }),
        tickId: Type.String(),
        message: Type.String(),
      },
      { additionalProperties: false },
    ),
  ),
]
