import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { outboxBacklog } from '../events/index.js'

export interface PaymentDay {
  readonly day: string
  readonly currency: string
  readonly payments: number
  readonly succeeded: number
  readonly failed: number
  /** Sum of captured amounts, minor units. */
  readonly captured: bigint
  readonly refunded: bigint
  readonly disputed: bigint
  readonly refunds: number
  readonly disputes: number
}

const DAY_MS = 86_400_000

/**
 * Payments per day and currency over the last `days`: how many, how many succeeded or failed, what was
 * captured, refunded and disputed. Payment ids are UUIDv7 (creation time first), so the window is a
 * range on the primary key: the scan reads only the window's rows, however many payments are older.
 */
export async function paymentDays(db: Db, tenant: string, now: Date, days: number): Promise<PaymentDay[]> {
  const fromMs = Math.floor(now.getTime() / DAY_MS - days + 1) * DAY_MS
  const fromId = `pay_${fromMs.toString(16).padStart(12, '0')}`
  const rows = (
    await sql<{
      day: Date
      currency: string
      payments: string
      succeeded: string
      failed: string
      captured: string
      refunded: string
      disputed: string
      refunds: string
      disputes: string
    }>`SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AS day, currency, count(*) AS payments,
        count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
        count(*) FILTER (WHERE status = 'failed') AS failed,
        sum(amount_captured)::text AS captured, sum(amount_refunded)::text AS refunded,
        sum(amount_disputed)::text AS disputed,
        count(*) FILTER (WHERE amount_refunded > 0) AS refunds,
        count(*) FILTER (WHERE amount_disputed > 0) AS disputes
      FROM payments WHERE tenant_id = ${tenant} AND payment_id >= ${fromId}
      GROUP BY 1, 2 ORDER BY 1, 2`.execute(db)
  ).rows
  return rows.map((r) => ({
    day: new Date(r.day).toISOString().slice(0, 10),
    currency: r.currency,
    payments: Number(r.payments),
    succeeded: Number(r.succeeded),
    failed: Number(r.failed),
    captured: BigInt(r.captured),
    refunded: BigInt(r.refunded),
    disputed: BigInt(r.disputed),
    refunds: Number(r.refunds),
    disputes: Number(r.disputes),
  }))
}

export interface AgeCount {
  /** cases: monitoring | screening | market; alerts: their source. */
  readonly kind: string
  /** under_1d | 1_7d | 7_30d | over_30d */
  readonly age: string
  readonly count: number
}

/** The age bucket of a timestamp column, measured from `now` (a parameter, not the database clock). */
const ageOf = (column: string, now: Date) => {
  const c = sql.ref(column)
  return sql<string>`CASE WHEN ${c} > ${now}::timestamptz - interval '1 day' THEN 'under_1d'
    WHEN ${c} > ${now}::timestamptz - interval '7 days' THEN '1_7d'
    WHEN ${c} > ${now}::timestamptz - interval '30 days' THEN '7_30d' ELSE 'over_30d' END`
}

/** Open cases by kind and age (the queue's partial index holds only open cases), and unlabelled alerts by source and age. */
export async function openWork(
  db: Db,
  tenant: string,
  now: Date,
): Promise<{ cases: AgeCount[]; alerts: AgeCount[] }> {
  const cases = (
    await sql<{
      kind: string
      age: string
      count: string
    }>`SELECT kind, ${ageOf('opened_at', now)} AS age, count(*) AS count
      FROM cases_cases WHERE tenant_id = ${tenant} AND status <> 'closed' GROUP BY 1, 2`.execute(db)
  ).rows
  const alerts = (
    await sql<{
      kind: string
      age: string
      count: string
    }>`SELECT a.source AS kind, ${ageOf('a.raised_at', now)} AS age,
        count(*) AS count
      FROM cases_alerts a JOIN cases_cases c ON c.tenant_id = a.tenant_id AND c.case_id = a.case_id
      WHERE a.tenant_id = ${tenant} AND c.status <> 'closed' GROUP BY 1, 2`.execute(db)
  ).rows
  const out = (rows: typeof cases) => rows.map((r) => ({ kind: r.kind, age: r.age, count: Number(r.count) }))
  return { cases: out(cases), alerts: out(alerts) }
}

export interface PipelineLag {
  /** Events committed but not yet relayed to the bus. */
  readonly pending: number
  /** Age of the oldest of them, seconds (0 when none wait). */
  readonly oldestPendingSeconds: number
  /** Events that failed to publish and wait for an operator. */
  readonly failed: number
}

/** The tenant's event pipeline: what the relays have not yet published (above their cursors). */
export async function pipelineLag(db: Db, tenant: string, now: Date): Promise<PipelineLag> {
  const backlog = await outboxBacklog(db, tenant)
  const failed = (
    await sql<{ n: string }>`SELECT count(*) AS n FROM event_dead_letters
      WHERE tenant_id = ${tenant} AND retried_at IS NULL`.execute(db)
  ).rows[0]!
  return {
    pending: backlog.pending,
    oldestPendingSeconds: backlog.oldestCreatedAt
      ? Math.max(0, (now.getTime() - backlog.oldestCreatedAt.getTime()) / 1000)
      : 0,
    failed: Number(failed.n),
  }
}
