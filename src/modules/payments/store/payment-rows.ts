/** The payments table's rows: the mapping to a Payment, and the writes and locks of single payments. */
import { sql } from 'kysely'
import type { CaptureMethod, Payment, PaymentStatus } from '../payments.js'
import { asJson, big, type Exec } from './statements.js'

export interface PaymentRow {
  tenant_id: string
  payment_id: string
  status: PaymentStatus
  amount: bigint | string
  currency: string
  capture_method: CaptureMethod
  payment_method: string
  customer: string | null
  description: string | null
  metadata: Record<string, string>
  gateway: string | null
  gateway_ref: string | null
  decline_code: string | null
  next_action: Record<string, string> | null
  amount_authorized: bigint | string
  amount_captured: bigint | string
  amount_refunded: bigint | string
  amount_refund_pending: bigint | string
  amount_disputed: bigint | string
  amount_fee: bigint | string
  hold_txn_id: string | null
  in_flight: string | null
  created_at: Date
  updated_at: Date
}

export function toPayment(r: PaymentRow): Payment {
  return {
    id: r.payment_id,
    tenantId: r.tenant_id,
    status: r.status,
    amount: big(r.amount),
    currency: r.currency,
    capture: r.capture_method,
    paymentMethod: r.payment_method,
    customer: r.customer,
    description: r.description,
    metadata: r.metadata,
    gateway: r.gateway,
    gatewayRef: r.gateway_ref,
    declineCode: r.decline_code,
    nextAction: r.next_action,
    amountAuthorized: big(r.amount_authorized),
    amountCaptured: big(r.amount_captured),
    amountRefunded: big(r.amount_refunded),
    amountRefundPending: big(r.amount_refund_pending),
    amountDisputed: big(r.amount_disputed),
    amountFee: big(r.amount_fee),
    holdTransactionId: r.hold_txn_id,
    inFlight: r.in_flight,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export const PAYMENT_COLUMNS =
  sql.raw(`tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
  customer, description, metadata, gateway, gateway_ref, decline_code, next_action, amount_authorized,
  amount_captured, amount_refunded, amount_refund_pending, amount_disputed, amount_fee, hold_txn_id, in_flight,
  created_at, updated_at`)

export const paymentRowsStore = {
  async insertPayment(tx: Exec, p: Payment, card: { brand?: string; country?: string }): Promise<void> {
    await sql`
      INSERT INTO payments (tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
        customer, description, metadata, card_brand, card_country, created_at, updated_at)
      VALUES (${p.tenantId}, ${p.id}, ${p.status}, ${p.amount.toString()}, ${p.currency}, ${p.capture},
        ${p.paymentMethod}, ${p.customer}, ${p.description}, ${JSON.stringify(p.metadata)},
        ${card.brand ?? null}, ${card.country ?? null}, ${p.createdAt}, ${p.updatedAt})`.execute(tx)
  },

  async getPayment(ex: Exec, tenant: string, id: string, lock = false): Promise<Payment | undefined> {
    const r = await sql<PaymentRow>`SELECT ${PAYMENT_COLUMNS} FROM payments
      WHERE tenant_id = ${tenant} AND payment_id = ${id} ${lock ? sql`FOR UPDATE` : sql``}`.execute(ex)
    return r.rows[0] ? toPayment(r.rows[0]) : undefined
  },

  /** Writes the mutable state; amount, currency and capture method are never updated. */
  async updatePayment(tx: Exec, p: Payment): Promise<void> {
    await sql`UPDATE payments SET status = ${p.status}, gateway = ${p.gateway}, gateway_ref = ${p.gatewayRef},
        decline_code = ${p.declineCode}, next_action = ${p.nextAction ? JSON.stringify(p.nextAction) : null},
        amount_authorized = ${p.amountAuthorized.toString()}, amount_captured = ${p.amountCaptured.toString()},
        amount_refunded = ${p.amountRefunded.toString()},
        amount_refund_pending = ${p.amountRefundPending.toString()},
        amount_disputed = ${p.amountDisputed.toString()}, amount_fee = ${p.amountFee.toString()},
        hold_txn_id = ${p.holdTransactionId},
        in_flight = ${p.inFlight}, metadata = ${JSON.stringify(p.metadata)}, updated_at = ${p.updatedAt}
      WHERE tenant_id = ${p.tenantId} AND payment_id = ${p.id}`.execute(tx)
  },

  /** Locks several payments in one statement, in key order (so two batches never deadlock). */
  async lockPayments(tx: Exec, refs: readonly { tenantId: string; id: string }[]): Promise<Payment[]> {
    const r = await sql<PaymentRow>`SELECT ${PAYMENT_COLUMNS} FROM payments
      WHERE (tenant_id, payment_id) IN (SELECT * FROM unnest(${refs.map((x) => x.tenantId)}::text[],
        ${refs.map((x) => x.id)}::text[]))
      ORDER BY tenant_id, payment_id FOR UPDATE`.execute(tx)
    return r.rows.map(toPayment)
  },
}

/** Many payments' new states in one statement. */
export function paymentsUpdate(ps: readonly Payment[]) {
  const rows = ps.map((p) => ({
    t: p.tenantId,
    id: p.id,
    st: p.status,
    g: p.gateway,
    gr: p.gatewayRef,
    dc: p.declineCode,
    na: p.nextAction,
    aa: p.amountAuthorized.toString(),
    ac: p.amountCaptured.toString(),
    ar: p.amountRefunded.toString(),
    arp: p.amountRefundPending.toString(),
    ad: p.amountDisputed.toString(),
    af: p.amountFee.toString(),
    h: p.holdTransactionId,
    f: p.inFlight,
    m: p.metadata,
    u: p.updatedAt,
  }))
  return sql`UPDATE payments AS p SET status = x.st, gateway = x.g, gateway_ref = x.gr,
      decline_code = x.dc, next_action = x.na, amount_authorized = x.aa, amount_captured = x.ac,
      amount_refunded = x.ar, amount_refund_pending = x.arp, amount_disputed = x.ad, amount_fee = x.af,
      hold_txn_id = x.h, in_flight = x.f, metadata = x.m, updated_at = x.u
    FROM json_to_recordset(${asJson(rows)}::json) AS x(t text, id text, st text, g text, gr text, dc text,
      na jsonb, aa bigint, ac bigint, ar bigint, arp bigint, ad bigint, af bigint, h text, f text, m jsonb,
      u timestamptz)
    WHERE p.tenant_id = x.t AND p.payment_id = x.id`
}

/** A payment as the opener writes it: its card for routing and its first gateway attempt. */
export type OpenedRow = { p: Payment; card: { brand?: string; country?: string }; attempt: object }

/** New payments, in one statement. */
export function openedInsert(rows: readonly OpenedRow[]) {
  const json = rows.map(({ p, card, attempt }) => ({
    t: p.tenantId,
    id: p.id,
    st: p.status,
    a: p.amount.toString(),
    c: p.currency,
    cm: p.capture,
    pm: p.paymentMethod,
    cu: p.customer,
    d: p.description,
    m: p.metadata,
    g: p.gateway,
    cb: card.brand ?? null,
    cc: card.country ?? null,
    at: [attempt],
    ca: p.createdAt,
    u: p.updatedAt,
  }))
  return sql`
    INSERT INTO payments (tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
      customer, description, metadata, gateway, card_brand, card_country, attempts, created_at, updated_at)
    SELECT x.t, x.id, x.st, x.a, x.c, x.cm, x.pm, x.cu, x.d, x.m, x.g, x.cb, x.cc, x.at, x.ca, x.u
    FROM json_to_recordset(${asJson(json)}::json) AS x(t text, id text, st text, a bigint, c text, cm text,
      pm text, cu text, d text, m jsonb, g text, cb text, cc text, at jsonb, ca timestamptz, u timestamptz)`
}
