/** A payment's own history of events (payment_transitions, migration 0505): the timeline's state changes. */
import { sql } from 'kysely'
import { asJson, type Exec } from './statements.js'

/** One payment event as the payment's own history keeps it (the timeline's state changes). */
export interface TransitionRow {
  readonly tenantId: string
  readonly paymentId: string
  readonly topic: string
  /** The event's facts a person reads: status, amounts, refund / dispute ids, decline code. */
  readonly details: Readonly<Record<string, string>>
  readonly at: Date
}

/** The fields of a payment event's payload kept in its transition row (no customer or references). */
export const TRANSITION_FIELDS = [
  'status',
  'amount',
  'amountCaptured',
  'amountRefunded',
  'refundId',
  'disputeId',
  'declineCode',
] as const

export function transitionOf(
  tenantId: string,
  paymentId: string,
  topic: string,
  payload: Record<string, unknown>,
  at: Date,
): TransitionRow {
  const details: Record<string, string> = {}
  for (const k of TRANSITION_FIELDS) {
    const v = payload[k]
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') details[k] = v.toString()
  }
  return { tenantId, paymentId, topic, details, at }
}

export const transitionsStore = {
  /** The payment events of a transition, kept with the payment (migration 0505): one statement for a batch. */
  async insertTransitions(tx: Exec, rows: readonly TransitionRow[]): Promise<void> {
    if (rows.length === 0) return
    await transitionsInsert(rows).execute(tx)
  },
}

/** Payment events kept with their payments (payment_transitions), in one statement. */
export function transitionsInsert(rows: readonly TransitionRow[]) {
  const json = rows.map((r) => ({ t: r.tenantId, p: r.paymentId, topic: r.topic, d: r.details, at: r.at }))
  return sql`INSERT INTO payment_transitions (tenant_id, payment_id, topic, details, at)
    SELECT x.t, x.p, x.topic, x.d, x.at
    FROM json_to_recordset(${asJson(json)}::json) AS x(t text, p text, topic text, d jsonb, at timestamptz)`
}
