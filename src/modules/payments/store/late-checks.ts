/**
 * Late-request checks (payment_late_checks, migration 0509): a gateway a payment's authorisation
 * was sent to with no answer we could trust — it answered "no record", or failed over to another —
 * is asked again later whether the request landed after all (ADR 0507). One row per (payment, gateway).
 */
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import { inScope, type Exec, type TenantScope } from './statements.js'

/** Why the gateway is checked: it had no record of a request sent to it, or the payment failed over from it. */
export type LateCheckReason = 'no_record' | 'failover'

/**
 * What the checks found: no charge in the end; a charge the payment already had (booked by its
 * answer or webhook); or a charge no webhook brought, applied as its webhook would have been.
 */
export type LateCheckOutcome = 'no_charge' | 'charge_known' | 'charge_applied'

export interface LateCheck {
  readonly tenantId: string
  readonly paymentId: string
  readonly gateway: string
  readonly reason: LateCheckReason
  readonly checks: number
  readonly createdAt: Date
}

interface LateCheckRow {
  tenant_id: string
  payment_id: string
  gateway: string
  reason: LateCheckReason
  checks: number
  created_at: Date
}

const toCheck = (r: LateCheckRow): LateCheck => ({
  tenantId: r.tenant_id,
  paymentId: r.payment_id,
  gateway: r.gateway,
  reason: r.reason,
  checks: r.checks,
  createdAt: r.created_at,
})

export function lateChecksStore(db: Db) {
  return {
    /**
     * Opens a check of `gateway` for the payment, first due at `dueAt`. A check already open keeps
     * its schedule; a closed one opens again from the start (the payment was sent there again).
     */
    async openLateCheck(
      tx: Exec,
      c: { tenantId: string; paymentId: string; gateway: string; reason: LateCheckReason },
      at: Date,
      dueAt: Date,
    ): Promise<void> {
      await sql`INSERT INTO payment_late_checks (tenant_id, payment_id, gateway, reason, checks, due_at,
          outcome, created_at, updated_at)
        VALUES (${c.tenantId}, ${c.paymentId}, ${c.gateway}, ${c.reason}, 0, ${dueAt}, NULL, ${at}, ${at})
        ON CONFLICT (tenant_id, payment_id, gateway) DO UPDATE SET reason = EXCLUDED.reason, checks = 0,
          due_at = EXCLUDED.due_at, outcome = NULL, created_at = EXCLUDED.created_at,
          updated_at = EXCLUDED.updated_at
        WHERE payment_late_checks.outcome IS NOT NULL`.execute(tx)
    },

    /**
     * Open checks of every tenant that are due, leased until `leaseUntil` (locked rows skipped, then
     * a due time in the future), so two sweepers never ask the same gateway about the same payment.
     */
    async leaseLateChecks(
      now: Date,
      leaseUntil: Date,
      limit: number,
      tenants?: TenantScope,
    ): Promise<LateCheck[]> {
      const r = await sql<LateCheckRow>`UPDATE payment_late_checks l SET due_at = ${leaseUntil}
        FROM (SELECT tenant_id, payment_id, gateway FROM payment_late_checks
              WHERE outcome IS NULL AND due_at <= ${now} ${inScope(tenants)}
              ORDER BY due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED) due
        WHERE l.tenant_id = due.tenant_id AND l.payment_id = due.payment_id AND l.gateway = due.gateway
        RETURNING l.*`.execute(db)
      return r.rows.map(toCheck)
    },

    /** Counts one check: closed with `outcome`, or due again at `dueAt`. */
    async recordLateCheck(
      tx: Exec,
      c: LateCheck,
      next: { outcome: LateCheckOutcome } | { dueAt: Date },
      at: Date,
    ): Promise<void> {
      const outcome = 'outcome' in next ? next.outcome : null
      const dueAt = 'dueAt' in next ? next.dueAt : at
      await sql`UPDATE payment_late_checks SET checks = checks + 1, outcome = ${outcome},
          due_at = ${dueAt}, updated_at = ${at}
        WHERE tenant_id = ${c.tenantId} AND payment_id = ${c.paymentId} AND gateway = ${c.gateway}
          AND outcome IS NULL`.execute(tx)
    },

    /** A payment's checks, oldest first (its timeline and the tests read them). */
    async lateChecks(
      tenant: string,
      paymentId: string,
    ): Promise<(LateCheck & { outcome: LateCheckOutcome | null; dueAt: Date })[]> {
      const r = await sql<LateCheckRow & { outcome: LateCheckOutcome | null; due_at: Date }>`SELECT *
        FROM payment_late_checks WHERE tenant_id = ${tenant} AND payment_id = ${paymentId}
        ORDER BY created_at, gateway`.execute(db)
      return r.rows.map((x) => ({ ...toCheck(x), outcome: x.outcome, dueAt: x.due_at }))
    },
  }
}
