import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { PAYMENT_TRANSITION_FIELDS } from '../payments/index.js'

/** One thing that happened to a payment, from whichever table recorded it. */
export interface TimelineItem {
  readonly at: Date
  readonly kind: 'state' | 'gateway_call' | 'webhook_received' | 'ledger_posting' | 'webhook_sent'
  readonly title: string
  readonly details: Readonly<Record<string, string>>
  /** Ledger postings: the entries of the transaction, with each account's balance after it. */
  readonly entries?: readonly TimelineEntry[]
}

export interface TimelineEntry {
  readonly account: string
  readonly side: 'debit' | 'credit'
  readonly kind: string
  readonly amount: bigint
  readonly currency: string
  /** Posted balance on the account's normal side after this entry. */
  readonly balanceAfter: bigint
}

interface PaymentRow {
  created_at: Date
  updated_at: Date
  status: string
  amount: string | bigint
  currency: string
  hold_txn_id: string | null
  attempts: Record<string, string>[]
}

const str = (v: unknown): string => {
  if (v === null || v === undefined) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v.toString()
  return JSON.stringify(v)
}
// Events are written in the transaction of the change, so they fall inside the payment's lifetime; the
// window lets the outbox's BRIN index on created_at narrow the scan (no index on partition_key there).
const SLACK_MS = 60_000

/**
 * A payment's whole story, read from the tables that already record it, all kept as long as the
 * payment: state changes (payment_transitions: its events, refunds, disputes), gateway calls (the
 * payment's attempts), gateway webhooks received (the inbox), ledger postings (the hold and the
 * reconciliation facts' transactions, with their entries) and outgoing webhook deliveries of its
 * events (by the event's key, the payment id). The outbox, which keeps events for its retention only,
 * is read for payments written before payment_transitions existed. Null when the payment is unknown.
 */
export async function paymentTimeline(db: Db, tenant: string, id: string): Promise<TimelineItem[] | null> {
  const p = (
    await sql<PaymentRow>`SELECT created_at, updated_at, status, amount, currency, hold_txn_id, attempts
      FROM payments WHERE tenant_id = ${tenant} AND payment_id = ${id}`.execute(db)
  ).rows[0]
  if (!p) return null
  const from = new Date(new Date(p.created_at).getTime() - SLACK_MS)
  const to = new Date(new Date(p.updated_at).getTime() + SLACK_MS)
  const items: TimelineItem[] = []

  const transitions = (
    await sql<{ topic: string; payload: Record<string, unknown>; created_at: Date }>`
      SELECT topic, details AS payload, at AS created_at FROM payment_transitions
      WHERE tenant_id = ${tenant} AND payment_id = ${id} ORDER BY seq`.execute(db)
  ).rows
  const events =
    transitions.length > 0
      ? transitions.map((t) => ({ ...t, event_id: '' }))
      : (
          await sql<{ event_id: string; topic: string; payload: Record<string, unknown>; created_at: Date }>`
            SELECT event_id, topic, payload, created_at FROM event_outbox
            WHERE tenant_id = ${tenant} AND partition_key = ${id} AND created_at BETWEEN ${from} AND ${to}
            ORDER BY seq`.execute(db)
        ).rows
  if (events.length === 0)
    items.push({
      at: new Date(p.created_at),
      kind: 'state',
      title: 'created',
      details: { amount: str(p.amount) },
    })
  for (const e of events)
    items.push({
      at: new Date(e.created_at),
      kind: 'state',
      title: e.topic.replace(/^payments\./, '').replace(/\.v\d+$/, ''),
      details: pick(e.payload, PAYMENT_TRANSITION_FIELDS),
    })

  for (const a of p.attempts ?? [])
    items.push({
      at: new Date(a.at ?? p.created_at),
      kind: 'gateway_call',
      title: `${str(a.gateway)}: ${str(a.outcome)}`,
      details: pick(a, ['gateway', 'outcome', 'code']),
    })

  const inbox = (
    await sql<{
      gateway: string
      event_id: string
      event_type: string
      status: string
      outcome: string | null
      received_at: Date
    }>`
      SELECT gateway, event_id, event_type, status, outcome, received_at FROM payment_webhook_inbox
      WHERE payment_id = ${id} AND (tenant_id = ${tenant} OR applied_tenant_id = ${tenant})
      ORDER BY received_at`.execute(db)
  ).rows
  for (const w of inbox)
    items.push({
      at: new Date(w.received_at),
      kind: 'webhook_received',
      title: `${w.gateway} ${w.event_type}`,
      details: { eventId: w.event_id, status: w.status, outcome: str(w.outcome) },
    })

  items.push(...(await ledgerPostings(db, tenant, id, p.hold_txn_id)))

  // Deliveries carry their event's key since migration 0802; older ones are found by the outbox's event ids.
  const eventIds = events.map((e) => e.event_id).filter(Boolean)
  {
    const deliveries = (
      await sql<{
        delivery_id: string
        endpoint_id: string
        event_type: string
        status: string
        attempts: number
        created_at: Date
        last_status_code: number | null
      }>`
        SELECT delivery_id, endpoint_id, event_type, status, attempts, created_at, last_status_code
        FROM webhook_deliveries WHERE tenant_id = ${tenant}
          AND ${eventIds.length > 0 ? sql`(event_key = ${id} OR event_id = ANY(${eventIds}::text[]))` : sql`event_key = ${id}`}
        ORDER BY created_at`.execute(db)
    ).rows
    for (const d of deliveries)
      items.push({
        at: new Date(d.created_at),
        kind: 'webhook_sent',
        title: `${d.event_type} → ${d.endpoint_id}`,
        details: {
          deliveryId: d.delivery_id,
          status: d.status,
          attempts: String(d.attempts),
          lastStatusCode: str(d.last_status_code),
        },
      })
  }
  return items.sort((a, b) => a.at.getTime() - b.at.getTime())
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) out[k] = str(o[k])
  return out
}

