/**
 * Group commit of new payments: the write a create makes before it asks a gateway (crash-safety
 * point 1 in docs/payments.md). Creates arriving while an opening transaction is being written leave
 * together in the next one, which, for all of them, claims each Idempotency-Key already bound to its
 * payment, inserts the payments already `processing` with the gateway about to be asked and that
 * attempt recorded, and writes their `created` events and transitions (and audit entries): two
 * statements (three with audit) and one commit for many payments, where each used to take a claim, a transaction of six statements and two
 * commits. Nothing here touches the ledger or is held across a gateway call.
 */
import { GroupCommit } from '../../../shared/group-commit.js'
import { paymentPayload } from '../apply-fact.js'
import { transitionRecord, type Actor } from '../payments.audit.js'
import { PAYMENT_EVENTS } from '../payments.events.js'
import type { Payment } from '../payments.js'
import { transitionOf } from '../store/transitions.js'
import type { PaymentsContext } from './context.js'

export interface Opening {
  /** The payment as created (requires_confirmation): the `created` event tells this state. */
  readonly p: Payment
  readonly card: { readonly brand?: string; readonly country?: string }
  /** The gateway asked first. */
  readonly gateway: string
  /** The request's Idempotency-Key with its fingerprint; the claim is bound to `p`. */
  readonly key?: { readonly key: string; readonly operation: string; readonly hash: string }
  /** Who the payment is created for (the request's principal); a batch mixes several requests. */
  readonly by?: Actor
}

/** `opened`: the payment as written (processing); `known`: the key was not new, nothing was written. */
export type Opened = { readonly opened: Payment } | { readonly known: true }

export interface Opener {
  open(o: Opening): Promise<Opened>
  close(): Promise<void>
}

const keyOf = (tenant: string, key: string) => `${tenant}\u0000${key}`

/** Opens a batch; if it fails as a whole, one by one, so an error reaches only its own request. */
async function openBatch(c: PaymentsContext, batch: readonly Opening[]): Promise<OpenResult[]> {
  try {
    return (await openTogether(c, batch)).map((opened) => ({ ok: true, opened }))
  } catch (error) {
    if (batch.length === 1) return [{ ok: false, error }]
    const one = (o: Opening) =>
      openTogether(c, [o]).then(
        ([opened]): OpenResult => ({ ok: true, opened: opened! }),
        (e: unknown): OpenResult => ({ ok: false, error: e }),
      )
    const out: OpenResult[] = []
    for (const o of batch) out.push(await one(o))
    return out
  }
}

type OpenResult = { ok: true; opened: Opened } | { ok: false; error: unknown }

async function openTogether(c: PaymentsContext, batch: readonly Opening[]): Promise<Opened[]> {
  const { deps, store, now } = c
  const at = now()
  // A deadlock on two batches' keys is retried whole: a rolled-back batch wrote nothing.
  return c.transaction(async (tx) => {
    const claims = batch.flatMap((o) =>
      o.key ? [{ tenantId: o.p.tenantId, ...o.key, resourceId: o.p.id }] : [],
    )
    // Sorted, so two batches claiming the same keys wait for each other instead of deadlocking.
    claims.sort((a, b) => (keyOf(a.tenantId, a.key) < keyOf(b.tenantId, b.key) ? -1 : 1))
    const claimed = await store.claimBoundKeys(tx, claims, at)
    const fresh = batch.filter((o) => !o.key || claimed.has(keyOf(o.p.tenantId, o.key.key)))
    const rows = fresh.map((o) => ({
      created: o.p,
      by: o.by,
      p: { ...o.p, status: 'processing' as const, gateway: o.gateway },
      card: o.card,
      attempt: { gateway: o.gateway, at: at.toISOString(), outcome: 'sent' },
    }))
    // The payments, their `created` events, and the same events kept with them (the console's
    // timeline outlives the outbox's retention): one statement.
    const created = (r: (typeof rows)[number]) => ({
      tenantId: r.p.tenantId,
      topic: PAYMENT_EVENTS.created,
      key: r.p.id,
      payload: paymentPayload(r.created),
    })
    await store.insertOpened(
      tx,
      rows,
      rows.map((r) =>
        transitionOf(r.p.tenantId, r.p.id, PAYMENT_EVENTS.created, created(r).payload, r.created.createdAt),
      ),
      deps.outbox && rows.length > 0 ? await deps.outbox.insertOf(tx, rows.map(created)) : undefined,
    )
    if (deps.audit && rows.length > 0) {
      await deps.audit.recordAllIn(
        tx,
        rows.map((r) => transitionRecord(r.created, r.p, { type: 'processing' }, {}, r.by)),
      )
    }
    const written = new Map(fresh.map((o, i) => [o, rows[i]!.p]))
    return batch.map((o): Opened => {
      const p = written.get(o)
      return p ? { opened: p } : { known: true }
    })
  })
}

export function createOpener(
  c: PaymentsContext,
  opts: { maxBatch?: number; maxInFlight?: number } = {},
): Opener {
  const group = new GroupCommit<Opening, OpenResult>({
    maxBatch: opts.maxBatch ?? 256,
    maxInFlight: opts.maxInFlight ?? 2,
    send: (items) => openBatch(c, items),
    closedMessage: 'payments opener is closed',
    // One key once per batch: the second request must see the first one's claim, not share its insert.
    exclusiveKey: (o) => (o.key ? keyOf(o.p.tenantId, o.key.key) : null),
  })
  return {
    async open(o) {
      const r = await group.submit(o)
      if (!r.ok) throw r.error
      return r.opened
    },
    close: () => group.close(),
  }
}
