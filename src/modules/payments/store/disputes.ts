/** Disputes (payment_disputes), found by the gateway's reference and written as its events arrive. */
import { sql } from 'kysely'
import { big, type Exec } from './statements.js'

export interface Dispute {
  readonly id: string
  readonly paymentId: string
  readonly gateway: string
  readonly gatewayRef: string
  readonly amount: bigint
  readonly currency: string
  readonly status: 'opened' | 'won' | 'lost'
}

export const disputesStore = {
  async disputeByRef(ex: Exec, tenant: string, gateway: string, ref: string): Promise<Dispute | undefined> {
    const r = await sql<{
      dispute_id: string
      payment_id: string
      gateway: string
      gateway_ref: string
      amount: bigint | string
      currency: string
      status: Dispute['status']
    }>`SELECT dispute_id, payment_id, gateway, gateway_ref, amount, currency, status FROM payment_disputes
      WHERE tenant_id = ${tenant} AND gateway = ${gateway} AND gateway_ref = ${ref}`.execute(ex)
    const row = r.rows[0]
    if (!row) return undefined
    return {
      id: row.dispute_id,
      paymentId: row.payment_id,
      gateway: row.gateway,
      gatewayRef: row.gateway_ref,
      amount: big(row.amount),
      currency: row.currency,
      status: row.status,
    }
  },

  async upsertDispute(tx: Exec, tenant: string, d: Dispute, at: Date): Promise<void> {
    await sql`INSERT INTO payment_disputes (tenant_id, dispute_id, payment_id, gateway, gateway_ref, amount,
        currency, status, created_at, updated_at)
      VALUES (${tenant}, ${d.id}, ${d.paymentId}, ${d.gateway}, ${d.gatewayRef}, ${d.amount.toString()},
        ${d.currency}, ${d.status}, ${at}, ${at})
      ON CONFLICT (tenant_id, dispute_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`.execute(
      tx,
    )
  },
}
