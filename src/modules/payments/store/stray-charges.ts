/**
 * Stray charges (payment_stray_charges, migration 0506): money a gateway took for one of our payments
 * that the payment is not booked at — a late request at a gateway the payment has since left. Each is
 * recorded by the webhook that tells of it and reversed at that gateway by the sweeper (ADR 0506).
 */
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import { big, inScope, type Exec, type TenantScope } from './statements.js'

/** pending: the sweeper is reversing it; reversed: undone; failed: an operator must undo it by hand. */
export const STRAY_CHARGE_STATUSES = ['pending', 'reversed', 'failed'] as const
export type StrayChargeStatus = (typeof STRAY_CHARGE_STATUSES)[number]

/** How a stray charge was undone: its authorisation voided, its capture refunded, or nothing was left held. */
export type StrayReversal = 'canceled' | 'refunded' | 'none'

export interface StrayCharge {
  readonly id: string
  readonly paymentId: string
  readonly gateway: string
  readonly gatewayRef: string
  readonly amount: bigint
  readonly currency: string
  readonly status: StrayChargeStatus
  readonly reversal: StrayReversal | null
  readonly reversalRef: string | null
  /** The fee the gateway kept on a refunded charge, booked as an expense; null when not refunded. */
  readonly reversalFee: bigint | null
  readonly attempts: number
  readonly lastError: string | null
  /** Who marked a failed reversal as done by hand at the gateway, and their note; null otherwise. */
  readonly resolvedBy: string | null
  readonly note: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

interface StrayRow {
  tenant_id: string
  stray_id: string
  payment_id: string
  gateway: string
  gateway_ref: string
  amount: bigint | string
  currency: string
  status: StrayChargeStatus
  reversal: StrayReversal | null
  reversal_ref: string | null
  reversal_fee: bigint | string | null
  attempts: number
  last_error: string | null
  resolved_by: string | null
  note: string | null
  created_at: Date
  updated_at: Date
}

const toStray = (r: StrayRow): StrayCharge => ({
  id: r.stray_id,
  paymentId: r.payment_id,
  gateway: r.gateway,
  gatewayRef: r.gateway_ref,
  amount: big(r.amount),
  currency: r.currency,
  status: r.status,
  reversal: r.reversal,
  reversalRef: r.reversal_ref,
  reversalFee: r.reversal_fee === null ? null : big(r.reversal_fee),
  attempts: r.attempts,
  lastError: r.last_error,
  resolvedBy: r.resolved_by,
  note: r.note,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/** What one reversal attempt left: settled (reversed or failed for good), or still pending with a count. */
export interface StrayOutcome {
  readonly status: StrayChargeStatus
  readonly reversal?: StrayReversal
  readonly reversalRef?: string
  /** With a refund: the fee the gateway kept. */
  readonly fee?: bigint
  readonly error?: string
  readonly at: Date
}

export function strayChargesStore(db: Db) {
  return {
    /**
     * Records a stray charge once per (gateway, ref): a second webhook about the same charge (its
     * capture after its authorisation, a redelivery) finds it recorded. True when this call recorded it.
     */
    async insertStrayCharge(tx: Exec, tenant: string, s: StrayCharge): Promise<boolean> {
      const r = await sql<{ stray_id: string }>`INSERT INTO payment_stray_charges (tenant_id, stray_id,
          payment_id, gateway, gateway_ref, amount, currency, status, attempts, attempt_after, created_at,
          updated_at)
        VALUES (${tenant}, ${s.id}, ${s.paymentId}, ${s.gateway}, ${s.gatewayRef}, ${s.amount.toString()},
          ${s.currency}, 'pending', 0, ${s.createdAt}, ${s.createdAt}, ${s.updatedAt})
        ON CONFLICT (tenant_id, gateway, gateway_ref) DO NOTHING
        RETURNING stray_id`.execute(tx)
      return r.rows.length > 0
    },

    /**
     * Pending stray charges of every tenant that are due, leased to this sweeper until `leaseUntil`:
     * another sweeper skips them (locked rows, then a lease in the future), so a charge is not
     * reversed by two processes at once. A charge still pending after this attempt is due again
     * when the lease ends.
     */
    async leaseStrayCharges(
      now: Date,
      leaseUntil: Date,
      limit: number,
      tenants?: TenantScope,
    ): Promise<{ tenantId: string; stray: StrayCharge }[]> {
      const r = await sql<StrayRow>`UPDATE payment_stray_charges s SET attempt_after = ${leaseUntil}
        FROM (SELECT tenant_id, stray_id FROM payment_stray_charges
              WHERE status = 'pending' AND attempt_after <= ${now} ${inScope(tenants)}
              ORDER BY attempt_after LIMIT ${limit} FOR UPDATE SKIP LOCKED) due
        WHERE s.tenant_id = due.tenant_id AND s.stray_id = due.stray_id
        RETURNING s.*`.execute(db)
      return r.rows.map((x) => ({ tenantId: x.tenant_id, stray: toStray(x) }))
    },

    /**
     * Writes one attempt's outcome on a charge still pending (another sweeper may have settled it
     * meanwhile: then nothing is written and undefined comes back).
     */
    async settleStrayCharge(
      tx: Exec,
      tenant: string,
      id: string,
      o: StrayOutcome,
    ): Promise<StrayCharge | undefined> {
      const r = await sql<StrayRow>`UPDATE payment_stray_charges SET status = ${o.status},
          reversal = ${o.reversal ?? null}, reversal_ref = ${o.reversalRef ?? null},
          reversal_fee = ${o.fee ?? null}, attempts = attempts + 1, last_error = ${o.error ?? null}, updated_at = ${o.at}
        WHERE tenant_id = ${tenant} AND stray_id = ${id} AND status = 'pending'
        RETURNING *`.execute(tx)
      return r.rows[0] ? toStray(r.rows[0]) : undefined
    },

    /** True when `ref` at `gateway` is a stray charge of the tenant's (its refund is not the payment's). */
    async isStrayChargeRef(ex: Exec, tenant: string, gateway: string, ref: string): Promise<boolean> {
      const r = await sql<{ one: number }>`SELECT 1 AS one FROM payment_stray_charges
        WHERE tenant_id = ${tenant} AND gateway = ${gateway} AND gateway_ref = ${ref}`.execute(ex)
      return r.rows.length > 0
    },

    /** The tenant's stray charges at `gateway` whose charge or reversal carries one of `refs`. */
    async strayChargesByRefs(
      tenant: string,
      gateway: string,
      refs: readonly string[],
    ): Promise<StrayCharge[]> {
      if (refs.length === 0) return []
      const r = await sql<StrayRow>`SELECT * FROM payment_stray_charges
        WHERE tenant_id = ${tenant} AND gateway = ${gateway}
          AND (gateway_ref = ANY(${refs}::text[]) OR reversal_ref = ANY(${refs}::text[]))`.execute(db)
      return r.rows.map(toStray)
    },

    /** The tenant's stray charges, newest first, optionally of one status (an operator's work list). */
    async listTenantStrayCharges(
      tenant: string,
      filter: { status?: StrayChargeStatus; limit: number },
    ): Promise<StrayCharge[]> {
      const r = await sql<StrayRow>`SELECT * FROM payment_stray_charges
        WHERE tenant_id = ${tenant} AND (${filter.status ?? null}::text IS NULL OR status = ${filter.status ?? null})
        ORDER BY created_at DESC, stray_id DESC LIMIT ${filter.limit}`.execute(db)
      return r.rows.map(toStray)
    },

    /**
     * Marks a failed stray charge reversed by hand (`reversal` says how), with who did it and why;
     * undefined when it is not failed (pending, or already reversed).
     */
    async resolveStrayCharge(
      tx: Exec,
      tenant: string,
      id: string,
      r: {
        reversal: StrayReversal
        reversalRef: string | null
        fee: bigint | null
        resolvedBy: string
        note: string
        at: Date
      },
    ): Promise<StrayCharge | undefined> {
      const res = await sql<StrayRow>`UPDATE payment_stray_charges SET status = 'reversed',
          reversal = ${r.reversal}, reversal_ref = ${r.reversalRef}, reversal_fee = ${r.fee},
          resolved_by = ${r.resolvedBy},
          note = ${r.note}, updated_at = ${r.at}
        WHERE tenant_id = ${tenant} AND stray_id = ${id} AND status = 'failed'
        RETURNING *`.execute(tx)
      return res.rows[0] ? toStray(res.rows[0]) : undefined
    },

    async getStrayCharge(ex: Exec, tenant: string, id: string): Promise<StrayCharge | undefined> {
      const r = await sql<StrayRow>`SELECT * FROM payment_stray_charges
        WHERE tenant_id = ${tenant} AND stray_id = ${id}`.execute(ex)
      return r.rows[0] ? toStray(r.rows[0]) : undefined
    },

    async listStrayCharges(ex: Exec, tenant: string, paymentId: string): Promise<StrayCharge[]> {
      const r = await sql<StrayRow>`SELECT * FROM payment_stray_charges
        WHERE tenant_id = ${tenant} AND payment_id = ${paymentId} ORDER BY created_at, stray_id`.execute(ex)
      return r.rows.map(toStray)
    },
  }
}
