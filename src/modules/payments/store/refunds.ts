/** Refunds (payment_refunds): reserved pending before the gateway call, settled by its answer. */
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import { big, inScope, type Exec, type TenantScope } from './statements.js'

export interface Refund {
  readonly id: string
  readonly paymentId: string
  readonly amount: bigint
  readonly currency: string
  readonly status: 'pending' | 'succeeded' | 'failed'
  readonly reason: string | null
  readonly gateway: string
  readonly gatewayRef: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

interface RefundRow {
  refund_id: string
  payment_id: string
  amount: bigint | string
  currency: string
  status: Refund['status']
  reason: string | null
  gateway: string
  gateway_ref: string | null
  created_at: Date
  updated_at: Date
}

const toRefund = (r: RefundRow): Refund => ({
  id: r.refund_id,
  paymentId: r.payment_id,
  amount: big(r.amount),
  currency: r.currency,
  status: r.status,
  reason: r.reason,
  gateway: r.gateway,
  gatewayRef: r.gateway_ref,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export function refundsStore(db: Db) {
  return {
    async insertRefund(tx: Exec, tenant: string, r: Refund): Promise<void> {
      await sql`INSERT INTO payment_refunds (tenant_id, refund_id, payment_id, amount, currency, status, reason,
          gateway, gateway_ref, created_at, updated_at)
        VALUES (${tenant}, ${r.id}, ${r.paymentId}, ${r.amount.toString()}, ${r.currency}, ${r.status}, ${r.reason},
          ${r.gateway}, ${r.gatewayRef}, ${r.createdAt}, ${r.updatedAt})`.execute(tx)
    },

    async updateRefund(
      tx: Exec,
      tenant: string,
      id: string,
      patch: { status: Refund['status']; gatewayRef: string | null; at: Date },
    ): Promise<void> {
      await sql`UPDATE payment_refunds SET status = ${patch.status}, gateway_ref = ${patch.gatewayRef},
          updated_at = ${patch.at}
        WHERE tenant_id = ${tenant} AND refund_id = ${id}`.execute(tx)
    },

    async getRefund(ex: Exec, tenant: string, id: string): Promise<Refund | undefined> {
      const r = await sql<RefundRow>`SELECT * FROM payment_refunds
        WHERE tenant_id = ${tenant} AND refund_id = ${id}`.execute(ex)
      return r.rows[0] ? toRefund(r.rows[0]) : undefined
    },

    /** Several refunds in one statement, keyed "tenant\0id" (a booking round's). */
    async getRefundsOf(
      ex: Exec,
      refs: readonly { tenantId: string; id: string }[],
    ): Promise<Map<string, Refund>> {
      if (refs.length === 0) return new Map()
      const r = await sql<RefundRow & { tenant_id: string }>`SELECT * FROM payment_refunds
        WHERE (tenant_id, refund_id) IN (SELECT * FROM unnest(${refs.map((x) => x.tenantId)}::text[],
          ${refs.map((x) => x.id)}::text[]))`.execute(ex)
      return new Map(r.rows.map((row) => [`${row.tenant_id}\u0000${row.refund_id}`, toRefund(row)]))
    },

    async refundByRef(ex: Exec, tenant: string, gateway: string, ref: string): Promise<Refund | undefined> {
      const r = await sql<RefundRow>`SELECT * FROM payment_refunds
        WHERE tenant_id = ${tenant} AND gateway = ${gateway} AND gateway_ref = ${ref}`.execute(ex)
      return r.rows[0] ? toRefund(r.rows[0]) : undefined
    },

    /** Refunds whose gateway call never came back (no ref yet), untouched since `olderThan`: the sweeper's. */
    async refundsToSweep(
      olderThan: Date,
      limit: number,
      tenants?: TenantScope,
    ): Promise<{ tenantId: string; refund: Refund }[]> {
      const r = await sql<RefundRow & { tenant_id: string }>`SELECT * FROM payment_refunds
        WHERE status = 'pending' AND gateway_ref IS NULL AND updated_at <= ${olderThan} ${inScope(tenants)}
        ORDER BY updated_at LIMIT ${limit}`.execute(db)
      return r.rows.map((x) => ({ tenantId: x.tenant_id, refund: toRefund(x) }))
    },

    async listRefunds(ex: Exec, tenant: string, paymentId: string): Promise<Refund[]> {
      const r = await sql<RefundRow>`SELECT * FROM payment_refunds
        WHERE tenant_id = ${tenant} AND payment_id = ${paymentId} ORDER BY refund_id`.execute(ex)
      return r.rows.map(toRefund)
    },
  }
}

/** Refunds' answers (status, gateway ref), in one statement. */
export function refundsUpdate(rs: readonly (Refund & { tenantId: string })[]) {
  return sql`UPDATE payment_refunds AS r SET status = x.status, gateway_ref = x.gateway_ref,
      updated_at = x.updated_at::timestamptz
    FROM unnest(${rs.map((x) => x.tenantId)}::text[], ${rs.map((x) => x.id)}::text[],
      ${rs.map((x) => x.status)}::text[], ${rs.map((x) => x.gatewayRef)}::text[],
      ${rs.map((x) => x.updatedAt.toISOString())}::text[]) AS x(tenant_id, refund_id, status, gateway_ref, updated_at)
    WHERE r.tenant_id = x.tenant_id AND r.refund_id = x.refund_id`
}

/** New refunds (pending, reserved), of any payments, in one statement. */
export function refundsInsert(rs: readonly (Refund & { tenantId: string })[]) {
  const col = <T>(f: (r: (typeof rs)[number]) => T) => rs.map(f)
  return sql`INSERT INTO payment_refunds (tenant_id, refund_id, payment_id, amount, currency, status, reason,
      gateway, gateway_ref, created_at, updated_at)
    SELECT x.t, x.id, x.p, x.amount::bigint, x.currency, x.status, x.reason, x.gateway, x.ref,
      x.at::timestamptz, x.at::timestamptz
    FROM unnest(${col((r) => r.tenantId)}::text[], ${col((r) => r.id)}::text[], ${col((r) => r.paymentId)}::text[],
      ${col((r) => r.amount.toString())}::text[], ${col((r) => r.currency)}::text[], ${col((r) => r.status)}::text[],
      ${col((r) => r.reason)}::text[], ${col((r) => r.gateway)}::text[], ${col((r) => r.gatewayRef)}::text[],
      ${col((r) => r.createdAt.toISOString())}::text[])
      AS x(t, id, p, amount, currency, status, reason, gateway, ref, at)`
}
