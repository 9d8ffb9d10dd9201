/**
 * The single writer of payment transitions. Every change — the gateway's answer to an API call, a
 * gateway webhook, the sweeper's finding — is a Fact reduced by plan() (payments.ts) and written here:
 * the payment row, its ledger postings, its reconciliation facts, its audit entry and its outbox
 * events, in one transaction, on a payment the caller has locked (SELECT … FOR UPDATE). Facts are
 * idempotent: a repeat plans as a duplicate and writes nothing.
 */
import type { LedgerFact } from './gateway.js'
import type { LedgerCommand } from '../ledger/index.js'
import { chartOfAccounts, mapStep, type MappedStep } from './ledger-mapping.js'
import { transitionRecord, type Actor } from './payments.audit.js'
import { ledgerRejected } from './payments.errors.js'
import { PAYMENT_EVENTS } from './payments.events.js'
import {
  plan,
  type Fact,
  type LedgerStep,
  type Payment,
  type PaymentEventName,
  type Plan,
} from './payments.js'
import { toJson } from './core/idempotency.js'
import type { Dispute } from './store/disputes.js'
import type { Refund } from './store/refunds.js'
import { transitionOf } from './store/transitions.js'
import type { PaymentsContext, Tx } from './core/context.js'

export type FactOutcome = 'applied' | 'duplicate' | 'ignored'

/** The refund or dispute a fact is about (their refs key the ledger postings and the events). */
export interface FactContext {
  readonly refund?: Refund
  readonly dispute?: Dispute
  /** Who the fact is applied for, when not the context's (`c.by`): a batch mixes several requests. */
  readonly by?: Actor
}

/** Fields a caller changes together with the fact (the gateway chosen, the in-flight mark). */
export type FactPatch = Partial<Pick<Payment, 'gateway' | 'inFlight'>>

const EVENT_TOPIC: Record<PaymentEventName, string> = {
  authorized: PAYMENT_EVENTS.authorized,
  captured: PAYMENT_EVENTS.captured,
  failed: PAYMENT_EVENTS.failed,
  canceled: PAYMENT_EVENTS.canceled,
  refund_succeeded: PAYMENT_EVENTS.refundSucceeded,
  dispute_opened: PAYMENT_EVENTS.disputeOpened,
  dispute_won: PAYMENT_EVENTS.disputeWon,
  dispute_lost: PAYMENT_EVENTS.disputeLost,
}

/** The payload of payments.payment.*.v1 events. */
export function paymentPayload(p: Payment): Record<string, unknown> {
  return {
    paymentId: p.id,
    status: p.status,
    amount: p.amount.toString(),
    currency: p.currency,
    amountCaptured: p.amountCaptured.toString(),
    amountRefunded: p.amountRefunded.toString(),
    gateway: p.gateway,
    gatewayRef: p.gatewayRef,
    customer: p.customer,
    declineCode: p.declineCode,
  }
}

function eventPayload(e: PaymentEventName, next: Payment, gateway: string | null, ctx: FactContext) {
  if (e === 'refund_succeeded' && ctx.refund)
    return {
      refundId: ctx.refund.id,
      paymentId: next.id,
      amount: ctx.refund.amount.toString(),
      currency: next.currency,
      gateway,
      gatewayRef: ctx.refund.gatewayRef,
    }
  if (e.startsWith('dispute') && ctx.dispute)
    return {
      disputeId: ctx.dispute.id,
      paymentId: next.id,
      amount: ctx.dispute.amount.toString(),
      currency: next.currency,
      gateway,
      gatewayRef: ctx.dispute.gatewayRef,
    }
  return paymentPayload(next)
}

/** One fact for one locked payment. `key` is an Idempotency-Key answered with the resulting payment. */
export interface FactItem {
  readonly p: Payment
  readonly fact: Fact
  readonly ctx?: FactContext
  readonly patch?: FactPatch
  readonly key?: string
  /** What `key` answers when it is not the resulting payment (a refund's request answers the refund). */
  readonly response?: object
}

