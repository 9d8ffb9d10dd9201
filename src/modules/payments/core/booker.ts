/**
 * Group commit of payment facts. Gateway answers that arrive while a booking transaction is being
 * written wait and leave together in the next one: one transaction, one ledger call per tenant, one
 * commit for many payments. A merchant's two hot ledger accounts (receivable and merchant balance) are
 * then locked once per batch instead of once per payment, which is what lets concurrent payments of
 * one merchant scale (issue #18). The booking is the single writer's (applyFacts), so a batch is
 * exactly as safe as one fact: all of it commits or none.
 */
import { GroupCommit } from '../../../shared/group-commit.js'
import { applyFacts, type FactPatch, type FactResult } from '../apply-fact.js'
import { paymentNotFound } from '../payments.errors.js'
import type { Fact, Payment } from '../payments.js'
import type { PaymentsContext, Tx } from './context.js'

export interface Booking {
  readonly tenant: string
  readonly id: string
  readonly fact: Fact
  readonly patch?: FactPatch
  /** The request's Idempotency-Key, answered with the resulting payment in the same transaction. */
  readonly key?: string
}

export interface Booker {
  book(b: Booking): Promise<Payment>
  close(): Promise<void>
}

const refOf = (b: Booking) => `${b.tenant}\u0000${b.id}`

/** Applies a batch (distinct payments) in `tx`: one locking read, then the writer. */
async function applyBatch(c: PaymentsContext, tx: Tx, batch: readonly Booking[]): Promise<FactResult[]> {
  const locked = await c.store.lockPayments(
    tx,
    batch.map((b) => ({ tenantId: b.tenant, id: b.id })),
  )
  const byRef = new Map(locked.map((p) => [`${p.tenantId}\u0000${p.id}`, p]))
  const found = batch.filter((b) => byRef.has(refOf(b)))
  const applied = await applyFacts(
    c,
    tx,
    found.map((b) => ({
      p: byRef.get(refOf(b))!,
      fact: b.fact,
      ...(b.patch ? { patch: b.patch } : {}),
      ...(b.key ? { key: b.key } : {}),
    })),
  )
  const results = new Map(found.map((b, i) => [b, applied[i]!]))
  return batch.map((b) => results.get(b) ?? { ok: false, error: paymentNotFound(b.id) })
}

/**
 * One batch: split so a payment appears once per transaction (a second fact must see the first),
 * each part in a transaction retried through contention and lost connections (facts are idempotent).
 * If a part fails as a whole (a ledger refusal), its bookings are retried one by one so the error
 * reaches only the booking that caused it.
 */
async function bookBatch(c: PaymentsContext, batch: readonly Booking[]): Promise<FactResult[]> {
  const parts: Booking[][] = []
  const seen = new Map<string, number>()
  for (const b of batch) {
    const round = (seen.get(refOf(b)) ?? -1) + 1
    seen.set(refOf(b), round)
    ;(parts[round] ??= []).push(b)
  }
  const results = new Map<Booking, FactResult>()
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
  const group = new GroupCommit<Booking, FactResult>({
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
    close: () => group.close(),
  }
}
