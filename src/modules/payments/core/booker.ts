/**
 * Group commit of payment facts. Gateway answers that arrive while a booking transaction is being
 * written wait and leave together in the next one: one transaction, one ledger call per tenant, one
 * commit for many payments. A merchant's two hot ledger accounts (receivable and merchant balance) are
 * then locked once per batch instead of once per payment, which is what lets concurrent payments of
 * one merchant scale (issue #18). The booking is the single writer's (applyFacts), so a batch is
 * exactly as safe as one fact: all of it commits or none.
 */
import { GroupCommit } from '../../../shared/group-commit.js'
import { applyFacts, type FactItem, type FactPatch, type FactResult } from '../apply-fact.js'
import { paymentNotFound } from '../payments.errors.js'
import type { Actor } from '../payments.audit.js'
import type { Fact, Payment } from '../payments.js'
import type { Refund } from '../store/refunds.js'
import type { PaymentsContext, Tx } from './context.js'
import { toJson } from './idempotency.js'

/** A gateway's answer about a reserved refund: settled on the refund row and the payment together. */
export interface RefundAnswer {
  readonly id: string
  readonly status: Refund['status']
  readonly gatewayRef: string | null
}

export type Booking = {
  readonly tenant: string
  /** The payment. */
  readonly id: string
  readonly patch?: FactPatch
  /**
   * The request's Idempotency-Key, answered in the same transaction with the resulting payment (the
   * refund as settled for a refund answer, also when its webhook or the sweeper settled it first).
   */
  readonly key?: string
  /** Who the answer is booked for (the request's principal); a batch mixes several requests. */
  readonly by?: Actor
} & ({ readonly fact: Fact } | { readonly refund: RefundAnswer })

type BookResult = FactResult & { readonly refund?: Refund }

export interface Booker {
  book(b: Booking): Promise<Payment>
  /** Settles a reserved refund with the gateway's answer, once (a settled refund is returned as it is). */
  bookRefund(b: Booking & { readonly refund: RefundAnswer }): Promise<Refund>
  close(): Promise<void>
}

const refOf = (b: Booking) => `${b.tenant}\u0000${b.id}`

/**
 * Applies a batch (distinct payments) in `tx`: one locking read, one read and one update of the
 * refunds it settles, then the writer. A refund answer becomes its fact (`refunded`, or
 * `refund_released` when the gateway refused); a refund already settled (by its webhook, the
 * sweeper, an earlier attempt) is returned as it is and books nothing.
 */