/** Rows a caller settles together with the facts, in the same statement (a booking's refund answers). */
export interface BookedWith {
  /** Rows changed without a fact (an operation marked in flight), written with the others. */
  readonly payments?: readonly Payment[]
  readonly refunds?: readonly (Refund & { tenantId: string })[]
  /** Refunds reserved by the facts (pending, before their gateway call). */
  readonly newRefunds?: readonly (Refund & { tenantId: string })[]
  readonly answers?: readonly { tenantId: string; key: string; response: unknown }[]
}

export type FactResult =
  | { readonly ok: true; readonly outcome: FactOutcome; readonly payment: Payment }
  | { readonly ok: false; readonly error: unknown }

interface Planned {
  readonly item: FactItem
  readonly index: number
  readonly plan: Plan
  next: Payment
}

/** Reduces the fact and writes everything it implies in `tx`, on the locked payment `p`. */
export async function applyFact(
  c: PaymentsContext,
  tx: Tx,
  p: Payment,
  fact: Fact,
  ctx: FactContext = {},
  patch: FactPatch = {},
): Promise<{ outcome: FactOutcome; payment: Payment }> {
  const [r] = await applyFacts(c, tx, [{ p, fact, ctx, patch }])
  if (!r!.ok) throw r!.error
  return r!
}

/**
 * The writer itself, for one fact or many (each on its own payment, all locked by the caller): one
 * ledger call per tenant (a hold and its post included) and one statement for the payment rows, the
 * reconciliation facts, the outbox events and transitions, the idempotency answers (and the caller's
 * `also`). The ledger call locks the merchant's shared account rows and holds them to commit, so it
 * goes last when every step names an existing ledger transaction (a capture's post, a void): those
 * ids are known before it. A fact plan() refuses is that item's error; a ledger refusal throws (the
 * caller's transaction, or savepoint, rolls back everything written here; a batch is then retried
 * one item at a time).
 */
