import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import { currency, formatMinor } from '../../../shared/money.js'
import { PAYMENT_EVENTS, SANDBOX_METHODS } from '../../payments/index.js'
import { foldText, identifierKey, type SearchDocument } from '../search.js'
import { keysOf, metadataText, refOf, type SearchSource } from './source.js'
import { mapInSlices } from '../../../shared/time-slice.js'

interface PaymentRow {
  payment_id: string
  status: string
  amount: bigint | string
  currency: string
  payment_method: string
  customer: string | null
  description: string | null
  metadata: unknown
  gateway: string | null
  gateway_ref: string | null
  card_brand: string | null
  created_at: Date
  bin: string | null
  last4: string | null
}

function amountText(amount: bigint, code: string): string {
  try {
    return formatMinor(amount, currency(code))
  } catch {
    return amount.toString()
  }
}

/** A payment: id, amount (as shown, exact), currency, card BIN and last four (vault or sandbox method), gateway reference, customer. */
export function paymentDocument(tenant: string, r: PaymentRow): SearchDocument {
  const amount = BigInt(r.amount)
  const sandbox = SANDBOX_METHODS[r.payment_method]?.card
  const last4 = r.last4 ?? sandbox?.last4 ?? null
  const brand = r.card_brand ?? sandbox?.brand ?? null
  const card = [brand, r.bin, last4 ? `•••• ${last4}` : null].filter(Boolean).join(' ')
  const shown = amountText(amount, r.currency)
  const title = [r.payment_id, `${shown} ${r.currency}`, card, r.customer, r.gateway_ref]
    .filter(Boolean)
    .join(' · ')
  return {
    tenantId: tenant,
    type: 'payment',
    id: r.payment_id,
    title,
    body: foldText(
      [r.payment_id, r.customer, r.description, r.gateway_ref, brand, r.bin, last4, metadataText(r.metadata)]
        .filter(Boolean)
        .join(' '),
    ),
    sealed: [],
    // The amount as it is shown ("12.50": key 1250, also what "1250" in minor units gives) and, when
    // whole, as it is usually typed ("99" for 99.00): support staff search by what the customer paid.
    keys: keysOf(
      [r.payment_id, last4, r.bin, r.gateway_ref, r.customer, shown, shown.replace(/[.,]0+$/, '')],
      identifierKey,
    ),
    occurredAt: new Date(r.created_at),
    amount,
    currency: r.currency,
    attributes: { status: r.status, ...(r.gateway ? { gateway: r.gateway } : {}) },
  }
}

const SELECT = sql`SELECT p.payment_id, p.status, p.amount, p.currency, p.payment_method, p.customer,
    p.description, p.metadata, p.gateway, p.gateway_ref, p.card_brand, p.created_at, v.bin, v.last4
  FROM payments p LEFT JOIN vault_cards v ON v.tenant_id = p.tenant_id AND v.token = p.payment_method`

export function paymentsSource(db: Db): SearchSource {
  const byPayment = refOf('paymentId')
  return {
    type: 'payment',
    prunable: true,
    topics: Object.fromEntries(
      [
        PAYMENT_EVENTS.created,
        PAYMENT_EVENTS.authorized,
        PAYMENT_EVENTS.captured,
        PAYMENT_EVENTS.failed,
        PAYMENT_EVENTS.canceled,
        PAYMENT_EVENTS.refundSucceeded,
        PAYMENT_EVENTS.disputeOpened,
        PAYMENT_EVENTS.disputeWon,
        PAYMENT_EVENTS.disputeLost,
      ].map((t) => [t, byPayment]),
    ),
    async refresh(tenant, ids) {
      const r = await sql<PaymentRow>`${SELECT}
        WHERE p.tenant_id = ${tenant} AND p.payment_id = ANY(${ids}::text[])`.execute(db)
      const found = new Set(r.rows.map((x) => x.payment_id))
      return {
        upsert: await mapInSlices(r.rows, (x) => paymentDocument(tenant, x)),
        removed: ids.filter((id) => !found.has(id)),
      }
    },
    async scan(tenant, after, limit) {
      const r = await sql<PaymentRow>`${SELECT}
        WHERE p.tenant_id = ${tenant} AND p.payment_id > ${after ?? ''}
        ORDER BY p.payment_id LIMIT ${limit}`.execute(db)
      const last = r.rows[r.rows.length - 1]
      return {
        docs: await mapInSlices(r.rows, (x) => paymentDocument(tenant, x)),
        ...(r.rows.length === limit && last ? { next: last.payment_id } : {}),
      }
    },
    async count(tenant) {
      const r = await sql<{
        n: string | number | bigint
      }>`SELECT count(*) AS n FROM payments WHERE tenant_id = ${tenant}`.execute(db)
      return Number(r.rows[0]?.n ?? 0)
    },
  }
}
