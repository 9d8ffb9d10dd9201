/** Payouts of a gateway balance to the bank (payment_payouts). */
import { sql } from 'kysely'
import { big, inScope, type Exec, type TenantScope } from './statements.js'

export interface Payout {
  readonly id: string
  readonly gateway: string
  readonly amount: bigint
  readonly currency: string
  readonly status: string
  readonly gatewayRef: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

interface PayoutRow {
  payout_id: string
  gateway: string
  amount: bigint | string
  currency: string
  status: string
  gateway_ref: string | null
  created_at: Date
  updated_at: Date
}

const toPayout = (r: PayoutRow): Payout => ({
  id: r.payout_id,
  gateway: r.gateway,
  amount: big(r.amount),
  currency: r.currency,
  status: r.status,
  gatewayRef: r.gateway_ref,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export const payoutsStore = {
  async insertPayout(tx: Exec, tenant: string, p: Payout): Promise<void> {
    await sql`INSERT INTO payment_payouts (tenant_id, payout_id, gateway, amount, currency, status, gateway_ref,
        created_at, updated_at)
      VALUES (${tenant}, ${p.id}, ${p.gateway}, ${p.amount.toString()}, ${p.currency}, ${p.status},
        ${p.gatewayRef}, ${p.createdAt}, ${p.updatedAt})`.execute(tx)
  },

  async updatePayout(
    tx: Exec,
    tenant: string,
    id: string,
    status: string,
    ref: string | null,
    at: Date,
  ): Promise<void> {
    await sql`UPDATE payment_payouts SET status = ${status}, gateway_ref = ${ref}, updated_at = ${at}
      WHERE tenant_id = ${tenant} AND payout_id = ${id}`.execute(tx)
  },

  async getPayout(ex: Exec, tenant: string, id: string): Promise<Payout | undefined> {
    const r = await sql<PayoutRow>`SELECT * FROM payment_payouts
      WHERE tenant_id = ${tenant} AND payout_id = ${id}`.execute(ex)
    return r.rows[0] ? toPayout(r.rows[0]) : undefined
  },

  /** The payout, locked: its answer is booked by one attempt only (a retry, the sweeper). */
  async lockPayout(tx: Exec, tenant: string, id: string): Promise<Payout | undefined> {
    const r = await sql<PayoutRow>`SELECT * FROM payment_payouts
      WHERE tenant_id = ${tenant} AND payout_id = ${id} FOR UPDATE`.execute(tx)
    return r.rows[0] ? toPayout(r.rows[0]) : undefined
  },

  /** Payouts of every tenant whose gateway call has not been answered for a while: the sweeper's list. */
  async payoutsToSweep(
    ex: Exec,
    olderThan: Date,
    limit: number,
    tenants?: TenantScope,
  ): Promise<{ tenantId: string; payout: Payout }[]> {
    const r = await sql<PayoutRow & { tenant_id: string }>`SELECT * FROM payment_payouts
      WHERE status = 'pending' AND updated_at <= ${olderThan} ${inScope(tenants)}
      ORDER BY updated_at LIMIT ${limit}`.execute(ex)
    return r.rows.map((x) => ({ tenantId: x.tenant_id, payout: toPayout(x) }))
  },

  /** Serialises payouts of one tenant, gateway and currency (the balance check must not race). */
  async lockPayouts(tx: Exec, tenant: string, gateway: string, currency: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`payout:${tenant}:${gateway}:${currency}`}))`.execute(
      tx,
    )
  },
}
