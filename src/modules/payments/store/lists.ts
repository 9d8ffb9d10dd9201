/** Lists of payments: a tenant's page (the API's list) and the sweeper's due ones, across tenants. */
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { Payment, PaymentStatus } from '../payments.js'
import { PAYMENT_COLUMNS, toPayment, type PaymentRow } from './payment-rows.js'
import { inScope, type TenantScope } from './statements.js'

export interface PaymentFilters {
  readonly status?: PaymentStatus
  readonly customer?: string
  readonly gateway?: string
  readonly after?: string
  readonly limit: number
  readonly newestFirst?: boolean
  /** The column ordered by before the id ('created' is the id alone). */
  readonly sort?: 'created' | 'amount' | 'status'
}

export function listsStore(db: Db) {
  return {
    async listPayments(tenant: string, f: PaymentFilters): Promise<Payment[]> {
      const dir = f.newestFirst ? sql`DESC` : sql`ASC`
      const cmp = f.newestFirst ? sql`<` : sql`>`
      // Keyset on (sort column, id): the cursor is a payment id, whose own sort value is read in the same
      // statement, so a shared URL needs no opaque token (an unknown cursor id gives an empty page).
      const column = f.sort === 'amount' || f.sort === 'status' ? sql.ref(f.sort) : undefined
      const after = !f.after
        ? sql``
        : column
          ? sql`AND (${column}, payment_id) ${cmp} (SELECT ${column}, payment_id FROM payments
              WHERE tenant_id = ${tenant} AND payment_id = ${f.after})`
          : sql`AND payment_id ${cmp} ${f.after}`
      const r = await sql<PaymentRow>`SELECT ${PAYMENT_COLUMNS} FROM payments
        WHERE tenant_id = ${tenant}
          ${f.status ? sql`AND status = ${f.status}` : sql``}
          ${f.customer ? sql`AND customer = ${f.customer}` : sql``}
          ${f.gateway ? sql`AND gateway = ${f.gateway}` : sql``}
          ${after}
        ORDER BY ${column ? sql`${column} ${dir}, ` : sql``}payment_id ${dir} LIMIT ${f.limit}`.execute(db)
      return r.rows.map(toPayment)
    },

    /** Payments whose outcome the gateway must be asked about, oldest first, across tenants. */
    async toSweep(
      olderThan: Date,
      limit: number,
      tenants?: TenantScope,
    ): Promise<{ tenantId: string; paymentId: string }[]> {
      const r = await sql<{
        tenant_id: string
        payment_id: string
      }>`SELECT tenant_id, payment_id FROM payments
        WHERE (status IN ('unknown', 'processing') OR in_flight IS NOT NULL) AND updated_at <= ${olderThan}
          ${inScope(tenants)}
        ORDER BY updated_at LIMIT ${limit}`.execute(db)
      return r.rows.map((x) => ({ tenantId: x.tenant_id, paymentId: x.payment_id }))
    },
  }
}