/** The hold (authorisation, then its capture) and every fact the payment booked (fees, refunds, disputes). */
async function ledgerPostings(
  db: Db,
  tenant: string,
  id: string,
  hold: string | null,
): Promise<TimelineItem[]> {
  const facts = (
    await sql<{ ledger_txn_id: string; kind: string }>`SELECT ledger_txn_id, kind FROM payment_ledger_facts
      WHERE tenant_id = ${tenant} AND payment_id = ${id}`.execute(db)
  ).rows
  const txnIds = [...new Set([...(hold ? [hold] : []), ...facts.map((f) => f.ledger_txn_id)])]
  if (txnIds.length === 0) return []
  const rows = (
    await sql<{
      transaction_id: string
      account_id: string
      kind: string
      side: string
      currency: string
      pending_delta: string | bigint
      posted_delta: string | bigint
      debits_posted: string | bigint
      credits_posted: string | bigint
      created_at: Date
      normal_side: string
      metadata: Record<string, unknown>
      status: string
    }>`SELECT e.transaction_id, e.account_id, e.kind, e.side, e.currency, e.pending_delta, e.posted_delta,
        e.debits_posted, e.credits_posted, e.created_at, a.normal_side, t.metadata, t.status
      FROM ledger_entries e
      JOIN ledger_accounts a ON a.tenant_id = e.tenant_id AND a.account_id = e.account_id
      JOIN ledger_transactions t ON t.tenant_id = e.tenant_id AND t.transaction_id = e.transaction_id
      WHERE e.tenant_id = ${tenant} AND e.transaction_id = ANY(${txnIds}::text[])
      ORDER BY e.created_at, e.transaction_id, e.kind, e.leg, e.side`.execute(db)
  ).rows
  // One item per transaction and phase (a hold is one posting when made and another when captured).
  const groups = new Map<string, typeof rows>()
  for (const r of rows) {
    const key = `${r.transaction_id}\u0000${r.kind}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  return [...groups.values()].map((g) => {
    const first = g[0]!
    return {
      at: new Date(first.created_at),
      kind: 'ledger_posting' as const,
      title: `${str(first.metadata.kind) || 'posting'} (${first.kind})`,
      details: { transactionId: first.transaction_id, status: first.status },
      entries: g.map((r) => {
        const delta = BigInt(r.posted_delta) !== 0n ? BigInt(r.posted_delta) : BigInt(r.pending_delta)
        const posted = BigInt(r.credits_posted) - BigInt(r.debits_posted)
        return {
          account: r.account_id,
          side: r.side === 'd' || r.side === 'D' ? ('debit' as const) : ('credit' as const),
          kind: r.kind,
          amount: delta < 0n ? -delta : delta,
          currency: r.currency,
          balanceAfter: r.normal_side === 'credit' ? posted : -posted,
        }
      }),
    }
  })
}
