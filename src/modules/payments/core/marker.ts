/**
 * Group commit of the write a capture or refund makes before its gateway call (crash-safety point 1
 * in docs/payments.md): the payment's in-flight mark, or the refund reserved on it, with the request's
 * new Idempotency-Key claimed **already bound** to the payment or refund. Marks arriving while a
 * marking transaction is being written leave together in the next one: the keys claimed in one
 * statement, the payments locked in one, each checked on its own row, and the rows, reservations and
 * new refunds written in one (applyFacts, the single writer): five round trips and one commit for many
 * requests, where each used to take a claim's commit and a transaction of five statements. Nothing
 * here touches the ledger or is held across a gateway call.
 */
import { GroupCommit } from '../../../shared/group-commit.js'
import { applyFacts, type FactItem } from '../apply-fact.js'
import type { Actor } from '../payments.audit.js'
import { paymentNotFound } from '../payments.errors.js'
import { plan, type Fact, type Payment } from '../payments.js'
import type { Refund } from '../store/refunds.js'
import type { PaymentsContext, Tx } from './context.js'

/** What a request writes on its payment once `prepare` has accepted the locked row. */
export type Mark =
  | { readonly inFlight: string }
  | { readonly fact: Fact & { type: 'refund_reserved' }; readonly refund: Refund }

export interface Marking {
  readonly tenant: string
  /** The payment. */
  readonly id: string
  /** The request's new key with its fingerprint, claimed bound to `resourceId` (the payment or refund). */
  readonly key?: {
    readonly key: string
    readonly operation: string
    readonly hash: string
    readonly resourceId: string
  }
  /** Checks the locked payment (throws to refuse: the key's claim is then taken back) and says what to write. */
  readonly prepare: (p: Payment) => Mark
  /** Who the capture or refund is for (the request's principal); a batch mixes several requests. */
  readonly by?: Actor
}

/** `marked`: the payment as written (and the refund reserved); `known`: the key was not new, nothing was written. */
export type Marked = { readonly marked: Payment; readonly refund?: Refund } | { readonly known: true }

type MarkResult = { ok: true; r: Marked } | { ok: false; error: unknown }

export interface Marker {
  mark(m: Marking): Promise<Marked>
  close(): Promise<void>
}

const refOf = (tenant: string, id: string) => `${tenant}\u0000${id}`

/**
 * Writes a batch (distinct payments) in `tx`. Keys are claimed first, in key order, as `idempotent`
 * claims before it locks: two requests with one key queue on the key (the second then finds it
 * taken and examines it on the general path) before either locks the payment, and two batches never
 * wait for each other in opposite orders. A request refused by its check has its claim deleted in
 * the same transaction, so its key is free again, as a released key is.
 */
async function markTogether(c: PaymentsContext, tx: Tx, batch: readonly Marking[]): Promise<MarkResult[]> {
  const { store, now } = c
  const results = new Map<Marking, MarkResult>()
  const keyed = new Map<string, Marking>()
  for (const m of batch) {
    if (!m.key) continue
    const k = refOf(m.tenant, m.key.key)
    // One key once per batch: a repeat must see the first one's claim, as the general path would.
    if (keyed.has(k)) results.set(m, { ok: true, r: { known: true } })
    else keyed.set(k, m)
  }
  const claims = [...keyed.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, m]) => ({ tenantId: m.tenant, ...m.key! }))
  const claimed = await store.claimBoundKeys(tx, claims, now())
  const go = batch.filter((m) => {
    if (results.has(m)) return false
    if (!m.key || claimed.has(refOf(m.tenant, m.key.key))) return true
    results.set(m, { ok: true, r: { known: true } })
    return false
  })
  const locked = await store.lockPayments(
    tx,
    go.map((m) => ({ tenantId: m.tenant, id: m.id })),
  )
  const byRef = new Map(locked.map((p) => [refOf(p.tenantId, p.id), p]))
  const refused: { tenantId: string; key: string }[] = []
  const rows: Payment[] = []
  const reserves: { m: Marking; item: FactItem; refund: Refund }[] = []
  for (const m of go) {
    const p = byRef.get(refOf(m.tenant, m.id))
    let mark: Mark
    try {
      if (!p) throw paymentNotFound(m.id)
      mark = m.prepare(p)
      // A reservation plan() refuses is this request's error, found before anything is written.
      if ('fact' in mark) plan(p, mark.fact)
    } catch (error) {
      results.set(m, { ok: false, error })
      if (m.key) refused.push({ tenantId: m.tenant, key: m.key.key })
      continue
    }
    if ('inFlight' in mark) {
      const next = { ...p, inFlight: mark.inFlight, updatedAt: now() }
      rows.push(next)
      results.set(m, { ok: true, r: { marked: next } })
    } else
      reserves.push({
        m,
        item: { p, fact: mark.fact, ...(m.by ? { ctx: { by: m.by } } : {}) },
        refund: mark.refund,
      })
  }
  await store.dropClaims(tx, refused)
  const applied = await applyFacts(
    c,
    tx,
    reserves.map((x) => x.item),
    { payments: rows, newRefunds: reserves.map((x) => ({ ...x.refund, tenantId: x.m.tenant })) },
  )
  reserves.forEach((x, i) => {
    const r = applied[i]!
    // The refund row is written with the facts: a reservation refused must not commit without it
    // (the batch is then retried one request at a time, so the refusal reaches only its own request).
    if (!r.ok) throw r.error
    results.set(x.m, { ok: true, r: { marked: r.payment, refund: x.refund } })
  })
  return batch.map((m) => results.get(m)!)
}

/** A batch in one transaction; if it fails as a whole, one request at a time, so an error reaches only its own. */
async function markBatch(c: PaymentsContext, batch: readonly Marking[]): Promise<MarkResult[]> {
  try {
    return await c.transaction((tx) => markTogether(c, tx, batch))
  } catch (error) {
    if (batch.length === 1) return [{ ok: false, error }]
    const out: MarkResult[] = []
    for (const m of batch)
      out.push(
        await c
          .transaction((tx) => markTogether(c, tx, [m]))
          .then(
            ([r]) => r!,
            (e: unknown): MarkResult => ({ ok: false, error: e }),
          ),
      )
    return out
  }
}

export function createMarker(
  c: PaymentsContext,
  opts: { maxBatch?: number; maxInFlight?: number } = {},
): Marker {
  const group = new GroupCommit<Marking, MarkResult>({
    maxBatch: opts.maxBatch ?? 256,
    maxInFlight: opts.maxInFlight ?? 2,
    send: (items) => markBatch(c, items),
    closedMessage: 'payments marker is closed',
    // One payment once per batch: a second operation must see the first one's mark or reservation.
    exclusiveKey: (m) => refOf(m.tenant, m.id),
  })
  return {
    async mark(m) {
      const r = await group.submit(m)
      if (!r.ok) throw r.error
      return r.r
    },
    close: () => group.close(),
  }
}
