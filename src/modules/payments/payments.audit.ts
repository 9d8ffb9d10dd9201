import type { Db } from '../../shared/db/connect.js'
import type { AuditRecord } from '../audit/index.js'
import type { Fact, Payment } from './payments.js'

/** The slice of the audit log payments writes to (a narrow port; the audit module implements it). */
export interface PaymentsAudit {
  /** Writes the entry in the transition's own transaction (ADR 0211). */
  recordIn(tx: Db, r: AuditRecord): Promise<void>
  /** Many entries in one statement (a batch of transitions, issue #18). */
  recordAllIn(tx: Db, rs: readonly AuditRecord[]): Promise<void>
  /** Who caused the current work: the request's principal, or undefined in a worker. */
  actor(): { readonly actor: string; readonly origin: string } | undefined
}

const state = (p: Payment) => ({
  status: p.status,
  amountAuthorized: p.amountAuthorized.toString(),
  amountCaptured: p.amountCaptured.toString(),
  amountRefunded: p.amountRefunded.toString(),
  amountRefundPending: p.amountRefundPending.toString(),
  amountDisputed: p.amountDisputed.toString(),
  inFlight: p.inFlight,
})

/**
 * One entry per applied payment transition (written by the single writer, applyFact): the fact,
 * the state before and after, and who caused it — the request's principal, else the gateway whose
 * webhook or answer the worker applied (`gateway:NAME`).
 */
export function transitionRecord(
  audit: PaymentsAudit,
  before: Payment,
  after: Payment,
  fact: Fact,
  related: { readonly refundId?: string | undefined; readonly disputeId?: string | undefined },
): AuditRecord {
  const who = audit.actor()
  return {
    tenant: before.tenantId,
    actor: who?.actor ?? `gateway:${after.gateway ?? 'unknown'}`,
    action: `payments.payment.${fact.type}`,
    resource: `payments:${before.id}`,
    outcome: 'success',
    origin: who?.origin ?? 'worker',
    details: {
      currency: before.currency,
      gateway: after.gateway,
      ...('amount' in fact && typeof fact.amount === 'bigint' ? { amount: fact.amount.toString() } : {}),
      ...(related.refundId ? { refundId: related.refundId } : {}),
      ...(related.disputeId ? { disputeId: related.disputeId } : {}),
      before: state(before),
      after: state(after),
    },
  }
}
