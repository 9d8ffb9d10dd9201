import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { Database } from '../../shared/db/schema.js'
import type { LedgerFact } from './gateway.js'
import type { CaptureMethod, Payment, PaymentStatus } from './payments.js'

export type Exec = Kysely<Database> | Transaction<Database>

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

export interface Dispute {
  readonly id: string
  readonly paymentId: string
  readonly gateway: string
  readonly gatewayRef: string
  readonly amount: bigint
  readonly currency: string
  readonly status: 'opened' | 'won' | 'lost'
}

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

export interface RoutingRuleRow {
  readonly id: string
  readonly priority: number
  readonly match: Record<string, unknown>
  readonly gateways: readonly { gateway: string; weight: number }[]
  readonly createdAt: Date
}

/** One payment event as the payment's own history keeps it (the timeline's state changes). */
export interface TransitionRow {
  readonly tenantId: string
  readonly paymentId: string
  readonly topic: string
  /** The event's facts a person reads: status, amounts, refund / dispute ids, decline code. */
  readonly details: Readonly<Record<string, string>>
  readonly at: Date
}

/** The fields of a payment event's payload kept in its transition row (no customer or references). */
export const TRANSITION_FIELDS = [
  'status',
  'amount',
  'amountCaptured',
  'amountRefunded',
  'refundId',
  'disputeId',
  'declineCode',
] as const

export function transitionOf(
  tenantId: string,
  paymentId: string,
  topic: string,
  payload: Record<string, unknown>,
  at: Date,
): TransitionRow {
  const details: Record<string, string> = {}
  for (const k of TRANSITION_FIELDS) {
    const v = payload[k]
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') details[k] = v.toString()
  }
  return { tenantId, paymentId, topic, details, at }
}

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

