/**
 * A round of gateway events applied as a set (issue #18): the webhook inbox claims many due rows and
 * hands them here in its transaction. The payment-level events (authorised, captured, failed,
 * canceled) are looked up in one statement, locked in one, and written through the single writer
 * (applyFacts) together: one ledger call per tenant on the batching path, one statement for the
 * payment rows, the facts, the events. A merchant's hot ledger accounts are locked once per round
 * instead of once per event. Refund and dispute events (rows of their own, rare) are applied one at
 * a time after them, each under a savepoint, by the single-event use case.
 *
 * Idempotency is applyFacts': a fact already reflected plans as a duplicate and writes nothing.
 * A fact plan() refuses (an out-of-order event, a capture above the authorisation) fails only its
 * item. A ledger refusal throws for the whole round; the inbox then rolls the round back and applies
 * its rows one at a time, so one poisoned row never blocks the others.
 */
import { sql } from 'kysely'
import type { GatewayEvent } from '../gateway.js'
import { applyFacts, type FactItem, type FactOutcome } from '../apply-fact.js'
import type { PaymentsContext, Tx } from '../core/context.js'
import type { Payment } from '../payments.js'
import { applyGatewayEvent, PAYMENT_FACT_EVENTS, paymentFactOf } from './apply-gateway-event.js'
import { isStrayCharge, recordStrayCharge } from './stray-charges.js'

export interface GatewayEventItem {
  readonly tenant: string
  readonly gateway: string
  readonly event: GatewayEvent
}

export type GatewayEventResult =
  { readonly ok: true; readonly outcome: FactOutcome } | { readonly ok: false; readonly error: unknown }

interface Located {
  readonly index: number
  readonly item: GatewayEventItem
  readonly paymentId: string
}

const IGNORED: GatewayEventResult = { ok: true, outcome: 'ignored' }

export async function applyGatewayEvents(
  c: PaymentsContext,
  items: readonly GatewayEventItem[],
  tx: Tx,
): Promise<GatewayEventResult[]> {
  const results = new Array<GatewayEventResult>(items.length).fill(IGNORED)
  // The payments the events name, found and locked in one statement (the first round uses them as
  // locked; a later round, for a payment's second event, reads it again after the first one's write).
  const payments = await c.store.lockPaymentsOfEvents(
    tx,
    items.map(({ tenant, gateway, event }) => ({
      tenantId: tenant,
      gateway,
      ...(event.paymentId ? { paymentId: event.paymentId } : {}),
      ...(event.paymentRef ? { ref: event.paymentRef } : {}),
    })),
  )
  const ids = payments.map((p) => p?.id)
  const simple: Located[] = []
  const oneByOne: Located[] = []
  items.forEach((item, index) => {
    const paymentId = ids[index]
    if (!paymentId) return
    ;(PAYMENT_FACT_EVENTS.has(item.event.type) ? simple : oneByOne).push({ index, item, paymentId })
  })
  for (const [n, round] of roundsOf(simple).entries())
    await applyRound(c, tx, round, results, n === 0 ? payments : undefined)
  for (const l of oneByOne) {
    await sql`SAVEPOINT payment_event`.execute(tx)
    try {
      const outcome = await applyGatewayEvent(c, l.item.tenant, l.item.gateway, l.item.event, tx)
      await sql`RELEASE SAVEPOINT payment_event`.execute(tx)
      results[l.index] = { ok: true, outcome }
    } catch (error) {
      await sql`ROLLBACK TO SAVEPOINT payment_event`.execute(tx)
      results[l.index] = { ok: false, error }
    }
  }
  return results
}

/**
 * Splits the events so a payment appears once per round, in arrival order: the second event of a
 * payment (captured after authorised) must see the first one's effect, so it goes in the next round.
 */
function roundsOf(located: readonly Located[]): Located[][] {
  const rounds: Located[][] = []
  const seen = new Map<string, number>()
  for (const l of located) {
    const key = `${l.item.tenant}\u0000${l.paymentId}`
    const n = (seen.get(key) ?? -1) + 1
    seen.set(key, n)
    ;(rounds[n] ??= []).push(l)
  }
  return rounds
}

/**
 * One round: its payments as locked (`lockedFirst`, per item of the call, for the first round), or
 * one locking read of them (key order: no deadlock); then the single writer.
 */
async function applyRound(
  c: PaymentsContext,
  tx: Tx,
  round: readonly Located[],
  results: GatewayEventResult[],
  lockedFirst: readonly (Payment | undefined)[] | undefined,
): Promise<void> {
  const locked = lockedFirst
    ? round.map((l) => lockedFirst[l.index]!)
    : await c.store.lockPayments(
        tx,
        round.map((l) => ({ tenantId: l.item.tenant, id: l.paymentId })),
      )
  const byRef = new Map(locked.map((p) => [`${p.tenantId}\u0000${p.id}`, p]))
  const facts: FactItem[] = []
  const indexes: number[] = []
  for (const l of round) {
    const p = byRef.get(`${l.item.tenant}\u0000${l.paymentId}`)
    if (p && isStrayCharge(p, l.item.gateway, l.item.event)) {
      results[l.index] = {
        ok: true,
        outcome: await recordStrayCharge(c, tx, p, l.item.gateway, l.item.event),
      }
      continue
    }
    if (!p || p.gateway !== l.item.gateway) continue
    const fact = paymentFactOf(p, l.item.event)
    if (!fact) continue
    facts.push({ p, fact })
    indexes.push(l.index)
  }
  if (facts.length === 0) return
  const written = await applyFacts(c, tx, facts)
  written.forEach((r, i) => {
    results[indexes[i]!] = r.ok ? { ok: true, outcome: r.outcome } : { ok: false, error: r.error }
  })
}