export async function applyFacts(
  c: PaymentsContext,
  tx: Tx,
  items: readonly FactItem[],
  also: BookedWith = {},
): Promise<FactResult[]> {
  const { deps, store, now } = c
  const results: FactResult[] = new Array<FactResult>(items.length)
  const applied: Planned[] = []
  const touched: Payment[] = []
  items.forEach((item, index) => {
    let planned: Plan
    try {
      planned = plan(item.p, item.fact)
    } catch (error) {
      results[index] = { ok: false, error }
      return
    }
    const patch = item.patch ?? {}
    if (planned.outcome !== 'applied') {
      const payment = Object.keys(patch).length === 0 ? item.p : { ...item.p, ...patch, updatedAt: now() }
      if (payment !== item.p) touched.push(payment)
      results[index] = { ok: true, outcome: planned.outcome, payment }
      return
    }
    applied.push({
      item,
      index,
      plan: planned,
      next: { ...item.p, ...planned.next, ...patch, updatedAt: now() },
    })
  })
  // Before the ledger call: audit entries (they do not need its answer).
  if (deps.audit && applied.length > 0) {
    // One statement for the whole batch: a round of 500 webhook captures is one insert, not 500.
    await deps.audit.recordAllIn(
      tx,
      applied.map((a) =>
        transitionRecord(
          a.item.p,
          a.next,
          a.item.fact,
          { refundId: a.item.ctx?.refund?.id, disputeId: a.item.ctx?.dispute?.id },
          a.item.ctx?.by ?? c.by,
        ),
      ),
    )
  }
  const events = applied.flatMap((a) =>
    a.plan.events.map((e) => ({
      tenantId: a.item.p.tenantId,
      topic: EVENT_TOPIC[e],
      key: a.item.p.id,
      payload: eventPayload(e, a.next, a.next.gateway, a.item.ctx ?? {}),
    })),
  )
  // Validated now (a bad payload fails before the ledger is asked), written with the rows.
  const eventsInsert = deps.outbox && events.length > 0 ? await deps.outbox.insertOf(tx, events) : undefined
  const calls = ledgerCalls(applied)
  // A post or void names a transaction that exists (the payment's hold): its id, and so every row
  // below, is known before the ledger call. Then the rows are written first, and the ledger call —
  // which locks the merchant's hot account rows until commit — is the transaction's last statement:
  // every other batch of the merchant waits for those rows, and now waits for the ledger call and
  // the commit only (session 16, docs/benchmarks/webhooks.md). A fact that creates a ledger
  // transaction (a hold, a fee, a refund) needs the id the ledger makes, so its rows follow the call.
  // One transaction either way: the order changes who waits, never what commits.
  const first = calls.every((call) => call.mapped.every((m) => targetOf(m.command) !== undefined))
  const write = (facts: readonly BookedFact[]) => {
    for (const a of applied) results[a.index] = { ok: true, outcome: 'applied', payment: a.next }
    const answers = items.flatMap((item, i) => {
      const r = results[i]!
      return item.key && r.ok
        ? [{ tenantId: item.p.tenantId, key: item.key, response: toJson(item.response ?? r.payment) }]
        : []
    })
    // The events, kept with the payment (the outbox forgets them after its retention).
    const transitions = applied.flatMap((a) =>
      a.plan.events.map((e) =>
        transitionOf(
          a.item.p.tenantId,
          a.item.p.id,
          EVENT_TOPIC[e],
          eventPayload(e, a.next, a.next.gateway, a.item.ctx ?? {}),
          a.next.updatedAt,
        ),
      ),
    )
    // One statement for the rows, the reconciliation facts, the events and transitions, the refunds and
    // the answers: one statement costs one round trip however much it writes.
    return store.writeBooked(tx, {
      payments: [...(also.payments ?? []), ...touched, ...applied.map((a) => a.next)],
      facts,
      answers: [...answers, ...(also.answers ?? [])],
      transitions,
      refunds: also.refunds ?? [],
      newRefunds: also.newRefunds ?? [],
      ...(eventsInsert ? { events: eventsInsert } : {}),
    })
  }
  if (first) {
    await write(bookedFacts(c, calls, (call, i) => targetOf(call.mapped[i]!.command)!))
    await postLedgerCalls(c, tx, calls, items.length === 1, (call, i, id) => {
      // The ledger answers a post or void with the transaction it names; anything else is a bug.
      if (id !== targetOf(call.mapped[i]!.command))
        throw ledgerRejected(`The ledger answered ${id} for a step on ${targetOf(call.mapped[i]!.command)}.`)
    })
  } else {
    const ids = await postLedgerCalls(c, tx, calls, items.length === 1)
    await write(bookedFacts(c, calls, (call, i) => ids.get(call)![i]!))
  }
  return results
}

type BookedFact = LedgerFact & { id: string; tenantId: string }

/** One ledger call: a tenant's steps, each fact's in order, and their commands. */
interface LedgerCall {
  readonly tenant: string
  readonly list: readonly { readonly a: Planned; readonly step: LedgerStep }[]
  readonly mapped: readonly MappedStep[]
}

/** The transaction a post or void names by id (known before the call); undefined for a create. */
function targetOf(command: LedgerCommand): string | undefined {
  return (command.op === 'post' || command.op === 'void') && typeof command.transactionId === 'string'
    ? command.transactionId
    : undefined
}

/**
 * The ledger steps of every applied fact, one call per tenant, each fact's steps in order. A post of
 * a hold made in the same call names it by position (its id is made by the ledger), so an automatic
 * capture's hold and post are one call, not a round of holds and then the rest.
 */