interface PaymentRow {
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

const big = (v: bigint | string | number): bigint => BigInt(v)

function toPayment(r: PaymentRow): Payment {
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

const PAYMENT_COLUMNS =
  sql.raw(`tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
  customer, description, metadata, gateway, gateway_ref, decline_code, next_action, amount_authorized,
  amount_captured, amount_refunded, amount_refund_pending, amount_disputed, amount_fee, hold_txn_id, in_flight,
  created_at, updated_at`)

/** Payments storage (PGlite and PostgreSQL); plain SQL, every statement scoped by tenant. */
export function createPaymentsStore(db: Db) {
  return {
    db,

    async insertPayment(tx: Exec, p: Payment, card: { brand?: string; country?: string }): Promise<void> {
      await sql`
        INSERT INTO payments (tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
          customer, description, metadata, card_brand, card_country, created_at, updated_at)
        VALUES (${p.tenantId}, ${p.id}, ${p.status}, ${p.amount.toString()}, ${p.currency}, ${p.capture},
          ${p.paymentMethod}, ${p.customer}, ${p.description}, ${JSON.stringify(p.metadata)},
          ${card.brand ?? null}, ${card.country ?? null}, ${p.createdAt}, ${p.updatedAt})`.execute(tx)
    },

    /**
     * Many new payments in one statement, each as it leaves the opening transaction (core/opener.ts):
     * status, gateway and first attempt included, so no UPDATE follows the INSERT.
     */
    /** New payments with their first transitions (the opener's batch), in one statement. */
    async insertOpened(
      tx: Exec,
      rows: readonly OpenedRow[],
      transitions: readonly TransitionRow[] = [],
      events?: RawBuilder<unknown>,
    ): Promise<void> {
      if (rows.length === 0) return
      const parts = [
        openedInsert(rows),
        ...(transitions.length > 0 ? [transitionsInsert(transitions)] : []),
        ...(events ? [events] : []),
      ]
      await inOneStatement(parts).execute(tx)
    },

    async getPayment(ex: Exec, tenant: string, id: string, lock = false): Promise<Payment | undefined> {
      const r = await sql<PaymentRow>`SELECT ${PAYMENT_COLUMNS} FROM payments
        WHERE tenant_id = ${tenant} AND payment_id = ${id} ${lock ? sql`FOR UPDATE` : sql``}`.execute(ex)
      return r.rows[0] ? toPayment(r.rows[0]) : undefined
    },

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

    async tenantByRef(
      gateway: string,
      ref: string,
    ): Promise<{ tenantId: string; paymentId: string } | undefined> {
      const r = await sql<{
        tenant_id: string
        payment_id: string
      }>`SELECT tenant_id, payment_id FROM payments
        WHERE gateway = ${gateway} AND gateway_ref = ${ref} LIMIT 2`.execute(db)
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

    /** Many payments' new states in one statement (the batched booking of applyFacts). */
    async updatePayments(tx: Exec, ps: readonly Payment[]): Promise<void> {
      if (ps.length === 1) return this.updatePayment(tx, ps[0]!)
      if (ps.length === 0) return
      await paymentsUpdate(ps).execute(tx)
    },

    /**
     * What a booking writes after its ledger call, in one statement (while the ledger call's locks on
     * the merchant's accounts are held, every round trip counts): the payments' new states, their
     * reconciliation facts, their transitions, the refunds they settle and the Idempotency-Key answers.
     */
    async writeBooked(
      tx: Exec,
      w: {
        payments: readonly Payment[]
        facts: readonly (LedgerFact & { id: string; tenantId: string })[]
        answers: readonly { tenantId: string; key: string; response: unknown }[]
        transitions?: readonly TransitionRow[]
        refunds?: readonly (Refund & { tenantId: string })[]
        newRefunds?: readonly (Refund & { tenantId: string })[]
        /** The outbox's insert of the events (Outbox.insertOf). */
        events?: RawBuilder<unknown>
      },
    ): Promise<void> {
      const { transitions = [], refunds = [], newRefunds = [] } = w
      const parts = [
        ...(w.payments.length > 0 ? [paymentsUpdate(w.payments)] : []),
        ...(w.facts.length > 0 ? [factsInsert(w.facts)] : []),
        ...(w.answers.length > 0 ? [keysAnswer(w.answers)] : []),
        ...(transitions.length > 0 ? [transitionsInsert(transitions)] : []),
        ...(refunds.length > 0 ? [refundsUpdate(refunds)] : []),
        ...(newRefunds.length > 0 ? [refundsInsert(newRefunds)] : []),
        ...(w.events ? [w.events] : []),
      ]
      if (parts.length === 0) return
      await inOneStatement(parts).execute(tx)
    },

    /** Locks several payments in one statement, in key order (so two batches never deadlock). */
    async lockPayments(tx: Exec, refs: readonly { tenantId: string; id: string }[]): Promise<Payment[]> {
      const r = await sql<PaymentRow>`SELECT ${PAYMENT_COLUMNS} FROM payments
        WHERE (tenant_id, payment_id) IN (SELECT * FROM unnest(${refs.map((x) => x.tenantId)}::text[],
          ${refs.map((x) => x.id)}::text[]))
        ORDER BY tenant_id, payment_id FOR UPDATE`.execute(tx)
      return r.rows.map(toPayment)
    },

    async appendAttempt(
      tx: Exec,
      tenant: string,
      id: string,
      attempt: Record<string, string>,
    ): Promise<void> {
      await sql`UPDATE payments SET attempts = attempts || ${JSON.stringify([attempt])}::jsonb
        WHERE tenant_id = ${tenant} AND payment_id = ${id}`.execute(tx)
    },

    async cardOf(tenant: string, id: string): Promise<{ brand?: string; country?: string }> {
      const r = await sql<{ card_brand: string | null; card_country: string | null }>`
        SELECT card_brand, card_country FROM payments WHERE tenant_id = ${tenant} AND payment_id = ${id}`.execute(
        db,
      )
      const row = r.rows[0]
      return {
        ...(row?.card_brand ? { brand: row.card_brand } : {}),
        ...(row?.card_country ? { country: row.card_country } : {}),
      }
    },

    async attempts(tenant: string, id: string): Promise<Record<string, string>[]> {
      const r = await sql<{ attempts: Record<string, string>[] }>`SELECT attempts FROM payments
        WHERE tenant_id = ${tenant} AND payment_id = ${id}`.execute(db)
      return r.rows[0]?.attempts ?? []
    },

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
    async toSweep(olderThan: Date, limit: number): Promise<{ tenantId: string; paymentId: string }[]> {
      const r = await sql<{
        tenant_id: string
        payment_id: string
      }>`SELECT tenant_id, payment_id FROM payments
        WHERE (status IN ('unknown', 'processing') OR in_flight IS NOT NULL) AND updated_at <= ${olderThan}
        ORDER BY updated_at LIMIT ${limit}`.execute(db)
      return r.rows.map((x) => ({ tenantId: x.tenant_id, paymentId: x.payment_id }))
    },

    // ---- refunds ----

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

    /** Several refunds' answers (status, gateway ref) in one statement. */
    async updateRefunds(tx: Exec, rs: readonly (Refund & { tenantId: string })[]): Promise<void> {
      if (rs.length === 0) return
      await refundsUpdate(rs).execute(tx)
    },

    async refundByRef(ex: Exec, tenant: string, gateway: string, ref: string): Promise<Refund | undefined> {
      const r = await sql<RefundRow>`SELECT * FROM payment_refunds
        WHERE tenant_id = ${tenant} AND gateway = ${gateway} AND gateway_ref = ${ref}`.execute(ex)
      return r.rows[0] ? toRefund(r.rows[0]) : undefined
    },

    /** Refunds whose gateway call never came back (no ref yet), untouched since `olderThan`: the sweeper's. */
    async refundsToSweep(olderThan: Date, limit: number): Promise<{ tenantId: string; refund: Refund }[]> {
      const r = await sql<RefundRow & { tenant_id: string }>`SELECT * FROM payment_refunds
        WHERE status = 'pending' AND gateway_ref IS NULL AND updated_at <= ${olderThan}
        ORDER BY updated_at LIMIT ${limit}`.execute(db)
      return r.rows.map((x) => ({ tenantId: x.tenant_id, refund: toRefund(x) }))
    },

    async listRefunds(ex: Exec, tenant: string, paymentId: string): Promise<Refund[]> {
      const r = await sql<RefundRow>`SELECT * FROM payment_refunds
        WHERE tenant_id = ${tenant} AND payment_id = ${paymentId} ORDER BY refund_id`.execute(ex)
      return r.rows.map(toRefund)
    },

    // ---- disputes ----

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

    // ---- idempotency ----

    /**
     * Claims a key in `tx`. An existing row gives its hash, its stored response (null while in
     * progress or after a failure), when it was claimed, and the resource a failed create left behind.
     */
    async claimKey(
      tx: Exec,
      tenant: string,
      key: string,
      operation: string,
      hash: string,
      at: Date,
    ): Promise<
      | { claimed: true }
      | { claimed: false; hash: string; response: unknown; claimedAt: Date; resourceId: string | null }
    > {
      const ins =
        await sql`INSERT INTO payment_idempotency (tenant_id, idem_key, operation, request_hash, created_at)
        VALUES (${tenant}, ${key}, ${operation}, ${hash}, ${at}) ON CONFLICT DO NOTHING`.execute(tx)
      if (Number(ins.numAffectedRows ?? 0n) === 1) return { claimed: true }
      const r = await sql<{
        request_hash: string
        response: unknown
        created_at: Date
        resource_id: string | null
      }>`
        SELECT request_hash, response, created_at, resource_id FROM payment_idempotency
        WHERE tenant_id = ${tenant} AND idem_key = ${key} FOR UPDATE`.execute(tx)
      const row = r.rows[0]!
      return {
        claimed: false,
        hash: row.request_hash,
        response: row.response,
        claimedAt: new Date(row.created_at),
        resourceId: row.resource_id,
      }
    },

    /** Claims a key never seen before in one statement; false when it exists (then claimKey decides). */
    async tryClaimKey(
      ex: Exec,
      tenant: string,
      key: string,
      operation: string,
      hash: string,
      at: Date,
    ): Promise<boolean> {
      const ins =
        await sql`INSERT INTO payment_idempotency (tenant_id, idem_key, operation, request_hash, created_at)
        VALUES (${tenant}, ${key}, ${operation}, ${hash}, ${at}) ON CONFLICT DO NOTHING`.execute(ex)
      return Number(ins.numAffectedRows ?? 0n) === 1
    },

    /**
     * Claims many new keys, each already bound to the resource its request creates, in the
     * resource's own transaction. Returns the claims that were new ("tenant\0key"); a key already
     * known (a replay, a conflict, a request in progress) is left as it was, for the caller to examine.
     */
    async claimBoundKeys(
      tx: Exec,
      claims: readonly {
        tenantId: string
        key: string
        operation: string
        hash: string
        resourceId: string
      }[],
      at: Date,
    ): Promise<Set<string>> {
      if (claims.length === 0) return new Set()
      const col = <T>(f: (c: (typeof claims)[number]) => T) => claims.map(f)
      const r = await sql<{ tenant_id: string; idem_key: string }>`
        INSERT INTO payment_idempotency (tenant_id, idem_key, operation, request_hash, resource_id, created_at)
        SELECT x.tenant_id, x.idem_key, x.operation, x.request_hash, x.resource_id, ${at}
        FROM unnest(${col((c) => c.tenantId)}::text[], ${col((c) => c.key)}::text[],
          ${col((c) => c.operation)}::text[], ${col((c) => c.hash)}::text[], ${col((c) => c.resourceId)}::text[])
          AS x(tenant_id, idem_key, operation, request_hash, resource_id)
        ON CONFLICT DO NOTHING RETURNING tenant_id, idem_key`.execute(tx)
      return new Set(r.rows.map((row) => `${row.tenant_id}\u0000${row.idem_key}`))
    },

    /** Takes back claims this transaction made (for requests refused after their key was claimed). */
    async dropClaims(tx: Exec, keys: readonly { tenantId: string; key: string }[]): Promise<void> {
      if (keys.length === 0) return
      await sql`DELETE FROM payment_idempotency WHERE (tenant_id, idem_key) IN
        (SELECT * FROM unnest(${keys.map((k) => k.tenantId)}::text[], ${keys.map((k) => k.key)}::text[]))`.execute(
        tx,
      )
    },

    async reclaimKey(tx: Exec, tenant: string, key: string, at: Date): Promise<void> {
      await sql`UPDATE payment_idempotency SET created_at = ${at}
        WHERE tenant_id = ${tenant} AND idem_key = ${key}`.execute(tx)
    },

    /** Ties the key to the resource its request created (in the resource's own transaction). */
    async bindKey(tx: Exec, tenant: string, key: string, resourceId: string): Promise<void> {
      await sql`UPDATE payment_idempotency SET resource_id = ${resourceId}
        WHERE tenant_id = ${tenant} AND idem_key = ${key}`.execute(tx)
    },

    async completeKey(ex: Exec, tenant: string, key: string, response: unknown): Promise<void> {
      await sql`UPDATE payment_idempotency SET response = ${JSON.stringify(response)}::jsonb
        WHERE tenant_id = ${tenant} AND idem_key = ${key}`.execute(ex)
    },

    /** Stores several requests' responses at once (in the transaction that made them). */
    async completeKeys(
      ex: Exec,
      done: readonly { tenantId: string; key: string; response: unknown }[],
    ): Promise<void> {
      if (done.length === 0) return
      await keysAnswer(done).execute(ex)
    },

    /** After an error: forgotten, unless bound to a resource; then free to retry at once. */
    async releaseKey(ex: Exec, tenant: string, key: string): Promise<void> {
      await sql`DELETE FROM payment_idempotency
        WHERE tenant_id = ${tenant} AND idem_key = ${key} AND resource_id IS NULL`.execute(ex)
      await sql`UPDATE payment_idempotency SET created_at = 'epoch'
        WHERE tenant_id = ${tenant} AND idem_key = ${key} AND resource_id IS NOT NULL`.execute(ex)
    },

    // ---- ledger facts ----

    /** The payment events of a transition, kept with the payment (migration 0505): one statement for a batch. */
    async insertTransitions(tx: Exec, rows: readonly TransitionRow[]): Promise<void> {
      if (rows.length === 0) return
      await transitionsInsert(rows).execute(tx)
    },

    async insertFacts(
      tx: Exec,
      tenant: string,
      facts: readonly (LedgerFact & { id: string })[],
    ): Promise<void> {
      if (facts.length === 0) return
      await factsInsert(facts.map((f) => ({ ...f, tenantId: tenant }))).execute(tx)
    },

    async listFacts(tenant: string, gateway: string, from: Date, to: Date): Promise<LedgerFact[]> {
      const r = await sql<{
        payment_id: string | null
        gateway: LedgerFact['gateway']
        gateway_ref: string
        kind: LedgerFact['kind']
        amount: bigint | string
        currency: string
        ledger_txn_id: string
        at: Date
      }>`SELECT payment_id, gateway, gateway_ref, kind, amount, currency, ledger_txn_id, at FROM payment_ledger_facts
        WHERE tenant_id = ${tenant} AND gateway = ${gateway} AND at >= ${from} AND at < ${to}
        ORDER BY at, fact_id`.execute(db)
      return r.rows.map((x) => ({
        kind: x.kind,
        gateway: x.gateway,
        gatewayRef: x.gateway_ref,
        ...(x.payment_id ? { paymentId: x.payment_id } : {}),
        ledgerTransactionId: x.ledger_txn_id,
        amount: big(x.amount),
        currency: x.currency,
        at: x.at,
      }))
    },

    // ---- routing rules ----

    async replaceRules(tenant: string, rules: readonly RoutingRuleRow[]): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await sql`DELETE FROM payment_routing_rules WHERE tenant_id = ${tenant}`.execute(tx)
        for (const r of rules) {
          await sql`INSERT INTO payment_routing_rules (tenant_id, rule_id, priority, match, gateways, created_at)
            VALUES (${tenant}, ${r.id}, ${r.priority}, ${JSON.stringify(r.match)}, ${JSON.stringify(r.gateways)},
              ${r.createdAt})`.execute(tx)
        }
      })
    },

    async listRules(tenant: string): Promise<RoutingRuleRow[]> {
      return (await this.listRulesOf([tenant])).get(tenant) ?? []
    },

    /** Several tenants' rules in one statement (the creates of one moment share a read). */
    async listRulesOf(tenants: readonly string[]): Promise<Map<string, RoutingRuleRow[]>> {
      const r = await sql<{
        tenant_id: string
        rule_id: string
        priority: number
        match: Record<string, unknown>
        gateways: { gateway: string; weight: number }[]
        created_at: Date
      }>`SELECT tenant_id, rule_id, priority, match, gateways, created_at FROM payment_routing_rules
        WHERE tenant_id = ANY(${[...tenants]}::text[]) ORDER BY tenant_id, priority, rule_id`.execute(db)
      const out = new Map<string, RoutingRuleRow[]>(tenants.map((t) => [t, []]))
      for (const x of r.rows)
        out.get(x.tenant_id)?.push({
          id: x.rule_id,
          priority: x.priority,
          match: x.match,
          gateways: x.gateways,
          createdAt: x.created_at,
        })
      return out
    },

    // ---- payouts ----

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

    /** Serialises payouts of one tenant, gateway and currency (the balance check must not race). */
    async lockPayouts(tx: Exec, tenant: string, gateway: string, currency: string): Promise<void> {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`payout:${tenant}:${gateway}:${currency}`}))`.execute(
        tx,
      )
    },
  }
}

export type PaymentsStore = ReturnType<typeof createPaymentsStore>

/**
 * A batch's rows as one JSON parameter, read back with json_to_recordset (which keeps the array's
 * order). pg sends a JavaScript array as an array literal, escaping every element in JavaScript —
 * the payments' metadata, transitions and Idempotency-Key answers are JSON already, so each of their
 * quotes was escaped once more: about a tenth of the process's CPU at 64 clients, much of it while a
 * booking holds the merchant's accounts (issue #18, session 15). One JSON.stringify is native.
 */
const asJson = (rows: readonly object[]) => JSON.stringify(rows)

/** Many payments' new states in one statement. */
function paymentsUpdate(ps: readonly Payment[]) {
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

/** Writes as one statement (each a common table expression: one round trip, however many). */
function inOneStatement(parts: readonly RawBuilder<unknown>[]): RawBuilder<unknown> {
  if (parts.length === 1) return parts[0]!
  const ctes = parts.map((part, i) => sql`${sql.raw(`w${i}`)} AS (${part})`)
  return sql`WITH ${sql.join(ctes)} SELECT 1`
}

/** A payment as the opener writes it: its card for routing and its first gateway attempt. */
type OpenedRow = { p: Payment; card: { brand?: string; country?: string }; attempt: object }

/** New payments, in one statement. */
function openedInsert(rows: readonly OpenedRow[]) {
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

/** Payment events kept with their payments (payment_transitions), in one statement. */
function transitionsInsert(rows: readonly TransitionRow[]) {
  const json = rows.map((r) => ({ t: r.tenantId, p: r.paymentId, topic: r.topic, d: r.details, at: r.at }))
  return sql`INSERT INTO payment_transitions (tenant_id, payment_id, topic, details, at)
    SELECT x.t, x.p, x.topic, x.d, x.at
    FROM json_to_recordset(${asJson(json)}::json) AS x(t text, p text, topic text, d jsonb, at timestamptz)`
}

/** Refunds' answers (status, gateway ref), in one statement. */
function refundsUpdate(rs: readonly (Refund & { tenantId: string })[]) {
  return sql`UPDATE payment_refunds AS r SET status = x.status, gateway_ref = x.gateway_ref,
      updated_at = x.updated_at::timestamptz
    FROM unnest(${rs.map((x) => x.tenantId)}::text[], ${rs.map((x) => x.id)}::text[],
      ${rs.map((x) => x.status)}::text[], ${rs.map((x) => x.gatewayRef)}::text[],
      ${rs.map((x) => x.updatedAt.toISOString())}::text[]) AS x(tenant_id, refund_id, status, gateway_ref, updated_at)
    WHERE r.tenant_id = x.tenant_id AND r.refund_id = x.refund_id`
}

/** New refunds (pending, reserved), of any payments, in one statement. */
function refundsInsert(rs: readonly (Refund & { tenantId: string })[]) {
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

/** Reconciliation facts, of any tenants, in one statement. */
function factsInsert(facts: readonly (LedgerFact & { id: string; tenantId: string })[]) {
  const json = facts.map((f) => ({
    t: f.tenantId,
    id: f.id,
    p: f.paymentId ?? null,
    g: f.gateway,
    gr: f.gatewayRef,
    k: f.kind,
    a: f.amount.toString(),
    c: f.currency,
    l: f.ledgerTransactionId,
    at: f.at,
  }))
  return sql`INSERT INTO payment_ledger_facts (tenant_id, fact_id, payment_id, gateway, gateway_ref, kind, amount,
      currency, ledger_txn_id, at)
    SELECT x.t, x.id, x.p, x.g, x.gr, x.k, x.a, x.c, x.l, x.at
    FROM json_to_recordset(${asJson(json)}::json) AS x(t text, id text, p text, g text, gr text, k text,
      a bigint, c text, l text, at timestamptz)`
}

/** Stores several requests' responses (in the transaction that made them). */
function keysAnswer(done: readonly { tenantId: string; key: string; response: unknown }[]) {
  // The response as JSON text cast to jsonb, as before: a JSON null in a recordset is read as SQL NULL,
  // which would turn an answer of null into "not answered yet".
  const json = done.map((d) => ({ t: d.tenantId, k: d.key, r: JSON.stringify(d.response) }))
  return sql`UPDATE payment_idempotency AS k SET response = x.r::jsonb
    FROM json_to_recordset(${asJson(json)}::json) AS x(t text, k text, r text)
    WHERE k.tenant_id = x.t AND k.idem_key = x.k`
}
