/**
 * Finding a payment from what a gateway or a webhook names: its gateway reference, or our id without
 * its tenant. The webhook inbox routes and locks whole rounds of events with these.
 */
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { Payment } from '../payments.js'
import { PAYMENT_COLUMNS, toPayment, type PaymentRow } from './payment-rows.js'
import type { Exec } from './statements.js'

export function lookupsStore(db: Db) {
  return {
    async paymentIdByRef(
      ex: Exec,
      tenant: string,
      gateway: string,
      ref: string,
    ): Promise<string | undefined> {
      const r = await sql<{ payment_id: string }>`SELECT payment_id FROM payments
        WHERE gateway = ${gateway} AND gateway_ref = ${ref} AND tenant_id = ${tenant} LIMIT 1`.execute(ex)
      return r.rows[0]?.payment_id
    },

    /** The payment a vendor id names: its booking, or a stray charge made for it elsewhere (ADR 0506). */
    async tenantByRef(
      gateway: string,
      ref: string,
    ): Promise<{ tenantId: string; paymentId: string } | undefined> {
      const r = await sql<{
        tenant_id: string
        payment_id: string
      }>`SELECT tenant_id, payment_id FROM payments WHERE gateway = ${gateway} AND gateway_ref = ${ref}
        UNION ALL
        SELECT tenant_id, payment_id FROM payment_stray_charges WHERE gateway = ${gateway} AND gateway_ref = ${ref}
        LIMIT 2`.execute(db)
      // A ref seen under two tenants cannot be routed safely.
      if (r.rows.length !== 1) return undefined
      return { tenantId: r.rows[0]!.tenant_id, paymentId: r.rows[0]!.payment_id }
    },

    /**
     * The owner of each gateway reference, in one statement (the inbox resolves a round's tenants with it).
     * A ref seen under two tenants is left out: it cannot be routed safely.
     */
    async tenantsByRefs(gateway: string, refs: readonly string[]): Promise<Map<string, string>> {
      if (refs.length === 0) return new Map()
      // One index probe per ref (lateral): with "gateway_ref = ANY(refs)" the planner read every
      // payment of the gateway and filtered them (issue #18, session 17). Two rows tell an ambiguous ref.
      const r = await sql<{ gateway_ref: string; tenant_id: string; n: string | number }>`
        SELECT r.ref AS gateway_ref, min(p.tenant_id) AS tenant_id, count(*) AS n
        FROM unnest(${[...new Set(refs)]}::text[]) AS r(ref)
        CROSS JOIN LATERAL (SELECT tenant_id FROM payments
                            WHERE gateway = ${gateway} AND gateway_ref = r.ref LIMIT 2) p
        GROUP BY r.ref`.execute(db)
      return new Map(r.rows.filter((x) => Number(x.n) === 1).map((x) => [x.gateway_ref, x.tenant_id]))
    },

    /**
     * For each event of a round, the tenant's payment it is about — by our payment id when that
     * payment exists, else by the gateway's reference (applyGatewayEvent's lookup, for a whole round)
     * — locked in key order (no deadlock), in one statement; undefined where none. A payment named by several events is locked once and returned for each.
     */
    async lockPaymentsOfEvents(
      tx: Exec,
      items: readonly { tenantId: string; gateway: string; paymentId?: string; ref?: string }[],
    ): Promise<(Payment | undefined)[]> {
      if (items.length === 0) return []
      // Each payment is locked by a primary-key probe, in key order (no deadlock), and the locked set
      // is joined back to the events once, by hash. Joined to the found ids as a set, the rows were
      // read by a hash of the whole payments table — every payment of every tenant, per round — which
      // the planner picks while it has few statistics or a round is large (issue #18, session 17).
      const r = await sql<PaymentRow & { i: string | number }>`
        WITH found AS MATERIALIZED (
          SELECT x.i, x.t, coalesce(
            (SELECT payment_id FROM payments WHERE tenant_id = x.t AND payment_id = x.pid),
            (SELECT payment_id FROM payments
             WHERE gateway = x.g AND gateway_ref = x.ref AND tenant_id = x.t LIMIT 1)) AS id
          FROM unnest(${items.map((x) => x.tenantId)}::text[], ${items.map((x) => x.gateway)}::text[],
                      ${items.map((x) => x.paymentId ?? null)}::text[], ${items.map((x) => x.ref ?? null)}::text[])
               WITH ORDINALITY AS x(t, g, pid, ref, i)),
        locked AS MATERIALIZED (
          SELECT p.* FROM (SELECT DISTINCT t, id FROM found WHERE id IS NOT NULL ORDER BY t, id) k
          CROSS JOIN LATERAL (SELECT ${PAYMENT_COLUMNS} FROM payments
                              WHERE tenant_id = k.t AND payment_id = k.id FOR UPDATE) p)
        SELECT f.i, l.* FROM found f JOIN locked l ON l.tenant_id = f.t AND l.payment_id = f.id`.execute(tx)
      const out = new Array<Payment | undefined>(items.length).fill(undefined)
      for (const row of r.rows) out[Number(row.i) - 1] = toPayment(row)
      return out
    },

    async tenantByPaymentId(paymentId: string): Promise<string | undefined> {
      const r = await sql<{ tenant_id: string }>`SELECT tenant_id FROM payments
        WHERE payment_id = ${paymentId} LIMIT 2`.execute(db)
      return r.rows.length === 1 ? r.rows[0]!.tenant_id : undefined
    },
  }
}