function ledgerCalls(applied: readonly Planned[]): LedgerCall[] {
  const work = applied.flatMap((a) => a.plan.ledger.map((step) => ({ a, step })))
  return [...groupBy(work, (w) => w.a.item.p.tenantId)].map(([tenant, list]) => {
    const holdAt = new Map<Planned, number>()
    const mapped = list.map(({ a, step }, i) => {
      if (step.kind === 'hold') holdAt.set(a, i)
      const held = holdAt.get(a)
      const hold = held === undefined ? {} : { holdTransactionId: { item: held } }
      return mapStep(step, { ...stepContext(a, step), ...hold })
    })
    return { tenant, list, mapped }
  })
}

/** The reconciliation facts the calls record, with the ledger transaction of each step (`idOf`). */
function bookedFacts(
  c: PaymentsContext,
  calls: readonly LedgerCall[],
  idOf: (call: LedgerCall, i: number) => string,
): BookedFact[] {
  const facts: BookedFact[] = []
  for (const call of calls)
    call.mapped.forEach((m, i) => {
      if (m.fact)
        facts.push({
          ...m.fact,
          id: c.deps.ids('plf'),
          tenantId: call.tenant,
          ledgerTransactionId: idOf(call, i),
          at: c.now(),
        })
    })
  return facts
}

/**
 * Sends the calls; a refused step throws (the caller's transaction rolls back). Returns each step's
 * ledger transaction id, and notes a hold's on its payment. `check` sees each answered id.
 */
async function postLedgerCalls(
  c: PaymentsContext,
  tx: Tx,
  calls: readonly LedgerCall[],
  single: boolean,
  check?: (call: LedgerCall, i: number, id: string) => void,
): Promise<Map<LedgerCall, string[]>> {
  const ids = new Map<LedgerCall, string[]>()
  for (const call of calls) {
    // One payment's steps are all-or-nothing; in a batch any refusal aborts the whole transaction.
    const results = await c.deps.ledger.execute(
      call.tenant,
      call.mapped.map((m) => m.command),
      { tx, atomic: single },
    )
    ids.set(
      call,
      call.list.map(({ a, step }, i) => {
        const result = results[i]
        if (!result?.ok)
          throw ledgerRejected(
            `The ledger refused the ${step.kind} of ${a.item.p.id}: ${result ? result.message : 'no result'}`,
          )
        check?.(call, i, result.transactionId)
        if (step.kind === 'hold') a.next = { ...a.next, holdTransactionId: result.transactionId }
        return result.transactionId
      }),
    )
  }
  return ids
}

function stepContext(a: Planned, step: LedgerStep) {
  const { p, ctx = {} } = a.item
  // Money only moves on a payment a gateway took: no gateway here is a bug, never a default.
  const gateway = a.next.gateway
  if (!gateway) throw ledgerRejected(`Payment ${p.id} has ledger steps but no gateway.`)
  return {
    paymentId: p.id,
    gateway,
    gatewayRef:
      (step.kind === 'refund'
        ? ctx.refund?.gatewayRef
        : step.kind.startsWith('dispute')
          ? ctx.dispute?.gatewayRef
          : undefined) ??
      a.next.gatewayRef ??
      p.id,
    currency: p.currency,
    holdTransactionId: a.next.holdTransactionId,
    chart: chartOfAccounts(gateway, p.currency),
    factKey: ctx.refund?.id ?? ctx.dispute?.id ?? 'payment',
  }
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const x of xs) {
    const k = key(x)
    const list = out.get(k)
    if (list) list.push(x)
    else out.set(k, [x])
  }
  return out
}

/**
 * Books a gateway's answer on a payment in a transaction of its own, shared with the other answers
 * arriving meanwhile (core/booker.ts). A gateway's answer must be booked: the fact is idempotent (a
 * repeat is a duplicate), so the booking is retried through contention and lost connections rather
 * than answered 503. `key`: the Idempotency-Key answered with the result in the same transaction.
 */
export function applyNow(
  c: PaymentsContext,
  tenant: string,
  id: string,
  fact: Fact,
  patch: FactPatch = {},
  key?: string,
): Promise<Payment> {
  return c.book({ tenant, id, fact, patch, ...(key ? { key } : {}) })
}