async function applyBatch(c: PaymentsContext, tx: Tx, batch: readonly Booking[]): Promise<BookResult[]> {
  const locked = await c.store.lockPayments(
    tx,
    batch.map((b) => ({ tenantId: b.tenant, id: b.id })),
  )
  const byRef = new Map(locked.map((p) => [`${p.tenantId}\u0000${p.id}`, p]))
  const results = new Map<Booking, BookResult>()
  const found = batch.filter((b) => {
    if (byRef.has(refOf(b))) return true
    results.set(b, { ok: false, error: paymentNotFound(b.id) })
    return false
  })
  const refunds = await c.store.getRefundsOf(
    tx,
    found.flatMap((b) => ('refund' in b ? [{ tenantId: b.tenant, id: b.refund.id }] : [])),
  )
  const settled: (Refund & { tenantId: string })[] = []
  const answers: { tenantId: string; key: string; response: unknown }[] = []
  const items: { b: Booking; item: FactItem; refund?: Refund }[] = []
  for (const b of found) {
    const p = byRef.get(refOf(b))!
    const patch = b.patch ? { patch: b.patch } : {}
    const by = b.by ? { by: b.by } : {}
    if ('fact' in b) {
      items.push({ b, item: { p, fact: b.fact, ctx: by, ...patch, ...(b.key ? { key: b.key } : {}) } })
      continue
    }
    const r = refunds.get(`${b.tenant}\u0000${b.refund.id}`)
    if (!r) {
      // A refund is reserved (its row written) before its gateway call: a missing one is a bug.
      results.set(b, { ok: false, error: new Error(`refund ${b.refund.id} of ${b.id} not found`) })
      continue
    }
    if (r.status !== 'pending') {
      if (b.key) answers.push({ tenantId: b.tenant, key: b.key, response: toJson(r) })
      results.set(b, { ok: true, outcome: 'duplicate', payment: p, refund: r })
      continue
    }
    const next: Refund = {
      ...r,
      status: b.refund.status,
      gatewayRef: b.refund.gatewayRef ?? r.gatewayRef,
      updatedAt: c.now(),
    }
    settled.push({ ...next, tenantId: b.tenant })
    // A refund request's key answers the refund (not the payment), with the row it settles.
    const extra = { ...patch, ...(b.key ? { key: b.key, response: next } : {}) }
    if (next.status === 'succeeded')
      items.push({
        b,
        item: {
          p,
          fact: { type: 'refunded', amount: r.amount, reserved: true },
          ctx: { refund: next, ...by },
          ...extra,
        },
        refund: next,
      })
    else if (next.status === 'failed')
      items.push({
        b,
        item: { p, fact: { type: 'refund_released', amount: r.amount }, ctx: by, ...extra },
        refund: next,
      })
    // pending at the gateway: stays reserved until its webhook (refund.succeeded / failed).
    else {
      if (b.key) answers.push({ tenantId: b.tenant, key: b.key, response: toJson(next) })
      results.set(b, { ok: true, outcome: 'applied', payment: p, refund: next })
    }
  }
  // The refund rows and the answers not tied to a fact go in the writer's last statement.
  const applied = await applyFacts(
    c,
    tx,
    items.map((x) => x.item),
    { refunds: settled, answers },
  )
  items.forEach((x, i) => {
    const r = applied[i]!
    // A refund row is updated with the facts: a refund fact refused must not commit without it (the batch is
    // then retried one booking at a time, so the refusal reaches only its own request).
    if (!r.ok && x.refund) throw r.error
    results.set(x.b, x.refund ? { ...r, refund: x.refund } : r)
  })
  return batch.map((b) => results.get(b)!)
}

/**
 * One batch: split so a payment appears once per transaction (a second fact must see the first),
 * each part in a transaction retried through contention and lost connections (facts are idempotent).
 * If a part fails as a whole (a ledger refusal), its bookings are retried one by one so the error
 * reaches only the booking that caused it.
 */
async function bookBatch(c: PaymentsContext, batch: readonly Booking[]): Promise<BookResult[]> {
  const parts: Booking[][] = []
  const seen = new Map<string, number>()
  for (const b of batch) {
    const round = (seen.get(refOf(b)) ?? -1) + 1
    seen.set(refOf(b), round)
    ;(parts[round] ??= []).push(b)
  }
  const results = new Map<Booking, BookResult>()
  for (const part of parts) {
    try {
      const r = await c.idempotentTransaction((tx) => applyBatch(c, tx, part))
      part.forEach((b, i) => results.set(b, r[i]!))
    } catch (err) {
      if (part.length === 1) {
        results.set(part[0]!, { ok: false, error: err })
        continue
      }
      for (const b of part) {
        try {
          const [r] = await c.idempotentTransaction((tx) => applyBatch(c, tx, [b]))
          results.set(b, r!)
        } catch (error) {
          results.set(b, { ok: false, error })
        }
      }
    }
  }
  return batch.map((b) => results.get(b)!)
}

export function createBooker(
  c: PaymentsContext,
  opts: { maxBatch?: number; maxInFlight?: number } = {},
): Booker {
  const group = new GroupCommit<Booking, BookResult>({
    maxBatch: opts.maxBatch ?? 256,
    maxInFlight: opts.maxInFlight ?? 2,
    send: (items) => bookBatch(c, items),
    closedMessage: 'payments booker is closed',
  })
  return {
    async book(b) {
      const r = await group.submit(b)
      if (!r.ok) throw r.error
      return r.payment
    },
    async bookRefund(b) {
      const r = await group.submit(b)
      if (!r.ok) throw r.error
      return r.refund!
    },
    close: () => group.close(),
  }
}
